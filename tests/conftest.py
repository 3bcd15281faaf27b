"""Shared fixtures. Tests that read ../shared/data fail (not skip) under CI=true when it is missing.

The end-to-end modules share what is costly to make, each built once per test run (also across pytest-xdist
workers, see once.py): `synthetic_mirror`, the one synthetic mirror (read it; a test that changes files copies
it first with `synthetic_mirror.copy(dest)`); `demo_warehouse`, a data folder where the checkout's `bilatrus run`
published a warehouse from that mirror; `package`, the wheel installed in a fresh venv with a demo built by it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_process import bilatrus
from installed_package import InstalledPackage, installed_package
from once import built_once

from bilatrus_etl_synthetic.layout import MANIFEST_FILE
from bilatrus_etl_synthetic.mirror import write_mirror

pytest_plugins = ["fixture_server"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("BILATRUS_SHARED_DATA") or PROJECT_ROOT.parent / "shared" / "data")
MIRROR_SCALE = 0.004  # enough Russian FP7 participations for two revision rounds (7 at seed 42)
MIRROR_SEED = 42


def _require(path: Path) -> Path:
    if not path.exists():
        message = f"real sample missing: {path} (tests read ../shared/data beside the project root)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real samples; fails under CI when missing."""
    return _require(SHARED_DATA)


@pytest.fixture(scope="session")
def shared_file(shared_data: Path):
    """Return a function giving one real sample by relative path, failing under CI when missing."""

    def get(relative: str) -> Path:
        return _require(shared_data / relative)

    return get


@dataclass(frozen=True)
class SyntheticMirror:
    """The run's synthetic mirror (scale MIRROR_SCALE, seed MIRROR_SEED) and its manifest."""

    folder: Path
    manifest: dict[str, Any]

    def copy(self, dest: Path) -> Path:
        """A copy to change (the shared folder stays as written)."""
        shutil.copytree(self.folder, dest)
        return dest


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _write_shared_mirror(dest: Path) -> dict[str, Any]:
    write_mirror(dest, scale=MIRROR_SCALE, seed=MIRROR_SEED)
    return {}


@pytest.fixture(scope="session")
def synthetic_mirror(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[SyntheticMirror]:
    """The one synthetic mirror of the run; at the end each worker checks that no test changed it."""
    folder, _ = built_once(tmp_path_factory, worker_id, "synthetic-mirror", _write_shared_mirror)
    digests = _digests(folder)
    mirror = SyntheticMirror(folder, json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8")))
    yield mirror
    assert _digests(folder) == digests, f"a test changed the shared mirror {folder}: copy it first (mirror.copy)"


@dataclass(frozen=True)
class DemoWarehouse:
    """A data folder where `bilatrus run --mirror <the run's synthetic mirror>` published a warehouse."""

    data_dir: Path
    mirror: SyntheticMirror
    run_stderr: str

    def copy(self, dest: Path) -> Path:
        """A copy of the data folder (warehouse, downloads, Dagster instance) to run or change things in."""
        shutil.copytree(self.data_dir, dest)
        return dest


def _publish_demo(root: Path, mirror: SyntheticMirror) -> dict[str, Any]:
    done = bilatrus("run", "--mirror", str(mirror.folder), data_dir=root / "data", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return {"run_stderr": done.stderr}


@pytest.fixture(scope="session")
def demo_warehouse(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, synthetic_mirror: SyntheticMirror
) -> DemoWarehouse:
    """The run's published demo warehouse: read it, or copy it to run `bilatrus run` again or change it."""
    root, record = built_once(
        tmp_path_factory, worker_id, "demo-warehouse", lambda dest: _publish_demo(dest, synthetic_mirror)
    )
    return DemoWarehouse(root / "data", synthetic_mirror, record["run_stderr"])


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> InstalledPackage:
    """The wheel installed in a fresh venv, and the demo `bilatrus demo` published with it from an empty folder."""
    return installed_package(tmp_path_factory, worker_id)

"""Shared fixtures. Tests that read ../shared/data fail (not skip) under CI=true when it is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["fixture_server"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("BILATRUS_SHARED_DATA") or PROJECT_ROOT.parent / "shared" / "data")


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

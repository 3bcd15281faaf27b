"""The project as a user installs it: a wheel built from a copy of the sources, in a fresh virtual environment.

Built once per test run, also under pytest-xdist (once.built_once), offline:
the wheel is built with this environment's setuptools (no build isolation), installed without dependencies
into a new venv whose only link to this one is a .pth line naming this environment's site-packages (so the
dependencies are reused, and this checkout's editable install is not: its .pth hook is never run). The
copy of the sources is deleted once the wheel is built. Then `bilatrus demo` runs from an empty folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
from once import built_once

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_SCALE = "0.003"


@dataclass(frozen=True)
class InstalledPackage:
    """A venv with the wheel installed, and a demo published from an empty folder with it."""

    venv: str
    wheel: str
    workdir: str  # the folder `bilatrus demo` ran in (empty before): data/ is its data directory
    demo_stderr: str

    @property
    def python(self) -> Path:
        return Path(self.venv) / "bin" / "python"

    @property
    def bilatrus(self) -> Path:
        return Path(self.venv) / "bin" / "bilatrus"

    @property
    def data_dir(self) -> Path:
        return Path(self.workdir) / "data"

    @property
    def mirror(self) -> Path:
        return self.data_dir / "demo-mirror"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no PYTHONPATH into this checkout, no project settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV", "DAGSTER_HOME"} and not k.startswith("BILATRUS_")
    }
    env.update(COLUMNS="200", **extra)
    return env


def run(
    command: list[str | Path], *, cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done


def build_wheel(root: Path) -> Path:
    """Copy what the wheel is built from, build it offline, delete the copy; return the wheel."""
    sources = root / "sources"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", ".venv")
    for name in ("pyproject.toml", "README.md"):
        sources.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, sources / name)
    for folder in ("src", "pipelines"):
        shutil.copytree(PROJECT_ROOT / folder, sources / folder, ignore=ignore)
    dist = root / "dist"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            dist,
            sources,
        ],
        cwd=root,
        timeout=300,
    )
    shutil.rmtree(sources)
    (wheel,) = dist.glob("bilatrus_etl-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> None:
    """A new venv (no pip of its own) with the wheel installed by this environment's pip, dependencies reused."""
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=venv.parent, timeout=120)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            venv / "bin" / "python",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            wheel,
        ],
        cwd=venv.parent,
        timeout=300,
    )
    site = Path(
        run(
            [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=venv.parent,
            timeout=60,
        ).stdout.strip()
    )
    (site / "zz_reuse_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")


def _make(root: Path) -> InstalledPackage:
    wheel = build_wheel(root)
    venv = root / "venv"
    install(wheel, venv)
    workdir = root / "empty"
    workdir.mkdir()
    demo = run([venv / "bin" / "bilatrus", "demo", "--scale", DEMO_SCALE], cwd=workdir, timeout=900)
    return InstalledPackage(venv=str(venv), wheel=str(wheel), workdir=str(workdir), demo_stderr=demo.stderr)


def installed_package(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> InstalledPackage:
    """The one installed package of this test run (built by whichever worker gets here first)."""
    _root, record = built_once(tmp_path_factory, worker_id, "installed-package", lambda root: asdict(_make(root)))
    return InstalledPackage(**record)

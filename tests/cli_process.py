"""The checkout's `bilatrus` command as a user runs it: a subprocess on a data folder of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def bilatrus(*args: str, data_dir: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """`bilatrus ARGS` on `data_dir` (its dagster/ as DAGSTER_HOME; no mirror from the caller's environment)."""
    environment = {
        **os.environ,
        "BILATRUS_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(data_dir / "dagster"),
        "COLUMNS": "200",
        **env,
    }
    environment.pop("BILATRUS_MIRROR", None)
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        cwd=PROJECT_ROOT,
    )

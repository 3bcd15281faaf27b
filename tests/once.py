"""Build something once per test run and share it between pytest-xdist workers.

The pattern pytest-xdist documents for session data: the first worker to take a file lock in the folder all
workers share (tmp_path_factory.getbasetemp().parent) builds the thing and records it; the others wait on the
lock and read the record. A build that failed is recorded too, so the other workers fail at once with its
message instead of building it again. Without xdist (worker "master") the folder is the session's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock


def shared_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The folder every worker of this test run sees (the session's base folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


def built_once(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str, build: Callable[[Path], dict[str, Any]]
) -> tuple[Path, dict[str, Any]]:
    """(folder, record): `build(folder)` run by one worker of the run; its record (JSON) read by the others."""
    folder = shared_root(tmp_path_factory, worker_id) / name
    record = folder.with_name(f"{name}.json")
    failed = folder.with_name(f"{name}.failed.txt")
    with FileLock(str(folder.with_name(f"{name}.lock"))):
        if record.exists():
            return folder, json.loads(record.read_text(encoding="utf-8"))
        if failed.exists():
            pytest.fail(f"building {name} failed in another worker:\n{failed.read_text(encoding='utf-8')}")
        folder.mkdir(parents=True, exist_ok=True)
        try:
            built = build(folder)
        except BaseException as err:
            failed.write_text(f"{type(err).__name__}: {err}", encoding="utf-8")
            raise
        record.write_text(json.dumps(built), encoding="utf-8")
        return folder, built

"""One run at a time per data folder: an exclusive lock held by the process that runs the pipeline.

The lock is `fcntl.flock` on `<data_dir>/.run.lock`, so the kernel drops it the moment its process dies (a kill -9,
an OOM kill, a reboot): a lock from a dead process never blocks. The file also names its holder (run id, pid,
host, start time) so that a refused run can say which run is in the way.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bilatrus_etl.errors import BilatrusError

LOCK_FILE = ".run.lock"
_HELD: dict[Path, RunLock] = {}  # locks this process holds, by lock path


class RunInProgress(BilatrusError):
    """Another live process holds the data folder's run lock."""

    def __init__(self, path: Path, holder: dict) -> None:
        self.holder = holder
        super().__init__(
            f"Another run is using the data folder {path.parent}: {describe(holder)}. Wait for it to finish, "
            f"or run again with `--wait` to start as soon as it has."
        )


def describe(holder: dict) -> str:
    """'run 1a2b3c4d (pid 123 on host, since 2026-11-29T05:00:00+00:00)' from a lock file's content."""
    run = f"run {holder['run_id'][:8]}" if holder.get("run_id") else "a run"
    return f"{run} (pid {holder.get('pid', '?')} on {holder.get('host', '?')}, since {holder.get('started_at', '?')})"


def lock_path(data_dir: Path) -> Path:
    return Path(data_dir).resolve() / LOCK_FILE


@dataclass
class RunLock:
    """An acquired lock; `release()` (or process death) frees it."""

    path: Path
    fd: int
    info: dict

    def update(self, **fields: str) -> None:
        """Record more about the holder (e.g. the Dagster run id once it exists)."""
        self.info.update(fields)
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, json.dumps(self.info, sort_keys=True).encode("utf-8"), 0)

    def release(self) -> None:
        if _HELD.get(self.path) is self:
            del _HELD[self.path]
        try:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def held_here(data_dir: Path) -> RunLock | None:
    """The lock on this data folder if this very process holds it."""
    return _HELD.get(lock_path(data_dir))


def holder(data_dir: Path) -> dict | None:
    """Who holds the data folder's lock, or None when no live process does."""
    path = lock_path(data_dir)
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def acquire(
    data_dir: Path,
    *,
    wait: bool = False,
    on_wait: Callable[[dict], None] | None = None,
    poll_s: float = 0.5,
    timeout_s: float | None = None,
    **info: str,
) -> RunLock:
    """Take the data folder's run lock, or raise RunInProgress (wait=False) / wait for it (wait=True; at most
    `timeout_s` seconds when given, then RunInProgress).

    `on_wait(holder)` is called once when waiting starts, so the caller can say which run it waits for.
    """
    path = lock_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    announced = False
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            current = _read(path)
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                os.close(fd)
                raise RunInProgress(path, current) from None
            if not announced and on_wait is not None:
                on_wait(current)
            announced = True
            time.sleep(poll_s)
    lock = RunLock(
        path,
        fd,
        {
            "pid": str(os.getpid()),
            "host": socket.gethostname(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **info,
        },
    )
    lock.update()
    _HELD[path] = lock
    return lock


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

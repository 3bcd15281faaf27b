"""How this process's connections to the Dagster instance's SQLite files behave (runs, event logs, schedules).

Dagster's SQLite storages open a new connection for every read and write (SQLAlchemy's NullPool) and keep their
files in WAL mode. With SQLite's defaults every commit then syncs the log, and every close of what SQLite sees as
the last connection to a file checkpoints it, syncs it and deletes the log: a no-op refresh, which writes some
thirty run and asset events, waited on about 330 fsyncs for them. `install()` (called by `bilatrus run` and on
loading the code location) makes the connections of this process to files under DAGSTER_HOME
- open in WAL mode from the start (a new run's event file is created in it, not switched to it after its tables),
- commit with `synchronous=NORMAL`: in WAL mode a commit is not synced; checkpoints are, and a killed process
  loses nothing it committed (only a power cut can undo the latest commits; the database stays consistent),
- keep one idle connection per file open ("keeper", the last `KEEPERS` files used), so that the connections Dagster
  closes are not the last one and the log is checkpointed as it grows, not on every close.
The keepers hold no lock and no read transaction between uses, so other processes (the webserver, the daemon)
read and checkpoint as usual. They are closed at exit, which checkpoints the files and removes their logs.
SQLite files anywhere else (and other databases) are left as their owners configured them.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

KEEPERS = 8  # files kept open at once: the run index, runs, schedules and the current runs' event files

_lock = threading.Lock()
_keepers: OrderedDict[str, sqlite3.Connection] = OrderedDict()
_installed = False


def install() -> None:
    """Apply the module's connection settings to this process's SQLite connections under DAGSTER_HOME (once)."""
    global _installed
    with _lock:
        if _installed:
            return
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "connect", _on_connect)
        atexit.register(close_keepers)
        _installed = True


def _instance_home() -> Path | None:
    home = os.environ.get("DAGSTER_HOME")
    return Path(home).resolve() if home else None


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    path = _database_path(dbapi_connection)
    home = _instance_home()
    if path is None or home is None or not path.is_relative_to(home):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL").fetchall()
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
    _keep(str(path))


def _database_path(connection: sqlite3.Connection) -> Path | None:
    rows = connection.execute("PRAGMA database_list").fetchall()
    file = next((row[2] for row in rows if row[1] == "main"), "")
    return Path(file).resolve() if file else None


def _keep(path: str) -> None:
    """Open (or touch) the keeper of `path`: a read opens its WAL index, so a closing connection is never the last."""
    with _lock:
        keeper = _keepers.pop(path, None)
        if keeper is None:
            keeper = sqlite3.connect(path, timeout=1, check_same_thread=False, isolation_level=None)
        _keepers[path] = keeper
        try:
            keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()
        except sqlite3.Error:
            _keepers.pop(path).close()  # busy or gone: the file works as without a keeper
            return
        while len(_keepers) > KEEPERS:
            _, oldest = _keepers.popitem(last=False)
            oldest.close()


def kept_files() -> list[str]:
    """The files with a keeper open, least recently used first."""
    with _lock:
        return list(_keepers)


def close_keepers() -> None:
    """Close every keeper (at exit): each file is checkpointed and its log removed if no one else has it open."""
    with _lock:
        while _keepers:
            _, keeper = _keepers.popitem(last=False)
            try:
                keeper.close()
            except sqlite3.Error:
                pass

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
  closes are not the last one and the log is checkpointed as it grows, not on every close;
- come from one SQLAlchemy engine per file (the last `ENGINES` files used): the storages create a new engine for
  every connection, so each event paid for a new dialect's first-connect queries and compiled its INSERTs and
  SELECTs again (SQLAlchemy caches compiled statements per engine). A full refresh stores some 900 events;
- are pooled: where a storage asks for no pool (NullPool: a new connection for every read and write, each opening
  the file, reading its schema and setting the pragmas above), its engine keeps up to POOL_SIZE idle connections
  (QueuePool; any number more while in use, closed when given back) and the `dispose()` the storages call after
  every use leaves them in place; storing an event or reading an asset's latest record takes half the CPU. An idle
  pooled connection has rolled back (SQLAlchemy's reset on return): like a keeper it holds no lock and no read
  transaction. A connection whose file was removed or replaced since it opened (another instance made at the same
  path) is discarded on checkout and a new one opened on the file now there.
Each new SQLite file (a new run's event log, a fresh instance) is stamped with Dagster's migration head, and every
storage checks its file's revision on opening: alembic reads Dagster's ~70 migration scripts again for each of these
(about a quarter of a second of CPU before a run's first step). `install()` makes the readings of Dagster's own
migration folder in this process share one revision map, read once.
The keepers hold no lock and no read transaction between uses, so other processes (the webserver, the daemon)
read and checkpoint as usual. They are closed at exit after the pooled connections, which checkpoints the files and
removes their logs.
SQLite files anywhere else (and other databases) are left as their owners configured them.
"""

from __future__ import annotations

import atexit
import importlib
import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from sqlalchemy.pool import NullPool, QueuePool

KEEPERS = 8  # files kept open at once: the run index, runs, schedules and the current runs' event files
ENGINES = 16  # engines kept at once (the same files, and the storages' variants of connect_args)
POOL_SIZE = 2  # idle connections an engine keeps (the event log storage uses one at a time, under its lock)
# Dagster's SQLite storages, each calling the `create_engine` it imported from dagster._core.storage.sql
STORAGE_MODULES = (
    "dagster._core.storage.event_log.sqlite.sqlite_event_log",
    "dagster._core.storage.runs.sqlite.sqlite_run_storage",
    "dagster._core.storage.schedules.sqlite.sqlite_schedule_storage",
)

_FILE = "bilatrus_instance_file"  # a pooled connection's record: (its file, the file's device and inode at opening)
_lock = threading.Lock()
_keepers: OrderedDict[str, sqlite3.Connection] = OrderedDict()
_engines: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
_ours: dict[tuple[str, str], str | None] = {}  # (file, DAGSTER_HOME) -> the file resolved, when it is the instance's
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
        event.listen(Engine, "checkout", _on_checkout)
        _share_dagster_revision_map()
        for name in STORAGE_MODULES:
            module = importlib.import_module(name)
            if callable(getattr(module, "create_engine", None)):
                module.create_engine = _reusing_create_engine  # type: ignore[attr-defined]
        atexit.register(close_keepers)
        _installed = True


_revision_maps: dict[tuple[str, tuple[str, ...]], Any] = {}  # Dagster's migration folder -> its revision map


def _share_dagster_revision_map() -> None:
    """Make `ScriptDirectory.from_config` give directories of Dagster's migration scripts one shared revision map
    (loaded on first use, then read by every later ScriptDirectory of the same folder); other folders as alembic
    makes them."""
    import dagster
    from alembic.script import ScriptDirectory

    package = str(Path(dagster.__file__).resolve().parent)
    original = ScriptDirectory.from_config.__func__  # type: ignore[attr-defined]

    def from_config(cls: type[ScriptDirectory], config: Any) -> ScriptDirectory:
        script = original(cls, config)
        if not str(Path(script.dir).resolve()).startswith(package):
            return script
        key = (script.dir, tuple(script.version_locations))
        with _lock:
            script.revision_map = _revision_maps.setdefault(key, script.revision_map)
        return script

    ScriptDirectory.from_config = classmethod(from_config)  # type: ignore[method-assign,assignment]


def _reusing_create_engine(url: Any, **kwargs: Any) -> Any:
    """The storages' `create_engine`: for a file of the instance, the engine already made for it with the same
    arguments (a new one the first time); anything else as SQLAlchemy makes it."""
    from dagster._core.storage.sql import create_engine

    path = _sqlite_file(str(url))
    if path is None or _instance_file(path) is None or set(kwargs) - {"poolclass", "connect_args"}:
        return create_engine(url, **kwargs)
    key = (str(url), repr(kwargs.get("poolclass")), repr(sorted((kwargs.get("connect_args") or {}).items())))
    with _lock:
        engine = _engines.pop(key, None)
        if engine is None:
            engine = _pooled(url, kwargs) if kwargs.get("poolclass") is NullPool else create_engine(url, **kwargs)
        _engines[key] = engine
        while len(_engines) > ENGINES:
            _, oldest = _engines.popitem(last=False)
            _dispose(oldest)
    return engine


def _pooled(url: Any, kwargs: dict[str, Any]) -> Any:
    """The engine of a storage that asked for NullPool, with a QueuePool instead; its `dispose()` (which the
    storages call after each use) keeps the pool."""
    from dagster._core.storage.sql import create_engine

    engine = create_engine(url, **{**kwargs, "poolclass": QueuePool, "pool_size": POOL_SIZE, "max_overflow": -1})
    engine.dispose = _keep_pool  # type: ignore[method-assign]
    return engine


def _keep_pool(close: bool = True) -> None:
    """A pooled engine's `dispose()` as the storages call it after each use: the pool stays."""


def _dispose(engine: Any) -> None:
    """Close an engine's pooled connections (Engine.dispose itself, past a pooled engine's `_keep_pool`)."""
    type(engine).dispose(engine)


def _sqlite_file(url: str) -> str | None:
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix) :].split("?", 1)[0]
    return path if path and path != ":memory:" else None


def engines_kept() -> int:
    """How many engines are kept for reuse."""
    with _lock:
        return len(_engines)


def _instance_file(file: str) -> str | None:
    """`file` resolved when it lies under DAGSTER_HOME, else None (remembered per file and home)."""
    home = os.environ.get("DAGSTER_HOME") or ""
    key = (file, home)
    if key not in _ours:
        path = Path(file).resolve()
        _ours[key] = str(path) if home and path.is_relative_to(Path(home).resolve()) else None
    return _ours[key]


def _on_connect(dbapi_connection: Any, record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    rows = dbapi_connection.execute("PRAGMA database_list").fetchall()
    file = next((row[2] for row in rows if row[1] == "main"), "")
    path = _instance_file(file) if file else None
    if path is None:
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL").fetchall()
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
    record.info[_FILE] = (path, _identity(path))
    _keep(path)


def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A pooled connection to a file of the instance that was removed or replaced since it opened is discarded
    (DisconnectionError: the pool opens a new one on the file now at its path)."""
    opened = record.info.get(_FILE)
    if opened is not None and _identity(opened[0]) != opened[1]:
        from sqlalchemy.exc import DisconnectionError

        raise DisconnectionError(f"{opened[0]} was replaced since this connection opened it")


def _identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _keep(path: str) -> None:
    """Open the keeper of `path` (or mark it recently used): its first read opens the file's WAL index, and it holds
    it open from then on, so a closing connection is never the last one."""
    with _lock:
        keeper = _keepers.pop(path, None)
        if keeper is not None:
            _keepers[path] = keeper
            return
        keeper = sqlite3.connect(path, timeout=1, check_same_thread=False, isolation_level=None)
        try:
            keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()
        except sqlite3.Error:
            keeper.close()  # busy or gone: the file works as without a keeper
            return
        _keepers[path] = keeper
        while len(_keepers) > KEEPERS:
            _, oldest = _keepers.popitem(last=False)
            oldest.close()


def kept_files() -> list[str]:
    """The files with a keeper open, least recently used first."""
    with _lock:
        return list(_keepers)


def close_keepers() -> None:
    """Close every engine's pooled connections, then every keeper (at exit): each file is checkpointed and its log
    removed if no one else has it open. The engines stay usable (a later use opens new connections)."""
    with _lock:
        for engine in _engines.values():
            _dispose(engine)
        while _keepers:
            _, keeper = _keepers.popitem(last=False)
            try:
                keeper.close()
            except sqlite3.Error:
                pass

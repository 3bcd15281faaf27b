"""The settings `bilatrus run` and the code location give their connections to the Dagster instance's SQLite files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from pipelines import instance_sqlite


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    instance_sqlite.install()
    instance_sqlite.close_keepers()  # an instance an earlier test of this process opened (its files are kept too)
    yield home
    instance_sqlite.close_keepers()


def _settings(path: Path) -> tuple[int, str]:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            synchronous = conn.execute(text("PRAGMA synchronous")).scalar_one()
            journal = conn.execute(text("PRAGMA journal_mode")).scalar_one()
            conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            conn.commit()
    finally:
        engine.dispose()
    return synchronous, journal


def test_instance_files_commit_in_wal_without_sync_and_keep_their_log_open(home: Path) -> None:
    db = home / "history" / "runs.db"
    db.parent.mkdir()
    assert _settings(db) == (1, "wal")  # NORMAL, WAL from the first connection
    assert instance_sqlite.kept_files() == [str(db.resolve())]
    # Dagster's connection is closed, but it was not the last one: no checkpoint-and-delete of the log on close
    assert (home / "history" / "runs.db-wal").exists()
    instance_sqlite.close_keepers()
    assert not (home / "history" / "runs.db-wal").exists()  # the keeper's close checkpointed the file
    assert sqlite3.connect(db).execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_commits_are_visible_to_another_process_while_the_keeper_is_open(home: Path) -> None:
    db = home / "index.db"
    for _ in range(3):
        _settings(db)
    assert str(db.resolve()) in instance_sqlite.kept_files()
    count = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sqlite3; print(sqlite3.connect({str(db)!r}).execute('SELECT count(*) FROM t').fetchone()[0])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert count == "3"


def test_files_outside_the_instance_keep_sqlite_defaults(home: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.db"
    assert _settings(other) == (2, "delete")  # FULL, rollback journal: not ours to change
    assert str(other.resolve()) not in instance_sqlite.kept_files()


def test_at_most_keepers_files_are_held_open(home: Path) -> None:
    paths = [home / f"run-{n}.db" for n in range(instance_sqlite.KEEPERS + 3)]
    for path in paths:
        _settings(path)
    kept = instance_sqlite.kept_files()
    assert kept == [str(p.resolve()) for p in paths[-instance_sqlite.KEEPERS :]]
    # the files whose keeper was closed were checkpointed then: no log left behind
    assert not Path(str(paths[0]) + "-wal").exists()


def test_a_dagster_instance_on_the_home_stores_and_reads_its_events(home: Path) -> None:
    import dagster as dg

    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    with dg.DagsterInstance.get() as instance:
        for n in range(3):
            instance.report_runless_asset_event(dg.AssetMaterialization("probe", metadata={"n": n}))
        latest = instance.get_latest_materialization_event(dg.AssetKey("probe"))
        assert latest is not None and latest.asset_materialization.metadata["n"].value == 2
        assert any(path.endswith("index.db") for path in instance_sqlite.kept_files())
        assert instance_sqlite.engines_kept() >= 2  # the run storage's and the event log's files, reused


def test_the_storages_get_one_engine_per_instance_file_and_others_their_own(home: Path, tmp_path: Path) -> None:
    from dagster._core.storage.event_log.sqlite import sqlite_event_log

    create = sqlite_event_log.create_engine  # what Dagster's event log storage calls
    inside = f"sqlite:///{home / 'index.db'}"
    first = create(inside, poolclass=NullPool, connect_args={"timeout": 5})
    assert create(inside, poolclass=NullPool, connect_args={"timeout": 5}) is first
    assert create(inside, poolclass=NullPool) is not first  # other arguments, another engine
    outside = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert create(outside, poolclass=NullPool) is not create(outside, poolclass=NullPool)
    first.dispose()  # what the storage does after each use: the engine stays usable, its statement cache kept
    with first.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_a_storage_engine_keeps_its_connection_between_uses_until_exit(home: Path) -> None:
    from dagster._core.storage.event_log.sqlite import sqlite_event_log

    db = home / "index.db"
    engine = sqlite_event_log.create_engine(f"sqlite:///{db}", poolclass=NullPool, connect_args={"timeout": 5})
    opened = []
    for n in range(3):  # as the storage uses it: connect, write in a transaction, close, dispose
        with engine.connect() as conn, conn.begin():
            conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            opened.append(conn.connection.dbapi_connection)
        engine.dispose()
    assert opened[0] is opened[1] is opened[2]  # one connection, opened once (the pragmas set once)
    # the idle pooled connection holds no lock: another process writes at once
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sqlite3; c = sqlite3.connect({str(db)!r}, timeout=0); "
            "c.execute('INSERT INTO t VALUES (9)'); c.commit()",
        ],
        check=True,
    )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT sum(x) FROM t")).scalar_one() == 0 + 1 + 2 + 9
    instance_sqlite.close_keepers()  # at exit: pooled connections, then keepers; the last close checkpoints
    assert not Path(str(db) + "-wal").exists()
    with engine.connect() as conn:  # still usable after
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 4


def test_a_pooled_connection_to_a_replaced_file_is_not_reused(home: Path) -> None:
    from dagster._core.storage.runs.sqlite import sqlite_run_storage

    db = home / "runs.db"
    engine = sqlite_run_storage.create_engine(f"sqlite:///{db}", poolclass=NullPool)
    with engine.connect() as conn, conn.begin():
        conn.execute(text("CREATE TABLE old (x INTEGER)"))
    engine.dispose()  # the connection stays in the pool, open on the file
    for leftover in home.glob("runs.db*"):
        leftover.unlink()  # the instance wiped, and a new one made at the same path
    fresh = sqlite3.connect(db)
    fresh.execute("CREATE TABLE new (x INTEGER)")
    fresh.commit()
    fresh.close()
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars().all()
    assert tables == ["new"]


def test_at_most_engines_are_kept(home: Path) -> None:
    from dagster._core.storage.runs.sqlite import sqlite_run_storage

    for n in range(instance_sqlite.ENGINES + 5):
        sqlite_run_storage.create_engine(f"sqlite:///{home / f'r{n}.db'}", poolclass=NullPool)
    assert instance_sqlite.engines_kept() == instance_sqlite.ENGINES


def test_dagster_migration_scripts_are_read_once_and_other_folders_as_alembic_reads_them(
    home: Path, tmp_path: Path
) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from dagster._core.storage.sql import ALEMBIC_SCRIPTS_LOCATION

    def directory(location: str) -> ScriptDirectory:
        config = Config()
        config.set_main_option("script_location", location)
        return ScriptDirectory.from_config(config)

    first, second = directory(ALEMBIC_SCRIPTS_LOCATION), directory(ALEMBIC_SCRIPTS_LOCATION)
    assert first is not second and first.revision_map is second.revision_map
    heads = first.get_heads()
    assert len(heads) == 1 and second.get_heads() == heads  # read once, the same head for both
    assert len(list(second.walk_revisions())) > 50  # every Dagster migration, not a partial map
    other = tmp_path / "migrations"
    (other / "versions").mkdir(parents=True)
    mine, again = directory(str(other)), directory(str(other))
    assert mine.revision_map is not again.revision_map and mine.get_heads() == []

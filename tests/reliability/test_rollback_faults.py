"""Rolling back under faults: nothing to roll back to, a published file opened read-write, a rollback undone."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse.publish import publish, rollback


def publish_rows(folder: Path, rows: int) -> None:
    build = folder / "build.duckdb"
    build.unlink(missing_ok=True)
    con = duckdb.connect(str(build))
    con.execute(f"CREATE TABLE mart_x AS SELECT range AS id FROM range({rows})")
    con.close()
    publish(build, folder / "bilatrus.duckdb")


def rows_in(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM mart_x").fetchone()[0]
    finally:
        con.close()


def test_rollback_faults(tmp_path: Path, fault) -> None:
    published, previous = tmp_path / "bilatrus.duckdb", tmp_path / "bilatrus.previous.duckdb"
    publish_rows(tmp_path, 3)

    with pytest.raises(BilatrusError, match="No previous warehouse") as refused:
        rollback(published)
    kept = rows_in(published)
    fault(
        "rollback with no previous warehouse",
        expected="refused, published file untouched",
        outcome=f"refused ({str(refused.value)[:40]}...), {kept} rows still published",
        rows_lost=3 - kept,
        ok=kept == 3,
    )
    assert kept == 3

    publish_rows(tmp_path, 5)
    wal = published.with_name(published.name + ".wal")
    wal.write_bytes(b"")  # someone opened the published file read-write
    with pytest.raises(BilatrusError, match="read-write"):
        rollback(published)
    kept = rows_in(published)
    fault(
        "rollback while the published file has a .wal",
        expected="refused with what to do, nothing swapped",
        outcome=f"refused, {kept} rows still published",
        rows_lost=5 - kept,
        ok=kept == 5,
    )
    assert kept == 5 and rows_in(previous) == 3
    wal.unlink()

    rollback(published)
    rollback(published)  # the second rollback undoes the first
    now, before = rows_in(published), rows_in(previous)
    fault(
        "rollback, then rollback again",
        expected="back to the newest publish, the older one kept",
        outcome=f"published {now} rows, previous {before} rows",
        ok=(now, before) == (5, 3),
    )
    assert (now, before) == (5, 3)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary link left behind

"""bilatrus_etl.parallel: work on threads, DuckDB work each on a cursor of its own."""

from __future__ import annotations

import duckdb
import pytest

from bilatrus_etl.parallel import map_on_cursors


def test_each_item_gets_a_cursor_of_its_own_and_the_results_keep_the_items_order():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS n FROM range(10)")

    def work(cursor: duckdb.DuckDBPyConnection, item: int) -> tuple[int, int]:
        # a temporary table of the same name on every cursor: each sees only its own
        cursor.execute(f"CREATE TEMP TABLE mine AS SELECT n FROM t WHERE n < {item}")
        return item, cursor.execute("SELECT count(*) FROM mine").fetchall()[0][0]

    assert map_on_cursors(con, work, [3, 7, 1, 5], 2, "test") == [(3, 3), (7, 7), (1, 1), (5, 5)]
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall() == [(0,)]


def test_a_failed_item_raises_its_error():
    con = duckdb.connect()

    def work(cursor: duckdb.DuckDBPyConnection, item: str) -> int:
        return cursor.execute(f"SELECT count(*) FROM {item}").fetchall()[0][0]

    with pytest.raises(duckdb.CatalogException, match="missing"):
        map_on_cursors(con, work, ["duckdb_tables()", "missing"], 2, "test")

"""The history in the build file is brought up to date incrementally: after every publish it holds exactly what a
load of the whole store into an empty file holds (row versions, validity ranges, meta_vintage), and a publish
that records no new vintage leaves it untouched. Small hand-made warehouses from test_vintages."""

from __future__ import annotations

import json

import duckdb
from test_vintages import _build, _record, _rows, _second_month, _settings

from bilatrus_etl.warehouse.publish import create_build_file
from bilatrus_etl.warehouse.vintages import history as vintage_history
from bilatrus_etl.warehouse.vintages.history import load
from bilatrus_etl.warehouse.vintages.store import VINTAGE_FILE, chain, history_dir


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every history table (sorted rows; a table whose history is one version may be a view over its main table),
    meta_vintage and the rows of every history_* view."""
    tables = [
        t
        for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'history' UNION ALL "
            "SELECT view_name FROM duckdb_views() WHERE schema_name = 'history' AND NOT internal ORDER BY 1"
        ).fetchall()
    ]
    views = [
        v
        for (v,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND starts_with(view_name, 'history_') ORDER BY 1"
        ).fetchall()
    ]
    state = {f"history.{t}": sorted(con.execute(f'SELECT * FROM history."{t}"').fetchall(), key=repr) for t in tables}
    state |= {v: sorted(con.execute(f'SELECT * FROM "{v}"').fetchall(), key=repr) for v in views}
    state["meta_vintage"] = con.execute("SELECT * EXCLUDE (recorded_at) FROM main.meta_vintage ORDER BY seq").fetchall()
    return state


def _history_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        v
        for (v,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE schema_name = 'history' AND NOT internal ORDER BY 1"
        ).fetchall()
    ]


def _rebuilt(tmp_path) -> dict[str, list[tuple]]:
    fresh = duckdb.connect()
    load(fresh, history_dir(_settings(tmp_path)))
    return _state(fresh)


def test_incremental_history_equals_a_full_load_through_changes_and_prunes(tmp_path, monkeypatch):
    con = _build(tmp_path / "build.duckdb")
    _record(con, tmp_path, "a")
    rebuilt: list[str] = []
    rebuild = vintage_history._rebuild_table
    monkeypatch.setattr(
        vintage_history,
        "_rebuild_table",
        # tables rebuilt in the build file (on its connection or a cursor of it), not in _rebuilt's fresh database
        lambda c, v, table, *name: (
            c.execute("SELECT current_database()").fetchall() == [("build",)] and rebuilt.append(table),
            rebuild(c, v, table, *name),
        ),
    )
    _second_month(con)
    _record(con, tmp_path, "b")
    assert _state(con) == _rebuilt(tmp_path)
    # the tables month 2 changed gain a second version: written from the store once (until now views over their
    # main tables); the unchanged ones stay views
    assert sorted(rebuilt) == ["dim_organization", "fact_participation", "mart_country_participation"]
    assert _history_views(con) == ["dim_project", "mart_partner_countries", "mart_third_country_ranking"]
    # P2 left in month 2 and comes back; a new column; a table the code no longer builds
    con.execute("INSERT INTO fact_participation VALUES ('FP7', '200', 'P2', 'KURCHATOV', 'RU', 'participant', 300.00)")
    con.execute("ALTER TABLE dim_project ADD COLUMN title VARCHAR DEFAULT 'T'")
    con.execute("DROP TABLE mart_partner_countries")
    _record(con, tmp_path, "c")
    assert _state(con) == _rebuilt(tmp_path)
    back = con.execute(
        "SELECT _from_seq, _until_seq FROM history.fact_participation WHERE org_key = 'P2' ORDER BY 1"
    ).fetchall()
    assert back == [(1, 2), (3, None)]
    assert con.execute(
        "SELECT count(*), count(title) FROM history.dim_project WHERE _until_seq IS NULL"
    ).fetchall() == [(5, 5)]
    # a new column in dim_project and mart_partner_countries no longer built (its rows end): both were views until
    # now and are written from the store; fact_participation's new rows are added to its loaded table
    assert sorted(rebuilt[3:]) == ["dim_project", "mart_partner_countries"]

    # pruned to a full snapshot of vintage 2, then a new vintage: the loaded tables follow without a rebuild
    con.execute("DELETE FROM fact_participation WHERE org_key = 'P9'")
    result = _record(con, tmp_path, "d", keep=3)
    assert result.pruned == [1]
    assert _state(con) == _rebuilt(tmp_path)
    assert con.execute(
        "SELECT min(_from_seq), count(*) FILTER (WHERE _until_seq <= 2) FROM history.fact_participation"
    ).fetchall() == [(2, 0)]
    assert con.execute("SELECT seq, base FROM history.meta_vintage ORDER BY seq").fetchall() == [
        (2, True),
        (3, False),
        (4, False),
    ]
    assert len(rebuilt) == 5
    # keep 1: the new vintage is pruned to a snapshot of itself, which nothing loaded matches: loaded from it
    result = _record(con, tmp_path, "e", keep=1)
    assert result.pruned == [2, 3, 4] and [v.seq for v in result.vintages] == [5]
    assert _state(con) == _rebuilt(tmp_path)
    assert con.execute("SELECT seq FROM meta_vintage").fetchall() == [(5,)]
    # every built table's history is now one version, the snapshot its main table holds: views; the table no longer
    # built (its history empty) is written from the store
    assert rebuilt[5:] == ["mart_partner_countries"]
    assert _history_views(con) == [
        k.removeprefix("history_")
        for k in sorted(_state(con))
        if k.startswith("history_") and k != "history_mart_partner_countries"
    ]


def test_a_publish_without_a_new_vintage_touches_no_history_table(tmp_path):
    con = _build(tmp_path / "build.duckdb")
    _record(con, tmp_path, "a")
    _second_month(con)
    _record(con, tmp_path, "b")
    # a marker row that only a rebuild or an update of the table would remove
    con.execute("INSERT INTO history.dim_organization (_from_seq, org_key) VALUES (99, 'MARKER')")
    assert _record(con, tmp_path, "b").recorded is None
    assert con.execute("SELECT count(*) FROM history.dim_organization WHERE org_key = 'MARKER'").fetchall() == [(1,)]
    # a new vintage that changes only fact_participation leaves dim_organization's rows as they were
    con.execute("UPDATE fact_participation SET ec_contribution = 1.00 WHERE org_key = 'P9'")
    assert _record(con, tmp_path, "c").recorded.seq == 3
    assert con.execute("SELECT count(*) FROM history.dim_organization WHERE org_key = 'MARKER'").fetchall() == [(1,)]
    con.execute("DELETE FROM history.dim_organization WHERE org_key = 'MARKER'")
    assert _state(con) == _rebuilt(tmp_path)


def test_a_changed_vintage_folder_rebuilds_the_history_from_the_store(tmp_path):
    con = _build(tmp_path / "build.duckdb")
    _record(con, tmp_path, "a")
    _second_month(con)
    _record(con, tmp_path, "b")
    con.execute("INSERT INTO history.dim_organization (_from_seq, org_key) VALUES (99, 'MARKER')")
    folder = chain(history_dir(_settings(tmp_path)))[0].folder
    meta = json.loads((folder / VINTAGE_FILE).read_text(encoding="utf-8"))
    (folder / VINTAGE_FILE).write_text(json.dumps({**meta, "vintage": "restored"}), encoding="utf-8")
    assert _record(con, tmp_path, "b").recorded is None
    assert con.execute("SELECT count(*) FROM history.dim_organization WHERE org_key = 'MARKER'").fetchall() == [(0,)]
    assert con.execute("SELECT vintage FROM meta_vintage ORDER BY seq").fetchall()[0] == ("restored",)
    assert _state(con) == _rebuilt(tmp_path)
    # a build file without the history (deleted, or from before) gets it all back
    con.execute("DROP SCHEMA history CASCADE")
    _record(con, tmp_path, "b")
    assert _state(con) == _rebuilt(tmp_path)


def test_history_tables_are_written_without_fsst_and_the_setting_is_put_back(tmp_path):
    create_build_file(tmp_path / "build.duckdb")  # the pipeline's storage version, whose strings FSST compresses
    con = _build(tmp_path / "build.duckdb")
    # more than one row group of names FSST compresses well: the main table uses FSST, the history copy does not
    con.execute(
        "CREATE TABLE dim_institution AS SELECT 'INST' || range AS institution_key, "
        "'Federal State Budgetary Institution of Science Institute number ' || range AS name FROM range(130000)"
    )
    con.execute("SET disabled_compression_methods = 'rle'")
    _record(con, tmp_path, "a")
    assert "dim_institution" in _history_views(con)  # one version: a view over the main table, no copy
    # a second version: the history is written from the store
    con.execute("UPDATE dim_institution SET name = name || ' (renamed)' WHERE institution_key = 'INST7'")
    _record(con, tmp_path, "b")
    assert "dim_institution" not in _history_views(con)
    assert con.execute("SELECT current_setting('disabled_compression_methods')").fetchall() == [("RLE",)]
    con.execute("CHECKPOINT")

    def methods(table: str) -> set[str]:
        return {
            kind
            for (kind,) in con.execute(
                f"SELECT DISTINCT compression FROM pragma_storage_info('{table}') WHERE column_name = 'name'"
            ).fetchall()
        }

    assert "FSST" in methods("main.dim_institution")
    assert "FSST" not in methods("history.dim_institution")
    assert con.execute(
        "SELECT count(*), count(DISTINCT name) FROM history_dim_institution WHERE vintage = "
        "(SELECT vintage FROM meta_vintage WHERE is_current)"
    ).fetchall() == [(130000, 130000)]
    assert con.execute("SELECT count(*) FROM history.dim_institution").fetchall() == [(130001,)]
    assert _state(con) == _rebuilt(tmp_path)


def test_a_full_load_writes_the_tables_beside_and_an_interrupted_one_leaves_the_history_as_it_was(
    tmp_path, monkeypatch
):
    con = _build(tmp_path / "build.duckdb")
    _record(con, tmp_path, "a")
    _second_month(con)
    _record(con, tmp_path, "b")
    before = _state(con)
    # a full load (the history dropped) that dies while it writes the tables beside: the old history stays whole
    con.execute("DROP TABLE history.meta_vintage")  # the manifest: nothing loaded matches, every table is loaded again
    rebuild = vintage_history._rebuild_table
    written: list[str] = []

    def dies_after_two(c, v, table, *name):
        if len(written) == 2:
            raise RuntimeError("killed")
        rebuild(c, v, table, *name)
        written.append(table)

    monkeypatch.setattr(vintage_history, "_rebuild_table", dies_after_two)
    monkeypatch.setattr(vintage_history, "LOAD_WORKERS", 1)
    try:
        load(con, history_dir(_settings(tmp_path)))
    except RuntimeError:
        pass
    else:
        raise AssertionError("the load should have failed")
    leftovers = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'history' AND starts_with(table_name, '_loading_')"
    ).fetchall()
    assert len(leftovers) == 2  # written beside, never swapped in
    assert {k: v for k, v in _state(con).items() if not k.startswith("history._loading_")} == {
        k: v for k, v in before.items() if k != "history.meta_vintage"
    }
    # the next load drops what the interrupted one left and loads everything again
    monkeypatch.setattr(vintage_history, "_rebuild_table", rebuild)
    load(con, history_dir(_settings(tmp_path)))
    assert _state(con) == before == _rebuilt(tmp_path)


def test_a_history_of_one_version_is_a_view_until_the_main_table_no_longer_holds_it(tmp_path):
    con = _build(tmp_path / "build.duckdb")
    # two identical rows: their row ids (occurrence 1 and 2) are computed by the view as the store named them
    con.execute("INSERT INTO fact_participation SELECT * FROM fact_participation WHERE org_key = 'P9'")
    first = _rows(con, "SELECT * FROM fact_participation")
    _record(con, tmp_path, "a")
    tables = ["dim_project", "fact_participation", "mart_country_participation"]
    assert all(t in _history_views(con) for t in tables)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'history'").fetchall() == [(1,)]
    assert _rows(con, "SELECT * EXCLUDE (vintage) FROM history_fact_participation") == first
    assert con.execute(
        "SELECT count(*), count(DISTINCT _row_id), min(_from_seq), count(_until_seq) FROM history.fact_participation"
    ).fetchall() == [(len(first), len(first), 1, 0)]
    assert _state(con) == _rebuilt(tmp_path)
    # the same sources, another build (the code changed): no new vintage, and the history still shows vintage 1 as
    # recorded; the view over the changed table is replaced by the table written from the store
    con.execute("UPDATE fact_participation SET ec_contribution = 0 WHERE org_key = 'P1'")
    assert _record(con, tmp_path, "a").recorded is None
    assert "fact_participation" not in _history_views(con)
    assert "dim_project" in _history_views(con)
    assert _rows(con, "SELECT * EXCLUDE (vintage) FROM history_fact_participation") == first
    assert _state(con) == _rebuilt(tmp_path)
    # a main table dropped while its history is a view: written from the store too
    con.execute("DROP TABLE mart_country_participation")
    assert _record(con, tmp_path, "a").recorded is None
    assert "mart_country_participation" not in _history_views(con)
    assert _state(con) == _rebuilt(tmp_path)

"""Row identities of the vintage store: a store recorded with another scheme (the md5 of each row's text, as
before schemes were recorded) is re-keyed, so the next vintages' diffs are exactly the rows that changed; rows
named without the window equal numbered ones; identical rows; a table whose fingerprint did not change is not
compared; the history tables' validity ranges equal the definition (the first later removal of each version).
Small hand-made warehouses from test_vintages."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from test_vintages import _build, _record, _second_month, _settings
from test_vintages_incremental import _rebuilt, _state

from bilatrus_etl.warehouse.vintages import record as record_module
from bilatrus_etl.warehouse.vintages.changes import diff_connection
from bilatrus_etl.warehouse.vintages.identity import IDENTITY_KEY, current_scheme, identified
from bilatrus_etl.warehouse.vintages.store import VINTAGE_FILE, chain, history_dir


def _as_md5_store(history: Path) -> None:
    """Rewrite every vintage of the store as the md5 scheme wrote it: each stored row named by the md5 of its
    text and its occurrence, removals by the identities of the rows they remove, no scheme nor fingerprints."""
    con = duckdb.connect()
    renamed: dict[bytes, bytes] = {}
    for v in chain(history):
        for table, entry in v.tables.items():
            if (added := v.added_file(table)) is not None:
                columns = ", ".join(f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind in entry["columns"])
                rows = con.execute(
                    f"SELECT _row_hash, unhex(md5(CAST(r AS VARCHAR)) || printf('%08x', row_number() OVER "
                    f"(PARTITION BY md5(CAST(r AS VARCHAR))))) FROM (SELECT _row_hash, {columns} "
                    f"FROM read_parquet('{added}')) AS r"
                ).fetchall()
                renamed |= dict(rows)
                con.execute(
                    f"COPY (SELECT m.old AS _row_hash, p.* EXCLUDE (_row_hash) FROM read_parquet('{added}') AS p "
                    f"JOIN (SELECT unnest(?) AS new, unnest(?) AS old) AS m ON m.new = p._row_hash) TO '{added}.tmp' "
                    f"(FORMAT parquet)",
                    [[r[0] for r in rows], [r[1] for r in rows]],
                )
                Path(f"{added}.tmp").replace(added)
            if (removed := v.removed_file(table)) is not None:
                gone = [
                    renamed[h] for (h,) in con.execute(f"SELECT _row_hash FROM read_parquet('{removed}')").fetchall()
                ]
                con.execute(f"COPY (SELECT unnest(?) AS _row_hash) TO '{removed}' (FORMAT parquet)", [gone])
            entry.pop("fingerprint", None)
        meta = dict(v.meta)
        meta.pop(IDENTITY_KEY)
        (v.folder / VINTAGE_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")


def _deltas(tmp_path) -> list[dict[str, tuple[int, int]]]:
    return [
        {t: (e["added"], e["removed"]) for t, e in v.tables.items()} for v in chain(history_dir(_settings(tmp_path)))
    ]


def _months(folder: Path, upgrade=None) -> tuple[duckdb.DuckDBPyConnection, list]:
    """Three vintages: the first month, the second (hand-made changes) and a third where P2 comes back."""
    con = _build(folder / "build.duckdb")
    _record(con, folder, "a")
    if upgrade:
        upgrade(history_dir(_settings(folder)))
    _second_month(con)
    _record(con, folder, "b")
    con.execute("INSERT INTO fact_participation VALUES ('FP7', '200', 'P2', 'KURCHATOV', 'RU', 'participant', 300.00)")
    _record(con, folder, "c")
    return con, diff_connection(con, 1, 2).changes.to_pylist()


def test_the_vintages_after_a_store_of_md5_identities_hold_exactly_the_rows_that_changed(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    upgraded, upgraded_diff = _months(tmp_path / "old", _as_md5_store)
    control, control_diff = _months(tmp_path / "new")
    assert IDENTITY_KEY not in chain(history_dir(_settings(tmp_path / "old")))[0].meta
    # the same rows added and removed in every vintage, and the same diff, as a store in the current scheme
    assert _deltas(tmp_path / "old") == _deltas(tmp_path / "new")
    assert _deltas(tmp_path / "old")[1]["fact_participation"] == (3, 3)  # one row gone, one new, two changed
    assert _deltas(tmp_path / "old")[2]["fact_participation"] == (1, 0)
    assert upgraded_diff == control_diff and upgraded_diff
    # the loaded history reads the same vintages, and equals a load of the whole store
    old, new = _state(upgraded), _state(control)
    assert {k: v for k, v in old.items() if not k.startswith("history.")} == {
        k: v for k, v in new.items() if not k.startswith("history.")
    }
    assert old == _rebuilt(tmp_path / "old")
    assert chain(history_dir(_settings(tmp_path / "old")))[-1].meta[IDENTITY_KEY] == current_scheme()


def test_a_vintage_with_nothing_changed_after_an_upgrade_adds_and_removes_nothing(tmp_path):
    con = _build(tmp_path / "build.duckdb")
    _record(con, tmp_path, "a")
    _as_md5_store(history_dir(_settings(tmp_path)))
    _record(con, tmp_path, "b")
    _record(con, tmp_path, "c")
    assert [set(d.values()) for d in _deltas(tmp_path)[1:]] == [{(0, 0)}, {(0, 0)}]
    # pruned into a full snapshot that merges both schemes: still re-keyed, still nothing changed
    _record(con, tmp_path, "d", keep=1)
    base = chain(history_dir(_settings(tmp_path)))[0]
    assert base.base and base.meta[IDENTITY_KEY]["scheme"] == "mixed"
    _record(con, tmp_path, "e")
    assert set(_deltas(tmp_path)[-1].values()) == {(0, 0)}
    assert _state(con) == _rebuilt(tmp_path)


def test_rows_named_without_the_window_equal_numbered_rows_and_identical_rows_are_counted(tmp_path):
    con = _build(tmp_path / "build.duckdb")
    columns = [[n, str(k)] for n, k, *_ in con.execute("DESCRIBE fact_participation").fetchall()]
    numbered = identified("fact_participation", columns)
    plain = identified("fact_participation", columns, repeats=False)
    assert sorted(con.execute(numbered).fetchall()) == sorted(con.execute(plain).fetchall())
    # two identical rows: both kept, and one of them going is one row removed
    con.execute("INSERT INTO fact_participation SELECT * FROM fact_participation WHERE project_id = '300'")
    first = _record(con, tmp_path, "a").recorded
    assert first is not None and first.tables["fact_participation"]["added"] == 6
    con.execute(
        "DELETE FROM fact_participation WHERE rowid = (SELECT max(rowid) FROM fact_participation WHERE project_id = '300')"
    )
    second = _record(con, tmp_path, "b").recorded
    assert second is not None
    assert (second.tables["fact_participation"]["added"], second.tables["fact_participation"]["removed"]) == (0, 1)
    assert con.execute(
        "SELECT vintage, count(*) FROM history_fact_participation WHERE project_id = '300' GROUP BY 1 ORDER BY 1"
    ).fetchall() == [(first.label, 2), (second.label, 1)]


def test_a_table_whose_fingerprint_did_not_change_is_not_compared(tmp_path, monkeypatch):
    con = _build(tmp_path / "build.duckdb")
    _record(con, tmp_path, "a")
    compared: list[str] = []
    state = record_module.previous_state
    monkeypatch.setattr(
        record_module, "previous_state", lambda prior, table: (compared.append(table), state(prior, table))[1]
    )
    con.execute("UPDATE fact_participation SET ec_contribution = 1500.00 WHERE project_id = '100' AND org_key = 'P1'")
    second = _record(con, tmp_path, "b").recorded
    assert second is not None and compared == ["fact_participation"]
    assert {t: (e["added"], e["removed"]) for t, e in second.tables.items() if e["added"] or e["removed"]} == {
        "fact_participation": (1, 1)
    }
    assert sorted(p.name for p in second.folder.iterdir()) == [
        "fact_participation.parquet",
        "fact_participation.removed.parquet",
        VINTAGE_FILE,
    ]


def test_history_validity_ranges_are_each_versions_first_later_removal(tmp_path):
    con, _ = _months(tmp_path)
    con.execute("DELETE FROM fact_participation WHERE project_id = '200'")
    _record(con, tmp_path, "d")
    con.execute("INSERT INTO fact_participation VALUES ('FP7', '200', 'P2', 'KURCHATOV', 'RU', 'participant', 300.00)")
    _record(con, tmp_path, "e")
    vintages = chain(history_dir(_settings(tmp_path)))
    events = {v.seq: v for v in vintages}
    expected = []
    for v in vintages:
        if (added := v.added_file("fact_participation")) is None:
            continue
        for (row_hash,) in con.execute(f"SELECT _row_hash FROM read_parquet('{added}')").fetchall():
            ends = [
                seq
                for seq, w in events.items()
                if seq > v.seq
                and (removed := w.removed_file("fact_participation")) is not None
                and con.execute(
                    f"SELECT count(*) FROM read_parquet('{removed}') WHERE _row_hash = ?", [row_hash]
                ).fetchall()[0][0]
            ]
            expected.append((v.seq, min(ends) if ends else None))
    got = con.execute("SELECT _from_seq, _until_seq FROM history.fact_participation").fetchall()
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    assert {(1, 2), (3, 4), (5, None)} <= set(got)  # P2: gone in 2, back in 3, gone in 4, back in 5
    assert _state(con) == _rebuilt(tmp_path)

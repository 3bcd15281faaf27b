"""Faults of the vintage history: a vintage write or a prune interrupted half-way, a damaged vintage file."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from test_vintages import _build, _record, _rows, _second_month

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse.vintages import record as vintage_record
from bilatrus_etl.warehouse.vintages.history import load
from bilatrus_etl.warehouse.vintages.record import prune
from bilatrus_etl.warehouse.vintages.store import VINTAGE_FILE, chain


def test_interrupted_writes_and_prunes_leave_the_history_readable(tmp_path, fault):
    con = _build(tmp_path / "build.duckdb")
    first = _record(con, tmp_path, "a")
    _second_month(con)
    second = _record(con, tmp_path, "b")
    history = tmp_path / "history"
    expected = {
        v: _rows(con, f"SELECT * FROM history_fact_participation WHERE vintage = '{v}'")
        for v in (first.recorded.label, second.recorded.label)
    }

    # a vintage being written when the process died: only its temporary folder exists
    half = history / ".v000003.999.tmp"
    shutil.copytree(second.recorded.folder, half)
    (half / "fact_participation.parquet").write_bytes(b"PAR1 truncated")
    after = [v.seq for v in chain(history)]
    ok = after == [1, 2]
    fault(
        "vintage write interrupted (temporary folder left)",
        expected="ignored; history reads as before",
        outcome=f"vintages read back: {after}",
        ok=ok,
    )
    assert ok

    # a prune that died after writing the new base, before deleting what it replaces
    con.execute("DELETE FROM fact_participation WHERE org_key = 'P9'")
    _record(con, tmp_path, "c")
    kept_two = _rows(con, f"SELECT * FROM history_fact_participation WHERE vintage = '{second.recorded.label}'")
    assert kept_two == expected[second.recorded.label]
    original = vintage_record._remove_superseded
    vintage_record._remove_superseded = lambda history: None  # die before the deletions
    try:
        prune(history, 2)
    finally:
        vintage_record._remove_superseded = original
    leftovers = sorted(p.name for p in history.iterdir() if not p.name.startswith("."))
    check = duckdb.connect()
    load(check, history)
    read = _rows(check, f"SELECT * FROM history_fact_participation WHERE vintage = '{second.recorded.label}'")
    seqs = [r[0] for r in check.execute("SELECT seq FROM meta_vintage ORDER BY seq").fetchall()]
    ok = read == kept_two and seqs == [2, 3] and "v000001" in leftovers
    fault(
        "prune interrupted after the new base",
        expected="same vintages 2, 3; old folders ignored",
        outcome=f"folders {leftovers}; vintages {seqs}",
        ok=ok,
    )
    assert ok
    prune(history, 2)  # the next prune finishes the clean-up
    assert sorted(p.name for p in history.iterdir() if not p.name.startswith(".")) == ["v000002.base", "v000003"]

    # a damaged vintage.json names the folder and what to do
    (history / "v000003" / VINTAGE_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(BilatrusError, match="v000003") as raised:
        chain(history)
    fault(
        "damaged vintage.json",
        expected="clear error naming the vintage folder",
        outcome=str(raised.value)[:80],
        ok="v000003" in str(raised.value),
    )

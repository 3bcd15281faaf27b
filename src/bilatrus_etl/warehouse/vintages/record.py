"""Recording a vintage (the rows new and gone since the previous one, written atomically) and pruning the
oldest vintages into a full snapshot; `record` is the publish step's call.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from bilatrus_etl import __version__
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse.vintages.history import load
from bilatrus_etl.warehouse.vintages.store import (
    ROW_HASH,
    VINTAGE_FILE,
    Vintage,
    _columns,
    _copy,
    _folders,
    _fsync_tree,
    _hashed,
    _ident,
    _label,
    _rows_of,
    _source_rows,
    _state_at_end,
    chain,
    history_dir,
    keep_setting,
    sources_fingerprint,
    tracked_tables,
)

if TYPE_CHECKING:
    from bilatrus_etl.settings import Settings


def _write_table_delta(
    con: duckdb.DuckDBPyConnection, table: str, previous: list[Vintage], folder: Path, present: bool
) -> dict[str, Any]:
    """Write one table's new rows and gone row hashes into `folder`; return its entry of vintage.json."""
    prior = [v for v in previous if table in v.tables]
    if present and not prior:  # new to the store (the first vintage): every row is added, none gone; no joins
        columns = _columns(con, f"main.{_ident(table)}")
        rows = con.execute(f"SELECT count(*) FROM main.{_ident(table)}").fetchall()[0][0]
        added = _copy(con, _hashed(table), folder / f"{table}.parquet") if rows else 0
        if added != rows:
            raise BilatrusError(f"Recording {table}: {rows} rows in the table but {added} written to the vintage.")
        return {"columns": columns, "rows": rows, "added": added, "removed": 0, "present": True}
    con.execute(f"CREATE OR REPLACE TEMP TABLE _vintage_before AS {_state_at_end(prior, table)}")
    if present:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _vintage_now AS {_hashed(table)}")
        columns = [c for c in _columns(con, "_vintage_now") if c[0] != ROW_HASH]
    else:  # a table the code no longer builds: every row of it is gone
        con.execute(f"CREATE OR REPLACE TEMP TABLE _vintage_now AS SELECT NULL::BLOB AS {ROW_HASH} WHERE false")
        columns = prior[-1].tables[table]["columns"] if prior else []
    rows = con.execute("SELECT count(*) FROM _vintage_now").fetchall()[0][0]
    added = removed = 0
    if rows:
        new_rows = f"SELECT * FROM _vintage_now ANTI JOIN _vintage_before USING ({ROW_HASH})"
        if con.execute(f"SELECT count(*) FROM ({new_rows})").fetchall()[0][0]:
            added = _copy(con, new_rows, folder / f"{table}.parquet")
    gone = f"SELECT {ROW_HASH} FROM _vintage_before ANTI JOIN _vintage_now USING ({ROW_HASH})"
    if con.execute(f"SELECT count(*) FROM ({gone})").fetchall()[0][0]:
        removed = _copy(con, gone, folder / f"{table}.removed.parquet")
    con.execute("DROP TABLE IF EXISTS _vintage_now")
    con.execute("DROP TABLE IF EXISTS _vintage_before")
    return {"columns": columns, "rows": rows, "added": added, "removed": removed, "present": present}


@dataclass
class RecordResult:
    """What `record` did: the vintage it added (None when the sources were unchanged), and what it pruned."""

    recorded: Vintage | None
    vintages: list[Vintage]
    pruned: list[int] = field(default_factory=list)

    @property
    def current(self) -> Vintage | None:
        return self.vintages[-1] if self.vintages else None


def write_vintage(con: duckdb.DuckDBPyConnection, history: Path, meta: dict[str, Any]) -> Vintage:
    """Write the tables of the warehouse on `con` as a new vintage of the store (the rows that changed)."""
    previous = chain(history)
    history.mkdir(parents=True, exist_ok=True)
    seq = max([s for s, _, _ in _folders(history)], default=0) + 1
    label = _label(str(meta["recorded_at"])[:10], {v.label for v in previous})
    folder = history / f"v{seq:06d}"
    temporary = history / f".v{seq:06d}.{os.getpid()}.tmp"
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    try:
        now = tracked_tables(con)
        earlier = sorted({t for v in previous for t, entry in v.tables.items() if entry.get("present", True)})
        tables = {t: _write_table_delta(con, t, previous, temporary, t in now) for t in sorted(set(now) | set(earlier))}
        meta = {**meta, "seq": seq, "vintage": label, "tables": tables}
        (temporary / VINTAGE_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True, default=str), encoding="utf-8")
        _fsync_tree(temporary)
        os.replace(temporary, folder)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return Vintage(seq, label, folder, meta)


def record(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    datasets: dict[str, str],
    synthetic: bool,
    code_fingerprint: str,
    run_id: str | None = None,
    keep: int | None = None,
) -> RecordResult:
    """The publish step's history call, on the build file before it is published.

    Records a new vintage when the sources (or the focus country) differ from the latest vintage's, prunes to
    `keep` (default BILATRUS_KEEP_VINTAGES, else every vintage is kept), and loads the history into the build
    file (meta_vintage, schema history, views history_*), so the published warehouse carries it.
    """
    history = history_dir(settings)
    fingerprint = sources_fingerprint(datasets, settings.focus_country)
    existing = chain(history)
    recorded = None
    if not existing or existing[-1].meta.get("sources_fingerprint") != fingerprint:
        meta = {
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "run_id": run_id,
            "package_version": __version__,
            "code_fingerprint": code_fingerprint,
            "focus_country": settings.focus_country,
            "synthetic": synthetic,
            "sources_fingerprint": fingerprint,
            "sources": _source_rows(settings.raw_dir, datasets),
        }
        recorded = write_vintage(con, history, meta)
    keep = keep if keep is not None else keep_setting()
    pruned = prune(history, keep, con=con) if keep else []
    vintages = load(con, history)
    return RecordResult(recorded, vintages, pruned)


def prune(history: Path, keep: int, *, con: duckdb.DuckDBPyConnection | None = None) -> list[int]:
    """Keep the `keep` latest vintages (never fewer than one: the current one stays); return the pruned seqs.

    The oldest kept vintage is first written as a full snapshot (`v<seq>.base/`); only then are the folders it
    replaces deleted, so an interrupted prune leaves a store that reads back the same.
    """
    if keep < 1:
        raise BilatrusError(f"--keep {keep}: keep at least one vintage (the current one is never pruned).")
    vintages = chain(history)
    if len(vintages) <= keep:
        _remove_superseded(history)
        return []
    oldest_kept = vintages[-keep]
    pruned = [v.seq for v in vintages[:-keep]]
    own = con is None
    con = con or duckdb.connect()
    try:
        upto = vintages[: len(vintages) - keep + 1]
        temporary = history / f".v{oldest_kept.seq:06d}.base.{os.getpid()}.tmp"
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir()
        try:
            tables: dict[str, Any] = {}
            for table, entry in oldest_kept.tables.items():
                state = _state_at_end([v for v in upto if table in v.tables], table)
                select = f"SELECT a.* EXCLUDE (_from_seq) FROM ({_rows_of(upto, table, entry['columns'])}) AS a SEMI JOIN ({state}) AS s USING ({ROW_HASH})"
                count = con.execute(f"SELECT count(*) FROM ({select})").fetchall()[0][0]
                added = _copy(con, select, temporary / f"{table}.parquet") if count else 0
                tables[table] = {**entry, "added": added, "removed": 0}
            meta = {**oldest_kept.meta, "tables": tables, "base": True, "pruned": pruned}
            (temporary / VINTAGE_FILE).write_text(
                json.dumps(meta, indent=1, sort_keys=True, default=str), encoding="utf-8"
            )
            _fsync_tree(temporary)
            os.replace(temporary, history / f"v{oldest_kept.seq:06d}.base")
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
    finally:
        if own:
            con.close()
    _remove_superseded(history)
    return pruned


def _remove_superseded(history: Path) -> None:
    """Delete the folders a full snapshot replaces (every vintage up to it, and older snapshots)."""
    kept = {v.folder for v in chain(history)}
    for _, _, path in _folders(history):
        if path not in kept:
            shutil.rmtree(path, ignore_errors=True)

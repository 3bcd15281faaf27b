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
from bilatrus_etl.parallel import map_on_cursors
from bilatrus_etl.warehouse.models import in_transaction
from bilatrus_etl.warehouse.vintages.history import load
from bilatrus_etl.warehouse.vintages.identity import (
    IDENTITY_KEY,
    STORED,
    common_scheme,
    current_scheme,
    fingerprint,
    has_repeats,
    hashes,
    identified,
    previous_state,
    scheme_of,
    stored_fingerprint_and_repeats,
)
from bilatrus_etl.warehouse.vintages.store import (
    ROW_HASH,
    VINTAGE_FILE,
    Vintage,
    _columns,
    _copy,
    _folders,
    _fsync_tree,
    _ident,
    _label,
    _path_literal,
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
    """Write one table's new rows and gone row hashes into `folder`; return its entry of vintage.json.

    A table whose fingerprint (`identity.fingerprint`) equals the one its previous vintage recorded in the same
    scheme did not change: nothing is named, read from the store or written for it. A table new to the store is
    written whole (`_write_new_table`). Otherwise its rows' identities (`identified`) are kept in a temporary table
    and compared with the previous state; the new rows are then named again straight from the table and written
    (a table the code no longer builds is in an earlier vintage: all gone)."""
    prior = [v for v in previous if table in v.tables]
    last = prior[-1].tables[table] if prior else {}
    if present:
        relation = f"main.{_ident(table)}"
        columns = _columns(con, relation)
        comparable = (
            "fingerprint" in last
            and last.get("columns") == columns
            and scheme_of(prior[-1].meta) == scheme_of({IDENTITY_KEY: current_scheme()})
        )
        table_print = fingerprint(con, f"(SELECT {hashes(columns)} FROM {relation})") if comparable else None
        if table_print is not None and table_print == last["fingerprint"]:
            rows = int(table_print.split(":")[0])
            return {
                "columns": columns,
                "rows": rows,
                "added": 0,
                "removed": 0,
                "present": True,
                "fingerprint": table_print,
            }
        if not prior:
            return _write_new_table(con, relation, columns, folder / f"{table}.parquet")
        named: str | None = identified(relation, columns, repeats=False)
        _keep_identities(con, identified(relation, columns, repeats=False, keep_hashes=True))
        if has_repeats(con, "_vintage_now"):
            named = identified(relation, columns)
            _keep_identities(con, identified(relation, columns, keep_hashes=True))
        table_print = table_print or fingerprint(con, "_vintage_now")
    else:  # a table the code no longer builds: every row of it is gone
        named = None
        _keep_identities(
            con, f"SELECT NULL::BLOB AS {ROW_HASH}, NULL::UBIGINT AS _h1, NULL::UBIGINT AS _h2 WHERE false"
        )
        columns = last.get("columns", [])
        table_print = None
    rows = int(table_print.split(":")[0]) if table_print else 0
    entry: dict[str, Any] = {"columns": columns, "rows": rows, "added": 0, "removed": 0, "present": present}
    if table_print:
        entry["fingerprint"] = table_print
    con.execute(f"CREATE OR REPLACE TEMP TABLE _vintage_before AS {previous_state(prior, table)}")
    if named is not None:  # the new rows, named again from the table: the temporary table holds identities only
        new_rows = f"SELECT {ROW_HASH} FROM _vintage_now ANTI JOIN _vintage_before USING ({ROW_HASH})"
        entry["added"] = _copy_rows(
            con, f"SELECT * FROM ({named}) SEMI JOIN ({new_rows}) USING ({ROW_HASH})", folder / f"{table}.parquet"
        )
    entry["removed"] = _copy_rows(
        con,
        f"SELECT {STORED} AS {ROW_HASH} FROM _vintage_before ANTI JOIN _vintage_now USING ({ROW_HASH})",
        folder / f"{table}.removed.parquet",
    )
    con.execute("DROP TABLE IF EXISTS _vintage_now")
    con.execute("DROP TABLE IF EXISTS _vintage_before")
    return entry


def _keep_identities(con: duckdb.DuckDBPyConnection, named: str) -> None:
    """`_vintage_now`: the identities of the rows `named` (with `_h1`, `_h2` for the fingerprint), not the rows."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _vintage_now AS SELECT {ROW_HASH}, _h1, _h2 FROM ({named})")


def _write_new_table(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[list[str]], path: Path
) -> dict[str, Any]:
    """A table new to the store (its first vintage): every row is added, none gone. Its rows, named as the first
    of their kind, are written straight from the table to the Parquet file (no temporary copy, no joins); the
    table's fingerprint and whether it holds identical rows are then read off the file's row identities (the
    fields are hashed once). A table with identical rows is written again, its rows numbered among their kind."""
    rows = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    added = _copy_rows(con, identified(relation, columns, repeats=False), path)
    if added:
        table_print, repeats = stored_fingerprint_and_repeats(con, f"read_parquet({_path_literal(path)})")
    else:  # no rows, no file
        table_print, repeats = fingerprint(con, f"(SELECT {hashes(columns)} FROM {relation})"), False
    if repeats:
        added = _copy_rows(con, identified(relation, columns), path)
    if added != rows or int(table_print.split(":")[0]) != rows:
        raise BilatrusError(f"Recording {relation}: {rows} rows in the table but {added} written.")
    return {
        "columns": columns,
        "rows": rows,
        "added": added,
        "removed": 0,
        "present": True,
        "fingerprint": table_print,
    }


def _copy_rows(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> int:
    """Write the rows of `select` to a Parquet file; no file when there are none. Return how many."""
    written = _copy(con, select, path)
    if not written:
        path.unlink()
    return written


@dataclass
class RecordResult:
    """What `record` did: the vintage it added (None when the sources were unchanged), and what it pruned."""

    recorded: Vintage | None
    vintages: list[Vintage]
    pruned: list[int] = field(default_factory=list)

    @property
    def current(self) -> Vintage | None:
        return self.vintages[-1] if self.vintages else None


# Tables whose deltas are written at once, each on its own cursor: DuckDB runs a table of one row group (most
# tables below full scale) on one thread, so two such tables keep both cores busy.
DELTA_WRITERS = 2


def _write_deltas(
    con: duckdb.DuckDBPyConnection, tables: list[str], now: set[str], previous: list[Vintage], folder: Path
) -> dict[str, dict[str, Any]]:
    """Each table's delta (`_write_table_delta`), the largest tables first, DELTA_WRITERS at a time, each on its
    own cursor of `con` (with its own temporary tables); on `con` itself, one after another, when a transaction
    is open on it (a cursor would not see its changes)."""
    if in_transaction(con):
        return {t: _write_table_delta(con, t, previous, folder, t in now) for t in tables}
    sizes = dict(
        con.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE NOT internal AND schema_name = 'main' "
            "AND database_name = current_database()"
        ).fetchall()
    )
    largest_first = sorted(tables, key=lambda t: (-(sizes.get(t) or 0), t))
    entries = dict(
        zip(
            largest_first,
            map_on_cursors(
                con,
                lambda cursor, table: _write_table_delta(cursor, table, previous, folder, table in now),
                largest_first,
                DELTA_WRITERS,
                "vintage",
            ),
            strict=True,
        )
    )
    return {t: entries[t] for t in tables}


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
        tables = _write_deltas(con, sorted(set(now) | set(earlier)), set(now), previous, temporary)
        meta = {**meta, "seq": seq, "vintage": label, IDENTITY_KEY: current_scheme(), "tables": tables}
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
    # the tables just recorded hold the new vintage's rows: their history, when one version, is a view over them
    current = [t for t, entry in recorded.tables.items() if entry.get("present", True)] if recorded else []
    vintages = load(con, history, current=current)
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
                added = _copy_rows(con, select, temporary / f"{table}.parquet")
                tables[table] = {**entry, "added": added, "removed": 0}
            meta = {
                **oldest_kept.meta,
                IDENTITY_KEY: common_scheme(upto),
                "tables": tables,
                "base": True,
                "pruned": pruned,
            }
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

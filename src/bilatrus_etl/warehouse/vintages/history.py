"""The history inside the warehouse: meta_vintage, one table per recorded table in the schema `history` (each row
version once, with the vintages it is valid for) and the history_* views, loaded from the store and kept up to
date incrementally through a manifest of the vintages loaded.

A table whose history is one version, the rows of the main table as they are (every stored row added by the
first vintage that has the table, none added or removed since, the main table's fingerprint that vintage's), is not
copied: its history table is a view over the main table (`_current_view`), the same columns and rows a copy would
hold. The first publish therefore stores each row once, not twice; a later vintage that changes the table (or a
main table that no longer matches its vintage) writes the table from the store as any other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from contextlib import AbstractContextManager
from pathlib import Path

import duckdb

from bilatrus_etl.parallel import map_on_cursors
from bilatrus_etl.warehouse import queries
from bilatrus_etl.warehouse.models import describe_table, in_transaction, setting, transaction
from bilatrus_etl.warehouse.tables import VINTAGE
from bilatrus_etl.warehouse.vintages.identity import (
    IDENTITY_KEY,
    current_scheme,
    fingerprint,
    hashes,
    identified,
    scheme_of,
)
from bilatrus_etl.warehouse.vintages.store import (
    HISTORY_SCHEMA,
    MANIFEST_TABLE,
    META_TABLE,
    ROW_HASH,
    ROW_ID,
    VIEW_PREFIX,
    VINTAGE_FILE,
    Vintage,
    _column_types,
    _columns,
    _ident,
    _path_literal,
    _quote_column,
    _rows_of,
    chain,
)


def _history_table_sql(vintages: list[Vintage], table: str) -> str:
    """Every stored row version of `table` with the vintages it is valid for: from the vintage that added it up
    to the first later vintage that removed it (a join on the removals, none when nothing was ever removed)."""
    columns = _column_types(vintages, table)
    added = _rows_of(vintages, table, columns)
    removed = [
        f"SELECT {ROW_HASH}, {v.seq} AS seq FROM read_parquet({_path_literal(p)})"
        for v in vintages
        if (p := v.removed_file(table)) is not None
    ]
    select = f"SELECT a._from_seq, {{until}}, hash(a.{ROW_HASH}) AS {ROW_ID}, a.* EXCLUDE ({ROW_HASH}, _from_seq) "
    if not removed:
        return select.format(until="NULL::INTEGER AS _until_seq") + f"FROM ({added}) AS a"
    ends = (
        f"SELECT k.{ROW_HASH}, k._from_seq, min(r.seq) AS _until_seq "
        f"FROM (SELECT {ROW_HASH}, _from_seq FROM ({added})) AS k "
        f"JOIN ({' UNION ALL '.join(removed)}) AS r ON r.{ROW_HASH} = k.{ROW_HASH} AND r.seq > k._from_seq "
        f"GROUP BY k.{ROW_HASH}, k._from_seq"
    )
    return (
        select.format(until="e._until_seq")
        + f"FROM ({added}) AS a LEFT JOIN ({ends}) AS e ON e.{ROW_HASH} = a.{ROW_HASH} AND e._from_seq = a._from_seq"
    )


def _drop_views(con: duckdb.DuckDBPyConnection) -> None:
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' "
        "AND database_name = current_database() AND starts_with(view_name, ?)",
        [VIEW_PREFIX],
    ).fetchall()
    for (view,) in views:
        con.execute(f"DROP VIEW IF EXISTS main.{_quote_column(view)}")


def _comment(con: duckdb.DuckDBPyConnection, kind: str, target: str, text: str) -> None:
    con.execute(f"COMMENT ON {kind} {target} IS {_path_literal(text)}")


def _manifest(vintages: list[Vintage]) -> list[tuple[int, bool, str]]:
    """What the loaded history is built from: each vintage's seq, whether it is a full snapshot, and the sha256
    of its vintage.json (a rewritten or replaced folder has another)."""
    return [(v.seq, v.base, hashlib.sha256((v.folder / VINTAGE_FILE).read_bytes()).hexdigest()) for v in vintages]


def _loaded_manifest(con: duckdb.DuckDBPyConnection) -> list[tuple[int, bool, str]] | None:
    """The manifest of the history loaded on `con` (None: none loaded, or not complete)."""
    present = {
        (schema, name)
        for schema, name in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    }
    if (HISTORY_SCHEMA, MANIFEST_TABLE) not in present or ("main", META_TABLE) not in present:
        return None
    loaded = [
        tuple(r)
        for r in con.execute(
            f"SELECT seq, base, vintage_sha256 FROM {HISTORY_SCHEMA}.{MANIFEST_TABLE} ORDER BY seq"
        ).fetchall()
    ]
    seqs = [r[0] for r in con.execute(f"SELECT seq FROM main.{META_TABLE} ORDER BY seq").fetchall()]
    return loaded if seqs == [r[0] for r in loaded] else None


def _plan(
    loaded: list[tuple[int, bool, str]] | None, wanted: list[tuple[int, bool, str]]
) -> tuple[int | None, int] | None:
    """How to bring the loaded history to `wanted`: (seq of the new full snapshot to prune to or None, how many
    vintages at the end of `wanted` to add); None when only a rebuild from the store will do."""
    if loaded is None or not loaded or not wanted:
        return None
    first = wanted[0]
    if first == loaded[0]:
        prune_to, kept = None, loaded
    elif first[1] and any(entry[0] == first[0] for entry in loaded):  # pruned to a snapshot of a loaded vintage
        prune_to, kept = first[0], [first] + [entry for entry in loaded if entry[0] > first[0]]
    else:
        return None
    new = wanted[len(kept) :]
    if wanted[: len(kept)] != kept or any(entry[1] for entry in new):
        return None
    return prune_to, len(new)


def _history_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[list[str]] | None:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
        "AND database_name = current_database()",
        [HISTORY_SCHEMA, table],
    ).fetchall()[0][0]
    return _columns(con, f"{HISTORY_SCHEMA}.{_ident(table)}")[3:] if exists else None


def _rebuild_table(
    con: duckdb.DuckDBPyConnection, vintages: list[Vintage], table: str, name: str | None = None
) -> None:
    """Write `table`'s history table from the store, as `name` (default: the table's own name) in the history schema."""
    target = f"{HISTORY_SCHEMA}.{_ident(name or table)}"
    con.execute(f"CREATE OR REPLACE TABLE {target} AS {_history_table_sql(vintages, table)}")


def _current_since(vintages: list[Vintage], table: str) -> int | None:
    """The seq of the vintage from which every stored row version of `table` is current, when its history is one
    version: the first vintage that has the table added all its rows, none was added or removed since, the table
    was built in every vintage, each with the same columns and in this process's row identity scheme. None
    otherwise."""
    entries = [(v, v.tables[table]) for v in vintages if table in v.tables]
    if not entries:
        return None
    scheme = scheme_of({IDENTITY_KEY: current_scheme()})
    first, last = entries[0][1], entries[-1][1]
    if (
        any(not entry.get("present", True) or entry.get("columns") != first.get("columns") for _, entry in entries)
        or any(entry.get("added") or entry.get("removed") for _, entry in entries[1:])
        or first.get("removed")
        or any(scheme_of(v.meta) != scheme for v, _ in entries)
        or "fingerprint" not in last
    ):
        return None
    return entries[0][0].seq


def _matches_main(con: duckdb.DuckDBPyConnection, vintages: list[Vintage], table: str) -> bool:
    """Whether the main table `table` holds exactly the rows the latest vintage recorded (same columns, same
    fingerprint): a hash scan of the table."""
    entry = [v.tables[table] for v in vintages if table in v.tables][-1]
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ? "
        "AND database_name = current_database()",
        [table],
    ).fetchall()[0][0]
    if not exists:
        return False
    relation = f"main.{_ident(table)}"
    columns = _columns(con, relation)
    return (
        columns == entry["columns"]
        and fingerprint(con, f"(SELECT {hashes(columns)} FROM {relation})") == entry["fingerprint"]
    )


def _viewed(
    con: duckdb.DuckDBPyConnection, vintages: list[Vintage], tables: list[str], current: Collection[str]
) -> dict[str, int]:
    """The tables of `tables` whose history table is a view over the main table, with the seq their rows date
    from: a history of one version (`_current_since`) that the main table holds, `current` naming the tables known
    to hold the latest vintage's rows (just recorded from them), the others checked (`_matches_main`)."""
    viewed = {}
    for table in tables:
        since = _current_since(vintages, table)
        if since is not None and (table in current or _matches_main(con, vintages, table)):
            viewed[table] = since
    return viewed


def _current_view(con: duckdb.DuckDBPyConnection, vintages: list[Vintage], table: str, since: int) -> None:
    """The history table of `table` as a view over the main table: its rows valid from vintage `since` on, their
    row ids computed as the store named them (`identified`; the window numbering identical rows runs only when a
    query reads _row_id)."""
    columns = _column_types(vintages, table)
    con.execute(
        f"CREATE VIEW {HISTORY_SCHEMA}.{_ident(table)} AS SELECT {since}::INTEGER AS _from_seq, "
        f"NULL::INTEGER AS _until_seq, hash({ROW_HASH}) AS {ROW_ID}, * EXCLUDE ({ROW_HASH}) "
        f"FROM ({identified(f'main.{_ident(table)}', columns)})"
    )


def _history_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    return _in_history_schema(con, "view")


def _drop_history_view(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute(f"DROP VIEW IF EXISTS {HISTORY_SCHEMA}.{_ident(table)}")


# A full load writes the history tables beside the loaded ones first, LOAD_WORKERS at a time, each on its own cursor
# and committed alone, under LOADING_PREFIX + their name; one transaction then swaps them in. Loaded one after another
# in that transaction, a table of a few row groups kept one core busy while the other waited (the largest tables
# first, as the vintage's deltas are written).
LOAD_WORKERS = 2
LOADING_PREFIX = "_loading_"


def _history_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return _in_history_schema(con, "table")


def _in_history_schema(con: duckdb.DuckDBPyConnection, kind: str) -> list[str]:
    """The names of the history schema's tables or views (`kind`: 'table' or 'view')."""
    return [
        name
        for (name,) in con.execute(
            f"SELECT {kind}_name FROM duckdb_{kind}s() WHERE schema_name = ? AND database_name = current_database() "
            "AND NOT internal ORDER BY 1",
            [HISTORY_SCHEMA],
        ).fetchall()
    ]


def _load_beside(con: duckdb.DuckDBPyConnection, vintages: list[Vintage], tables: list[str]) -> None:
    """Write each table's history table from the store as history.<LOADING_PREFIX><table> (what an interrupted
    earlier load left under those names is dropped first), LOAD_WORKERS at a time, the largest first."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {HISTORY_SCHEMA}")
    for name in _history_tables(con):
        if name.startswith(LOADING_PREFIX):
            con.execute(f"DROP TABLE {HISTORY_SCHEMA}.{_ident(name)}")
    rows = {t: sum(v.tables.get(t, {}).get("added", 0) for v in vintages) for t in tables}
    map_on_cursors(
        con,
        lambda cursor, table: _rebuild_table(cursor, vintages, table, LOADING_PREFIX + table),
        sorted(tables, key=lambda t: (-rows[t], t)),
        LOAD_WORKERS,
        "history",
    )


def _prune_loaded(con: duckdb.DuckDBPyConnection, base: Vintage, table: str) -> bool:
    """Drop the row versions gone before the new full snapshot `base` and start the others at it (what a load
    of the pruned store gives); False when the result does not hold the snapshot's rows."""
    target = f"{HISTORY_SCHEMA}.{_ident(table)}"
    con.execute(f"DELETE FROM {target} WHERE _until_seq <= {base.seq}")
    con.execute(f"UPDATE {target} SET _from_seq = {base.seq} WHERE _from_seq < {base.seq}")
    rows = con.execute(f"SELECT count(*) FROM {target} WHERE _from_seq = {base.seq}").fetchall()[0][0]
    return rows == base.tables.get(table, {}).get("added", 0)


def _append_loaded(con: duckdb.DuckDBPyConnection, v: Vintage, table: str, columns: list[list[str]]) -> bool:
    """Apply one new vintage to a loaded history table: end the row versions it removes, add the ones it adds;
    False when the removals do not match exactly one current row version each (the table is then rebuilt: a
    collision of the 8-byte row ids, or another hash function, can cost time, never a wrong row)."""
    target = f"{HISTORY_SCHEMA}.{_ident(table)}"
    if (path := v.removed_file(table)) is not None:
        ended = con.execute(
            f"UPDATE {target} SET _until_seq = {v.seq} WHERE _until_seq IS NULL AND {ROW_ID} IN "
            f"(SELECT hash({ROW_HASH}) FROM read_parquet({_path_literal(path)}))"
        ).fetchall()[0][0]
        if ended != v.tables[table]["removed"]:
            return False
    if v.added_file(table) is not None:
        con.execute(
            f"INSERT INTO {target} BY NAME SELECT NULL::INTEGER AS _until_seq, hash({ROW_HASH}) AS {ROW_ID}, "
            f"* EXCLUDE ({ROW_HASH}) FROM ({_rows_of([v], table, columns)})"
        )
    return True


def _update_tables(
    con: duckdb.DuckDBPyConnection,
    vintages: list[Vintage],
    prune_to: int | None,
    added: int,
    viewed: dict[str, int],
    beside: Collection[str] = (),
) -> None:
    """Bring the loaded history tables to `vintages`, table by table; a table whose columns changed, that is
    new, or whose update does not check out is rebuilt from the store. The tables of `viewed` become views over
    their main tables (`_current_view`); a view that is no longer one is replaced by the table written `beside`
    this transaction (`_load_beside`), else rebuilt from the store here."""
    new = vintages[len(vintages) - added :]
    wanted = sorted({t for v in vintages for t in v.tables})
    views = set(_history_views(con))
    written = {LOADING_PREFIX + table for table in beside}
    loaded = [name for name in _history_tables(con) if name != MANIFEST_TABLE and name not in written]
    for table in sorted(set(loaded) - set(wanted)):
        con.execute(f"DROP TABLE {HISTORY_SCHEMA}.{_ident(table)}")
    for table in sorted(views - set(wanted)):
        _drop_history_view(con, table)
    for table in wanted:
        if table in viewed:
            if table in loaded:
                con.execute(f"DROP TABLE {HISTORY_SCHEMA}.{_ident(table)}")
            _drop_history_view(con, table)
            _current_view(con, vintages, table, viewed[table])
            continue
        if table in views:  # a view no longer: its history gained a version, or the main table changed
            _drop_history_view(con, table)
            if table in beside:
                con.execute(f"ALTER TABLE {HISTORY_SCHEMA}.{_ident(LOADING_PREFIX + table)} RENAME TO {_ident(table)}")
            else:
                _rebuild_table(con, vintages, table)
            continue
        columns = _column_types(vintages, table)
        ok = _history_columns(con, table) == columns
        if ok and prune_to is not None:
            ok = _prune_loaded(con, vintages[0], table)
        for v in new:
            if ok and table in v.tables:
                ok = _append_loaded(con, v, table, columns)
        if not ok:
            _rebuild_table(con, vintages, table)


def _fill_meta(con: duckdb.DuckDBPyConnection, vintages: list[Vintage]) -> None:
    queries.run(con, "create_meta_vintage")
    last = vintages[-1].seq if vintages else None
    for v in vintages:
        m = v.meta
        tables = {t: e for t, e in v.tables.items() if e.get("present", True)}
        con.execute(
            f"INSERT INTO {META_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                v.seq,
                v.label,
                m.get("recorded_at"),
                m.get("run_id"),
                m.get("package_version"),
                m.get("code_fingerprint"),
                m.get("focus_country"),
                bool(m.get("synthetic")),
                m.get("sources_fingerprint"),
                json.dumps(m.get("sources", [])),
                len(tables),
                sum(e["rows"] for e in tables.values()),
                sum(e["added"] for e in v.tables.values()),
                sum(e["removed"] for e in v.tables.values()),
                v.seq == last,
            ],
        )
    describe_table(con, META_TABLE, VINTAGE.description, VINTAGE.column_docs)


# The history tables are written without DuckDB's FSST string compression (strings then take its dictionary or
# plain form): writing them costs a sixth less CPU, the first vintage's history takes about a third more room in
# the file, and scans of it are no slower. Same rows, types and storage version: only the blocks' encoding differs.
HISTORY_DISABLED_COMPRESSION = ("fsst",)


def _history_compression(con: duckdb.DuckDBPyConnection) -> AbstractContextManager[None]:
    """While open, DuckDB compresses without HISTORY_DISABLED_COMPRESSION on `con`'s database: the row groups the
    load writes as it goes and the checkpoint its commit runs after a large load. A database-wide setting, put
    back as it was afterwards (a small load's rows are compressed at the next checkpoint, with every method)."""

    def methods(previous: str) -> str:
        kept = {m.strip().lower() for m in previous.split(",") if m.strip()}
        return ",".join(sorted(kept | set(HISTORY_DISABLED_COMPRESSION)))

    return setting(con, "disabled_compression_methods", methods)


def load(con: duckdb.DuckDBPyConnection, history: Path, *, current: Collection[str] = ()) -> list[Vintage]:
    """Bring meta_vintage, the history schema and the history_* views on `con` up to date with the store.

    The loaded history keeps a manifest (history.meta_vintage: each vintage's seq and the sha256 of its
    vintage.json). When it equals the store's, nothing is touched (but a history view over a main table that no
    longer holds its vintage's rows, which is written from the store); when the store only gained vintages or was
    pruned to a new full snapshot since, only those changes are applied (the new vintages' rows are added, the
    pruned ones dropped); otherwise (no history loaded, another store, a folder rewritten) every table is
    rebuilt from the store: written beside the loaded tables (`_load_beside`), then swapped in. Either way the
    result is the same rows, and the loaded history changes in one transaction (an interrupted load leaves it as
    it was; what it wrote beside is dropped by the next load).

    A table whose history is one version that its main table holds is a view over it (`_viewed`); `current` names
    the main tables known to hold the latest vintage's rows (`record` passes the tables it has just recorded), the
    others are checked with a hash scan.
    """
    vintages = chain(history)
    wanted = _manifest(vintages)
    loaded = _loaded_manifest(con)
    tables = sorted({t for v in vintages for t in v.tables})
    plan: tuple[int | None, int] | None
    if loaded == wanted:
        views = [t for t in _history_views(con) if t in tables]
        viewed = _viewed(con, vintages, views, current)
        if len(viewed) == len(views):
            return vintages
        plan = (None, 0)  # no vintage to add: only the views whose main table changed are written
    else:
        plan = _plan(loaded, wanted)
        viewed = _viewed(con, vintages, tables, current)
    with _history_compression(con):
        beside: list[str] = []
        if not in_transaction(con):  # a cursor would not see the open transaction's tables
            if plan is None:
                beside = [t for t in tables if t not in viewed]
            else:
                beside = [t for t in _history_views(con) if t in tables and t not in viewed]
            _load_beside(con, vintages, beside)
        _apply(con, vintages, wanted, plan, viewed, beside=beside)
    return vintages


def _apply(
    con: duckdb.DuckDBPyConnection,
    vintages: list[Vintage],
    wanted: list[tuple[int, bool, str]],
    plan: tuple[int | None, int] | None,
    viewed: dict[str, int],
    *,
    beside: Collection[str] = (),
) -> None:
    """`load`'s one transaction: rebuild (plan None: swap in the tables written `beside` it by `_load_beside`, else
    write them here; the tables of `viewed` as views) or update the history tables, then meta_vintage, the
    manifest and the views."""
    with transaction(con):
        _drop_views(con)
        if plan is None:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {HISTORY_SCHEMA}")
            for name in _history_tables(con):
                if not (name.startswith(LOADING_PREFIX) and name[len(LOADING_PREFIX) :] in beside):
                    con.execute(f"DROP TABLE {HISTORY_SCHEMA}.{_ident(name)}")
            for name in _history_views(con):
                _drop_history_view(con, name)
            for table in sorted({t for v in vintages for t in v.tables}):
                if table in viewed:
                    _current_view(con, vintages, table, viewed[table])
                elif table in beside:
                    con.execute(
                        f"ALTER TABLE {HISTORY_SCHEMA}.{_ident(LOADING_PREFIX + table)} RENAME TO {_ident(table)}"
                    )
                else:
                    _rebuild_table(con, vintages, table)
        else:
            _update_tables(con, vintages, *plan, viewed, beside)
        _fill_meta(con, vintages)
        con.execute(
            f"CREATE OR REPLACE TABLE {HISTORY_SCHEMA}.{MANIFEST_TABLE} "
            f"(seq INTEGER, base BOOLEAN, vintage_sha256 VARCHAR)"
        )
        if wanted:
            con.executemany(
                f"INSERT INTO {HISTORY_SCHEMA}.{MANIFEST_TABLE} VALUES (?, ?, ?)", [list(e) for e in wanted]
            )
        _comment(
            con,
            "TABLE",
            f"{HISTORY_SCHEMA}.{MANIFEST_TABLE}",
            "The vintages of the store the history schema was loaded from (seq, full snapshot or not, sha256 of "
            "vintage.json): a publish loads only what changed since. Query main.meta_vintage instead.",
        )
        for table in sorted({t for v in vintages for t in v.tables}):
            _create_view(con, table)


def _create_view(con: duckdb.DuckDBPyConnection, table: str) -> None:
    view = f"{VIEW_PREFIX}{table}"
    con.execute(
        f"CREATE VIEW main.{_ident(view)} AS SELECT v.vintage, r.* EXCLUDE (_from_seq, _until_seq, {ROW_ID}) "
        f"FROM {HISTORY_SCHEMA}.{_ident(table)} AS r JOIN main.{META_TABLE} AS v "
        f"ON v.seq >= r._from_seq AND (r._until_seq IS NULL OR v.seq < r._until_seq)"
    )
    current = dict(
        con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? "
            "AND database_name = current_database()",
            [table],
        ).fetchall()
    )
    described = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ? AND database_name = current_database()",
        [table],
    ).fetchall()
    what = described[0][0] if described and described[0][0] else f"table {table}"
    _comment(
        con,
        "VIEW",
        f"main.{_ident(view)}",
        f"Every vintage of {table} kept in the history (one row per row of {table} per vintage; filter on vintage, "
        f"see meta_vintage). {table}: {what}",
    )
    _comment(con, "COLUMN", f"main.{_ident(view)}.vintage", "the vintage the row belongs to (meta_vintage.vintage)")
    for column, text in current.items():
        if text:
            try:
                _comment(con, "COLUMN", f"main.{_ident(view)}.{_quote_column(column)}", text)
            except duckdb.Error:  # a column the current table has and the history no longer does
                pass
    for column in [c for c, _ in _columns(con, f"main.{_ident(view)}")]:
        if column != "vintage" and not current.get(column):
            _comment(
                con,
                "COLUMN",
                f"main.{_ident(view)}.{_quote_column(column)}",
                f"{column} of {table} (a column of past vintages)" if column not in current else f"{column} of {table}",
            )

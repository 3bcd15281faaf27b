"""Monthly vintages: what CORDIS said then, what it says now.

Every publish whose sources changed records a VINTAGE: its date, the sources' sha256 and URLs (from the
provenance log), the code version, and the rows of the core tables (dim_*, fact_*, institution_link) and of
every mart as they were. A publish built from the same source files as the latest vintage (same sha256s, same
focus country) adds nothing.

The store (`data/history/`, `history_dir`) is append-only and compact: one folder per vintage, `v000001/`,
`v000002/`, ..., each holding, per table, the rows that are NEW in that vintage (`<table>.parquet`, zstd) and
the hashes of the rows that are GONE (`<table>.removed.parquet`), plus `vintage.json` (the vintage's metadata
and each table's column types). A row is identified by the md5 of its whole content (and its occurrence
number among identical rows), so a row that did not change between vintages is stored once, however many
vintages it lives through. A vintage folder is written under a temporary name and renamed into place: a
vintage is there completely or not at all. Pruning the oldest vintages (`prune`) writes the oldest kept
vintage as a full snapshot `v<seq>.base/` first, then deletes what it replaces: at every moment the store
reads back to the same vintages.

In the published warehouse (`load`, run by `record` on the build file before the publish copies it):
`meta_vintage` (one row per vintage), one table per recorded table in the schema `history` holding each row
version once with the vintages it is valid for (`_from_seq` up to, not including, `_until_seq`), and one view per table in the main schema,
`history_<table>`, with a `vintage` column in front of the table's own columns: an analyst queries any past
vintage like the current one (`... FROM history_fact_participation WHERE vintage = '2026-11-02'`). Everything
is stored inside the warehouse, so it works on a connection without file system access. The build file keeps
its history between runs with a manifest of the vintages it holds (`history.meta_vintage`: seq and sha256 of
each vintage.json): a publish adds only the new vintage's rows and follows a prune, touches nothing when no
vintage is new, and rebuilds from the store only when the manifest does not match it.

`diff` compares two vintages for the focus country (sql/queries/vintage_diff*.sql).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from bilatrus_etl import __version__
from bilatrus_etl.ingest import provenance
from bilatrus_etl.warehouse import queries
from bilatrus_etl import warehouse
from bilatrus_etl.errors import BilatrusError

if TYPE_CHECKING:
    import pyarrow as pa

    from bilatrus_etl.settings import Settings

HISTORY_SCHEMA = "history"
VIEW_PREFIX = "history_"
META_TABLE = "meta_vintage"
# The manifest of the loaded history (history.meta_vintage: seq, base, sha256 of vintage.json): in the history
# schema under a name of the main schema, so that a client reading tables by unqualified name reads main's.
MANIFEST_TABLE = META_TABLE
KEEP_ENV = "BILATRUS_KEEP_VINTAGES"
HISTORY_DIR_ENV = "BILATRUS_HISTORY_DIR"
VINTAGE_FILE = "vintage.json"
ROW_HASH = "_row_hash"
ROW_ID = "_row_id"  # in the history tables: hash(_row_hash), 8 bytes, to end a row version a later vintage removes
_TRACKED_PREFIXES = ("dim_", "fact_", "mart_")
_TRACKED_EXTRA = ("institution_link",)
_FOLDER = re.compile(r"^v(\d{6})(\.base)?$")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")

META_DESCRIPTION = (
    "One row per vintage of the warehouse kept in the history: when it was recorded, the source files it was built "
    "from (dataset, URL, sha256) and the code that built it. Query a past vintage with the history_* views."
)
META_COLUMNS: dict[str, str] = {
    "seq": "number of the vintage (1 = the first ever recorded; numbers are never reused, pruned ones are gone)",
    "vintage": "label of the vintage: the date it was recorded (YYYY-MM-DD, with -2, -3 for a second, third that day)",
    "recorded_at": "when the vintage was recorded (UTC)",
    "run_id": "the Dagster run that published it (NULL when recorded outside a run)",
    "package_version": "bilatrus-etl version that built it",
    "code_fingerprint": "hash of the SQL, suites and reference tables that built it",
    "focus_country": "ISO code the marts of this vintage describe",
    "synthetic": "true when built from the generated demo mirror: never cite such numbers",
    "sources_fingerprint": "hash of the source files' sha256s and the focus country: equal fingerprints, same vintage",
    "sources": "every source file: dataset, URL, sha256, bytes, fetch time and Last-Modified (from provenance)",
    "tables": "tables recorded in the vintage",
    "table_rows": "rows of those tables in the vintage",
    "rows_added": "row versions stored for this vintage (new or changed rows)",
    "rows_removed": "row versions of the previous vintage that this one no longer has",
    "is_current": "the latest vintage (the one the current tables show)",
}


# --- where and what --------------------------------------------------------------------------------------


def history_dir(settings: Settings) -> Path:
    """The history store: BILATRUS_HISTORY_DIR, else <data dir>/history."""
    return Path(os.environ.get(HISTORY_DIR_ENV) or settings.data_dir / "history")


def keep_setting() -> int | None:
    """BILATRUS_KEEP_VINTAGES: how many vintages to keep (unset or empty: every vintage)."""
    value = os.environ.get(KEEP_ENV, "").strip()
    if not value:
        return None
    try:
        keep = int(value)
    except ValueError:
        keep = 0
    if keep < 1:
        raise BilatrusError(f"{KEEP_ENV}={value!r} is not a whole number of vintages to keep (1 or more): fix or unset it.")
    return keep


def tracked_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables a vintage records: core dimensions and facts, institution_link and every mart."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND schema_name = 'main' "
        "AND database_name = current_database() ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in rows if name.startswith(_TRACKED_PREFIXES) or name in _TRACKED_EXTRA]


@dataclass(frozen=True)
class Vintage:
    """One vintage of the store."""

    seq: int
    label: str
    folder: Path
    meta: dict[str, Any]
    base: bool = False

    @property
    def tables(self) -> dict[str, dict[str, Any]]:
        return self.meta.get("tables", {})

    def added_file(self, table: str) -> Path | None:
        path = self.folder / f"{table}.parquet"
        return path if self.tables.get(table, {}).get("added") and path.exists() else None

    def removed_file(self, table: str) -> Path | None:
        path = self.folder / f"{table}.removed.parquet"
        return path if self.tables.get(table, {}).get("removed") and path.exists() else None


def _folders(history: Path) -> list[tuple[int, bool, Path]]:
    if not history.is_dir():
        return []
    found = []
    for path in history.iterdir():
        match = _FOLDER.match(path.name)
        if match and path.is_dir() and (path / VINTAGE_FILE).is_file():
            found.append((int(match.group(1)), bool(match.group(2)), path))
    return sorted(found)


def _read_meta(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / VINTAGE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise BilatrusError(f"The history vintage {folder} cannot be read ({err}). Restore it from a backup or delete "
                            f"the history folder {folder.parent} to start a new history.") from err


def chain(history: Path) -> list[Vintage]:
    """The vintages of the store, oldest first: the latest full snapshot (base) and every vintage after it."""
    folders = _folders(history)
    bases = [seq for seq, base, _ in folders if base]
    start = max(bases) if bases else 0
    vintages = []
    for seq, base, path in folders:
        if (base and seq == start) or (not base and seq > start):
            meta = _read_meta(path)
            vintages.append(Vintage(seq, meta["vintage"], path, meta, base))
    return vintages


def sources_fingerprint(datasets: dict[str, str], focus_country: str) -> str:
    """Hash of the source files (dataset -> sha256) and the focus country: what makes a vintage distinct."""
    text = json.dumps({"sources": dict(sorted(datasets.items())), "focus_country": focus_country}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _source_rows(raw_dir: Path, datasets: dict[str, str]) -> list[dict[str, Any]]:
    """Each source's latest provenance row with that sha256: dataset, URL, sha256, bytes, when fetched."""
    latest: dict[str, dict[str, Any]] = {}
    for row in provenance.read_provenance(raw_dir):
        if datasets.get(row.get("dataset")) == row.get("sha256"):
            latest[row["dataset"]] = row
    out = []
    for dataset, sha in sorted(datasets.items()):
        row = latest.get(dataset, {})
        out.append({"dataset": dataset, "url": row.get("url"), "sha256": sha, "bytes": row.get("bytes"),
                    "fetched_at": row.get("fetched_at"), "last_modified": row.get("last_modified")})
    return out


# --- SQL helpers -----------------------------------------------------------------------------------------


def _ident(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise BilatrusError(f"{name!r} is not a plain table or column name; the history keeps only such tables.")
    return f'"{name}"'


def _quote_column(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str | Path) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[list[str]]:
    return [[name, str(kind)] for name, kind, *_ in con.execute(f"DESCRIBE {relation}").fetchall()]


def _hashed(table: str) -> str:
    """The table's rows with a row identity: md5 of the whole row and its occurrence among identical rows, as 20
    bytes (BLOB: half the size of the hex text, and the store's largest incompressible column)."""
    return (
        f"SELECT unhex(_h || printf('%08x', row_number() OVER (PARTITION BY _h))) AS {ROW_HASH}, * EXCLUDE (_h) "
        f"FROM (SELECT md5(CAST(_vintage_row AS VARCHAR)) AS _h, _vintage_row.* FROM main.{_ident(table)} AS _vintage_row)"
    )


def _union(selects: list[str], empty: str) -> str:
    return " UNION ALL ".join(selects) if selects else empty


def _events(vintages: list[Vintage], table: str) -> str:
    """(_row_hash, seq, added) events of one table over the chain."""
    selects = []
    for v in vintages:
        if (path := v.added_file(table)) is not None:
            selects.append(f"SELECT {ROW_HASH}, {v.seq} AS seq, true AS added FROM read_parquet({_literal(path)})")
        if (path := v.removed_file(table)) is not None:
            selects.append(f"SELECT {ROW_HASH}, {v.seq} AS seq, false AS added FROM read_parquet({_literal(path)})")
    return _union(selects, f"SELECT NULL::BLOB AS {ROW_HASH}, NULL::INTEGER AS seq, NULL::BOOLEAN AS added WHERE false")


def _state_at_end(vintages: list[Vintage], table: str) -> str:
    """Row hashes of one table in the last vintage of the chain."""
    return (
        f"SELECT {ROW_HASH} FROM ({_events(vintages, table)}) "
        f"QUALIFY row_number() OVER (PARTITION BY {ROW_HASH} ORDER BY seq DESC) = 1 AND added"
    )


def _copy(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> int:
    con.execute(f"COPY ({select}) TO {_literal(path)} (FORMAT parquet, COMPRESSION zstd)").fetchall()
    return con.execute(f"SELECT count(*) FROM read_parquet({_literal(path)})").fetchall()[0][0]


def _write_table_delta(con: duckdb.DuckDBPyConnection, table: str, previous: list[Vintage], folder: Path,
                       present: bool) -> dict[str, Any]:
    """Write one table's new rows and gone row hashes into `folder`; return its entry of vintage.json."""
    prior = [v for v in previous if table in v.tables]
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


def _label(day: str, existing: set[str]) -> str:
    label, n = day, 1
    while label in existing:
        n += 1
        label = f"{day}-{n}"
    return label


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


# --- recording -------------------------------------------------------------------------------------------


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


def record(con: duckdb.DuckDBPyConnection, settings: Settings, *, datasets: dict[str, str], synthetic: bool,
           code_fingerprint: str, run_id: str | None = None, keep: int | None = None) -> RecordResult:
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


# --- pruning ---------------------------------------------------------------------------------------------


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
            (temporary / VINTAGE_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True, default=str), encoding="utf-8")
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


# --- loading into the warehouse --------------------------------------------------------------------------


def _column_types(vintages: list[Vintage], table: str) -> list[list[str]]:
    """Every column the table ever had, in the latest order, each with its latest type."""
    order: list[str] = []
    types: dict[str, str] = {}
    for v in reversed(vintages):
        for name, kind in v.tables.get(table, {}).get("columns", []):
            if name not in types:
                types[name] = kind
                order.append(name)
    return [[name, types[name]] for name in order]


def _rows_of(vintages: list[Vintage], table: str, columns: list[list[str]]) -> str:
    """Every stored row version of a table (with _row_hash and _from_seq), columns cast to their recorded types."""
    selects = []
    for v in vintages:
        path = v.added_file(table)
        if path is None:
            continue
        present = {name for name, _ in v.tables[table]["columns"]}
        casts = ", ".join(
            (f"CAST({_quote_column(name)} AS {kind})" if name in present else f"CAST(NULL AS {kind})") + f" AS {_quote_column(name)}"
            for name, kind in columns
        )
        selects.append(f"SELECT {ROW_HASH}, {v.seq} AS _from_seq{', ' + casts if casts else ''} FROM read_parquet({_literal(path)})")
    empty_casts = ", ".join(f"CAST(NULL AS {kind}) AS {_quote_column(name)}" for name, kind in columns)
    return _union(selects, f"SELECT NULL::BLOB AS {ROW_HASH}, NULL::INTEGER AS _from_seq"
                           f"{', ' + empty_casts if empty_casts else ''} WHERE false")


def _history_table_sql(vintages: list[Vintage], table: str) -> str:
    columns = _column_types(vintages, table)
    removed = [f"SELECT {ROW_HASH}, {v.seq} AS seq FROM read_parquet({_literal(p)})"
               for v in vintages if (p := v.removed_file(table)) is not None]
    removed_sql = _union(removed, f"SELECT NULL::BLOB AS {ROW_HASH}, NULL::INTEGER AS seq WHERE false")
    return (
        f"WITH added AS ({_rows_of(vintages, table, columns)}), removed AS ({removed_sql}) "
        f"SELECT a._from_seq, "
        f"(SELECT min(r.seq) FROM removed AS r WHERE r.{ROW_HASH} = a.{ROW_HASH} AND r.seq > a._from_seq) AS _until_seq, "
        f"hash(a.{ROW_HASH}) AS {ROW_ID}, a.* EXCLUDE ({ROW_HASH}, _from_seq) FROM added AS a"
    )


def _drop_views(con: duckdb.DuckDBPyConnection) -> None:
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' "
        "AND database_name = current_database() AND starts_with(view_name, ?)", [VIEW_PREFIX]
    ).fetchall()
    for (view,) in views:
        con.execute(f"DROP VIEW IF EXISTS main.{_quote_column(view)}")


def _comment(con: duckdb.DuckDBPyConnection, kind: str, target: str, text: str) -> None:
    con.execute(f"COMMENT ON {kind} {target} IS {_literal(text)}")


def _manifest(vintages: list[Vintage]) -> list[tuple[int, bool, str]]:
    """What the loaded history is built from: each vintage's seq, whether it is a full snapshot, and the sha256
    of its vintage.json (a rewritten or replaced folder has another)."""
    return [(v.seq, v.base, hashlib.sha256((v.folder / VINTAGE_FILE).read_bytes()).hexdigest()) for v in vintages]


def _loaded_manifest(con: duckdb.DuckDBPyConnection) -> list[tuple[int, bool, str]] | None:
    """The manifest of the history loaded on `con` (None: none loaded, or not complete)."""
    present = {(schema, name) for schema, name in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()}
    if (HISTORY_SCHEMA, MANIFEST_TABLE) not in present or ("main", META_TABLE) not in present:
        return None
    loaded = [tuple(r) for r in con.execute(
        f"SELECT seq, base, vintage_sha256 FROM {HISTORY_SCHEMA}.{MANIFEST_TABLE} ORDER BY seq").fetchall()]
    seqs = [r[0] for r in con.execute(f"SELECT seq FROM main.{META_TABLE} ORDER BY seq").fetchall()]
    return loaded if seqs == [r[0] for r in loaded] else None


def _plan(loaded: list[tuple[int, bool, str]] | None, wanted: list[tuple[int, bool, str]]) -> tuple[int | None, int] | None:
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
    new = wanted[len(kept):]
    if wanted[: len(kept)] != kept or any(entry[1] for entry in new):
        return None
    return prune_to, len(new)


def _history_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[list[str]] | None:
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
                         "AND database_name = current_database()", [HISTORY_SCHEMA, table]).fetchall()[0][0]
    return _columns(con, f"{HISTORY_SCHEMA}.{_ident(table)}")[3:] if exists else None


def _rebuild_table(con: duckdb.DuckDBPyConnection, vintages: list[Vintage], table: str) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {HISTORY_SCHEMA}.{_ident(table)} AS {_history_table_sql(vintages, table)}")


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
            f"(SELECT hash({ROW_HASH}) FROM read_parquet({_literal(path)}))"
        ).fetchall()[0][0]
        if ended != v.tables[table]["removed"]:
            return False
    if v.added_file(table) is not None:
        con.execute(f"INSERT INTO {target} BY NAME SELECT NULL::INTEGER AS _until_seq, hash({ROW_HASH}) AS {ROW_ID}, "
                    f"* EXCLUDE ({ROW_HASH}) FROM ({_rows_of([v], table, columns)})")
    return True


def _update_tables(con: duckdb.DuckDBPyConnection, vintages: list[Vintage], prune_to: int | None, added: int) -> None:
    """Bring the loaded history tables to `vintages`, table by table; a table whose columns changed, that is
    new, or whose update does not check out is rebuilt from the store."""
    new = vintages[len(vintages) - added:]
    wanted = sorted({t for v in vintages for t in v.tables})
    loaded = [name for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? AND database_name = current_database() "
        "AND table_name <> ?", [HISTORY_SCHEMA, MANIFEST_TABLE]).fetchall()]
    for table in sorted(set(loaded) - set(wanted)):
        con.execute(f"DROP TABLE {HISTORY_SCHEMA}.{_ident(table)}")
    for table in wanted:
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
            [v.seq, v.label, m.get("recorded_at"), m.get("run_id"), m.get("package_version"), m.get("code_fingerprint"),
             m.get("focus_country"), bool(m.get("synthetic")), m.get("sources_fingerprint"), json.dumps(m.get("sources", [])),
             len(tables), sum(e["rows"] for e in tables.values()),
             sum(e["added"] for e in v.tables.values()), sum(e["removed"] for e in v.tables.values()), v.seq == last],
        )
    warehouse.describe_table(con, META_TABLE, META_DESCRIPTION, META_COLUMNS)


def load(con: duckdb.DuckDBPyConnection, history: Path) -> list[Vintage]:
    """Bring meta_vintage, the history schema and the history_* views on `con` up to date with the store.

    The loaded history keeps a manifest (history.meta_vintage: each vintage's seq and the sha256 of its
    vintage.json). When it equals the store's, nothing is touched; when the store only gained vintages or was
    pruned to a new full snapshot since, only those changes are applied (the new vintages' rows are added, the
    pruned ones dropped); otherwise (no history loaded, another store, a folder rewritten) every table is
    rebuilt from the store. Either way the result is the same tables, in one transaction.
    """
    vintages = chain(history)
    wanted = _manifest(vintages)
    loaded = _loaded_manifest(con)
    if loaded == wanted:
        return vintages
    plan = _plan(loaded, wanted)
    con.execute("BEGIN TRANSACTION")
    try:
        _drop_views(con)
        if plan is None:
            con.execute(f"DROP SCHEMA IF EXISTS {HISTORY_SCHEMA} CASCADE")
            con.execute(f"CREATE SCHEMA {HISTORY_SCHEMA}")
            for table in sorted({t for v in vintages for t in v.tables}):
                _rebuild_table(con, vintages, table)
        else:
            _update_tables(con, vintages, *plan)
        _fill_meta(con, vintages)
        con.execute(f"CREATE OR REPLACE TABLE {HISTORY_SCHEMA}.{MANIFEST_TABLE} "
                    f"(seq INTEGER, base BOOLEAN, vintage_sha256 VARCHAR)")
        if wanted:
            con.executemany(f"INSERT INTO {HISTORY_SCHEMA}.{MANIFEST_TABLE} VALUES (?, ?, ?)", [list(e) for e in wanted])
        _comment(con, "TABLE", f"{HISTORY_SCHEMA}.{MANIFEST_TABLE}",
                 "The vintages of the store the history schema was loaded from (seq, full snapshot or not, sha256 of "
                 "vintage.json): a publish loads only what changed since. Query main.meta_vintage instead.")
        for table in sorted({t for v in vintages for t in v.tables}):
            _create_view(con, table)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return vintages


def _create_view(con: duckdb.DuckDBPyConnection, table: str) -> None:
    view = f"{VIEW_PREFIX}{table}"
    con.execute(
        f"CREATE VIEW main.{_ident(view)} AS SELECT v.vintage, r.* EXCLUDE (_from_seq, _until_seq, {ROW_ID}) "
        f"FROM {HISTORY_SCHEMA}.{_ident(table)} AS r JOIN main.{META_TABLE} AS v "
        f"ON v.seq >= r._from_seq AND (r._until_seq IS NULL OR v.seq < r._until_seq)"
    )
    current = dict(con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? "
        "AND database_name = current_database()", [table]
    ).fetchall())
    described = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ? AND database_name = current_database()",
        [table],
    ).fetchall()
    what = described[0][0] if described and described[0][0] else f"table {table}"
    _comment(con, "VIEW", f"main.{_ident(view)}",
             f"Every vintage of {table} kept in the history (one row per row of {table} per vintage; filter on vintage, "
             f"see meta_vintage). {table}: {what}")
    _comment(con, "COLUMN", f"main.{_ident(view)}.vintage", "the vintage the row belongs to (meta_vintage.vintage)")
    for column, text in current.items():
        if text:
            try:
                _comment(con, "COLUMN", f"main.{_ident(view)}.{_quote_column(column)}", text)
            except duckdb.Error:  # a column the current table has and the history no longer does
                pass
    for column in [c for c, _ in _columns(con, f"main.{_ident(view)}")]:
        if column != "vintage" and not current.get(column):
            _comment(con, "COLUMN", f"main.{_ident(view)}.{_quote_column(column)}",
                     f"{column} of {table} (a column of past vintages)" if column not in current else f"{column} of {table}")


# --- reading the vintages of a published warehouse -------------------------------------------------------


def list_vintages(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """meta_vintage, newest last, as an Arrow table (sources summarised)."""
    _require_history(con)
    return _arrow(con, "list_vintages")


def _arrow(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object] | None = None) -> pa.Table:
    """A named query of sql/queries/ as an Arrow table."""
    try:
        return con.sql(queries.query_text(name), params=params).to_arrow_table()
    except duckdb.Error as err:
        raise BilatrusError(f"SQL query {name} failed: {err}") from err


def _require_history(con: duckdb.DuckDBPyConnection) -> None:
    present = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'",
                          [META_TABLE]).fetchall()[0][0]
    if not present:
        raise BilatrusError(f"The warehouse has no {META_TABLE} table: it was published before vintages were kept. "
                            f"Run `bilatrus run --force` once to record the first vintage.")


def resolve_vintage(con: duckdb.DuckDBPyConnection, wanted: str | int | None, offset: int) -> dict[str, Any]:
    """A vintage of meta_vintage by label or number (None: the `offset`-th from the newest, 0 = newest)."""
    rows = con.execute(f"SELECT seq, vintage, focus_country, recorded_at FROM {META_TABLE} ORDER BY seq").fetchall()
    if not rows:
        raise BilatrusError("No vintage recorded yet: publish once (`bilatrus run`).")
    if wanted is None or str(wanted).strip() == "":
        if len(rows) <= offset:
            raise BilatrusError(f"Only {len(rows)} vintage(s) recorded: a diff needs two. Run again after the sources change.")
        row = rows[-1 - offset]
    else:
        text = str(wanted).strip()
        matches = [r for r in rows if r[1] == text or str(r[0]) == text]
        if not matches:
            labels = ", ".join(f"{r[1]} ({r[0]})" for r in rows)
            raise BilatrusError(f"No vintage {text!r}. Recorded vintages: {labels}.")
        row = matches[0]
    return {"seq": row[0], "vintage": row[1], "focus_country": row[2], "recorded_at": row[3]}


# --- diff ------------------------------------------------------------------------------------------------

CHANGE_KINDS: tuple[str, ...] = (
    "project added", "project removed", "participation added", "participation ended", "participation changed",
    "institution renamed", "figure moved", "table rows changed",
)


@dataclass
class VintageDiff:
    """What changed between two vintages, for one focus country."""

    from_vintage: dict[str, Any]
    to_vintage: dict[str, Any]
    focus_country: str
    changes: pa.Table

    def counts(self) -> dict[str, int]:
        kinds = self.changes.column("change").to_pylist()
        counts = {kind: 0 for kind in CHANGE_KINDS}
        subjects: dict[str, set] = {kind: set() for kind in CHANGE_KINDS}
        for row in self.changes.to_pylist():
            subjects[row["change"]].add((row["framework_programme"], row["project_id"], row["subject"]))
        for kind in set(kinds):
            counts[kind] = len(subjects[kind]) if kind in ("participation changed", "table rows changed") else kinds.count(kind)
        return counts

    def to_json(self) -> dict[str, Any]:
        from bilatrus_etl.analyst import _json_value

        return {
            "from": _json_value(self.from_vintage), "to": _json_value(self.to_vintage),
            "focus_country": self.focus_country, "counts": self.counts(),
            "changes": [_json_value(r) for r in self.changes.to_pylist()],
        }

    def render(self, fmt: str = "table") -> str:
        from bilatrus_etl import analyst

        if fmt == "json":
            return json.dumps(self.to_json(), ensure_ascii=False, indent=1)
        if fmt == "csv":
            return analyst.format_result(self.changes, "csv")
        if fmt != "table":
            raise BilatrusError(f"Unknown diff format {fmt!r}: choose table, csv or json.")
        lines = [f"Changes for {self.focus_country} from vintage {self.from_vintage['vintage']} "
                 f"(#{self.from_vintage['seq']}) to {self.to_vintage['vintage']} (#{self.to_vintage['seq']}):"]
        if self.from_vintage.get("focus_country") != self.to_vintage.get("focus_country"):
            lines.append(f"  Note: the marts of {self.from_vintage['vintage']} describe {self.from_vintage.get('focus_country')}, "
                         f"those of {self.to_vintage['vintage']} {self.to_vintage.get('focus_country')}: mart figures differ for that reason.")
        counts = self.counts()
        lines += [f"  {kind:<24}{counts[kind]:>8,}" for kind in CHANGE_KINDS]
        for kind in CHANGE_KINDS:
            section = self.changes.filter(_equals(self.changes, "change", kind))
            if section.num_rows:
                columns = [c for c in section.column_names if c != "change" and any(v is not None for v in section.column(c).to_pylist())]
                lines += ["", f"{kind} ({section.num_rows:,} row{'s' if section.num_rows != 1 else ''})",
                          analyst.format_result(section.select(columns), "table")]
        if not self.changes.num_rows:
            lines += ["", "Nothing changed for the focus country."]
        return "\n".join(lines)


    def markdown(self, max_rows: int = 50) -> str:
        """Counts, then the first `max_rows` changes, as Markdown (the history asset's metadata)."""
        def cell(value: object) -> str:
            return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")

        counts = self.counts()
        lines = [f"Focus country {self.focus_country}: vintage {self.from_vintage['vintage']} -> {self.to_vintage['vintage']}",
                 "", "| change | count |", "|---|---:|"]
        lines += [f"| {kind} | {counts[kind]:,} |" for kind in CHANGE_KINDS]
        names = self.changes.column_names
        lines += ["", "| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
        lines += ["| " + " | ".join(cell(row[n]) for n in names) + " |" for row in self.changes.slice(0, max_rows).to_pylist()]
        if self.changes.num_rows > max_rows:
            lines.append(f"\n{self.changes.num_rows - max_rows:,} more: `bilatrus diff` shows them all.")
        return "\n".join(lines)


def _equals(table: pa.Table, column: str, value: str) -> pa.Array:
    import pyarrow.compute as pc

    return pc.equal(table.column(column), value)


def diff_connection(con: duckdb.DuckDBPyConnection, from_vintage: str | int | None = None,
                    to_vintage: str | int | None = None, focus_country: str | None = None) -> VintageDiff:
    """The changes between two vintages (default: the last two) on an open warehouse connection."""
    import pyarrow as pa

    _require_history(con)
    to_v = resolve_vintage(con, to_vintage, 0)
    from_v = resolve_vintage(con, from_vintage, 1) if from_vintage is not None else _previous(con, to_v)
    focus = (focus_country or to_v["focus_country"] or "RU").upper()
    params = {"from_vintage": from_v["vintage"], "to_vintage": to_v["vintage"], "focus": focus}
    present = {name for (name,) in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND starts_with(view_name, ?)", [VIEW_PREFIX]
    ).fetchall()}
    parts = []
    for name, needs in (("vintage_diff_rows", ("fact_participation", "dim_project", "dim_organization")),
                        ("vintage_diff_figures", ("mart_country_participation", "mart_third_country_ranking",
                                                  "mart_partner_countries"))):
        if all(f"{VIEW_PREFIX}{t}" in present for t in needs):
            parts.append(_arrow(con, name, params))
    parts.append(_table_row_changes(con, from_v["seq"], to_v["seq"]))
    changes = pa.concat_tables([p.cast(parts[-1].schema) for p in parts]) if parts else pa.table({})
    return VintageDiff(from_v, to_v, focus, changes)


def _previous(con: duckdb.DuckDBPyConnection, to_v: dict[str, Any]) -> dict[str, Any]:
    rows = con.execute(f"SELECT vintage FROM {META_TABLE} WHERE seq < ? ORDER BY seq DESC LIMIT 1", [to_v["seq"]]).fetchall()
    if not rows:
        raise BilatrusError(f"Vintage {to_v['vintage']} is the oldest kept: there is nothing before it to compare with. "
                            f"A diff needs two vintages: run again once the sources have changed (on the demo mirror: "
                            f"`bilatrus demo --revise`), or give --from and --to (see `bilatrus vintages`).")
    return resolve_vintage(con, rows[0][0], 0)


def _table_row_changes(con: duckdb.DuckDBPyConnection, from_seq: int, to_seq: int) -> pa.Table:
    """Per recorded table: row versions only in the later vintage (added) and only in the earlier one (removed)."""
    import pyarrow as pa

    tables = [name for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? AND table_name <> ? "
        "ORDER BY table_name", [HISTORY_SCHEMA, MANIFEST_TABLE]
    ).fetchall()]
    template = queries.query_text("vintage_table_changes")
    rows = []
    for table in tables:
        added, removed = con.execute(template.replace("{table}", _ident(table)), {"from_seq": from_seq, "to_seq": to_seq}).fetchall()[0]
        for field_name, value in (("rows added", added), ("rows removed", removed)):
            if value:
                rows.append({"change": "table rows changed", "framework_programme": None, "project_id": None,
                             "subject": table, "name": None, "field": field_name, "from_value": None,
                             "to_value": str(value)})
    schema = pa.schema([(c, pa.string()) for c in ("change", "framework_programme", "project_id", "subject", "name",
                                                   "field", "from_value", "to_value")])
    return pa.Table.from_pylist(rows, schema=schema)


def diff(path: Path | str, from_vintage: str | int | None = None, to_vintage: str | int | None = None,
         focus_country: str | None = None) -> VintageDiff:
    """The changes between two vintages of the published warehouse at `path` (opened read-only)."""
    con = warehouse.open_readonly(path)
    try:
        return diff_connection(con, from_vintage, to_vintage, focus_country)
    finally:
        con.close()


def vintages_table(path: Path | str) -> pa.Table:
    """The vintages of the published warehouse at `path`."""
    con = warehouse.open_readonly(path)
    try:
        return list_vintages(con)
    finally:
        con.close()


def store_summary(history: Path) -> list[dict[str, Any]]:
    """The vintages of the store with their size on disk (bytes)."""
    out = []
    for v in chain(history):
        size = sum(p.stat().st_size for p in v.folder.iterdir() if p.is_file())
        out.append({"seq": v.seq, "vintage": v.label, "base": v.base, "bytes": size,
                    "rows_added": sum(e["added"] for e in v.tables.values()),
                    "rows_removed": sum(e["removed"] for e in v.tables.values())})
    return out

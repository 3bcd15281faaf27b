"""The vintage store on disk (`data/history/`): where it is, what a vintage records, reading the chain of
vintage folders, and the SQL helpers the recording, pruning and loading share (row identities, events).

See the package docstring for the layout of the store.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import provenance
from bilatrus_etl.warehouse.models import sql_literal

if TYPE_CHECKING:
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
        raise BilatrusError(
            f"{KEEP_ENV}={value!r} is not a whole number of vintages to keep (1 or more): fix or unset it."
        )
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
        raise BilatrusError(
            f"The history vintage {folder} cannot be read ({err}). Restore it from a backup or delete "
            f"the history folder {folder.parent} to start a new history."
        ) from err


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
        if datasets.get(str(row.get("dataset"))) == row.get("sha256"):
            latest[row["dataset"]] = row
    out = []
    for dataset, sha in sorted(datasets.items()):
        row = latest.get(dataset, {})
        out.append(
            {
                "dataset": dataset,
                "url": row.get("url"),
                "sha256": sha,
                "bytes": row.get("bytes"),
                "fetched_at": row.get("fetched_at"),
                "last_modified": row.get("last_modified"),
            }
        )
    return out


def _ident(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise BilatrusError(f"{name!r} is not a plain table or column name; the history keeps only such tables.")
    return f'"{name}"'


def _quote_column(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _path_literal(path: str | Path) -> str:
    return sql_literal(str(path))


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[list[str]]:
    return [[name, str(kind)] for name, kind, *_ in con.execute(f"DESCRIBE {relation}").fetchall()]


def _union(selects: list[str], empty: str) -> str:
    return " UNION ALL ".join(selects) if selects else empty


def _events(vintages: list[Vintage], table: str) -> str:
    """(_row_hash, seq, added) events of one table over the chain."""
    selects = []
    for v in vintages:
        if (path := v.added_file(table)) is not None:
            selects.append(f"SELECT {ROW_HASH}, {v.seq} AS seq, true AS added FROM read_parquet({_path_literal(path)})")
        if (path := v.removed_file(table)) is not None:
            selects.append(
                f"SELECT {ROW_HASH}, {v.seq} AS seq, false AS added FROM read_parquet({_path_literal(path)})"
            )
    return _union(selects, f"SELECT NULL::BLOB AS {ROW_HASH}, NULL::INTEGER AS seq, NULL::BOOLEAN AS added WHERE false")


def _state_at_end(vintages: list[Vintage], table: str) -> str:
    """Row hashes of one table in the last vintage of the chain."""
    return (
        f"SELECT {ROW_HASH} FROM ({_events(vintages, table)}) "
        f"QUALIFY row_number() OVER (PARTITION BY {ROW_HASH} ORDER BY seq DESC) = 1 AND added"
    )


# How the store's Parquet files are written. The store's rows are a set (every read joins or filters them by
# _row_hash), so the file need not keep the query's row order; Parquet 2 pages (delta encodings) are smaller
# than version 1's for the same zstd level and cheaper to write. Files written with other options read the same.
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARQUET_VERSION v2, PRESERVE_ORDER false"


def _copy(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> int:
    """Write the rows of `select` to the Parquet file `path`; return how many (the count COPY reports)."""
    return con.execute(f"COPY ({select}) TO {_path_literal(path)} ({PARQUET_OPTIONS})").fetchall()[0][0]


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
            (f"CAST({_quote_column(name)} AS {kind})" if name in present else f"CAST(NULL AS {kind})")
            + f" AS {_quote_column(name)}"
            for name, kind in columns
        )
        selects.append(
            f"SELECT {ROW_HASH}, {v.seq} AS _from_seq{', ' + casts if casts else ''} FROM read_parquet({_path_literal(path)})"
        )
    empty_casts = ", ".join(f"CAST(NULL AS {kind}) AS {_quote_column(name)}" for name, kind in columns)
    return _union(
        selects,
        f"SELECT NULL::BLOB AS {ROW_HASH}, NULL::INTEGER AS _from_seq"
        f"{', ' + empty_casts if empty_casts else ''} WHERE false",
    )

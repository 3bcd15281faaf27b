"""The landing steps every reader shares: DuckDB reads the rows, a SELECT shapes them, one transaction lands them.

- `read_csv_raw` lets DuckDB's CSV reader load the rows (explicit dialect, strict mode, all VARCHAR, no
  sniffing) into a temporary table, with `store_rejects` so malformed lines are kept with their line number,
  reason and raw text instead of failing the load (too many of them stop the load: the format changed);
  `raw_from_rows` does the same for rows already read in Python (spreadsheets).
- `land_select` builds the SELECT that turns that raw table into one of the landing shapes (`columns`);
  `land_csv` chains header, column mapping, read and select for a CSV file.
- `create_landing_tables` creates the (empty) landing tables; `commit_landed` swaps a load's rows in,
  replacing its slice, in one transaction.
- `sql_literal`: the one quoting of text into SQL for the ingest code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest.readers.columns import (
    LANDING_DESCRIPTIONS,
    LANDING_SHAPES,
    REJECT_COLUMNS,
    SOURCE_COLUMN_DOCS,
    TARGET_OF_LANDING,
    FileRef,
    Layout,
    map_columns,
)
from bilatrus_etl.ingest.readers.header import Header, encoding_message, sniff_header
from bilatrus_etl.warehouse.models import describe_table, sql_literal

MAX_REJECT_SHARE = 0.05
MAX_REJECTS_ALWAYS_ALLOWED = 10


# --------------------------------------------------------------------------------------- raw reads


@dataclass
class RawFile:
    """A file loaded as-is into temp tables: VARCHAR columns c0..cN, and its rejected lines.

    `source` is a FROM-able SQL expression giving c0..cN plus source_line; `temp_tables` are what to drop
    once the rows are in their landing table.
    """

    source: str
    rejects: str
    names: list[str]
    rows: int
    rejected: int
    temp_tables: list[str]


def temp_name(prefix: str) -> str:
    return f"_{prefix}_{uuid.uuid4().hex[:12]}"


def read_csv_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: Header,
    ref: FileRef,
    *,
    encoding: str = "utf-8",
    null_tokens: Sequence[str] = ("",),
) -> RawFile:
    """Load every parseable record of a CSV file with DuckDB; keep the others in a rejects table."""
    table, rejects_table, scan_table = temp_name("raw"), temp_name("rej"), temp_name("scan")
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header.names))) + "}"
    nullstr = "[" + ", ".join(sql_literal(t) for t in null_tokens) + "]"
    options = (
        f"delim={sql_literal(header.delimiter)}, quote='\"', escape='\"', header=true, auto_detect=false, "
        f"columns={columns}, all_varchar=true, strict_mode=true, nullstr={nullstr}, compression='none', "
        f"encoding={sql_literal(encoding)}, store_rejects=true, rejects_table={sql_literal(rejects_table)}, "
        f"rejects_scan={sql_literal(scan_table)}"
    )
    try:
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv({sql_literal(str(path))}, {options})")
    except duckdb.Error as err:
        drop_tables(con, [table, rejects_table, scan_table])
        raise BilatrusError(f"{ref.describe()} could not be read as CSV ({path}): {err}", dataset=ref.dataset) from err
    rejects, steps = f"{table}_rej", f"{table}_steps"
    try:
        rejected = _collect_rejects(con, rejects_table, rejects)
        _check_encoding(con, rejects, path, ref, encoding)
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        _check_reject_share(con, rejects, rows, rejected, path, ref)
        source = _numbered_source(con, table, rejects, steps, rejected)
    except BaseException:
        drop_tables(con, [table, rejects, steps])
        raise
    finally:
        drop_tables(con, [rejects_table, scan_table])
    return RawFile(source, rejects, list(header.names), rows, rejected, [table, steps])


def _collect_rejects(con: duckdb.DuckDBPyConnection, rejects_table: str, target: str) -> int:
    """One row per rejected line (DuckDB may report several errors for one line)."""
    con.execute(
        f"""CREATE TEMP TABLE {target} AS
        SELECT line AS source_line,
               string_agg(DISTINCT error_type || ': ' || error_message, '; ') AS reason,
               regexp_replace(first(csv_line ORDER BY byte_position), '^[\\r\\n]+', '') AS raw_record,
               bool_or(error_type = 'INVALID ENCODING') AS bad_encoding
        FROM {rejects_table}
        GROUP BY line
        ORDER BY line"""
    )
    return con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]


def _check_encoding(con: duckdb.DuckDBPyConnection, rejects: str, path: Path, ref: FileRef, encoding: str) -> None:
    row = con.execute(f"SELECT min(source_line), count(*) FROM {rejects} WHERE bad_encoding").fetchall()[0]
    if row[1]:
        where = f"{row[1]} line(s) with invalid byte sequences, the first at line {row[0]}"
        raise BilatrusError(encoding_message(ref, path, encoding, where), dataset=ref.dataset)


def _numbered_source(con: duckdb.DuckDBPyConnection, table: str, rejects: str, steps: str, rejected: int) -> str:
    """SQL giving the read rows with source_line: their record number, rejected records counted in.

    DuckDB numbers a rejected record by its position among all records (header = 1). A kept row's
    number is therefore 2 + its index among kept rows + the rejected records before it; a rejected record
    at line L with r rejects before it comes after exactly L - 2 - r kept rows. `rowid` is the read order.
    """
    if not rejected:
        return f"(SELECT *, rowid + 2 AS source_line FROM {table})"
    con.execute(
        f"""CREATE TEMP TABLE {steps} AS
        WITH marks AS (
            SELECT source_line - 2 - (row_number() OVER (ORDER BY source_line) - 1) AS kept_before,
                   row_number() OVER (ORDER BY source_line) AS rejects_so_far
            FROM {rejects}
        )
        SELECT kept_before, max(rejects_so_far) AS rejects_so_far FROM marks GROUP BY kept_before"""
    )
    return (
        f"(SELECT kept.* EXCLUDE (kept_index), kept.kept_index + 2 + coalesce(steps.rejects_so_far, 0) AS source_line "
        f"FROM (SELECT rowid AS kept_index, * FROM {table}) AS kept "
        f"ASOF LEFT JOIN {steps} AS steps ON kept.kept_index >= steps.kept_before)"
    )


def _check_reject_share(
    con: duckdb.DuckDBPyConnection, rejects: str, rows: int, rejected: int, path: Path, ref: FileRef
) -> None:
    """Many malformed lines mean the layout or dialect changed: stop instead of quarantining the file."""
    total = rows + rejected
    if rejected == 0 or (rows and (rejected <= MAX_REJECTS_ALWAYS_ALLOWED or rejected / total <= MAX_REJECT_SHARE)):
        return
    first = con.execute(f"SELECT source_line, reason FROM {rejects} ORDER BY source_line LIMIT 1").fetchall()[0]
    raise BilatrusError(
        f"{ref.describe()}: {rejected:,} of {total:,} records are malformed (first at line {first[0]}: "
        f"{first[1]}); the file's format has probably changed (delimiter, quoting or number of columns). "
        f"Nothing was loaded from {path}.",
        dataset=ref.dataset,
    )


def raw_from_rows(
    con: duckdb.DuckDBPyConnection, names: Sequence[str], rows: Iterable[tuple[int, Sequence[str | None]]]
) -> RawFile:
    """A RawFile from rows already read in Python (spreadsheets): (line number, cell texts)."""
    import pyarrow as pa

    lines: list[int] = []
    cells: list[list[str | None]] = [[] for _ in names]
    for line, values in rows:
        lines.append(line)
        for index, column in enumerate(cells):
            column.append(values[index] if index < len(values) else None)
    data = {f"c{i}": pa.array(column, type=pa.string()) for i, column in enumerate(cells)}
    data["source_line"] = pa.array(lines, type=pa.int64())
    table, view = temp_name("raw"), temp_name("arrow")
    con.register(view, pa.table(data))
    try:
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)
    con.execute(
        f"CREATE TEMP TABLE {table}_rej (source_line BIGINT, reason VARCHAR, raw_record VARCHAR, bad_encoding BOOLEAN)"
    )
    return RawFile(table, f"{table}_rej", list(names), len(lines), 0, [table])


# --------------------------------------------------------------------------------- landed selects


@dataclass
class LandedFile:
    """One file's rows ready for a landing table: the SELECT giving them, and the file's rejects."""

    landing_table: str
    select_sql: str
    rejects_table: str
    temp_tables: list[str]
    ref: FileRef
    source_format: str
    rows: int
    rejected: int
    framework_programmes: list[str] = field(default_factory=list)

    @property
    def all_temp_tables(self) -> list[str]:
        return [*self.temp_tables, self.rejects_table]


def mapped_columns(mapping: dict[str, int], columns: Sequence[str]) -> list[str]:
    """SELECT expressions giving each canonical column from the raw table (NULL when the file lacks it)."""
    return [
        f"c{mapping[name]} AS {name}" if name in mapping else f"CAST(NULL AS VARCHAR) AS {name}" for name in columns
    ]


def record_hash_sql(width: int) -> str:
    """The duplicate key of a raw record: DuckDB's 64-bit hash() over every field, mapped or not, as text.

    One hash call over the fields (NULL and '' hash differently, and field boundaries count), not an md5 of
    the record's text: exact copies share it; two different records of one file share it with a chance of
    about n^2 / 2^65 (1 in 10^8 for a file of 500,000 records).
    """
    return f"CAST(hash({', '.join(f'c{i}' for i in range(width))}) AS VARCHAR)"


def land_select(
    con: duckdb.DuckDBPyConnection,
    raw: RawFile,
    mapping: dict[str, int],
    landing_table: str,
    ref: FileRef,
    source_format: str,
    *,
    framework_programme_sql: str | None = None,
    where: str | None = None,
    first_per_project: bool = False,
) -> LandedFile:
    """The SELECT turning a raw file into one landing shape (rows kept in file order), and its row count.

    With `first_per_project`, only the first row (lowest line) of each project id is kept.
    """
    columns = LANDING_SHAPES[landing_table]
    meta = {
        "framework_programme": framework_programme_sql or sql_literal(ref.programme),
        "dataset": sql_literal(ref.dataset),
        "source_format": sql_literal(source_format),
        "source_file": sql_literal(ref.source_file),
        "record_hash": record_hash_sql(len(raw.names)),
    }
    canonical = [c for c in columns if c not in meta]
    select = mapped_columns(mapping, canonical) + [f"{meta[name]} AS {name}" for name in columns if name in meta]
    sql = f"SELECT {', '.join(select)}, source_line FROM {raw.source}" + (f" WHERE {where}" if where else "")
    if first_per_project:
        sql = (
            f"SELECT * FROM ({sql}) QUALIFY row_number() OVER (PARTITION BY trim(project_id) ORDER BY source_line) = 1"
        )
    # every row of the raw file lands unless filtered: count again only then (a scan of the whole file)
    rows = (
        raw.rows
        if where is None and not first_per_project
        else con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0]
    )
    return LandedFile(landing_table, sql, raw.rejects, list(raw.temp_tables), ref, source_format, rows, raw.rejected)


def land_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    layout: Layout,
    landing_table: str,
    ref: FileRef,
    source_format: str,
    *,
    encoding: str = "utf-8",
    null_tokens: Sequence[str] = ("",),
) -> LandedFile:
    """Sniff, map by name, read with DuckDB and shape into a landing table: the steps every CSV shares."""
    header = sniff_header(path, ref, encoding=encoding)
    mapping = map_columns(header.names, layout, ref)
    raw = read_csv_raw(con, path, header, ref, encoding=encoding, null_tokens=null_tokens)
    try:
        return land_select(con, raw, mapping, landing_table, ref, source_format)
    except BaseException:
        drop_tables(con, [*raw.temp_tables, raw.rejects])
        raise


def drop_tables(con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
    for table in tables:
        con.execute(f"DROP TABLE IF EXISTS {table}")


# ------------------------------------------------------------------------------- landing tables


def create_landing_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the (empty) landing tables if missing, so SQL models always have something to read.

    A landing table left by an older version of this code gets the columns it lacks (NULL in old rows).
    """
    shapes = {
        name: [(c, "VARCHAR") for c in cols] + [("source_line", "BIGINT")] for name, cols in LANDING_SHAPES.items()
    }
    shapes["land_rejects"] = [(c, "BIGINT" if c == "source_line" else "VARCHAR") for c in REJECT_COLUMNS]
    for name, columns in shapes.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(f'{c} {t}' for c, t in columns)})")
        present = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = current_schema()",
                [name],
            ).fetchall()
        }
        for column, sql_type in columns:
            if column not in present:
                con.execute(f"ALTER TABLE {name} ADD COLUMN {column} {sql_type}")
        if name in LANDING_DESCRIPTIONS:
            describe_table(con, name, LANDING_DESCRIPTIONS[name], SOURCE_COLUMN_DOCS)


def commit_landed(
    con: duckdb.DuckDBPyConnection, landed: Sequence[LandedFile], slices: Sequence[tuple[str, str]]
) -> None:
    """In one transaction: delete the replaced slices, insert the landed rows and their rejects.

    `slices` are (landing table, WHERE condition) pairs naming the rows this load replaces; the
    condition is applied to `land_rejects` too (restricted to that table's target).
    """
    con.execute("BEGIN TRANSACTION")
    try:
        for table, condition in slices:
            con.execute(f"DELETE FROM {table} WHERE {condition}")
            target = TARGET_OF_LANDING[table]
            con.execute(f"DELETE FROM land_rejects WHERE target_table = {sql_literal(target)} AND ({condition})")
        for item in landed:
            con.execute(f"INSERT INTO {item.landing_table} BY NAME {item.select_sql}")
        seen: set[str] = set()
        for item in landed:
            if item.rejects_table not in seen:
                seen.add(item.rejects_table)
                _insert_rejects(con, item)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        drop_tables(con, dict.fromkeys(t for i in landed for t in i.all_temp_tables))


def _insert_rejects(con: duckdb.DuckDBPyConnection, item: LandedFile) -> None:
    target = TARGET_OF_LANDING[item.landing_table]
    programme = item.ref.programme or (item.framework_programmes[0] if len(item.framework_programmes) == 1 else None)
    con.execute(
        f"""INSERT INTO land_rejects BY NAME
        SELECT {sql_literal(item.ref.dataset)} AS dataset, {sql_literal(programme)} AS framework_programme,
               {sql_literal(item.source_format)} AS source_format, {sql_literal(item.ref.source_file)} AS source_file,
               {sql_literal(target)} AS target_table, source_line, 'malformed line: ' || reason AS reason, raw_record
        FROM {item.rejects_table}"""
    )

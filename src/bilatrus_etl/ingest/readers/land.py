"""The landing steps every reader shares: a SELECT shapes a file's records, one transaction lands them.

- `land_csv` chains header, column mapping and the landing SELECT for a CSV file; DuckDB reads the file once,
  straight into its landing table, when the load is committed (`raw.CsvRead`).
- `land_select` builds the SELECT that turns a file loaded as-is (`raw.RawFile`: Dashboard exports,
  spreadsheets) into one of the landing shapes (`columns`).
- `create_landing_tables` creates the (empty) landing tables; `commit_landed` replaces a load's slices with its
  rows, in one transaction: a file that fails to read leaves the landing tables as they were.
- `sql_literal`: the one quoting of text into SQL for the ingest code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bilatrus_etl.ingest.readers.columns import (
    LANDING_DESCRIPTIONS,
    LANDING_SHAPES,
    SOURCE_COLUMN_DOCS,
    TARGET_OF_LANDING,
    FileRef,
    Layout,
    landing_columns,
    map_columns,
)
from bilatrus_etl.ingest.readers.header import sniff_header
from bilatrus_etl.ingest.readers.raw import (
    LINE_SHIFTS,
    LINE_SHIFTS_COLUMNS,
    LINE_SHIFTS_DESCRIPTION,
    CsvInsert,
    CsvRead,
    RawFile,
    apply_line_shifts,
    drop_tables,
    landing_threads,
    read_all_into,
)
from bilatrus_etl.warehouse.models import describe_table, sql_literal, transaction

# --------------------------------------------------------------------------------- landed selects


@dataclass
class LandedFile:
    """One file's rows ready for a landing table: the SELECT giving them, and the file's rejects.

    With `csv` set, the SELECT reads the file itself: `commit_landed` runs it and then sets `rows` and
    `rejected` (0 until then).
    """

    landing_table: str
    select_sql: str
    rejects_table: str
    temp_tables: list[str]
    ref: FileRef
    source_format: str
    rows: int
    rejected: int
    framework_programmes: list[str] = field(default_factory=list)
    csv: CsvRead | None = None

    @property
    def all_temp_tables(self) -> list[str]:
        return [*self.temp_tables, self.rejects_table]


def mapped_columns(mapping: dict[str, int], columns: Sequence[str]) -> list[str]:
    """SELECT expressions giving each canonical column from the raw table (NULL when the file lacks it)."""
    return [
        f"c{mapping[name]} AS {name}" if name in mapping else f"CAST(NULL AS VARCHAR) AS {name}" for name in columns
    ]


def record_hash_sql(width: int) -> str:
    """The duplicate key of a raw record: DuckDB's 64-bit hash() over every field, mapped or not (a UBIGINT).

    One hash call over the fields (NULL and '' hash differently, and field boundaries count), not an md5 of
    the record's text: exact copies share it; two different records of one file share it with a chance of
    about n^2 / 2^65 (1 in 10^8 for a file of 500,000 records). Kept as the number, not its digits as text:
    the staging models group a file's records by it, which is several times cheaper on a UBIGINT, and it is
    stored in a few bytes.
    """
    return f"hash({', '.join(f'c{i}' for i in range(width))})"


def shaped_columns(
    landing_table: str,
    mapping: dict[str, int],
    width: int,
    ref: FileRef,
    source_format: str,
    framework_programme_sql: str | None = None,
) -> list[str]:
    """SELECT expressions giving a landing shape's columns (all but source_line) from c0..c{width-1}."""
    columns = LANDING_SHAPES[landing_table]
    meta = {
        "framework_programme": framework_programme_sql or sql_literal(ref.programme),
        "dataset": sql_literal(ref.dataset),
        "source_format": sql_literal(source_format),
        "source_file": sql_literal(ref.source_file),
        "record_hash": record_hash_sql(width),
    }
    canonical = [c for c in columns if c not in meta]
    return mapped_columns(mapping, canonical) + [f"{meta[name]} AS {name}" for name in columns if name in meta]


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
    select = shaped_columns(landing_table, mapping, len(raw.names), ref, source_format, framework_programme_sql)
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
    """Sniff the header, map it by name and shape the file into a landing table: the steps every CSV shares.

    The header and the required columns are checked now; DuckDB reads the records (once, straight into the
    landing table) when the load is committed, which is also when a file that is mostly malformed or not in
    `encoding` is refused. `con` is not used before then.
    """
    header = sniff_header(path, ref, encoding=encoding)
    mapping = map_columns(header.names, layout, ref)
    read = CsvRead.of(path, header, ref, encoding, null_tokens)
    select = shaped_columns(landing_table, mapping, len(header.names), ref, source_format)
    sql = f"SELECT {', '.join(select)}, provisional_line AS source_line FROM {read.source_sql()}"
    return LandedFile(landing_table, sql, read.rejects, list(read.temp_tables), ref, source_format, 0, 0, csv=read)


# ------------------------------------------------------------------------------- landing tables


#: The landing tables of the programmes' files (and of every file's malformed lines).
PROGRAMME_LANDING_TABLES = ("land_project", "land_participation", "land_rejects")


def create_landing_tables(con: duckdb.DuckDBPyConnection, names: Sequence[str] | None = None) -> None:
    """Create the (empty) landing tables (`names`, default every one) if missing, so SQL models always have
    something to read.

    A landing table left by an older version of this code gets the columns it lacks (NULL in old rows). Tables that
    exist as declared, with their descriptions, are left untouched: no catalog change, so steps that run side by side
    (the programmes' landing beside the reference staging) may both call this once the tables exist.
    """
    for name in names or (*LANDING_SHAPES, "land_rejects"):
        columns = landing_columns(name)
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(f'{c} {t}' for c, t in columns)})")
        present = dict(
            con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
                "AND schema_name = current_schema()",
                [name],
            ).fetchall()
        )
        for column, sql_type in columns:
            if column not in present:
                con.execute(f"ALTER TABLE {name} ADD COLUMN {column} {sql_type}")
        if present.get("record_hash") == "VARCHAR":
            _record_hash_as_number(con, name)
        if name in LANDING_DESCRIPTIONS and not _described(con, name, LANDING_DESCRIPTIONS[name], SOURCE_COLUMN_DOCS):
            describe_table(con, name, LANDING_DESCRIPTIONS[name], SOURCE_COLUMN_DOCS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {LINE_SHIFTS} ({', '.join(f'{c} {t}' for c, t in LINE_SHIFTS_COLUMNS)})")
    if not _described(con, LINE_SHIFTS, LINE_SHIFTS_DESCRIPTION, {}):
        describe_table(con, LINE_SHIFTS, LINE_SHIFTS_DESCRIPTION, {})


def _described(con: duckdb.DuckDBPyConnection, table: str, description: str, column_docs: dict[str, str]) -> bool:
    """Whether the table's comment and its documented columns' comments are already these."""
    comments = dict(
        con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ? AND schema_name = current_schema() "
            "AND database_name = current_database()",
            [table],
        ).fetchall()
    )
    stored = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE table_name = ? AND schema_name = current_schema() "
        "AND database_name = current_database()",
        [table],
    ).fetchall()
    return (
        bool(stored)
        and stored[0][0] == description
        and all(comments[column] == doc for column, doc in column_docs.items() if column in comments)
    )


def _record_hash_as_number(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """A landing table of an older version kept record_hash as text: the digits of the same hash() (read back as
    the number), or an md5 before that (hashed again). Records are compared within one file, which is always
    landed whole by one version, so exact copies keep sharing their key."""
    con.execute(
        f"ALTER TABLE {table} ALTER record_hash TYPE UBIGINT "
        "USING coalesce(TRY_CAST(record_hash AS UBIGINT), hash(record_hash))"
    )


def commit_landed(
    con: duckdb.DuckDBPyConnection, landed: Sequence[LandedFile], slices: Sequence[tuple[str, str]]
) -> None:
    """In one transaction: delete the replaced slices, insert the landed rows (reading CSV files) and their rejects.

    The CSV files of one landing table are read by one INSERT (`raw.read_all_into`), on one DuckDB thread or side
    by side as suits their size (`raw.landing_threads`): a load of several programmes fills whole row groups.

    `slices` are (landing table, WHERE condition) pairs naming the rows this load replaces; the
    condition is applied to `land_rejects` too (restricted to that table's target). A CSV file must not be
    loaded again without replacing its slice. Any error rolls the whole load back. The rows after a file's malformed
    lines are renumbered in a second transaction (`raw.apply_line_shifts`; recorded in the first, so an
    interruption between the two leaves them for the next staging to apply).
    """
    try:
        with landing_threads(con, [item.csv for item in landed if item.csv is not None]), transaction(con):
            for table, condition in slices:
                con.execute(f"DELETE FROM {table} WHERE {condition}")
                target = TARGET_OF_LANDING[table]
                con.execute(f"DELETE FROM land_rejects WHERE target_table = {sql_literal(target)} AND ({condition})")
            files = [(item, item.csv) for item in landed if item.csv is not None]
            counts = read_all_into(con, [CsvInsert(read, item.landing_table, item.select_sql) for item, read in files])
            for (item, _), (rows, rejected) in zip(files, counts, strict=True):
                item.rows, item.rejected = rows, rejected
            for item in landed:
                if item.csv is None:
                    con.execute(f"INSERT INTO {item.landing_table} BY NAME {item.select_sql}")
            seen: set[str] = set()
            for item in landed:
                if item.rejects_table not in seen:
                    seen.add(item.rejects_table)
                    _insert_rejects(con, item)
    finally:
        drop_tables(con, dict.fromkeys(t for i in landed for t in i.all_temp_tables))
    # the rows after malformed lines get their line numbers in a transaction of their own (raw.LINE_SHIFTS)
    apply_line_shifts(con, [item.ref for item in landed if item.csv is not None])


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

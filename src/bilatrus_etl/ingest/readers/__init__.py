"""Readers: land one upstream file into DuckDB, columns mapped by name onto canonical names, all VARCHAR.

Every reader goes through the same steps, shared here:

1. `sniff_header` reads the first line in Python: refuses empty files, binary or HTML files, text that is
   not in the expected encoding, and finds the delimiter (`;`, `,` or tab) from the header line.
2. `map_columns` maps the header's names onto a `Layout`'s canonical columns by name, through aliases,
   ignoring case, spaces, punctuation and a BOM (`projectID`, `project_id` and `Project ID` are one name).
   A required column that is missing raises a BilatrusError naming the dataset, the file and the column,
   and listing the columns found. Never by position.
3. `read_csv_raw` lets DuckDB's CSV reader load the rows (explicit dialect, strict mode, all VARCHAR,
   no sniffing) into a temporary table, with `store_rejects` so malformed lines are kept with their
   line number, reason and raw text instead of failing the load.
4. `land_select` builds the SELECT that turns that raw table into one of the landing shapes below;
   `commit_landed` swaps it in, replacing the load's slice, in one transaction.

The landing tables (one per shape, all programmes together; a load replaces its own slice):

- `land_project`, `land_participation`: the canonical columns (VARCHAR, as in the file) plus
  framework_programme, dataset, source_format (legacy_csv, cordis_csv, dashboard_csv, dashboard_xlsx),
  source_file (the file name as fetched, `zip!member` for an archive member), record_hash (DuckDB's
  hash() of every field of the source record, mapped or not: exact duplicates share it) and source_line.
- `land_rejects`: lines DuckDB could not parse, one row per line: dataset, framework_programme,
  source_format, source_file, target_table, source_line, reason, raw_record.
- `land_ref_country`, `land_ref_programme`, `land_ref_activity_type`, `land_ref_funding_scheme`,
  `land_ref_sic_code`: the cordisref tables, every language kept.

source_line is the record's line number in the file, the header being line 1 (as DuckDB numbers lines).
It is the physical line unless an earlier quoted value spans several lines; for spreadsheets it is the
sheet's row number.
"""

from __future__ import annotations

import codecs
import csv
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse.models import describe_table, sql_literal

PROJECT_COLUMNS: tuple[str, ...] = (
    "project_id", "rcn", "acronym", "status", "title", "programme_code", "topic", "topic_description",
    "thematic_priority", "funding_scheme", "call", "start_date", "end_date", "ec_signature_date",
    "total_cost", "ec_max_contribution", "participations", "content_update_date",
)
PARTICIPATION_COLUMNS: tuple[str, ...] = (
    "project_id", "project_rcn", "project_acronym", "pic", "vat_number", "name", "short_name", "sme",
    "activity_type", "role", "street", "post_code", "city", "country", "nuts_code", "geolocation",
    "organization_url", "ec_contribution", "net_ec_contribution", "total_cost", "end_of_participation",
    "active", "order_no", "rcn", "content_update_date",
)
SOURCE_COLUMNS: tuple[str, ...] = ("framework_programme", "dataset", "source_format", "source_file", "record_hash")
REF_COLUMNS: dict[str, tuple[str, ...]] = {
    "land_ref_country": ("cordis_code", "iso_code", "name", "language"),
    "land_ref_programme": ("framework_programme", "rcn", "code", "title", "short_title", "language"),
    "land_ref_activity_type": ("code", "title", "description", "language"),
    "land_ref_funding_scheme": ("code", "title", "description", "language"),
    "land_ref_sic_code": ("code", "title", "description", "language"),
}
REJECT_COLUMNS: tuple[str, ...] = (
    "dataset", "framework_programme", "source_format", "source_file", "target_table", "source_line",
    "reason", "raw_record",
)
LANDING_SHAPES: dict[str, tuple[str, ...]] = {
    "land_project": PROJECT_COLUMNS + SOURCE_COLUMNS,
    "land_participation": PARTICIPATION_COLUMNS + SOURCE_COLUMNS,
    **{name: cols + ("dataset", "source_file") for name, cols in REF_COLUMNS.items()},
}
TARGET_OF_LANDING: dict[str, str] = {
    "land_project": "stg_project",
    "land_participation": "stg_participation",
    "land_ref_country": "stg_country",
    "land_ref_programme": "stg_programme_ref",
    "land_ref_activity_type": "stg_activity_type",
    "land_ref_funding_scheme": "stg_funding_scheme",
    "land_ref_sic_code": "land_ref_sic_code",
}

LANDING_DESCRIPTIONS: dict[str, str] = {
    "land_project": "Project rows as read from each programme's project file: canonical column names, text as in the file.",
    "land_participation": "Participant rows as read from each programme's organisation file: canonical names, text as in the file.",
    "land_rejects": "Lines the CSV reader could not parse, with file, line, reason and the raw text (feeds quarantine).",
    "land_ref_country": "cordisref countries as read: CORDIS code, ISO code, names in every language.",
    "land_ref_programme": "cordisref FP7 and H2020 programme codes and titles as read, every language.",
    "land_ref_activity_type": "cordisref organisation activity types as read.",
    "land_ref_funding_scheme": "cordisref funding scheme categories as read.",
    "land_ref_sic_code": "cordisref subject (SIC) codes as read, every language.",
}
SOURCE_COLUMN_DOCS: dict[str, str] = {
    "framework_programme": "framework programme of the file (FP6, FP7, H2020, HE)",
    "dataset": "catalog key of the source dataset",
    "source_format": "layout the reader recognised",
    "source_file": "file the row came from (zip!member for archive members)",
    "source_line": "record number in the file, the header being line 1",
    "record_hash": "64-bit hash() of every field of the source record, mapped or not (finds exact duplicates)",
    "reason": "why the line was rejected",
    "raw_record": "the rejected line as read",
}

DELIMITERS: tuple[str, ...] = (";", ",", "\t")
HEAD_BYTES = 1 << 16
MAX_REJECT_SHARE = 0.05
MAX_REJECTS_ALWAYS_ALLOWED = 10
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def name_key(name: str) -> str:
    """A column name reduced for matching: no BOM, lower case, letters and digits only."""
    return _NON_ALNUM.sub("", name.replace("\ufeff", "").strip().lower())


# ----------------------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class Column:
    """A canonical column and the header names it may have in a file, in order of preference."""

    name: str
    aliases: tuple[str, ...]
    required: bool = False


@dataclass(frozen=True)
class Layout:
    """One upstream file layout: what it is called in messages and its columns."""

    title: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def col(name: str, *aliases: str, required: bool = False) -> Column:
    """A Column whose aliases always include its own canonical name."""
    return Column(name, tuple(dict.fromkeys((*aliases, name))), required)


@dataclass(frozen=True)
class FileRef:
    """Who a file is, for messages and lineage: dataset key, framework programme, name as fetched."""

    dataset: str
    source_file: str
    programme: str | None = None

    def describe(self) -> str:
        where = f" of {self.programme}" if self.programme else ""
        return f"{self.source_file}{where} (dataset {self.dataset})"


def map_columns(names: Sequence[str], layout: Layout, ref: FileRef) -> dict[str, int]:
    """Canonical column -> position of the header name that matches it (first alias found wins)."""
    position: dict[str, int] = {}
    for index, name in enumerate(names):
        position.setdefault(name_key(name), index)
    mapping: dict[str, int] = {}
    missing: list[Column] = []
    for column in layout.columns:
        found = next((position[k] for k in map(name_key, column.aliases) if k in position), None)
        if found is not None:
            mapping[column.name] = found
        elif column.required:
            missing.append(column)
    if missing:
        raise BilatrusError(_missing_message(missing, names, layout, ref), dataset=ref.dataset)
    return mapping


def _missing_message(missing: list[Column], names: Sequence[str], layout: Layout, ref: FileRef) -> str:
    parts = []
    for column in missing:
        others = [a for a in column.aliases if a != column.name]
        alias = f" (or an alias: {', '.join(others)})" if others else ""
        parts.append(f"'{column.name}'{alias}")
    found = ", ".join(n.replace("\ufeff", "") for n in names) or "(none)"
    return (
        f"expected column {' and '.join(parts)} in {ref.describe()}, read as the {layout.title} layout; "
        f"found: {found}. The publisher may have renamed or dropped the column: check the file, and if the "
        "new name is right, add it as an alias in bilatrus_etl/ingest/readers/."
    )


# ------------------------------------------------------------------------------------ header sniff


@dataclass(frozen=True)
class Header:
    """The first line of a delimited text file."""

    names: list[str]
    delimiter: str


def sniff_header(path: Path, ref: FileRef, *, encoding: str = "utf-8") -> Header:
    """Read and check the header line: not empty, text, in `encoding`, with a known delimiter."""
    path = Path(path)
    if not path.is_file():
        raise BilatrusError(f"{ref.describe()}: no such file {path}", dataset=ref.dataset)
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head.strip():
        raise BilatrusError(
            f"{ref.describe()} is empty ({size} bytes at {path}): the download was probably cut short; "
            "fetch it again.",
            dataset=ref.dataset,
        )
    _refuse_binary(head, path, ref)
    first, _, rest = head.partition(b"\n")
    if not rest and size > len(head):
        raise BilatrusError(
            f"{ref.describe()} does not look like CSV text: its first line is longer than {HEAD_BYTES} bytes ({path}).",
            dataset=ref.dataset,
        )
    line = _decode_header(first, path, ref, encoding).lstrip("\ufeff").rstrip("\r")
    delimiter = _delimiter(line)
    if delimiter is None:
        raise BilatrusError(
            f"{ref.describe()} does not look like CSV text: no ';', ',' or tab in its first line "
            f"{line[:120]!r} ({path}).",
            dataset=ref.dataset,
        )
    names = next(csv.reader([line], delimiter=delimiter, quotechar='"'))
    if size <= len(head) and not rest.strip():
        raise BilatrusError(
            f"{ref.describe()} has a header but no data rows ({path}): the download was probably cut short; "
            "fetch it again.",
            dataset=ref.dataset,
        )
    return Header([n.strip() for n in names], delimiter)


def _refuse_binary(head: bytes, path: Path, ref: FileRef) -> None:
    kinds = {b"PK\x03\x04": "a zip archive", b"\x1f\x8b": "a gzip file", b"%PDF": "a PDF document",
             b"\xd0\xcf\x11\xe0": "an old Excel/OLE document"}
    for magic, kind in kinds.items():
        if head.startswith(magic):
            raise BilatrusError(
                f"{ref.describe()} is {kind}, not CSV text ({path}): the catalog entry or the archive member "
                "is wrong, or the server sent something else.",
                dataset=ref.dataset,
            )
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if start.startswith((b"<!doctype", b"<html", b"<?xml")):
        raise BilatrusError(
            f"{ref.describe()} is an HTML/XML page, not CSV text ({path}): the server probably answered with "
            "an error or login page; check the URL or the mirror.",
            dataset=ref.dataset,
        )
    if b"\x00" in head:
        raise BilatrusError(
            f"{ref.describe()} is binary (it holds NUL bytes), not CSV text ({path}); a UTF-16 file would "
            "also look like this: re-save it as UTF-8.",
            dataset=ref.dataset,
        )


def _decode_header(first: bytes, path: Path, ref: FileRef, encoding: str) -> str:
    try:
        return codecs.decode(first, _python_codec(encoding))
    except UnicodeDecodeError as err:
        raise BilatrusError(_encoding_message(ref, path, encoding, f"byte 0x{first[err.start]:02X} at offset "
                                              f"{err.start} of the header line"), dataset=ref.dataset) from err


def _python_codec(encoding: str) -> str:
    return "utf-8-sig" if encoding.lower().replace("_", "-") in {"utf-8", "utf8"} else encoding


def _encoding_message(ref: FileRef, path: Path, encoding: str, where: str) -> str:
    return (
        f"{ref.describe()} is not {encoding} text ({where}; {path}). CORDIS publishes UTF-8: the file may have "
        "been re-saved in another encoding (Windows-1252/Latin-1?). Re-save it as UTF-8, or, where the "
        "publisher documents Latin-1, read it with encoding='latin-1'."
    )


def _delimiter(line: str) -> str | None:
    counts = {d: _count_outside_quotes(line, d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


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
    row = con.execute(
        f"SELECT min(source_line), count(*) FROM {rejects} WHERE bad_encoding"
    ).fetchall()[0]
    if row[1]:
        where = f"{row[1]} line(s) with invalid byte sequences, the first at line {row[0]}"
        raise BilatrusError(_encoding_message(ref, path, encoding, where), dataset=ref.dataset)


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
        f"c{mapping[name]} AS {name}" if name in mapping else f"CAST(NULL AS VARCHAR) AS {name}"
        for name in columns
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
        sql = (f"SELECT * FROM ({sql}) QUALIFY row_number() OVER (PARTITION BY trim(project_id) "
               "ORDER BY source_line) = 1")
    # every row of the raw file lands unless filtered: count again only then (a scan of the whole file)
    rows = raw.rows if where is None and not first_per_project else con.execute(
        f"SELECT count(*) FROM ({sql})").fetchall()[0][0]
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

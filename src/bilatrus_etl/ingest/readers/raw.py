"""DuckDB's CSV reader in the readers' dialect, and what it rejects: the record reads under every landing.

- `read_csv_sql`: the one read_csv call (explicit dialect, strict mode, all VARCHAR, no sniffing) with
  `store_rejects`, so malformed lines are kept with their line number, reason and raw text instead of failing
  the load; too many of them stop the load (the format changed).
- `CsvRead` and `read_all_into`: each file read once, straight into its landing table inside the caller's
  transaction (no temporary copy; the files of one landing table in one INSERT, so that they fill whole row
  groups). source_line comes from the file order (`row_number() OVER ()`) and is shifted past the rejected
  lines when there are any, in a transaction after the load's (`apply_line_shifts`, LINE_SHIFTS). That window is a streaming window, which DuckDB never runs in parallel: each file is
  read on one thread, in order. A small load runs on one DuckDB thread, its rows filling one row group after
  the other, compressed once by the commit's checkpoint; a large one is read side by side, one thread per file
  (`landing_threads`: side by side, each of DuckDB's threads leaves a partly filled row group that the checkpoint
  reads and compresses again, most of a small load); a parallel read of each file into a temporary copy
  renumbered afterwards costs more CPU and memory.
- `read_csv_raw` / `raw_from_rows`: a file loaded as-is into a temporary table, for a reader that shapes one file
  into several landing tables (Horizon Dashboard exports), or rows already read in Python (spreadsheets).
- `temp_name`, `drop_tables`: the temporary tables of a load.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest.readers.columns import FileRef
from bilatrus_etl.ingest.readers.header import Header, encoding_message
from bilatrus_etl.warehouse.models import sql_literal, transaction

MAX_REJECT_SHARE = 0.05
MAX_REJECTS_ALWAYS_ALLOWED = 10


def temp_name(prefix: str) -> str:
    return f"_{prefix}_{uuid.uuid4().hex[:12]}"


def drop_tables(con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
    for table in tables:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def read_csv_sql(
    path: Path, header: Header, encoding: str, null_tokens: Sequence[str], rejects_table: str, scan_table: str
) -> str:
    """The read_csv call giving a file's records as VARCHAR columns c0..cN, malformed lines kept aside."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header.names))) + "}"
    nullstr = "[" + ", ".join(sql_literal(t) for t in null_tokens) + "]"
    options = (
        f"delim={sql_literal(header.delimiter)}, quote='\"', escape='\"', header=true, auto_detect=false, "
        f"columns={columns}, all_varchar=true, strict_mode=true, nullstr={nullstr}, compression='none', "
        f"encoding={sql_literal(encoding)}, store_rejects=true, rejects_table={sql_literal(rejects_table)}, "
        f"rejects_scan={sql_literal(scan_table)}"
    )
    return f"read_csv({sql_literal(str(path))}, {options})"


# ------------------------------------------------------------------------ straight into the landing table


@dataclass(frozen=True)
class CsvRead:
    """A CSV file that DuckDB reads straight into its landing table when the load is committed.

    `rejects` receives the file's malformed lines (one row per line); `temp_tables` are DuckDB's own reject
    tables and the line shifts, dropped after the commit.
    """

    path: Path
    header: Header
    ref: FileRef
    encoding: str
    null_tokens: tuple[str, ...]
    rejects: str
    temp_tables: tuple[str, str, str]

    @classmethod
    def of(cls, path: Path, header: Header, ref: FileRef, encoding: str, null_tokens: Sequence[str]) -> CsvRead:
        tables = (temp_name("rej"), temp_name("scan"), temp_name("steps"))
        return cls(Path(path), header, ref, encoding, tuple(null_tokens), temp_name("rejects"), tables)

    def source_sql(self) -> str:
        """FROM-able SQL: the file's records (c0..cN) and provisional_line, the line it would have without rejects."""
        call = read_csv_sql(self.path, self.header, self.encoding, self.null_tokens, *self.temp_tables[:2])
        return f"(SELECT *, row_number() OVER () + 1 AS provisional_line FROM {call})"


def read_all_into(con: duckdb.DuckDBPyConnection, reads: Sequence[CsvInsert]) -> list[tuple[int, int]]:
    """Insert files' records into their landing tables (inside the caller's transaction): (rows, rejected) of each.

    The files of one landing table go in one INSERT (a UNION ALL of their reads): every INSERT writes row groups
    of its own, so files inserted one by one each leave a partly filled row group behind, and DuckDB's next
    checkpoint merges those by reading and compressing again most of the table; inserted together they fill
    whole row groups. Each file keeps its own read_csv (dialect, rejects) and its own line numbers.
    Raises a BilatrusError (the caller rolls back) when a file cannot be read, is not in its encoding or is
    mostly malformed. A file's rows are told by dataset, source_file and programme: its slice was deleted in
    this transaction, so they are exactly the rows just inserted (checked before they are renumbered).
    """
    counts: dict[int, tuple[int, int]] = {}
    by_table: dict[str, list[int]] = {}
    for index, item in enumerate(reads):
        by_table.setdefault(item.landing_table, []).append(index)
    for table, indexes in by_table.items():
        items = [reads[i] for i in indexes]
        mine = [_rows_of_file(item.read.ref) for item in items]
        before = _file_counts(con, table, mine) if len(items) > 1 else [0]
        selects = " UNION ALL BY NAME ".join(f"({item.select_sql})" for item in items)
        try:
            inserted = con.execute(f"INSERT INTO {table} BY NAME {selects}").fetchall()[0][0]
        except duckdb.Error as err:
            raise _unreadable([item.read for item in items], err) from err
        after = _file_counts(con, table, mine) if len(items) > 1 else [inserted]
        if sum(after) - sum(before) != inserted:  # two reads told by the same dataset, file name and programme
            names = "; ".join(item.read.ref.describe() for item in items)
            raise BilatrusError(
                f"one load gives the same file twice ({names}); load each file once.", dataset=items[0].read.ref.dataset
            )
        for index, item, where, old, new in zip(indexes, items, mine, before, after, strict=True):
            counts[index] = _finish_read(con, item.read, table, new - old, where, defer=True)
    return [counts[i] for i in range(len(reads))]


@dataclass(frozen=True)
class CsvInsert:
    """A CSV file to insert into a landing table: `select_sql` reads `read.source_sql()` and gives
    provisional_line as source_line."""

    read: CsvRead
    landing_table: str
    select_sql: str


def _rows_of_file(ref: FileRef) -> str:
    return (
        f"dataset = {sql_literal(ref.dataset)} AND source_file = {sql_literal(ref.source_file)} "
        f"AND framework_programme IS NOT DISTINCT FROM {sql_literal(ref.programme)}"
    )


def _file_counts(con: duckdb.DuckDBPyConnection, table: str, conditions: Sequence[str]) -> list[int]:
    """Rows of `table` under each condition, in one scan."""
    columns = ", ".join(f"count(*) FILTER (WHERE {condition})" for condition in conditions)
    return list(con.execute(f"SELECT {columns} FROM {table}").fetchall()[0])


def _unreadable(reads: Sequence[CsvRead], err: duckdb.Error) -> BilatrusError:
    """The error of a read that failed, naming the file DuckDB names (every file of the statement if none)."""
    failed = [read for read in reads if str(read.path) in str(err)] or list(reads)
    files = " and ".join(read.ref.describe() for read in failed)
    paths = ", ".join(str(read.path) for read in failed)
    return BilatrusError(f"{files} could not be read as CSV ({paths}): {err}", dataset=failed[0].ref.dataset)


def _read(
    con: duckdb.DuckDBPyConnection, read: CsvRead, statement: str, table: str, mine: str | None
) -> tuple[int, int]:
    """Run the statement that reads the file's records into `table` with their provisional line as
    source_line, then `_finish_read`: (rows, rejected). `mine` tells the file's rows in `table` (None: every
    row is the file's)."""
    try:
        rows = con.execute(statement).fetchall()[0][0]
    except duckdb.Error as err:
        raise _unreadable([read], err) from err
    return _finish_read(con, read, table, rows, mine)


def _finish_read(
    con: duckdb.DuckDBPyConnection, read: CsvRead, table: str, rows: int, mine: str | None, *, defer: bool = False
) -> tuple[int, int]:
    """Collect and check a read's rejected lines, and renumber the rows after them: (rows, rejected). With `defer`
    (a landing table), the renumbering is recorded in LINE_SHIFTS and applied after the load commits
    (`apply_line_shifts`)."""
    ref = read.ref
    rejected = _collect_rejects(con, read.temp_tables[0], read.rejects)
    _check_encoding(con, read.rejects, read.path, ref, read.encoding)
    _check_reject_share(con, read.rejects, rows, rejected, read.path, ref)
    if rejected:
        _shift_lines(con, read, table, rows, mine, defer=defer)
    return rows, rejected


def _shift_lines(
    con: duckdb.DuckDBPyConnection, read: CsvRead, table: str, rows: int, mine: str | None, *, defer: bool
) -> None:
    """Give the rows after a rejected line their real line number (provisional line + rejects before them): now,
    or (`defer`) recorded in LINE_SHIFTS, in the load's transaction, for `apply_line_shifts`."""
    steps = read.temp_tables[2]
    _create_steps(con, read.rejects, steps)
    if mine is not None:
        landed = con.execute(f"SELECT count(*) FROM {table} WHERE {mine}").fetchall()[0][0]
        if landed != rows:
            ref = read.ref
            raise BilatrusError(
                f"{ref.describe()}: {landed - rows:,} rows of an earlier load of this file are still in {table}; "
                "replace the file's slice when loading it again.",
                dataset=ref.dataset,
            )
    if defer:
        ref = read.ref
        con.execute(
            f"INSERT INTO {LINE_SHIFTS} SELECT ?, ?, ?, ?, ?, kept_before, rejects_so_far FROM {steps}",
            [table, ref.dataset, ref.source_file, ref.programme, rows],
        )
        return
    first = con.execute(f"SELECT min(kept_before) FROM {steps}").fetchall()[0][0]
    _update_lines(con, table, steps, first, rows, mine)


def _update_lines(
    con: duckdb.DuckDBPyConnection, table: str, steps: str, first: int, rows: int, mine: str | None
) -> None:
    """Add to each kept row of a file (`mine`) at provisional index first..rows-1 the rejects before it (`steps`)."""
    con.execute(
        f"""UPDATE {table} SET source_line = {table}.source_line + shift.rejects_so_far
        FROM (
            SELECT kept.kept_index + 2 AS provisional_line, steps.rejects_so_far
            FROM range({first}, {rows}) AS kept(kept_index)
            ASOF JOIN {steps} AS steps ON kept.kept_index >= steps.kept_before
        ) AS shift
        WHERE {table}.source_line = shift.provisional_line{f" AND {mine}" if mine else ""}"""
    )


# The line renumberings of landed files not applied yet (a load records them in its transaction; `apply_line_shifts`
# applies them in a second one). Renumbering inside the load's transaction would update rows DuckDB has already
# written to the file for it, which then go to the write-ahead log whole (at four times full scale: a 635 MB log and
# 2 to 3 s of single-threaded commit, against 0.1 s and about 1 s for the renumbering after it). Empty once every
# load is complete; a load interrupted between its two transactions leaves its rows here, applied by the next
# staging or load.
LINE_SHIFTS = "land_line_shifts"
LINE_SHIFTS_COLUMNS = (
    ("landing_table", "VARCHAR"),
    ("dataset", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("framework_programme", "VARCHAR"),
    ("file_rows", "BIGINT"),
    ("kept_before", "BIGINT"),
    ("rejects_so_far", "BIGINT"),
)
LINE_SHIFTS_DESCRIPTION = (
    "Line-number corrections of landed files not applied yet (rows after a malformed line): empty once a landing "
    "is complete; applied before the staging models read the landing tables."
)


def apply_line_shifts(con: duckdb.DuckDBPyConnection, files: Sequence[FileRef] | None = None) -> int:
    """Apply the recorded line renumberings (of `files`, default every one) to their landing tables and forget them,
    in one transaction; return how many files were renumbered."""
    keys = "landing_table, dataset, source_file, framework_programme, file_rows"
    pending = con.execute(f"SELECT DISTINCT {keys} FROM {LINE_SHIFTS} ORDER BY ALL").fetchall()
    if files is not None:
        wanted = {(ref.dataset, ref.source_file, ref.programme) for ref in files}
        pending = [row for row in pending if (row[1], row[2], row[3]) in wanted]
    if not pending:
        return 0
    with transaction(con):
        for table, dataset, source_file, programme, rows in pending:
            ref = FileRef(dataset=dataset, source_file=source_file, programme=programme)
            mine = _rows_of_file(ref)
            condition = f"landing_table = {sql_literal(table)} AND {mine}"
            steps = f"(SELECT kept_before, rejects_so_far FROM {LINE_SHIFTS} WHERE {condition})"
            first = con.execute(f"SELECT min(kept_before) FROM {steps}").fetchall()[0][0]
            _update_lines(con, table, steps, first, rows, mine)
            con.execute(f"DELETE FROM {LINE_SHIFTS} WHERE {condition}")
    return len(pending)


# ---------------------------------------------------------------------------------- as-is temp tables


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


def read_csv_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: Header,
    ref: FileRef,
    *,
    encoding: str = "utf-8",
    null_tokens: Sequence[str] = ("",),
) -> RawFile:
    """Load every parseable record of a CSV file with DuckDB into a temp table (c0..cN, source_line), read and
    numbered as `read_all_into` numbers a file; keep the others in a rejects table."""
    read = CsvRead.of(path, header, ref, encoding, null_tokens)
    table = temp_name("raw")
    statement = (
        f"CREATE TEMP TABLE {table} AS SELECT * EXCLUDE (provisional_line), provisional_line AS source_line "
        f"FROM {read.source_sql()}"
    )
    try:
        rows, rejected = _read(con, read, statement, table, None)
    except BaseException:
        drop_tables(con, [table, read.rejects, read.temp_tables[2]])
        raise
    finally:
        drop_tables(con, read.temp_tables[:2])
    return RawFile(table, read.rejects, list(header.names), rows, rejected, [table, read.temp_tables[2]])


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


#: CSV files of a load (bytes, all files) below which the load runs on one DuckDB thread (`landing_threads`).
ONE_THREAD_BELOW_BYTES = 512 * 2**20


@contextmanager
def landing_threads(con: duckdb.DuckDBPyConnection, reads: Sequence[CsvRead]) -> Iterator[None]:
    """While open, DuckDB runs the landing's statements as suits the size of its CSV files: a load under
    ONE_THREAD_BELOW_BYTES on one thread, a larger one with its files read side by side (preserve_insertion_order
    off in both). Database-wide settings, put back as they were afterwards; open it outside the load's transaction
    (`models.setting`).

    Each file's read is one thread anyway (its `row_number() OVER ()` is a streaming window). Side by side, the
    reads of one INSERT ... UNION ALL (`read_all_into`) run at the same time, and each of DuckDB's threads writes
    the rows it gets to the file as they come, compressed, ending in a partly filled row group of its own; the
    commit's checkpoint then merges those by reading and compressing them again. In a small load these are most of
    the rows: at full scale (200 MB of organisation files, 4 row groups of participations) the staging step took
    8.3 s of CPU side by side and 7.1 s on one thread, where the rows fill one row group after the other and are
    compressed once (`python -m bench.staging`, CPU of the process; peak memory lower too). At four times full
    scale the CPU is about the same either way (27.4 and 26.1 s) and the reads side by side keep both cores busy,
    which on an idle 2-core machine shortened the step by about 5 s (paired full refreshes, `bench.steps`).
    Landings side by side share the settings (`_LANDINGS`): one thread while all of them are small."""
    large = sum(read.path.stat().st_size for read in reads if read.path.is_file()) >= ONE_THREAD_BELOW_BYTES
    database = con.execute(
        "SELECT coalesce(path, database_name) FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()[0][0]
    with _LANDINGS_LOCK:
        held = _LANDINGS.get(database)
        if held is None:  # the first landing of this database under way in this process
            found = {name: str(con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]) for name in _HELD}
            con.execute("SET preserve_insertion_order = false")
            held = _LANDINGS[database] = _HeldSettings(found, threads=found["threads"])
        held.landings += 1
        held.large += large
        held.set_threads(con)
    try:
        yield
    finally:
        with _LANDINGS_LOCK:
            held.landings -= 1
            held.large -= large
            if held.landings == 0:  # the last one puts back what the first found, on its own connection
                del _LANDINGS[database]
                for name, found_value in held.found.items():
                    con.execute(f"SET {name} = {sql_literal(found_value)}")
            else:
                held.set_threads(con)


_HELD = ("preserve_insertion_order", "threads")  # the settings the landings change, put back by the last


@dataclass
class _HeldSettings:
    found: dict[str, str]  # the settings as the first landing found them
    threads: str  # the threads set now
    landings: int = 0
    large: int = 0  # landings under way over ONE_THREAD_BELOW_BYTES

    def set_threads(self, con: duckdb.DuckDBPyConnection) -> None:
        """One thread while every landing under way is small; as found while a large one is."""
        wanted = self.found["threads"] if self.large else "1"
        if wanted != self.threads:
            con.execute(f"SET threads = {sql_literal(wanted)}")
            self.threads = wanted


# Landings of one database under way in this process (steps run side by side: the programmes' files beside the
# reference tables, or a Dashboard export): the first sets preserve_insertion_order and the last puts back what the
# first found, so none restores what another set. DuckDB runs on one thread while all of them are small, on its
# threads as found while a large one is under way: a large load starting beside a small one (the programmes' files
# at four times full scale, which start with the reference tables) is not held to the small one's single thread.
_LANDINGS_LOCK = threading.Lock()
_LANDINGS: dict[str, _HeldSettings] = {}


# -------------------------------------------------------------------------------------- rejected lines


def _collect_rejects(con: duckdb.DuckDBPyConnection, rejects_table: str, target: str) -> int:
    """One row per rejected line (DuckDB may report several errors for one line: their distinct messages, in the
    order of their text, so that the reason does not depend on the order DuckDB's threads reported them in)."""
    con.execute(
        f"""CREATE TEMP TABLE {target} AS
        SELECT line AS source_line,
               string_agg(DISTINCT error_type || ': ' || error_message, '; '
                          ORDER BY error_type || ': ' || error_message) AS reason,
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


def _create_steps(con: duckdb.DuckDBPyConnection, rejects: str, steps: str) -> None:
    """The line shifts a file's rejected records cause: (kept_before, rejects_so_far).

    DuckDB numbers a rejected record by its position among all records (header = 1). A kept row's number
    is therefore 2 + its index among kept rows + the rejected records before it; a rejected record at line L
    with r rejects before it comes after exactly L - 2 - r kept rows.
    """
    con.execute(
        f"""CREATE TEMP TABLE {steps} AS
        WITH marks AS (
            SELECT source_line - 2 - (row_number() OVER (ORDER BY source_line) - 1) AS kept_before,
                   row_number() OVER (ORDER BY source_line) AS rejects_so_far
            FROM {rejects}
        )
        SELECT kept_before, max(rejects_so_far) AS rejects_so_far FROM marks GROUP BY kept_before"""
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

"""Analysts' own SQL on the published warehouse: one read-only statement, sandboxed, and the output formats.

`query` runs exactly one read-only statement (`check_statement`, DuckDB's own parser) on a sandboxed connection
that reaches neither the file system nor the network (`sandboxed_connection`). `format_result` renders any
Arrow result as a text table, CSV, JSON or Parquet, for `query` and the other analyst commands.
"""

from __future__ import annotations

import io
import json
import math
import re
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from bilatrus_etl.errors import BilatrusError

FORMATS: tuple[str, ...] = ("table", "csv", "json", "parquet")
TABLE_MAX_ROWS = 500
TABLE_MAX_CELL = 60


# --- formatting --------------------------------------------------------------------------------------------


def json_value(value: object) -> object:
    """A value as JSON can hold it: decimals as floats, NaN and infinity as null, dates as ISO text, bytes as hex."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        text = f"{value:.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    elif isinstance(value, Decimal):
        text = f"{value:,}"
    else:
        text = str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= TABLE_MAX_CELL else text[: TABLE_MAX_CELL - 1] + "…"


def _text_table(table: pa.Table) -> str:
    """A plain-text table (header, rule, rows; numbers right-aligned), at most TABLE_MAX_ROWS rows."""
    shown = table.slice(0, TABLE_MAX_ROWS)
    names = table.column_names
    numeric = [
        pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_decimal(f.type) for f in table.schema
    ]
    rows = [[_cell(v) for v in row.values()] for row in shown.to_pylist()]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)).rstrip()

    out = [line(names), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    if table.num_rows > TABLE_MAX_ROWS:
        out.append(f"… {table.num_rows - TABLE_MAX_ROWS:,} more rows (use --format csv, json or parquet for all)")
    out.append(f"({table.num_rows:,} row{'s' if table.num_rows != 1 else ''})")
    return "\n".join(out)


def _csv_safe(table: pa.Table) -> pa.Table:
    """Nested columns (lists, structs, maps) as JSON text: Arrow's CSV writer takes flat types only."""
    for index, column in enumerate(table.schema):
        if pa.types.is_nested(column.type):
            values = [
                None if v is None else json.dumps(json_value(v), ensure_ascii=False)
                for v in table.column(index).to_pylist()
            ]
            table = table.set_column(index, column.name, pa.array(values, pa.string()))
    return table


def format_result(table: pa.Table, fmt: str) -> str | bytes:
    """Render an Arrow table as `table` (text), `csv`, `json` (an array of objects) or `parquet` (bytes)."""
    if fmt == "table":
        return _text_table(table)
    if fmt == "csv":
        buffer = io.BytesIO()
        pa_csv.write_csv(_csv_safe(table), buffer, pa_csv.WriteOptions(quoting_style="needed"))
        return buffer.getvalue().decode("utf-8")
    if fmt == "json":
        return json.dumps([json_value(row) for row in table.to_pylist()], ensure_ascii=False, indent=1)
    if fmt == "parquet":
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return buffer.getvalue()
    raise BilatrusError(f"Unknown output format {fmt!r}: choose one of {', '.join(FORMATS)}.")


def check_format(fmt: str) -> None:
    """Refuse an output format `format_result` does not write, before any work is done."""
    if fmt not in FORMATS:
        raise BilatrusError(f"Unknown output format {fmt!r}: choose one of {', '.join(FORMATS)}.")


# --- queries -----------------------------------------------------------------------------------------------

# The statement kinds `query` runs: reads only. Everything else (COPY, EXPORT, ATTACH, INSTALL, LOAD, PRAGMA,
# SET, CALL, writes, transactions) is refused before it reaches DuckDB.
QUERY_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
WRITE_HINT = "To write results to a file, use --output FILE (with --format csv, json or parquet)."
_REFUSED: dict[str, str] = {
    "COPY": "COPY reads or writes files. " + WRITE_HINT,
    "COPY_DATABASE": "COPY FROM DATABASE writes another database. " + WRITE_HINT,
    "EXPORT": "EXPORT DATABASE writes files. " + WRITE_HINT,
    "ATTACH": "ATTACH opens other database files; only the published warehouse can be queried.",
    "DETACH": "DETACH changes which databases are open; only the published warehouse can be queried.",
    "LOAD": "INSTALL and LOAD add extensions (code and network access); queries run with the built-in functions only.",
    "EXTENSION": "extension statements add code and network access; queries run with the built-in functions only.",
    "PRAGMA": "PRAGMA changes or reads settings; query the catalog with SELECT (e.g. FROM duckdb_tables()) instead.",
    "SET": "SET, RESET and USE change the session's settings, which are locked for analyst queries.",
    "VARIABLE_SET": "SET VARIABLE changes the session; put the value in the query instead.",
    "CALL": "CALL (and CHECKPOINT) run procedures; use SELECT * FROM the table function instead.",
    "TRANSACTION": "transactions are not needed: the warehouse is read-only.",
}


def _refusal(kind: str) -> str:
    why = _REFUSED.get(kind, "it would change the warehouse or the session, and the published warehouse is read-only.")
    return (
        f"`bilatrus query` runs one read-only statement (SELECT, WITH, FROM, DESCRIBE, SUMMARIZE, SHOW, "
        f"EXPLAIN); {kind} statements are refused: {why}"
    )


def check_statement(sql: str) -> str:
    """The one read-only statement in `sql`, or a BilatrusError saying why it is refused.

    DuckDB's own parser splits and classifies the text, so comments, quotes and dollar-quoting are read exactly as
    the database would read them.
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.ParserException as err:
        raise BilatrusError(f"Query failed: {err}") from err
    except (duckdb.Error, ValueError) as err:  # a statement kind the Python binding cannot even name
        raise BilatrusError(_refusal("unrecognised") + f" ({err})") from err
    if not statements:
        raise BilatrusError('No SQL statement given: write one query, e.g. "SELECT * FROM mart_regions LIMIT 5".')
    if len(statements) > 1:
        kinds = ", ".join(s.type.name for s in statements)
        raise BilatrusError(
            f"`bilatrus query` runs exactly one statement; this text holds {len(statements)} ({kinds}). Run them "
            "one at a time, or combine them into one query (WITH ... SELECT, UNION ALL)."
        )
    statement = statements[0]
    if statement.type not in QUERY_STATEMENTS:
        raise BilatrusError(_refusal(statement.type.name))
    return sql


def sandboxed_connection(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A connection to the published warehouse that can reach neither the file system nor the network.

    An in-memory database with extension auto-install and auto-load off attaches the warehouse read-only and
    makes it the default catalog; then external access is switched off and the configuration locked, so no
    statement can read or write another file, load an extension or undo these settings. Being a database of its
    own, it never clashes with other connections to the same file in this process.
    """
    target = Path(path)
    if not target.exists():
        raise BilatrusError(
            f"No warehouse at {target}: run `bilatrus run` (or `make demo`) to build and publish one, or set BILATRUS_WAREHOUSE."
        )
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        alias = _catalog_name(target)
        con.execute(f'ATTACH {path_literal(target)} AS "{alias}" (READ_ONLY)')
        con.execute(f'USE "{alias}"')
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except duckdb.Error as err:
        con.close()
        raise BilatrusError(f"Cannot open the warehouse {target} read-only: {err}") from err
    return con


def _catalog_name(path: Path) -> str:
    """The name DuckDB gives a database opened directly (the file's stem, e.g. `bilatrus`), where it is usable."""
    stem = path.stem
    usable = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", stem) and stem.lower() not in {"memory", "system", "temp", "main"}
    return stem if usable else "warehouse"


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The result of one statement as an Arrow table; DuckDB's errors become messages that say what to do."""
    try:
        relation = con.sql(sql)
        if relation is None:  # a statement without a result
            return pa.table({})
        return relation.to_arrow_table()
    except duckdb.PermissionException as err:
        raise BilatrusError(
            f"Query refused: it reaches outside the warehouse (a file, a URL or an extension), which analyst queries "
            f"cannot do ({err}). Query the warehouse's tables only. {WRITE_HINT}"
        ) from err
    except duckdb.Error as err:
        message = str(err)
        if "read-only" in message.lower():
            raise BilatrusError(f"The warehouse is opened read-only; queries cannot change it ({message}).") from err
        raise BilatrusError(f"Query failed: {message}") from err


def query(path: Path | str, sql: str, fmt: str = "table") -> str | bytes:
    """Run one read-only statement on the warehouse at `path`, sandboxed (`sandboxed_connection`); return the
    result as text (table, csv, json) or Parquet bytes. Several statements, and any statement that is not a query,
    are refused with the reason."""
    check_format(fmt)
    check_statement(sql)
    con = sandboxed_connection(path)
    try:
        table = fetch(con, sql)
    finally:
        con.close()
    return format_result(table, fmt)


def path_literal(path: Path) -> str:
    """A file path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"

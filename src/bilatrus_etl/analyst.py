"""What analysts call on the published warehouse: read-only queries, exports of every mart, active projects on a date.

Every function opens the published file read-only (`warehouse.open_readonly`), so none of them can block, or be
blocked by, a refresh that publishes a new file meanwhile.
"""

from __future__ import annotations

import io
import json
import math
import os
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from bilatrus_etl import warehouse
from bilatrus_etl.errors import BilatrusError

FORMATS: tuple[str, ...] = ("table", "csv", "json", "parquet")
TABLE_MAX_ROWS = 500
TABLE_MAX_CELL = 60
ACTIVE_MODEL = "mart_active_projects"


# --- formatting --------------------------------------------------------------------------------------------


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
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
    numeric = [pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_decimal(f.type) for f in table.schema]
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


def format_result(table: pa.Table, fmt: str) -> str | bytes:
    """Render an Arrow table as `table` (text), `csv`, `json` (an array of objects) or `parquet` (bytes)."""
    if fmt == "table":
        return _text_table(table)
    if fmt == "csv":
        buffer = io.BytesIO()
        pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(quoting_style="needed"))
        return buffer.getvalue().decode("utf-8")
    if fmt == "json":
        return json.dumps([_json_value(row) for row in table.to_pylist()], ensure_ascii=False, indent=1)
    if fmt == "parquet":
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return buffer.getvalue()
    raise BilatrusError(f"Unknown output format {fmt!r}: choose one of {', '.join(FORMATS)}.")


# --- queries -----------------------------------------------------------------------------------------------


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    try:
        relation = con.sql(sql)
        if relation is None:  # a statement without a result
            return pa.table({})
        return relation.to_arrow_table()
    except duckdb.Error as err:
        message = str(err)
        if "read-only" in message.lower():
            raise BilatrusError(f"The warehouse is opened read-only; queries cannot change it ({message}).") from err
        raise BilatrusError(f"Query failed: {message}") from err


def query(path: Path | str, sql: str, fmt: str = "table") -> str | bytes:
    """Run SQL read-only on the warehouse at `path`; return the result as text (table, csv, json) or Parquet bytes."""
    if fmt not in FORMATS:
        raise BilatrusError(f"Unknown output format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    con = warehouse.open_readonly(path)
    try:
        table = _fetch(con, sql)
    finally:
        con.close()
    return format_result(table, fmt)


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every mart table in the warehouse (name starting with mart_), sorted."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND schema_name = current_schema() "
        "AND table_name LIKE 'mart\\_%' ESCAPE '\\' ORDER BY table_name"
    ).fetchall()
    return [row[0] for row in rows]


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export(path: Path | str, out_dir: Path | str) -> list[Path]:
    """Write every mart of the warehouse as `<mart>.parquet` and `<mart>.csv` into out_dir; return the files."""
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    con = warehouse.open_readonly(path)
    written: list[Path] = []
    try:
        tables = mart_tables(con)
        if not tables:
            raise BilatrusError(f"The warehouse {path} holds no mart_* table: build it first (`bilatrus run`).")
        for table in tables:
            for suffix, options in ((".parquet", "FORMAT parquet"), (".csv", "FORMAT csv, HEADER true")):
                final = target / f"{table}{suffix}"
                temporary = target / f".{table}{suffix}.{os.getpid()}.tmp"
                try:
                    con.execute(f'COPY (SELECT * FROM "{table}") TO {_literal(temporary)} ({options})').fetchall()
                    os.replace(temporary, final)
                finally:
                    temporary.unlink(missing_ok=True)
                written.append(final)
    except duckdb.Error as err:
        raise BilatrusError(f"Export of {path} to {target} failed: {err}") from err
    finally:
        con.close()
    return written


# --- active projects ---------------------------------------------------------------------------------------


def _parse_date(on_date: date | str) -> date:
    if isinstance(on_date, datetime):
        return on_date.date()
    if isinstance(on_date, date):
        return on_date
    try:
        return date.fromisoformat(str(on_date).strip())
    except ValueError as err:
        raise BilatrusError(f"Not a date: {on_date!r}. Give it as YYYY-MM-DD, e.g. --on 2022-03-01.") from err


def active_projects_table(path: Path | str, on_date: date | str, country: str | None = None) -> pa.Table:
    """The rows of mart_active_projects for `on_date` and `country`, computed by that model's own SQL."""
    day = _parse_date(on_date)
    model = warehouse.load_models()[ACTIVE_MODEL]
    con = warehouse.open_readonly(path)
    try:
        variables: dict[str, object] = {"as_of": day}
        if country:
            variables["focus_country"] = country.strip().upper()
        warehouse.set_variables(con, variables)
        return _fetch(con, model.sql.strip().rstrip(";"))
    finally:
        con.close()


def active_projects(
    path: Path | str, on_date: date | str, country: str | None = None, fmt: str = "table"
) -> str | bytes:
    """Projects with `country` (default: the focus country, RU) running on `on_date`, formatted like `query`."""
    if fmt not in FORMATS:
        raise BilatrusError(f"Unknown output format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    return format_result(active_projects_table(path, on_date, country), fmt)

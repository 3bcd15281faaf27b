"""Projects running on a given date with a given country: mart_active_projects computed for any day.

`active_projects_table` runs that model's own SQL on the published warehouse (read-only) with the date and the
country as DuckDB variables, so the answer is the mart's for that day, not a second definition of "active".
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from bilatrus_etl.analyst.query import check_format, fetch, format_result
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse.models import load_models, set_variables
from bilatrus_etl.warehouse.publish import open_readonly

ACTIVE_MODEL = "mart_active_projects"


def _parse_date(on_date: date | str) -> date:
    if isinstance(on_date, datetime):
        return on_date.date()
    if isinstance(on_date, date):
        return on_date
    try:
        return date.fromisoformat(str(on_date).strip())
    except ValueError as err:
        raise BilatrusError(f"Not a date: {on_date!r}. Give it as YYYY-MM-DD, e.g. --on 2022-03-01.") from err


def active_projects_query(con: duckdb.DuckDBPyConnection, on_date: date | str, country: str | None = None) -> str:
    """mart_active_projects' own SQL, to run on `con`, whose session variables this sets to `on_date` and
    `country` (the report runs it on the connection it already reads the warehouse with)."""
    variables: dict[str, object] = {"as_of": _parse_date(on_date)}
    if country:
        variables["focus_country"] = country.strip().upper()
    set_variables(con, variables)
    return load_models()[ACTIVE_MODEL].sql.strip().rstrip(";")


def active_projects_table(path: Path | str, on_date: date | str, country: str | None = None) -> pa.Table:
    """The rows of mart_active_projects for `on_date` and `country`, computed by that model's own SQL."""
    day = _parse_date(on_date)
    con = open_readonly(path)
    try:
        return fetch(con, active_projects_query(con, day, country))
    finally:
        con.close()


def active_projects(
    path: Path | str, on_date: date | str, country: str | None = None, fmt: str = "table"
) -> str | bytes:
    """Projects with `country` (default: the focus country, RU) running on `on_date`, formatted like `query`."""
    check_format(fmt)
    return format_result(active_projects_table(path, on_date, country), fmt)

"""Named SQL statements that are not warehouse models (sql/queries/<name>.sql), run with parameters, and the
session macros that models and queries share.

Session macros are TEMP macros (per connection, so they also work on a read-only published file):
- `focus_country()`: the ISO code of the focus country, upper case, from the session variable `focus_country`
  (default 'RU'). Models and named queries call it instead of repeating getvariable() with its default.
- `source_files(table)`: the source files of a table's rows (file, file_number: its column source_file, NULL as ''),
  numbered in name order, so that models can order source rows by (file_number, line) as one number (a line
  number stays below 2^32). The table is named by a string, read with query_table() when the macro is called.
- `programme_bits(table)`: each framework programme of a table's rows (its column framework_programme) as one bit of a
  UBIGINT, in name order, so that a group's set of programmes is one bit_or(bit) instead of a list or a DISTINCT
  aggregate; `programme_list(programme_set, table)` writes a set out as the names in order, comma-separated (NULL
  for the empty set), as string_agg(DISTINCT framework_programme, ', ' ORDER BY framework_programme) does. A model
  writes out each distinct set once and joins the text back. More than 64 programmes is an error.
"""

from __future__ import annotations

from functools import cache

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.resources import QUERIES_DIR

DEFAULT_FOCUS_COUNTRY = "RU"
SESSION_MACROS: tuple[str, ...] = (
    "CREATE OR REPLACE TEMP MACRO focus_country() AS "
    f"upper(coalesce(CAST(getvariable('focus_country') AS VARCHAR), '{DEFAULT_FOCUS_COUNTRY}'))",
    "CREATE OR REPLACE TEMP MACRO source_files(source_table) AS TABLE "
    "SELECT file, row_number() OVER (ORDER BY file) AS file_number "
    "FROM (SELECT DISTINCT coalesce(source_file, '') AS file FROM query_table(source_table))",
    "CREATE OR REPLACE TEMP MACRO programme_bits(source_table) AS TABLE "
    "SELECT framework_programme, CASE WHEN programme_number <= 64 THEN 1::UBIGINT << (programme_number - 1) "
    "ELSE error('more than 64 framework programmes in ' || source_table || ': a set of them is one 64-bit number') "
    "END AS bit "
    "FROM (SELECT framework_programme, row_number() OVER (ORDER BY framework_programme) AS programme_number "
    "FROM (SELECT DISTINCT framework_programme FROM query_table(source_table) WHERE framework_programme IS NOT NULL))",
    # the one row a project keeps of its rows in the staged project files: its first source row (file, then line)
    "CREATE OR REPLACE TEMP MACRO first_source_row(framework_programme, project_id, source_file, source_line) AS "
    "row_number() OVER (PARTITION BY framework_programme, project_id ORDER BY source_file, source_line) = 1",
    "CREATE OR REPLACE TEMP MACRO programme_list(programme_set, source_table) AS ("
    "SELECT string_agg(framework_programme, ', ' ORDER BY framework_programme) FROM programme_bits(source_table) "
    "WHERE programme_set & bit <> 0)",
)


def install_session_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the session macros (focus_country()) on this connection; cheap, safe to repeat."""
    for statement in SESSION_MACROS:
        con.execute(statement)


def set_focus_country(con: duckdb.DuckDBPyConnection, code: str) -> None:
    """Set the session variable the macro focus_country() reads (upper case), and create the macros."""
    con.execute("SET VARIABLE focus_country = ?", [code.upper()])
    install_session_macros(con)


@cache
def query_text(name: str) -> str:
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise BilatrusError(f"SQL query file {path} is missing; it ships with the project (sql/queries/).")
    return path.read_text(encoding="utf-8")


def run(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, object] | None = None,
    *,
    focus_country: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Execute sql/queries/<name>.sql with named parameters ($name in the SQL); return the cursor. The focus country
    is not a parameter: the SQL reads it with the macro focus_country(), like the models; `focus_country` sets the
    session variable behind it first."""
    try:
        if focus_country is not None:
            set_focus_country(con, focus_country)
        install_session_macros(con)
        return con.execute(query_text(name), params or {})
    except duckdb.Error as err:
        raise _failed(name, err) from err


def relation(con: duckdb.DuckDBPyConnection, name: str) -> duckdb.DuckDBPyRelation:
    """sql/queries/<name>.sql (a query without parameters) as a relation, e.g. to read it as Arrow without the copy
    a cursor's result makes (DuckDB's advice)."""
    try:
        install_session_macros(con)
        return con.sql(query_text(name))
    except duckdb.Error as err:
        raise _failed(name, err) from err


def _failed(name: str, err: duckdb.Error) -> BilatrusError:
    return BilatrusError(f"SQL query {name} ({QUERIES_DIR / (name + '.sql')}) failed: {err}")

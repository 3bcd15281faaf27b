"""Named SQL statements that are not warehouse models (sql/queries/<name>.sql), run with parameters."""

from __future__ import annotations

from functools import cache

import duckdb

from bilatrus_etl.errors import BilatrusError

from bilatrus_etl.resources import QUERIES_DIR


@cache
def query_text(name: str) -> str:
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise BilatrusError(f"SQL query file {path} is missing; it ships with the project (sql/queries/).")
    return path.read_text(encoding="utf-8")


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object] | None = None) -> duckdb.DuckDBPyConnection:
    """Execute sql/queries/<name>.sql with named parameters ($name in the SQL); return the cursor."""
    try:
        return con.execute(query_text(name), params or {})
    except duckdb.Error as err:
        raise BilatrusError(f"SQL query {name} ({QUERIES_DIR / (name + '.sql')}) failed: {err}") from err

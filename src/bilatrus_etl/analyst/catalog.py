"""What the published warehouse says about itself: the columns of its tables, and whether its data is synthetic.

A warehouse built from the synthetic demo mirror says so in `meta_build.synthetic`; every analyst command
warns with `SYNTHETIC_WARNING` (the CLI, the institution profile, the `SYNTHETIC.txt` of an export).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from bilatrus_etl.warehouse.publish import open_readonly, table_names

SYNTHETIC_WARNING = (
    "WARNING: SYNTHETIC DATA - this warehouse was built from the synthetic demo mirror (meta_build.synthetic); "
    "the figures below are invented, not CORDIS."
)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The column names of a table of the connection's current schema (empty when there is no such table)."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = current_schema()", [table]
    ).fetchall()
    return {row[0] for row in rows}


def is_synthetic(path: Path | str) -> bool:
    """True when the published warehouse was built from the synthetic demo mirror (False when it is missing)."""
    if not Path(path).exists():
        return False
    con = open_readonly(path)
    try:
        return built_from_synthetic(con, table_names(con))
    finally:
        con.close()


def built_from_synthetic(con: duckdb.DuckDBPyConnection, tables: set[str]) -> bool:
    """True when the warehouse's meta_build row says it was built from synthetic data (`tables`: its tables)."""
    if "meta_build" not in tables or "synthetic" not in table_columns(con, "meta_build"):
        return False
    return bool(con.execute("SELECT coalesce(bool_or(synthetic), false) FROM meta_build").fetchall()[0][0])

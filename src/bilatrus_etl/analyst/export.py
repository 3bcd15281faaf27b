"""Every mart of the published warehouse as Parquet and CSV files, written by the project's own SQL.

`export` opens the published file read-only (it never blocks, nor is blocked by, a refresh publishing a new
file), writes each mart through a temporary file renamed into place, and adds `SYNTHETIC.txt` when the
warehouse holds synthetic data.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from bilatrus_etl.analyst.catalog import SYNTHETIC_WARNING, built_from_synthetic
from bilatrus_etl.analyst.query import path_literal
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse.publish import open_readonly, table_names


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every mart table in the warehouse (name starting with mart_), sorted."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND schema_name = current_schema() "
        "AND table_name LIKE 'mart\\_%' ESCAPE '\\' ORDER BY table_name"
    ).fetchall()
    return [row[0] for row in rows]


def export(path: Path | str, out_dir: Path | str) -> list[Path]:
    """Write every mart of the warehouse as `<mart>.parquet` and `<mart>.csv` into out_dir; return the files."""
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    con = open_readonly(path)
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
                    con.execute(f'COPY (SELECT * FROM "{table}") TO {path_literal(temporary)} ({options})').fetchall()
                    os.replace(temporary, final)
                finally:
                    temporary.unlink(missing_ok=True)
                written.append(final)
        if built_from_synthetic(con, table_names(con)):
            marker = target / "SYNTHETIC.txt"
            marker.write_text(SYNTHETIC_WARNING + "\n", encoding="utf-8")
            written.append(marker)
    except duckdb.Error as err:
        raise BilatrusError(f"Export of {path} to {target} failed: {err}") from err
    finally:
        con.close()
    return written

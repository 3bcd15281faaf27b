"""The run-stamped meta tables of a build: the download provenance (meta_download_provenance) and the build stamp
(meta_build), their descriptions, keeping only the publishing run's rows, and reading the published stamp back.

The tables are declared in tables.py; the rows are written by named queries (sql/queries/write_*.sql).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb

from bilatrus_etl import __version__
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import catalog, provenance
from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse import queries, tables
from bilatrus_etl.warehouse.models import set_variables
from bilatrus_etl.warehouse.publish import open_readonly
from bilatrus_etl.warehouse.versions import code_fingerprint

PROVENANCE_COLUMNS = (*provenance.LINE_FIELDS, "release")
RUN_STAMPED_TABLES = (tables.DOWNLOAD_PROVENANCE.name, tables.VALIDATION_RUNS.name, tables.BUILD.name)


def record_provenance(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str | None = None) -> int:
    """`meta_download_provenance`: the latest download of each dataset (what the build reads), stamped with
    `run_id` (the Dagster run). Rebuilds replace it: it never grows; the full log stays in provenance.jsonl."""
    import pandas as pd

    rows = provenance.read_provenance(settings.raw_dir)
    columns = [*PROVENANCE_COLUMNS, "log_order"]
    frame = pd.DataFrame(
        [{**{c: r.get(c) for c in PROVENANCE_COLUMNS}, "log_order": i} for i, r in enumerate(rows)], columns=columns
    )
    frame["url"] = [catalog.redact(r["url"]) if r.get("url") else None for r in rows]  # rows logged before redaction
    frame["release"] = [json.dumps(r["release"], sort_keys=True) if r.get("release") else None for r in rows]
    set_variables(con, {"run_id": run_id})
    con.register("provenance_frame", frame.astype(object))
    try:
        queries.run(con, "write_download_provenance")
    finally:
        con.unregister("provenance_frame")
    return con.execute("SELECT count(*) FROM meta_download_provenance").fetchall()[0][0]


def record_build_info(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    datasets: dict[str, str],
    synthetic: bool,
    run_id: str | None = None,
) -> None:
    """`meta_build`: one row describing this build, with the run that built it."""
    set_variables(con, {"run_id": run_id})
    queries.run(
        con,
        "write_meta_build",
        {
            "built_at": datetime.now(UTC),
            "code": code_fingerprint(),
            "version": __version__,
            "synthetic": synthetic,
            "sources": json.dumps(datasets, sort_keys=True),
            "mirror": catalog.mirror_label(settings.mirror),
        },
        focus_country=settings.focus_country,
    )


def describe_meta_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Descriptions of the tables the pipeline writes outside the SQL models."""
    present = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for table in (tables.DOWNLOAD_PROVENANCE, tables.BUILD, tables.VALIDATION_RUNS):
        if table.name in present:
            tables.describe(con, table)


def keep_run_rows(con: duckdb.DuckDBPyConnection, run_id: str | None) -> dict[str, int]:
    """Delete the rows of other runs from the run-stamped meta tables (the build file outlives runs), so the
    published warehouse holds only the rows of the run that built it; return the rows deleted per table."""
    present = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_columns() WHERE column_name = 'run_id' AND schema_name = current_schema()"
        ).fetchall()
    }
    deleted = {}
    for table in sorted(present & set(RUN_STAMPED_TABLES)):
        deleted[table] = con.execute(f'DELETE FROM "{table}" WHERE run_id IS DISTINCT FROM ?', [run_id]).fetchall()[0][
            0
        ]
    return deleted


def published_manifest(settings: Settings) -> dict[str, Any] | None:
    """What the published warehouse says about its own build (its meta_build row), or None before a publish."""
    if not settings.warehouse_path.exists():
        return None
    con = open_readonly(settings.warehouse_path)
    try:
        cursor = queries.run(con, "read_meta_build")
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
    except BilatrusError:
        return None
    finally:
        con.close()
    if row is None:
        return None
    stamp = dict(zip(names, row))
    sources_json = stamp.get("sources")
    return {
        "published_at": stamp["built_at"].isoformat(),
        "code": stamp.get("code_fingerprint"),
        "synthetic": bool(stamp.get("synthetic")),
        "sources": json.loads(sources_json) if isinstance(sources_json, str) else (sources_json or {}),
        "focus_country": stamp.get("focus_country"),
        "warehouse": str(settings.warehouse_path),
    }

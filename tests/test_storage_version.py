"""The published warehouse is written in an older DuckDB storage format that DuckDB 1.x clients open, and loses
nothing on the way: every table (values and types), comment and macro of the build file is in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from installed_package import InstalledPackage

from bilatrus_etl.warehouse.publish import publish, storage_version

DUCKDB_1X = "1.5.6"  # the DuckDB 1.x on the machine's package index; analysts' tools embed such versions

FEATURES = """
CREATE MACRO clean_text(x) AS nullif(trim(x), '');
CREATE TABLE mart_example AS SELECT
    range::INTEGER AS id, 'name ' || range AS name, (range * 1.25)::DECIMAL(18, 2) AS amount,
    TIMESTAMPTZ '2026-11-01 10:00:00+00' + to_days(range::INTEGER) AS built_at, range % 2 = 0 AS even,
    [{'role': 'coordinator', 'participations': range}] AS roles, ['a', 'b'] AS tags, NULL AS nothing,
    '{"x": 1}'::JSON AS extra, DATE '2020-01-01' + range::INTEGER AS day
FROM range(5000);
COMMENT ON TABLE mart_example IS 'Example mart: one row per id.';
COMMENT ON COLUMN mart_example.amount IS 'money, EUR';
"""


def fingerprint(con: duckdb.DuckDBPyConnection) -> dict:
    tables = {
        name: con.execute(f'SELECT count(*), bit_xor(hash(t)) FROM "{name}" AS t').fetchone()
        for (name,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
    }
    return {
        "tables": tables,
        "columns": con.execute(
            "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() WHERE NOT internal ORDER BY ALL"
        ).fetchall(),
        "comments": con.execute("SELECT table_name, comment FROM duckdb_tables() ORDER BY 1").fetchall(),
        "macros": con.execute("SELECT function_name FROM duckdb_functions() WHERE NOT internal ORDER BY 1").fetchall(),
    }


def read(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return fingerprint(con)
    finally:
        con.close()


@pytest.mark.parametrize("through_open_connection", [False, True])
def test_publish_writes_the_old_format_and_keeps_everything(tmp_path: Path, through_open_connection: bool) -> None:
    build, published = tmp_path / "build.duckdb", tmp_path / "warehouse" / "bilatrus.duckdb"
    con = duckdb.connect(str(build))
    con.execute(FEATURES)
    expected = fingerprint(con)
    if through_open_connection:  # the publish step of a process that still holds the build file open
        publish(build, published, con=con)
        con.close()
    else:
        con.close()
        publish(build, published)
    assert storage_version(build).startswith("v2.")
    assert storage_version(published) == "v1.0.0+"  # DuckDB's tag for the format v1.0.0 writes
    assert read(published) == expected
    assert expected["tables"]["mart_example"][0] == 5000
    assert expected["macros"] == [("clean_text",)]
    check = duckdb.connect(str(published), read_only=True)
    try:
        assert check.execute("SELECT clean_text('  x ') || '|' || coalesce(clean_text('  '), 'null')").fetchone() == (
            "x|null",
        )
        assert check.execute("SELECT sum(amount), max(roles[1].participations) FROM mart_example").fetchone() == (
            pytest.approx(1.25 * 4999 * 5000 / 2),
            4999,
        )
    finally:
        check.close()


def duckdb_1x_python(root: Path) -> Path:
    """A separate venv with DuckDB 1.x (and pytz, which it needs to return TIMESTAMPTZ values to Python) from the
    package index pip is set up with; skip (fail under CI) when it cannot be installed."""
    venv = root / f"duckdb-{DUCKDB_1X}"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", f"duckdb=={DUCKDB_1X}", "pytz"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        message = f"cannot install duckdb=={DUCKDB_1X} into a separate venv: {done.stderr[-1500:]}"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return python


READ_EVERYTHING = """
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
rows = {t: len(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables}
comment = con.execute("SELECT comment FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'mart_third_country_ranking'").fetchone()[0]
print(json.dumps({"version": duckdb.__version__, "counts": counts, "rows": rows, "comment": comment}))
"""


@pytest.mark.slow
def test_a_duckdb_1x_client_opens_a_published_warehouse(package: InstalledPackage, tmp_path: Path) -> None:
    published = package.data_dir / "warehouse" / "bilatrus.duckdb"  # built and published by `bilatrus demo`
    python = duckdb_1x_python(tmp_path)
    done = subprocess.run(
        [str(python), "-c", READ_EVERYTHING, str(published)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)
    assert seen["version"] == DUCKDB_1X
    con = duckdb.connect(str(published), read_only=True)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'mart_third_country_ranking'"
        ).fetchone()[0]
    finally:
        con.close()
    assert len(tables) > 30 and counts["stg_participation"] > 0
    assert seen["counts"] == counts == seen["rows"]  # every row of every table, as DuckDB 2 reads them
    assert seen["comment"] == comment and comment

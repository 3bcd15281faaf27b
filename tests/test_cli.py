"""The `bilatrus` command as a user runs it: a subprocess, a mirror, a fresh data directory."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from cli_process import bilatrus
from fixture_server import closed_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published(demo_warehouse) -> tuple[Path, dict]:
    """The run's demo warehouse: published by `bilatrus run --mirror FOLDER` from the run's synthetic mirror."""
    assert "SYNTHETIC" in demo_warehouse.run_stderr
    return demo_warehouse.data_dir, demo_warehouse.mirror.manifest


def test_run_summary_and_query_formats(published, demo_warehouse):
    data_dir, manifest = published
    # the run's summary says where the warehouse and the report it wrote are
    assert f"Published warehouse: {data_dir / 'warehouse' / 'bilatrus.duckdb'}" in demo_warehouse.run_stderr
    assert f"Landscape report: {data_dir / 'reports' / 'index.html'}" in demo_warehouse.run_stderr
    out = bilatrus(
        "query",
        "select framework_programme, count(*) as n from stg_participation group by all order by 1",
        "--format",
        "json",
        data_dir=data_dir,
    )
    assert out.returncode == 0, out.stderr
    counts = {row["framework_programme"]: row["n"] for row in json.loads(out.stdout)}
    assert counts == {p: manifest["expected"][p]["participations"] for p in ("FP6", "FP7", "H2020", "HE")}
    ranking = bilatrus(
        "query", "select * from mart_third_country_ranking where framework_programme = 'FP7' limit 5", data_dir=data_dir
    )
    assert ranking.returncode == 0 and "rank" in ranking.stdout.splitlines()[0].lower()
    assert "SYNTHETIC" in ranking.stderr  # built from the demo generator: every output says so
    as_csv = bilatrus("query", "select 1 as a, 'x' as b", "--format", "csv", data_dir=data_dir)
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [["a", "b"], ["1", "x"]]


def test_query_is_read_only(published):
    data_dir, _ = published
    out = bilatrus("query", "drop table mart_regions", data_dir=data_dir)
    assert out.returncode != 0
    assert "read-only" in (out.stderr + out.stdout).lower() or "read only" in (out.stderr + out.stdout).lower()


def test_export_active_and_doctor(published, tmp_path):
    data_dir, _ = published
    out = bilatrus("export", "--to", str(tmp_path / "x"), data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    names = {p.name for p in (tmp_path / "x").iterdir()}
    assert {"mart_third_country_ranking.parquet", "mart_third_country_ranking.csv", "SYNTHETIC.txt"} <= names
    active = bilatrus("active", "--on", "2012-06-01", "--format", "csv", data_dir=data_dir)
    assert active.returncode == 0, active.stderr
    doctor = bilatrus("doctor", "--offline", data_dir=data_dir)
    assert doctor.returncode == 0
    assert "index.html" in doctor.stderr and "SYNTHETIC" in doctor.stderr


def _built_at(data_dir: Path) -> str:
    out = bilatrus(
        "query", "select built_at::varchar as built_at from meta_build", "--format", "json", data_dir=data_dir
    )
    return json.loads(out.stdout)[0]["built_at"]


def test_unchanged_upstream_second_run_is_current(demo_warehouse, tmp_path):
    data_dir = demo_warehouse.copy(tmp_path / "data")
    before = _built_at(data_dir)
    out = bilatrus("run", "--mirror", str(demo_warehouse.mirror.folder), data_dir=data_dir)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "unchanged" in out.stderr
    assert "warning" not in out.stderr.lower() and "▸" not in out.stderr  # no step ran, nothing warned
    assert _built_at(data_dir) == before


def test_unreachable_mirror_fails_fast_with_advice(tmp_path):
    out = bilatrus("run", "--mirror", f"http://127.0.0.1:{closed_port()}/", data_dir=tmp_path, timeout=120)
    assert out.returncode == 1
    assert "BILATRUS_MIRROR" in out.stderr
    assert "Traceback" not in out.stderr
    assert not list((tmp_path / "raw").glob("*/*.tmp*")) if (tmp_path / "raw").exists() else True


def test_renamed_column_names_the_column_and_keeps_nothing_published(synthetic_mirror, tmp_path):
    mirror = synthetic_mirror.copy(tmp_path / "mirror")
    archive_path = mirror / "cordis-fp7projects-csv.zip"
    with zipfile.ZipFile(archive_path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    header, rest = contents["organization.csv"].split(b"\n", 1)
    contents["organization.csv"] = header.replace(b";country;", b";nation;") + b"\n" + rest
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    out = bilatrus("run", "--mirror", str(mirror), data_dir=tmp_path / "data")
    assert out.returncode == 1
    message = " ".join(out.stderr.split())
    assert "'country'" in message and "FP7" in message and "organization.csv" in message
    assert not (tmp_path / "data" / "warehouse" / "bilatrus.duckdb").exists()

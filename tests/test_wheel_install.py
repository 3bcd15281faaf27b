"""`pip install` of the wheel (not editable) runs everything: `bilatrus demo` and `bilatrus query` from an empty
folder, with the SQL, suites, reference tables and catalog read from the installed package, not this checkout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from installed_package import InstalledPackage, run

pytestmark = pytest.mark.slow


def test_the_wheel_ships_the_package_data(package: InstalledPackage) -> None:
    import zipfile

    names = zipfile.ZipFile(package.wheel).namelist()
    for required in (
        "bilatrus_etl/sql/queries/network_edges.sql",
        "bilatrus_etl/catalog/sources.json",
        "bilatrus_etl/expectations/mart_regions.json",
        "pipelines/definitions.py",
        "bilatrus_etl_synthetic/data/countries.json",
        "bilatrus_etl_synthetic/data/russia.json",
    ):
        assert required in names
    assert any(n.startswith("bilatrus_etl/reference/") and n.endswith(".csv") for n in names)
    assert any(n.startswith("bilatrus_etl/sql/marts/") for n in names)
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_the_installed_code_is_the_wheel_not_the_checkout(package: InstalledPackage, tmp_path: Path) -> None:
    where = run(
        [
            package.python,
            "-c",
            "import bilatrus_etl, pipelines.definitions as d; from bilatrus_etl import resources as r; "
            "print(bilatrus_etl.__file__); print(d.__file__); print(r.SQL_DIR); "
            "print(','.join(sorted(k.to_user_string() for k in d.defs.resolve_asset_graph().get_all_asset_keys())))",
        ],
        cwd=tmp_path,
        timeout=300,
    )
    library, definitions, sql_dir, assets = where.stdout.split()
    site = Path(package.venv).resolve()
    for path in (library, definitions, sql_dir):
        assert Path(path).resolve().is_relative_to(site), path
    from pipelines.definitions import defs  # this checkout's code location: the wheel's has the same assets

    expected = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    assert assets.split(",") == expected and len(expected) > 30


def test_demo_and_query_from_an_empty_folder(package: InstalledPackage) -> None:
    assert "SYNTHETIC" in package.demo_stderr
    assert "Traceback" not in package.demo_stderr and "✗" not in package.demo_stderr  # no failed step
    assert (package.data_dir / "warehouse" / "bilatrus.duckdb").is_file()
    expected = json.loads((package.mirror / "manifest.json").read_text(encoding="utf-8"))["expected"]
    out = run(
        [
            package.bilatrus,
            "query",
            "select framework_programme, count(*) as n from stg_participation group by all order by 1",
            "--format",
            "json",
        ],
        cwd=Path(package.workdir),
        timeout=300,
    )
    counts = {row["framework_programme"]: row["n"] for row in json.loads(out.stdout)}
    assert counts == {p: expected[p]["participations"] for p in ("FP6", "FP7", "H2020", "HE")}
    assert "SYNTHETIC" in out.stderr
    ranking = run(
        [package.bilatrus, "query", "select count(*) as n from mart_third_country_ranking", "--format", "csv"],
        cwd=Path(package.workdir),
        timeout=300,
    )
    assert int(ranking.stdout.splitlines()[1]) > 0

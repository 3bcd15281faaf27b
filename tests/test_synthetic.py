"""The synthetic mirror: official names and layouts, determinism, exact manifest, malformed lines."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import pytest

from bilatrus_etl_synthetic.layout import (
    FULL_SCALE,
    LEGACY_ORGANIZATION_COLUMNS,
    LEGACY_PROJECT_COLUMNS,
    MALFORMED_KINDS,
    ORGANIZATION_COLUMNS,
    PROJECT_COLUMNS,
)
from bilatrus_etl_synthetic.mirror import main, write_mirror

SCALE = 0.005
SEED = 7
ZIPS = {
    "FP7": "cordis-fp7projects-csv.zip",
    "H2020": "cordis-h2020projects-csv.zip",
    "HE": "cordis-HORIZONprojects-csv.zip",
}
EXPECTED_FILES = {
    "cordis-fp6projects.csv",
    "cordis-fp6organizations.csv",
    *ZIPS.values(),
    "cordisref-countries.csv",
    "cordisref-FP7programmes.csv",
    "cordisref-H2020programmes.csv",
    "cordisref-organizationActivityType.csv",
    "cordisref-projectFundingSchemeCategory.csv",
    "v2.0-2025-12-16-ror-data.zip",
    "SYNTHETIC.txt",
    "manifest.json",
}


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    dest = tmp_path_factory.mktemp("mirror")
    return dest, write_mirror(dest, scale=SCALE, seed=SEED)


def _data_files(folder: Path, manifest: dict[str, Any]) -> list[tuple[str, bytes, dict[str, Any]]]:
    """(label, bytes, manifest entry) of every programme CSV, zipped members included."""
    out = []
    for name, entry in manifest["files"].items():
        if entry.get("programme") is None:
            continue
        if entry["kind"] == "csv":
            out.append((name, (folder / name).read_bytes(), entry))
        else:
            with zipfile.ZipFile(folder / name) as zf:
                for member, member_entry in entry["members"].items():
                    out.append((f"{name}/{member}", zf.read(member), member_entry))
    return out


def _duckdb_read(con: duckdb.DuckDBPyConnection, path: Path, columns: list[str]) -> tuple[int, list[int]]:
    spec = ", ".join(f"'{c}': 'VARCHAR'" for c in columns)
    con.execute(
        f"CREATE OR REPLACE TABLE landed AS SELECT * FROM read_csv('{path}', delim=';', quote='\"', escape='\"', "
        f"header=true, auto_detect=false, columns={{{spec}}}, store_rejects=true, max_line_size=10000000)"
    )
    count = con.execute("SELECT count(*) FROM landed").fetchall()[0][0]
    # reject_errors accumulates over every scan of the connection: keep this file's rows only.
    rejected = sorted(
        {
            row[0]
            for row in con.execute(
                "SELECT e.line FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id) WHERE s.file_path = ?",
                [str(path)],
            ).fetchall()
        }
    )
    return count, rejected


def test_same_seed_same_bytes_and_workers_do_not_matter(mirror, tmp_path: Path) -> None:
    dest, _manifest = mirror
    again = tmp_path / "again"
    write_mirror(again, scale=SCALE, seed=SEED, workers=2)
    assert _digests(again) == _digests(dest)
    other = tmp_path / "other"
    write_mirror(other, scale=SCALE, seed=SEED + 1)
    assert _digests(other)["cordis-h2020projects-csv.zip"] != _digests(dest)["cordis-h2020projects-csv.zip"]


def test_a_programme_does_not_depend_on_the_others(mirror, tmp_path: Path) -> None:
    dest, _manifest = mirror
    only = tmp_path / "he-only"
    manifest = write_mirror(only, scale=SCALE, seed=SEED, programmes=("HE",))
    assert manifest["programmes"] == ["HE"]
    assert not (only / "cordis-fp6projects.csv").exists()
    assert _digests(only)[ZIPS["HE"]] == _digests(dest)[ZIPS["HE"]]


def test_official_file_names_members_and_marker(mirror) -> None:
    dest, manifest = mirror
    assert {p.name for p in dest.iterdir()} == EXPECTED_FILES
    assert "SYNTHETIC" in (dest / "SYNTHETIC.txt").read_text(encoding="utf-8")
    assert manifest["synthetic"] is True
    assert json.loads((dest / "manifest.json").read_text(encoding="utf-8")) == json.loads(json.dumps(manifest))
    for name in ZIPS.values():
        with zipfile.ZipFile(dest / name) as zf:
            names = zf.namelist()
            assert {"project.csv", "organization.csv", "euroSciVoc.csv", "legalBasis.csv", "topics.csv"} <= set(names)
            assert all(info.date_time == (2025, 10, 21, 0, 0, 0) for info in zf.infolist())
            assert zf.testzip() is None


def test_headers_are_exact(mirror) -> None:
    dest, manifest = mirror
    expected = {
        "cordis-fp6projects.csv": LEGACY_PROJECT_COLUMNS,
        "cordis-fp6organizations.csv": LEGACY_ORGANIZATION_COLUMNS,
    }
    for label, data, _entry in _data_files(dest, manifest):
        header = data.split(b"\n", 1)[0].decode("utf-8").split(";")
        if label.endswith("project.csv"):
            assert tuple(header) == PROJECT_COLUMNS, label
        elif label.endswith("organization.csv"):
            assert tuple(header) == ORGANIZATION_COLUMNS, label
        elif label in expected:
            assert tuple(header) == expected[label], label
    assert len(PROJECT_COLUMNS) == 20 and len(ORGANIZATION_COLUMNS) == 25


def test_organization_layout_is_the_real_one(shared_file) -> None:
    sample = shared_file("cordis/official-layout/h2020-organization-sample.csv")
    with sample.open(encoding="utf-8", newline="") as fh:
        assert tuple(next(csv.reader(fh))) == ORGANIZATION_COLUMNS


@pytest.mark.parametrize(
    "name",
    [
        "cordisref-countries.csv",
        "cordisref-FP7programmes.csv",
        "cordisref-H2020programmes.csv",
        "cordisref-organizationActivityType.csv",
        "cordisref-projectFundingSchemeCategory.csv",
    ],
)
def test_reference_tables_have_the_real_header_bom_and_line_ends(mirror, shared_file, name: str) -> None:
    dest, _manifest = mirror
    real = shared_file(f"cordis/reference/{name}").read_bytes()
    ours = (dest / name).read_bytes()
    assert ours.startswith(b"\xef\xbb\xbf") == real.startswith(b"\xef\xbb\xbf")
    assert ours.split(b"\n", 1)[0] == real.split(b"\n", 1)[0]
    assert (b"\r\n" in ours) == (b"\r\n" in real)


def test_countries_use_cordis_codes(mirror) -> None:
    dest, _manifest = mirror
    text = (dest / "cordisref-countries.csv").read_text(encoding="utf-8-sig")
    assert '"EL";"GR";"Greece";"en"' in text
    assert '"UK";"GB";"United Kingdom";"en"' in text
    assert '"XK";"NULL";"Kosovo";"en"' in text


def test_counts_and_malformed_lines_match_the_manifest(mirror, tmp_path: Path) -> None:
    dest, manifest = mirror
    con = duckdb.connect()
    checked = 0
    for label, data, entry in _data_files(dest, manifest):
        path = tmp_path / label.replace("/", "__")
        path.write_bytes(data)
        count, rejected = _duckdb_read(con, path, entry["columns"])
        assert count == entry["records"], label
        assert rejected == [m["record"] + 1 for m in entry["malformed_lines"]], label
        text = data.decode("utf-8-sig")
        physical = text.split("\n")
        bad_lines = {m["line"] for m in entry["malformed_lines"]}
        for m in entry["malformed_lines"]:
            line = physical[m["line"] - 1]
            try:
                fields = next(csv.reader([line], delimiter=";", strict=True))
                assert len(fields) != len(entry["columns"]), (label, m)
            except csv.Error:
                assert m["kind"] == "stray_quote", (label, m)
        # Without the malformed lines, a strict reader gets every record with the right width.
        kept = "\n".join(line for number, line in enumerate(physical, start=1) if number not in bad_lines)
        rows = list(csv.reader(io.StringIO(kept, newline=""), delimiter=";", strict=True))[1:]
        assert len(rows) == entry["records"], label
        assert all(len(row) == len(entry["columns"]) for row in rows), label
        checked += len(entry["malformed_lines"])
    assert checked == sum(len(v) for v in manifest["malformed"].values()) > 0
    assert {kind for lines in manifest["malformed"].values() for _line, kind in lines} == set(MALFORMED_KINDS)


def test_programme_totals_and_russia(mirror, tmp_path: Path) -> None:
    dest, manifest = mirror
    con = duckdb.connect()
    for programme, zip_name in [("FP6", None), *ZIPS.items()]:
        expected = manifest["expected"][programme]
        full_projects, full_parts = FULL_SCALE[programme]
        assert expected["projects"] == round(full_projects * SCALE)
        assert expected["participations"] == round(full_parts * SCALE)
        if zip_name is None:
            org_path, project_path = dest / "cordis-fp6organizations.csv", dest / "cordis-fp6projects.csv"
            org_columns, project_columns = LEGACY_ORGANIZATION_COLUMNS, LEGACY_PROJECT_COLUMNS
            key, start = "projectReference", "startDate"
        else:
            with zipfile.ZipFile(dest / zip_name) as zf:
                org_path, project_path = tmp_path / f"{programme}-org.csv", tmp_path / f"{programme}-project.csv"
                org_path.write_bytes(zf.read("organization.csv"))
                project_path.write_bytes(zf.read("project.csv"))
            org_columns, project_columns = ORGANIZATION_COLUMNS, PROJECT_COLUMNS
            key, start = "projectID", "startDate"
        _duckdb_read(con, project_path, list(project_columns))
        con.execute("CREATE OR REPLACE TABLE projects AS SELECT * FROM landed")
        n_orgs, _ = _duckdb_read(con, org_path, list(org_columns))
        assert n_orgs == expected["participations"]
        assert con.execute("SELECT count(*) FROM projects").fetchall()[0][0] == expected["projects"]
        ru = con.execute("SELECT count(*) FROM landed WHERE country = 'RU'").fetchall()[0][0]
        assert ru == expected["ru_participations"] > 0, programme
        countries = {row[0] for row in con.execute("SELECT DISTINCT country FROM landed").fetchall()}
        assert {"EL", "UK"} <= countries and not {"GR", "GB"} & countries
        project_id = "reference" if zip_name is None else "id"
        late = con.execute(
            f"SELECT count(*) FROM landed o JOIN projects p ON o.{key} = p.{project_id} "
            f"WHERE o.country = 'RU' AND p.{start} >= '2022-03-01'"
        ).fetchall()[0][0]
        assert late == 0, programme
        orphans = con.execute(
            f"SELECT count(*) FROM landed o ANTI JOIN projects p ON o.{key} = p.{project_id}"
        ).fetchall()[0][0]
        assert orphans == 0, programme
        if zip_name is None:
            assert con.execute("SELECT count(*) FROM landed WHERE ecContribution <> ''").fetchall()[0][0] == 0
            roles = {row[0] for row in con.execute("SELECT DISTINCT role FROM landed").fetchall()}
            assert roles == {"coordinator", "participant"}
    assert manifest["expected"]["FP6"]["ru_participations"] > manifest["expected"]["HE"]["ru_participations"]


def test_ror_dump_is_v2_json_with_russian_records(mirror) -> None:
    dest, manifest = mirror
    with zipfile.ZipFile(dest / "v2.0-2025-12-16-ror-data.zip") as zf:
        records = json.loads(zf.read("v2.0-2025-12-16-ror-data_schema_v2.json"))
    assert isinstance(records, list) and len(records) == manifest["ror"]["records"]
    ids = {r["id"] for r in records}
    assert len(ids) == len(records)
    assert all(re.fullmatch(r"https://ror\.org/0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}", i) for i in ids)
    russian = [r for r in records if r["locations"][0]["geonames_details"]["country_code"] == "RU"]
    assert len(russian) == manifest["ror"]["ru_records"] > 20
    for record in russian:
        assert sum("ror_display" in n["types"] for n in record["names"]) == 1
        assert record["locations"][0]["geonames_details"]["name"]
        assert record["types"]
        assert all(rel["id"] in ids for rel in record["relationships"])
    kinds = {rel["type"] for r in russian for rel in r["relationships"]}
    assert {"parent", "child"} <= kinds
    truth = manifest["ror"]["ru_ground_truth"]
    matchable = [t for t in truth if t["ror_id"]]
    assert matchable and len(matchable) < len(truth)  # some institutions are in ROR, some are not
    assert all(t["ror_id"] in ids for t in matchable)


def test_cli_writes_a_mirror(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "cli"), "--scale", "0.002", "--seed", "3", "--programmes", "FP7"]) == 0
    assert (tmp_path / "cli" / "cordis-fp7projects-csv.zip").exists()
    assert "synthetic" in capsys.readouterr().out


# Written by the generator before its data tables moved out of code into data/*.json: any change of what it
# writes changes this digest (then bump GENERATOR_VERSION and write the new digest here, on purpose).
TINY_MIRROR_CONTENT = "b23fdc9b1227ffa49573fe723afe7215d00e7b229e92702559e5844d48ac6b55"


def _content_digest(folder: Path) -> str:
    """sha256 of every file's content (zip members uncompressed, so the zlib build does not matter)."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.name == "manifest.json":
            manifest = json.loads(path.read_text(encoding="utf-8"))
            for entry in manifest["files"].values():
                if entry["kind"] == "zip":
                    del entry["sha256"], entry["bytes"]
            digest.update(json.dumps(manifest, sort_keys=True).encode())
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in sorted(archive.namelist()):
                    digest.update(f"{path.name}/{name}\n".encode())
                    digest.update(archive.read(name))
        else:
            digest.update(f"{path.name}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_the_generator_writes_what_it_always_wrote(tmp_path: Path) -> None:
    write_mirror(tmp_path / "tiny", scale=0.002, seed=7)
    assert _content_digest(tmp_path / "tiny") == TINY_MIRROR_CONTENT


def test_data_tables_are_package_files() -> None:
    from importlib import resources

    from bilatrus_etl_synthetic import tables

    shipped = {p.name for p in resources.files("bilatrus_etl_synthetic").joinpath("data").iterdir()}
    assert shipped == {"countries.json", "organisations.json", "programmes.json", "russia.json", "text.json"}
    assert len(tables.COUNTRIES) == 54 and tables.COUNTRIES["EL"].iso == "GR"
    assert [s.code for s in tables.SCHEMES["H2020"]][:3] == ["RIA", "IA", "CSA"]
    curated_in_ror = [s for s in tables.RU_CURATED if s.ror]
    assert len(tables.RU_CURATED) == 50 and len(curated_in_ror) == 45
    assert {s.parent for s in tables.RU_CURATED if s.parent} <= {s.key for s in tables.RU_ROR_ONLY}

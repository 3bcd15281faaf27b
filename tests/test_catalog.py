"""The source catalog and mirror resolution."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import catalog, fetch, http, provenance
from bilatrus_etl.ingest.catalog import Dataset, datasets_for_programme, load_catalog, resolve_url

CORDISREF = {
    "cordisref_countries": "cordisref-countries.csv",
    "cordisref_fp7_programmes": "cordisref-FP7programmes.csv",
    "cordisref_h2020_programmes": "cordisref-H2020programmes.csv",
    "cordisref_activity_types": "cordisref-organizationActivityType.csv",
    "cordisref_funding_scheme_categories": "cordisref-projectFundingSchemeCategory.csv",
}


def test_catalog_is_packaged_data() -> None:
    text = resources.files("bilatrus_etl").joinpath("catalog/sources.json").read_text(encoding="utf-8")
    assert [d["key"] for d in json.loads(text)["datasets"]] == list(load_catalog())


def test_catalog_official_urls_formats_and_members() -> None:
    datasets = load_catalog()
    urls = {key: d.url for key, d in datasets.items()}
    assert urls["cordis_fp6_projects"] == "https://cordis.europa.eu/data/FP6/cordis-fp6projects.csv"
    assert urls["cordis_fp6_organizations"] == "https://cordis.europa.eu/data/FP6/cordis-fp6organizations.csv"
    assert urls["cordis_fp7"] == "https://cordis.europa.eu/data/cordis-fp7projects-csv.zip"
    assert urls["cordis_h2020"] == "https://cordis.europa.eu/data/cordis-h2020projects-csv.zip"
    assert urls["cordis_he"] == "https://cordis.europa.eu/data/cordis-HORIZONprojects-csv.zip"
    for key, name in CORDISREF.items():
        assert urls[key] == f"https://cordis.europa.eu/data/reference/{name}"
        assert datasets[key].kind == "reference" and datasets[key].format == "csv"
    assert urls["ror_dump"].startswith("https://zenodo.org/records/")
    for key in ("cordis_fp7", "cordis_h2020", "cordis_he"):
        assert datasets[key].format == "zip"
        assert datasets[key].members == ("project.csv", "organization.csv")
        assert datasets[key].licence == "CC BY 4.0"
    ror = datasets["ror_dump"]
    assert (ror.format, ror.kind, ror.programme, ror.licence) == ("zip", "registry", None, "CC0 1.0")
    assert ror.landing_page == "https://doi.org/10.5281/zenodo.6347574"
    assert ror.file_name == "v2.0-2025-12-16-ror-data.zip"
    assert ror.member_specs() == {"ror-data.json": ("*ror-data_schema_v2.json", "*ror-data.json")}
    assert ror.mirror_glob == "*ror-data*.zip"
    assert all(d.description and d.licence_url for d in datasets.values())


def test_catalog_file_names_match_the_real_reference_tables(shared_file) -> None:
    folder = shared_file("cordis/reference/cordisref-countries.csv").parent
    datasets = load_catalog()
    for key, name in CORDISREF.items():
        assert datasets[key].file_name == name
        assert (folder / name).is_file()


def test_datasets_for_programme() -> None:
    assert [d.key for d in datasets_for_programme("FP6")] == ["cordis_fp6_projects", "cordis_fp6_organizations"]
    assert [d.key for d in datasets_for_programme("FP7")] == ["cordis_fp7"]
    assert [d.key for d in datasets_for_programme("H2020")] == ["cordis_h2020"]
    assert [d.key for d in datasets_for_programme("HE")] == ["cordis_he"]
    assert [d.key for d in datasets_for_programme("FP7", kind="reference")] == ["cordisref_fp7_programmes"]
    assert [d.key for d in catalog.datasets_of_kind("registry")] == ["ror_dump"]
    with pytest.raises(BilatrusError, match="FP5.*FP6, FP7, H2020, HE"):
        datasets_for_programme("FP5")


def test_official_file_name_drops_query_and_decodes() -> None:
    url = "https://z.org/records/1/files/v2.0-ror-data.zip?download=1"
    assert catalog.official_file_name(url) == "v2.0-ror-data.zip"
    assert catalog.official_file_name("https://h/a/b%20c.csv") == "b c.csv"


def test_resolve_url_official_and_base_url_mirror() -> None:
    h2020 = load_catalog()["cordis_h2020"]
    assert resolve_url(h2020, None) == h2020.url
    assert resolve_url(h2020, "") == h2020.url
    assert (
        resolve_url(h2020, "http://mirror.local:8080/cordis")
        == "http://mirror.local:8080/cordis/cordis-h2020projects-csv.zip"
    )
    assert (
        resolve_url(h2020, "https://mirror.local/cordis/") == "https://mirror.local/cordis/cordis-h2020projects-csv.zip"
    )
    ror = load_catalog()["ror_dump"]
    assert resolve_url(ror, "http://m/") == "http://m/v2.0-2025-12-16-ror-data.zip"


def test_resolve_url_folder_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h2020 = load_catalog()["cordis_h2020"]
    expected = (tmp_path / "cordis-h2020projects-csv.zip").as_uri()
    assert resolve_url(h2020, str(tmp_path)) == expected
    assert resolve_url(h2020, tmp_path.as_uri()) == expected
    monkeypatch.chdir(tmp_path.parent)
    assert resolve_url(h2020, tmp_path.name) == expected
    with pytest.raises(BilatrusError, match="unsupported scheme"):
        resolve_url(h2020, "ftp://host/dir")


def test_resolve_url_folder_mirror_ror_glob_picks_newest(tmp_path: Path) -> None:
    ror = load_catalog()["ror_dump"]
    for name in ("v1.9-2022-ror-data.zip", "v1.10-2022-ror-data.zip", "ror-data-v1.74.ZIP", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert resolve_url(ror, str(tmp_path)) == (tmp_path / "v1.10-2022-ror-data.zip").as_uri()
    (tmp_path / "v2.1-2026-01-20-ror-data.zip").write_bytes(b"x")
    assert resolve_url(ror, str(tmp_path)) == (tmp_path / "v2.1-2026-01-20-ror-data.zip").as_uri()
    (tmp_path / ror.file_name).write_bytes(b"x")  # the exact official name always wins
    assert resolve_url(ror, str(tmp_path)) == (tmp_path / ror.file_name).as_uri()


def test_resolve_url_empty_folder_points_at_official_name(tmp_path: Path) -> None:
    ror = load_catalog()["ror_dump"]
    assert resolve_url(ror, str(tmp_path)) == (tmp_path / ror.file_name).as_uri()


def test_folder_mirror_of_real_reference_tables_downloads_each(shared_file, tmp_path: Path) -> None:
    folder = str(shared_file("cordis/reference/cordisref-countries.csv").parent)
    session = http.make_session(backoff_factor=0)
    for dataset in catalog.datasets_of_kind("reference"):
        source = Path(folder) / dataset.file_name
        result = fetch.download(dataset, resolve_url(dataset, folder), tmp_path / "raw", session=session)
        assert result.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
        assert result.bytes == source.stat().st_size
        assert result.path == tmp_path / "raw" / dataset.key / f"{result.sha256}.csv"
    rows = provenance.read_provenance(tmp_path / "raw")
    assert [row["dataset"] for row in rows] == [d.key for d in catalog.datasets_of_kind("reference")]


def _write_catalog(path: Path, **overrides: object) -> Path:
    entry = {
        "key": "x",
        "kind": "programme",
        "programme": "FP7",
        "url": "https://h/x.zip",
        "format": "zip",
        "layout": "cordis-current",
        "licence": "CC BY 4.0",
        "description": "d",
        "members": ["project.csv"],
    }
    entry.update(overrides)
    path.write_text(json.dumps({"datasets": [entry]}), encoding="utf-8")
    return path


def test_load_catalog_from_a_file(tmp_path: Path) -> None:
    datasets = load_catalog(_write_catalog(tmp_path / "ok.json"))
    assert datasets == {
        "x": Dataset(
            key="x",
            kind="programme",
            programme="FP7",
            url="https://h/x.zip",
            format="zip",
            layout="cordis-current",
            licence="CC BY 4.0",
            description="d",
            members=("project.csv",),
        )
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"programme": "FP5"}, "programme 'FP5'"),
        ({"format": "xml"}, "format 'xml'"),
        ({"url": "http://insecure/x.zip"}, "not an https URL"),
        ({"members": []}, "must list its expected members"),
    ],
)
def test_invalid_catalog_is_a_clear_error(tmp_path: Path, overrides: dict, message: str) -> None:
    with pytest.raises(BilatrusError, match=f"dataset 'x': .*{message}"):
        load_catalog(_write_catalog(tmp_path / "bad.json", **overrides))


def test_catalog_entry_missing_a_field(tmp_path: Path) -> None:
    path = _write_catalog(tmp_path / "bad.json")
    data = json.loads(path.read_text())
    del data["datasets"][0]["licence"]
    path.write_text(json.dumps(data))
    with pytest.raises(BilatrusError, match="entry 'x' lacks or mistypes a field"):
        load_catalog(path)


@pytest.mark.parametrize(
    "url, shown",
    [
        ("https://user:pw@host/f.zip?token=abc&download=1", "https://***@host/f.zip?token=***&download=1"),
        ("http://TOKEN@127.0.0.1:8080/m/", "http://***@127.0.0.1:8080/m/"),
        (
            "https://h/x.zip?X-Amz-Signature=ab12&X-Amz-Credential=AK%2F1&a=1",
            "https://h/x.zip?X-Amz-Signature=***&X-Amz-Credential=***&a=1",
        ),
        ("GET /f.zip?access_token=zz&api_key=k HTTP/1.1", "GET /f.zip?access_token=***&api_key=*** HTTP/1.1"),
        (
            "https://zenodo.org/records/17953395/files/v2.0-2025-12-16-ror-data.zip?download=1",
            "https://zenodo.org/records/17953395/files/v2.0-2025-12-16-ror-data.zip?download=1",
        ),
        ("a mirror at /data/mirror", "a mirror at /data/mirror"),
    ],
)
def test_redact_takes_secrets_out_of_urls(url: str, shown: str) -> None:
    assert catalog.redact(url) == shown

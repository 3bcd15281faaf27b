"""The ROR registry follows Zenodo's newest release: the records API on a loopback server, md5, provenance."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import duckdb
import pytest
from fixture_server import FixtureServer, closed_port

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import catalog, fetch, fetch_errors, http, provenance, releases
from bilatrus_etl.ingest.fetch_errors import FetchError
from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse.meta import record_provenance

ROR = catalog.load_catalog()["ror_dump"]
CONCEPT = "6347574"
NEW = "v2.1-2026-01-15-ror-data.zip"
BODY = b"PK\x03\x04" + bytes(range(256)) * 8  # 2,052 bytes; the content is not read here


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    fetch_errors.forget_unreachable_hosts()
    yield
    fetch_errors.forget_unreachable_hosts()


@pytest.fixture
def zenodo(fixture_server: FixtureServer, monkeypatch) -> FixtureServer:
    monkeypatch.setenv(releases.ZENODO_API_ENV, fixture_server.url + "api")
    return fixture_server


@pytest.fixture
def session():
    with http.make_session(retries=1, connect_retries=0, backoff_factor=0, connect_timeout=1, read_timeout=2) as s:
        yield s


def test_catalog_names_the_concept_and_pins_a_release() -> None:
    assert ROR.zenodo_concept == CONCEPT and ROR.mirror_glob == "*ror-data*.zip"
    assert ROR.file_name == "v2.0-2025-12-16-ror-data.zip" and ROR.release is None


def test_newest_release_is_resolved_downloaded_checked_and_recorded(
    zenodo: FixtureServer, tmp_path: Path, session
) -> None:
    zenodo.zenodo_release(CONCEPT, "18000001", {NEW: BODY, "README.md": b"notes"}, version="v2.1")
    dataset = releases.current(ROR, None, session=session)
    release = dataset.release
    assert release is not None and release.source == "zenodo-api"
    assert (release.record_id, release.version, release.doi, release.file) == (
        "18000001",
        "v2.1",
        "10.5281/zenodo.18000001",
        NEW,
    )
    assert release.checksum == "md5:" + hashlib.md5(BODY).hexdigest() and release.md5 == hashlib.md5(BODY).hexdigest()
    assert release.concept_doi == "10.5281/zenodo.6347574" and release.published == "2026-01-15"
    assert dataset.url == zenodo.url_for(f"api/records/18000001/files/{NEW}/content")
    assert dataset.file_name == NEW
    # the API was asked once for the latest version, then followed its redirect to the record
    assert [r.path for r in zenodo.requests] == [f"/api/records/{CONCEPT}/versions/latest", "/api/records/18000001"]

    raw = tmp_path / "raw"
    result = fetch.download(dataset, dataset.url, raw, session=session)
    assert (result.sha256, result.bytes, result.path.suffix) == (hashlib.sha256(BODY).hexdigest(), len(BODY), ".zip")
    [row] = provenance.read_provenance(raw)
    assert row["release"] == {
        "record_id": "18000001",
        "version": "v2.1",
        "doi": "10.5281/zenodo.18000001",
        "file": NEW,
        "checksum": release.checksum,
        "source": "zenodo-api",
        "concept_doi": "10.5281/zenodo.6347574",
        "published": "2026-01-15",
        "resolved_from": zenodo.url + f"api/records/{CONCEPT}/versions/latest",
    }
    # and the warehouse's provenance table carries it
    settings = Settings.from_env(mirror=None, data_dir=tmp_path)
    con = duckdb.connect()
    assert record_provenance(con, settings) == 1
    stored = con.execute(
        "SELECT release->>'record_id', release->>'version', release->>'checksum' FROM meta_download_provenance"
    ).fetchone()
    assert stored == ("18000001", "v2.1", release.checksum)


def test_md5_mismatch_discards_the_file(zenodo: FixtureServer, tmp_path: Path, session) -> None:
    zenodo.zenodo_release(CONCEPT, "18000002", {NEW: BODY}, version="v2.1", checksums={NEW: "md5:" + "0" * 32})
    dataset = releases.current(ROR, None, session=session)
    with pytest.raises(FetchError) as caught:
        fetch.download(dataset, dataset.url, tmp_path / "raw", session=session)
    message = str(caught.value)
    assert f"has md5 {hashlib.md5(BODY).hexdigest()}, not the md5 {'0' * 32}" in message
    assert provenance.read_provenance(tmp_path / "raw") == []
    assert [p.name for p in (tmp_path / "raw" / "ror_dump").iterdir()] == []  # no file, no .part


def test_newest_of_several_matching_files(zenodo: FixtureServer, session) -> None:
    zenodo.zenodo_release(
        CONCEPT,
        "18000003",
        {"v2.1-ror-data.zip": b"a", "v2.10-ror-data.zip": b"b", "v2.9-ror-data.zip": b"c"},
        version="v2.10",
    )
    assert releases.current(ROR, None, session=session).file_name == "v2.10-ror-data.zip"


def test_api_unreachable_falls_back_to_the_pinned_file_with_a_warning(monkeypatch, caplog, session) -> None:
    monkeypatch.setenv(releases.ZENODO_API_ENV, f"http://127.0.0.1:{closed_port()}/api")
    with caplog.at_level(logging.WARNING, logger="bilatrus_etl.ingest.releases"):
        dataset = releases.current(ROR, None, session=session)
    assert dataset.url == ROR.url and dataset.file_name == ROR.file_name
    release = dataset.release
    assert (release.source, release.record_id, release.version, release.doi, release.checksum) == (
        "pinned",
        "17953395",
        "v2.0",
        "10.5281/zenodo.17953395",
        None,
    )
    assert "could not be reached" in release.warning and "Using the pinned release" in release.warning
    assert [r.getMessage() for r in caplog.records] == [release.warning]


@pytest.mark.parametrize(
    "answer, cause",
    [
        ("not json", "not JSON"),
        (
            json.dumps(
                {
                    "id": 1,
                    "files": [{"key": "other.zip", "checksum": "md5:" + "a" * 32, "links": {"self": "http://x/y"}}],
                }
            ),
            "holds no file matching *ror-data*.zip",
        ),
        (
            json.dumps(
                {
                    "id": 1,
                    "files": [{"key": NEW, "checksum": "md5:" + "a" * 32, "links": {"self": "file:///etc/passwd"}}],
                }
            ),
            "is not an http(s) address",
        ),
        (json.dumps({"id": 1, "files": [{"key": NEW, "links": {"self": "http://x/y"}}]}), "has no md5 checksum"),
    ],
)
def test_unusable_answers_fall_back(zenodo: FixtureServer, session, answer: str, cause: str) -> None:
    zenodo.answer(f"api/records/{CONCEPT}/versions/latest", answer)
    dataset = releases.current(ROR, None, session=session)
    assert dataset.url == ROR.url and dataset.release.source == "pinned"
    assert cause in dataset.release.warning


def test_a_mirror_is_used_as_it_is(zenodo: FixtureServer, tmp_path: Path) -> None:
    assert releases.current(ROR, str(tmp_path)) is ROR
    assert releases.current(ROR, zenodo.url) is ROR
    assert zenodo.requests == []
    (tmp_path / "v2.3-2026-05-01-ror-data.zip").write_bytes(b"x")
    assert catalog.resolve_url(ROR, str(tmp_path)).endswith("/v2.3-2026-05-01-ror-data.zip")


def test_catalog_refuses_a_bad_concept(tmp_path: Path) -> None:
    entry = json.loads(catalog.CATALOG_FILE.read_text(encoding="utf-8"))
    entry["datasets"][-1]["zenodo_concept"] = "../6347574"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(entry))
    with pytest.raises(BilatrusError, match="is not a Zenodo record id"):
        catalog.load_catalog(path)

"""Downloads against the local fixture server: retries, conditional GET, failures, provenance."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fixture_server import FixtureServer, closed_port

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import catalog, early, fetch_errors, http, provenance
from bilatrus_etl.ingest.fetch import download, send_ahead
from bilatrus_etl.ingest.fetch_errors import FetchError

H2020 = catalog.load_catalog()["cordis_h2020"]
BODY = bytes(range(256)) * 40  # 10,240 bytes
SHA = hashlib.sha256(BODY).hexdigest()
NAME = "cordis-h2020projects-csv.zip"


@pytest.fixture
def session():
    """Fast retries for tests: no backoff, short timeouts."""
    with http.make_session(retries=2, connect_retries=1, backoff_factor=0, connect_timeout=1, read_timeout=2) as s:
        yield s


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    return tmp_path / "raw"


@pytest.fixture(autouse=True)
def _forget_hosts():
    fetch_errors.forget_unreachable_hosts()
    yield
    fetch_errors.forget_unreachable_hosts()


def _files(raw: Path, dataset: str = "cordis_h2020") -> list[str]:
    folder = raw / dataset
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_stores_by_hash_and_records_provenance(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    seen: list[tuple[int, int | None]] = []
    result = download(
        H2020,
        fixture_server.url_for(NAME),
        raw,
        session=session,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert (result.dataset, result.status, result.bytes, result.sha256, result.changed) == (
        "cordis_h2020",
        200,
        len(BODY),
        SHA,
        True,
    )
    assert result.path == raw.resolve() / "cordis_h2020" / f"{SHA}.zip"
    assert result.path.read_bytes() == BODY
    assert result.etag and result.etag.startswith('"')
    assert result.last_modified and result.last_modified.endswith("GMT")
    assert seen[0] == (0, len(BODY)) and seen[-1] == (len(BODY), len(BODY))
    assert _files(raw) == [f"{SHA}.zip"]  # no temp file left beside it
    [row] = provenance.read_provenance(raw)
    assert row == {
        "dataset": "cordis_h2020",
        "url": fixture_server.url_for(NAME),
        "fetched_at": row["fetched_at"],
        "http_status": 200,
        "etag": result.etag,
        "last_modified": result.last_modified,
        "sha256": SHA,
        "bytes": len(BODY),
        "path": f"cordis_h2020/{SHA}.zip",
        "changed": True,
    }
    assert datetime.fromisoformat(row["fetched_at"]).utcoffset() == UTC.utcoffset(None)
    assert provenance.latest_download(raw, "cordis_h2020") == row
    assert provenance.latest_download(raw, "cordis_fp7") is None


def test_not_modified_reuses_stored_file(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    first = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    second = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert (second.status, second.changed, second.sha256, second.bytes, second.path) == (
        304,
        False,
        SHA,
        len(BODY),
        first.path,
    )
    get_1, get_2 = fixture_server.requests
    assert "If-None-Match" not in get_1.headers
    assert get_2.headers["If-None-Match"] == first.etag
    assert get_2.headers["If-Modified-Since"] == first.last_modified
    assert (get_2.status, get_2.body_bytes) == (304, 0)  # no second body
    assert [r["http_status"] for r in provenance.read_provenance(raw)] == [200, 304]
    assert [r["changed"] for r in provenance.read_provenance(raw)] == [True, False]
    assert _files(raw) == [f"{SHA}.zip"]


def test_same_content_without_validators_is_unchanged(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.conditional = False
    fixture_server.put(NAME, BODY)
    download(H2020, fixture_server.url_for(NAME), raw, session=session)
    again = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert (again.status, again.changed, again.sha256, again.etag) == (200, False, SHA, None)
    assert [r.body_bytes for r in fixture_server.requests] == [len(BODY), len(BODY)]
    assert "If-None-Match" not in fixture_server.requests[1].headers
    assert _files(raw) == [f"{SHA}.zip"]


def test_changed_content_is_a_new_file(fixture_server: FixtureServer, raw: Path, session) -> None:
    path = fixture_server.put(NAME, BODY)
    download(H2020, fixture_server.url_for(NAME), raw, session=session)
    path.write_bytes(BODY + b"more")
    new_sha = hashlib.sha256(BODY + b"more").hexdigest()
    result = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert (result.status, result.changed, result.sha256, result.bytes) == (200, True, new_sha, len(BODY) + 4)
    assert _files(raw) == sorted([f"{SHA}.zip", f"{new_sha}.zip"])


def test_deleted_stored_file_is_fetched_again(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    first = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    first.path.unlink()
    again = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert (again.status, again.changed, again.path.read_bytes()) == (200, False, BODY)
    assert "If-None-Match" not in fixture_server.requests[1].headers


def test_server_error_then_success_is_retried(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, 500, times=1)
    result = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert (result.status, result.sha256) == (200, SHA)
    assert [r.status for r in fixture_server.requests] == [500, 200]


def test_persistent_server_error_fails_after_retries(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, 503, times=None)
    with pytest.raises(FetchError) as caught:
        download(H2020, fixture_server.url_for(NAME), raw, session=session)
    message = str(caught.value)
    assert "'cordis_h2020'" in message and "HTTP 503" in message and "BILATRUS_MIRROR=" in message
    assert [r.status for r in fixture_server.requests] == [503, 503, 503]  # 1 try + 2 retries
    assert provenance.read_provenance(raw) == [] and _files(raw) == []


def test_too_many_requests_is_retried(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, 429, times=2, retry_after=0)
    result = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert result.sha256 == SHA
    assert [r.status for r in fixture_server.requests] == [429, 429, 200]


def test_retry_after_is_respected(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, 429, times=1, retry_after=1)
    started = time.monotonic()
    download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert time.monotonic() - started >= 0.9
    assert [r.status for r in fixture_server.requests] == [429, 200]


def test_slow_answer_then_success_is_retried(fixture_server: FixtureServer, raw: Path) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, delay=1.0, times=1)
    with http.make_session(retries=1, backoff_factor=0, read_timeout=0.3) as session:
        result = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert (result.status, result.sha256) == (200, SHA)


def test_timeout_fails_with_mirror_hint(fixture_server: FixtureServer, raw: Path) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, delay=5.0, times=None)
    started = time.monotonic()
    with http.make_session(retries=1, backoff_factor=0, read_timeout=0.3) as session:
        with pytest.raises(FetchError) as caught:
            download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert time.monotonic() - started < 2.0
    message = str(caught.value)
    assert "did not answer in time" in message and "read timeout=0.3" in message
    assert f"download the file by hand from {H2020.url}" in message
    assert "set BILATRUS_MIRROR=/that/folder" in message
    assert provenance.read_provenance(raw) == [] and _files(raw) == []


def test_unreachable_host_fails_fast_with_mirror_hint(raw: Path, session) -> None:
    url = f"http://127.0.0.1:{closed_port()}/{NAME}"
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        download(H2020, url, raw, session=session)
    assert time.monotonic() - started < 2.0
    message = str(caught.value)
    assert "Dataset 'cordis_h2020'" in message and url in message and "Connection refused" in message
    assert f"download the file by hand from {H2020.url} into a folder" in message
    assert "set BILATRUS_MIRROR=/that/folder" in message
    assert caught.value.dataset == "cordis_h2020" and caught.value.url == url
    # the same host is not tried again in this process for a while: other files fail at once
    with pytest.raises(FetchError, match="not tried again"):
        download("cordis_fp7", url.replace(NAME, "cordis-fp7projects-csv.zip"), raw, session=session)
    assert isinstance(caught.value, BilatrusError)


def test_default_session_fails_fast_on_unreachable_host(raw: Path) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="could not connect"):
        download(H2020, f"http://127.0.0.1:{closed_port()}/{NAME}", raw)  # production settings
    assert time.monotonic() - started < 5.0


def test_not_found(fixture_server: FixtureServer, raw: Path, session) -> None:
    with pytest.raises(FetchError) as caught:
        download(H2020, fixture_server.url_for(NAME), raw, session=session)
    message = str(caught.value)
    assert "HTTP 404" in message and "catalog/sources.json" in message and H2020.landing_page in message
    assert [r.status for r in fixture_server.requests] == [404]  # not retried
    assert provenance.read_provenance(raw) == [] and _files(raw) == []


def test_truncated_body_leaves_nothing(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, truncate_at=1000, times=None)  # every attempt is cut: one cut alone is retried
    with pytest.raises(FetchError) as caught:
        download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert f"broke off after 1000 of {len(BODY)} bytes" in str(caught.value)
    assert _files(raw) == []  # no partial or temp file
    assert provenance.read_provenance(raw) == []


def test_checksum_mismatch_is_refused(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    with pytest.raises(FetchError) as caught:
        download(H2020, fixture_server.url_for(NAME), raw, session=session, expected_sha256="0" * 64)
    assert f"has sha256 {SHA}, not the expected {'0' * 64}" in str(caught.value)
    assert _files(raw) == [] and provenance.read_provenance(raw) == []
    ok = download(H2020, fixture_server.url_for(NAME), raw, session=session, expected_sha256=SHA.upper())
    assert ok.sha256 == SHA


def test_size_cap_from_content_length(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    with pytest.raises(FetchError, match="over the size cap"):
        download(H2020, fixture_server.url_for(NAME), raw, session=session, max_bytes=5000)
    assert _files(raw) == [] and provenance.read_provenance(raw) == []


def test_size_cap_while_streaming(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, chunked=True)  # no Content-Length: the cap must stop the stream
    with pytest.raises(FetchError, match="passed the size cap"):
        download(H2020, fixture_server.url_for(NAME), raw, session=session, max_bytes=5000)
    assert _files(raw) == [] and provenance.read_provenance(raw) == []
    fixture_server.fault(NAME, chunked=True)
    result = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert (result.bytes, result.sha256) == (len(BODY), SHA)


def test_html_error_page_is_refused(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, b"\n<!DOCTYPE html><html><body>Service maintenance</body></html>")
    with pytest.raises(FetchError, match="sent an HTML page"):
        download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert _files(raw) == []


def test_http_mirror_goes_through_the_same_download(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(f"mirror/{NAME}", BODY)
    url = catalog.resolve_url(H2020, fixture_server.url + "mirror")
    result = download(H2020, url, raw, session=session)
    assert (result.url, result.sha256) == (url, SHA)
    assert [r.path for r in fixture_server.requests] == [f"/mirror/{NAME}"]


def test_folder_mirror_downloads_with_hash_and_304(tmp_path: Path, raw: Path) -> None:
    folder = tmp_path / "mirror"
    folder.mkdir()
    (folder / NAME).write_bytes(BODY)
    url = catalog.resolve_url(H2020, str(folder))
    first = download(H2020, url, raw)
    second = download(H2020, url, raw)
    assert (first.status, first.sha256, first.bytes, first.changed) == (200, SHA, len(BODY), True)
    assert (second.status, second.path, second.changed) == (304, first.path, False)
    assert first.path.read_bytes() == BODY and first.path.parent == raw.resolve() / "cordis_h2020"
    assert [r["http_status"] for r in provenance.read_provenance(raw)] == [200, 304]


def test_folder_mirror_missing_file(tmp_path: Path, raw: Path) -> None:
    url = catalog.resolve_url(H2020, str(tmp_path))
    with pytest.raises(FetchError) as caught:
        download(H2020, url, raw)
    message = str(caught.value)
    assert f"the mirror folder {tmp_path} has no file {NAME}" in message and H2020.url in message


def test_check_reachable(fixture_server: FixtureServer, tmp_path: Path) -> None:
    fixture_server.put(NAME, BODY)
    ok, detail = http.check_reachable(fixture_server.url_for(NAME), timeout=1)
    assert ok and detail.startswith("HTTP 200") and f"({len(BODY)} bytes)" in detail
    assert [r.method for r in fixture_server.requests] == ["HEAD"]
    assert http.check_reachable(fixture_server.url_for("missing.zip"), timeout=1)[0] is False
    ok, detail = http.check_reachable(f"http://127.0.0.1:{closed_port()}/x", timeout=1)
    assert not ok and "Connection refused" in detail
    (tmp_path / NAME).write_bytes(BODY)
    assert http.check_reachable((tmp_path / NAME).as_uri())[0] is True
    assert http.check_reachable((tmp_path / "nope.zip").as_uri())[0] is False


def test_read_provenance_skips_broken_lines(tmp_path: Path) -> None:
    assert provenance.read_provenance(tmp_path) == []
    lines = ['{"dataset": "a", "url": "u1"}', "{broken", "", '{"dataset": "a", "url": "u2"}']
    (tmp_path / "provenance.jsonl").write_text("\n".join(lines) + "\n")
    assert [r["url"] for r in provenance.read_provenance(tmp_path)] == ["u1", "u2"]
    assert provenance.latest_download(tmp_path, "a")["url"] == "u2"
    assert provenance.latest_download(tmp_path, "a", url="u1")["url"] == "u1"


def test_cut_without_validators_restarts_without_range(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.conditional = False  # no ETag, no Last-Modified: a resumed body could mix two versions
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, truncate_at=1000, times=1)
    result = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert (result.sha256, result.bytes) == (SHA, len(BODY))
    assert [(r.status, r.body_bytes) for r in fixture_server.requests] == [(200, 1000), (200, len(BODY))]
    assert "Range" not in fixture_server.requests[1].headers


def test_partial_answer_that_does_not_continue_is_discarded(fixture_server: FixtureServer, raw: Path, session) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, truncate_at=1000, times=1)
    fixture_server.fault(NAME, 206, headers={"Content-Range": f"bytes 0-9/{len(BODY)}"}, body=b"x" * 10, times=1)
    result = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    assert (result.sha256, result.bytes) == (SHA, len(BODY)) and result.path.read_bytes() == BODY
    assert [r.status for r in fixture_server.requests] == [200, 206, 200]
    assert fixture_server.requests[1].headers["Range"] == "bytes=1000-"
    assert "Range" not in fixture_server.requests[2].headers
    assert [r["http_status"] for r in provenance.read_provenance(raw)] == [200]


def test_local_files_are_not_reachable_through_the_network_session(tmp_path: Path) -> None:
    (tmp_path / NAME).write_bytes(BODY)
    session = http.make_session()
    assert set(session.adapters) == {"http://", "https://"}
    with pytest.raises(Exception, match="No connection adapters"):
        session.get((tmp_path / NAME).as_uri())
    assert set(http.local_session().adapters) == {"file://"}


def test_too_many_redirects_stop_at_the_cap(fixture_server: FixtureServer, raw: Path, session) -> None:
    for hop in range(8):
        fixture_server.redirect(f"r{hop}/{NAME}", f"/r{hop + 1}/{NAME}")
    with pytest.raises(FetchError) as caught:
        download(H2020, fixture_server.url_for(f"r0/{NAME}"), raw, session=session)
    message = str(caught.value)
    assert "too many redirects: more than 5 redirects" in message
    assert f"r5/{NAME} -> {fixture_server.url_for(f'r6/{NAME}')})" in message  # the last hop named, not followed
    assert [r.path for r in fixture_server.requests] == [f"/r{hop}/{NAME}" for hop in range(6)]
    assert not caught.value.transient and _files(raw) == []


def _fake_fetch(delays: dict[str, float], failing: set[str], done: list[str]):
    from bilatrus_etl.ingest.steps import FetchedSource

    def fetch_dataset(settings, key):
        time.sleep(delays.get(key, 0.0))
        if key in failing:
            raise BilatrusError(f"{key}: the server broke off")
        done.append(key)
        return FetchedSource(key, key * 2, Path(key), True, len(key))

    return fetch_dataset


def test_datasets_are_fetched_together_and_returned_in_their_order(monkeypatch):
    from bilatrus_etl.ingest import steps

    done: list[str] = []
    monkeypatch.setattr(steps, "fetch_dataset", _fake_fetch({"a": 0.3, "b": 0.0, "c": 0.1}, set(), done))
    fetched = steps.fetch_datasets(None, ["a", "b", "c"])  # type: ignore[arg-type]
    assert [f.dataset for f in fetched] == ["a", "b", "c"]
    assert done.index("b") < done.index("a")  # b did not wait for a


def test_a_failed_download_is_raised_after_the_one_under_way_ends(monkeypatch):
    from bilatrus_etl.ingest import steps

    done: list[str] = []
    monkeypatch.setattr(steps, "fetch_dataset", _fake_fetch({"a": 0.3, "c": 0.3}, {"b"}, done))
    with pytest.raises(BilatrusError, match="^b: the server broke off"):
        steps.fetch_datasets(None, ["a", "b", "c", "d"])  # type: ignore[arg-type]
    assert "a" in done  # completed, not abandoned
    assert "d" not in done  # nothing more starts after a failure (c may have started with it)

    done.clear()
    monkeypatch.setattr(steps, "fetch_dataset", _fake_fetch({"a": 0.2}, {"a", "b"}, done))
    with pytest.raises(BilatrusError, match="^a: "):  # the first in the datasets' order
        steps.fetch_datasets(None, ["a", "b"])  # type: ignore[arg-type]


def test_a_check_sent_ahead_is_the_download_s_one_conditional_get(fixture_server: FixtureServer, raw: Path) -> None:
    """`send_ahead` asks early what the download would ask; the download takes that answer: one GET per check,
    a 304 reuses the stored file, a 200 streams the new file from the answer sent ahead."""
    mirror = fixture_server.url + "mirror"
    fixture_server.put(f"mirror/{NAME}", BODY)
    url = catalog.resolve_url(H2020, mirror)
    first = download(H2020, url, raw)
    assert send_ahead([H2020], mirror, raw) == 1
    unchanged = download(H2020, url, raw)
    assert (unchanged.status, unchanged.changed, unchanged.path) == (304, False, first.path)
    assert [(r.status, r.headers.get("If-None-Match")) for r in fixture_server.requests] == [
        (200, None),
        (304, first.etag),
    ]

    new_body = BODY[::-1]
    fixture_server.put(f"mirror/{NAME}", new_body)
    assert send_ahead([H2020], mirror, raw) == 1
    changed = download(H2020, url, raw)
    assert (changed.status, changed.changed, changed.sha256) == (200, True, hashlib.sha256(new_body).hexdigest())
    assert Path(changed.path).read_bytes() == new_body
    assert [r.status for r in fixture_server.requests] == [200, 304, 200]
    assert [r["http_status"] for r in provenance.read_provenance(raw)] == [200, 304, 200]


def test_an_answer_sent_ahead_and_not_taken_is_dropped(fixture_server: FixtureServer, raw: Path) -> None:
    """Nothing is written for an answer no download takes; one asked with other validators is closed, and the
    download sends its own request; `discard` drops what is left."""
    mirror = fixture_server.url + "mirror"
    fixture_server.put(f"mirror/{NAME}", BODY)
    url = catalog.resolve_url(H2020, mirror)
    first = download(H2020, url, raw)
    assert send_ahead([H2020], mirror, raw) == 1
    assert early.take(url, {"If-None-Match": '"other"'}) is None
    assert [r["http_status"] for r in provenance.read_provenance(raw)] == [200]
    assert download(H2020, url, raw).status == 304
    assert [r.status for r in fixture_server.requests] == [200, 304, 304]

    assert send_ahead([H2020], mirror, raw) == 1
    early.discard()
    assert early.take(url, {"If-None-Match": first.etag, "If-Modified-Since": first.last_modified}) is None
    assert send_ahead([H2020], None, raw) == 0  # never downloaded from the official URL: nothing to ask

"""Faults at the edges that face the outside: analyst SQL that tries to leave the warehouse, and hostile or
unstable download servers (redirects, credentials, cut and stalled bodies, an unreachable release API).

Every case runs on loopback (tests/fixture_server.py) with short timeouts and bounded retries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

import duckdb
import pytest
from fixture_server import FixtureServer, closed_port

from bilatrus_etl.analyst.query import query, sandboxed_connection
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import catalog, fetch_errors, http, provenance, releases
from bilatrus_etl.ingest.fetch import download
from bilatrus_etl.ingest.fetch_errors import FetchError
from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse.meta import record_provenance

H2020 = catalog.load_catalog()["cordis_h2020"]
ROR = catalog.load_catalog()["ror_dump"]
NAME = "cordis-h2020projects-csv.zip"
BODY = bytes(range(256)) * 40  # 10,240 bytes
SHA = hashlib.sha256(BODY).hexdigest()


@pytest.fixture(autouse=True)
def _forget_hosts():
    fetch_errors.forget_unreachable_hosts()
    yield
    fetch_errors.forget_unreachable_hosts()


@pytest.fixture
def session():
    """Two retries, no backoff, short timeouts: a stall is noticed after 0.3 s."""
    with http.make_session(retries=2, connect_retries=0, backoff_factor=0, connect_timeout=1, read_timeout=0.3) as s:
        yield s


def _leftovers(raw: Path, dataset: str = "cordis_h2020") -> list[str]:
    folder = raw / dataset
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---------------------------------------------------------------- the query sandbox


@pytest.fixture(scope="module")
def warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sandbox") / "bilatrus.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE mart_regions AS SELECT * FROM (VALUES ('Moscow', 7), ('Tomsk', 3)) t(region, projects)")
    con.close()
    return path


def _refusal(path: Path, sql: str) -> str:
    try:
        query(path, sql, "csv")
    except BilatrusError as err:
        return str(err)
    return "(ran)"


def test_query_still_answers(warehouse_file: Path, fault) -> None:
    out = query(warehouse_file, "SELECT sum(projects)::INTEGER AS n FROM mart_regions", "json")
    ok = json.loads(out) == [{"n": 10}]
    fault("query: an ordinary SELECT", expected="answered (10 projects)", outcome=" ".join(out.split()), ok=ok)
    assert ok


SANDBOX_CASES = [
    # (fault, SQL, text the refusal must hold, a path that must not appear)
    ("query: two statements", "SELECT 1; SELECT 2", "exactly one statement; this text holds 2", None),
    ("query: read_csv('/etc/passwd')", "SELECT * FROM read_csv('/etc/passwd')", "reaches outside the warehouse", None),
    (
        "query: read_text of a file in a CTE",
        "WITH t AS (SELECT * FROM read_text('/etc/hostname')) SELECT * FROM t",
        "reaches outside the warehouse",
        None,
    ),
    ("query: a URL as a table", "FROM 'https://example.org/data.csv'", "reaches outside the warehouse", None),
    (
        "query: COPY ... TO a path",
        "COPY mart_regions TO '{tmp}/copied.csv'",
        "COPY statements are refused",
        "copied.csv",
    ),
    ("query: EXPORT DATABASE", "EXPORT DATABASE '{tmp}/exported'", "EXPORT statements are refused", "exported"),
    ("query: INSTALL httpfs", "INSTALL httpfs", "INSTALL and LOAD add extensions", None),
    ("query: LOAD httpfs", "LOAD httpfs", "INSTALL and LOAD add extensions", None),
    (
        "query: ATTACH another file",
        "ATTACH '{tmp}/other.duckdb' AS other",
        "ATTACH opens other database files",
        "other.duckdb",
    ),
    ("query: PRAGMA", "PRAGMA enable_external_access", "PRAGMA statements are refused", None),
    ("query: SET enable_external_access", "SET enable_external_access = true", "SET statements are refused", None),
    ("query: a write", "DROP TABLE mart_regions", "published warehouse is read-only", None),
]


@pytest.mark.parametrize("name, sql, expected, artefact", SANDBOX_CASES, ids=[c[0] for c in SANDBOX_CASES])
def test_query_sandbox_refuses(
    warehouse_file: Path, tmp_path: Path, fault, name: str, sql: str, expected: str, artefact: str | None
) -> None:
    message = _refusal(warehouse_file, sql.format(tmp=tmp_path))
    written = artefact is not None and (tmp_path / artefact).exists()
    needs_hint = sql.startswith(("COPY", "EXPORT"))  # refusals of file writes point at --output FILE
    ok = expected in message and not written and (not needs_hint or "--output FILE" in message)
    fault(name, expected=f"refused: {expected}", outcome=message[:160], ok=ok)
    assert ok, message
    assert json.loads(query(warehouse_file, "SELECT count(*) AS n FROM mart_regions", "json")) == [{"n": 2}]


def test_sandboxed_connection_refuses_even_without_the_statement_check(
    warehouse_file: Path, tmp_path: Path, fault
) -> None:
    """Defence in depth: the connection itself cannot reach files, extensions or its own settings."""
    con = sandboxed_connection(warehouse_file)
    refused = []
    try:
        for sql in (
            f"COPY mart_regions TO '{tmp_path}/x.csv'",
            "SELECT * FROM read_csv('/etc/passwd')",
            f"ATTACH '{tmp_path}/y.duckdb'",
            "LOAD httpfs",
            "SET enable_external_access = true",
            "SET lock_configuration = false",
            "CREATE TABLE mart_new AS SELECT 1",
        ):
            try:
                con.execute(sql)
            except duckdb.Error as err:
                refused.append(type(err).__name__)
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
                "'lock_configuration', 'autoload_known_extensions', 'autoinstall_known_extensions')"
            ).fetchall()
        )
    finally:
        con.close()
    ok = (
        len(refused) == 7
        and not list(tmp_path.iterdir())
        and settings
        == {
            "enable_external_access": "false",
            "lock_configuration": "true",
            "autoload_known_extensions": "false",
            "autoinstall_known_extensions": "false",
        }
    )
    fault(
        "query connection: COPY/read_csv/ATTACH/LOAD/SET/CREATE sent straight to it",
        expected="7 of 7 refused by DuckDB, settings locked",
        outcome=f"{len(refused)} refused; {settings}",
        ok=ok,
    )
    assert ok, (refused, settings)


# ---------------------------------------------------------------- redirects


def test_redirect_to_a_local_file_is_refused(fixture_server: FixtureServer, tmp_path: Path, session, fault) -> None:
    fixture_server.redirect(NAME, "file:///etc/passwd")
    raw = tmp_path / "raw"
    with pytest.raises(FetchError) as caught:
        download(H2020, fixture_server.url_for(NAME), raw, session=session)
    message = str(caught.value)
    stored = [p for p in raw.rglob("*") if p.is_file()] if raw.exists() else []
    ok = (
        "file:///etc/passwd, which is not an http(s) address" in message
        and stored == []
        and len(fixture_server.requests) == 1
        and not caught.value.transient
    )
    fault(
        "download: redirect to file:///etc/passwd",
        expected="refused, nothing stored",
        outcome=f"refused after {len(fixture_server.requests)} request; {len(stored)} files stored",
        ok=ok,
    )
    assert ok, message


def test_redirect_to_ftp_is_refused(fixture_server: FixtureServer, tmp_path: Path, session, fault) -> None:
    fixture_server.redirect(NAME, "ftp://127.0.0.1/pub/" + NAME)
    with pytest.raises(FetchError) as caught:
        download(H2020, fixture_server.url_for(NAME), tmp_path / "raw", session=session)
    message = str(caught.value)
    ok = "ftp://127.0.0.1/pub/" in message and "not an http(s) address" in message and len(fixture_server.requests) == 1
    fault("download: redirect to ftp://", expected="refused, names the target", outcome=message[:120], ok=ok)
    assert ok, message


def test_redirect_loop_fails_fast(fixture_server: FixtureServer, tmp_path: Path, session, fault) -> None:
    fixture_server.redirect("a/" + NAME, "/b/" + NAME)
    fixture_server.redirect("b/" + NAME, "/a/" + NAME)
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        download(H2020, fixture_server.url_for("a/" + NAME), tmp_path / "raw", session=session)
    seconds = time.monotonic() - started
    message = str(caught.value)
    count = len(fixture_server.requests)
    a, b = fixture_server.url_for("a/" + NAME), fixture_server.url_for("b/" + NAME)
    ok = (
        count <= http.MAX_REDIRECTS + 1
        and "a redirect loop" in message
        and f"{a} -> {b} -> {a}" in message
        and not caught.value.transient
    )  # not transient: the step's retry policy does not run it again
    fault(
        "download: redirect loop",
        expected=f"<= {http.MAX_REDIRECTS + 1} requests, a message naming the loop",
        outcome=f"{count} requests in {seconds:.2f} s, final (no step retry)",
        ok=ok,
    )
    assert ok, message


def test_redirect_within_http_is_followed(fixture_server: FixtureServer, tmp_path: Path, session, fault) -> None:
    fixture_server.put("moved/" + NAME, BODY)
    fixture_server.redirect(NAME, "/moved/" + NAME, status=301)
    result = download(H2020, fixture_server.url_for(NAME), tmp_path / "raw", session=session)
    ok = result.sha256 == SHA and [r.status for r in fixture_server.requests] == [301, 200]
    fault(
        "download: one http redirect",
        expected="followed, file stored",
        outcome=f"sha256 ok={result.sha256 == SHA}",
        ok=ok,
    )
    assert ok


# ---------------------------------------------------------------- credentials


def test_credentials_never_leave_the_url(fixture_server: FixtureServer, tmp_path: Path, session, caplog, fault) -> None:
    secrets = ("s3cret-pass", "tok-12345", "sig-abcdef")
    fixture_server.put(f"mirror/{NAME}", BODY)
    mirror = fixture_server.url.replace("http://", "http://alice:s3cret-pass@") + "mirror"
    url = catalog.resolve_url(H2020, mirror) + "?access_token=tok-12345&X-Amz-Signature=sig-abcdef&x=1"
    raw = tmp_path / "raw"
    with caplog.at_level(logging.DEBUG):
        result = download(H2020, url, raw, session=session)
        fixture_server.fault(f"mirror/{NAME}", 404, times=None)
        with pytest.raises(FetchError) as caught:  # a second download fails: its message is redacted too
            download("cordis_h2020", url.replace(NAME, "missing.zip"), raw, session=session)
    settings = Settings.from_env(mirror=None, data_dir=tmp_path)
    con = duckdb.connect()
    record_provenance(con, settings)
    warehouse_text = " ".join(
        str(v) for row in con.execute("SELECT * FROM meta_download_provenance").fetchall() for v in row
    )
    places = {
        "provenance.jsonl": (raw / "provenance.jsonl").read_text(),
        "warehouse": warehouse_text,
        "message": str(caught.value) + " " + caught.value.url,
        "log": " ".join(r.getMessage() for r in caplog.records),
        "result": result.url,
    }
    leaks = sorted(f"{secret} in {place}" for place, text in places.items() for secret in secrets if secret in text)
    ok = (
        not leaks
        and result.sha256 == SHA
        and "http://***@127.0.0.1" in places["provenance.jsonl"]
        and "access_token=***" in warehouse_text
        and "x=1" in result.url
    )
    fault(
        "download: password and tokens in the mirror URL",
        expected="*** in provenance, warehouse, messages, logs",
        outcome=", ".join(leaks) or "no secret anywhere",
        ok=ok,
    )
    assert ok, leaks


# ---------------------------------------------------------------- cut and stalled bodies


def test_cut_once_is_resumed(fixture_server: FixtureServer, tmp_path: Path, session, fault) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, truncate_at=4000, times=1)
    raw = tmp_path / "raw"
    result = download(H2020, fixture_server.url_for(NAME), raw, session=session)
    first, second = fixture_server.requests
    ok = (
        result.sha256 == SHA
        and result.path.read_bytes() == BODY
        and (first.status, first.body_bytes) == (200, 4000)
        and (second.status, second.body_bytes) == (206, len(BODY) - 4000)
        and second.headers.get("Range") == "bytes=4000-"
        and second.headers.get("If-Range") == result.etag
        and _leftovers(raw) == [f"{SHA}.zip"]
    )
    fault(
        "download: body cut mid-stream once",
        expected="resumed with Range, file complete, sha256 right",
        outcome=f"{first.status}+{second.status}, sha256 ok={result.sha256 == SHA}",
        ok=ok,
    )
    assert ok, fixture_server.requests


def test_cut_once_without_range_support_restarts(fixture_server: FixtureServer, tmp_path: Path, session, fault) -> None:
    fixture_server.ranges = False
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, truncate_at=4000, times=1)
    result = download(H2020, fixture_server.url_for(NAME), tmp_path / "raw", session=session)
    statuses = [(r.status, r.body_bytes) for r in fixture_server.requests]
    ok = result.sha256 == SHA and statuses == [(200, 4000), (200, len(BODY))] and result.bytes == len(BODY)
    fault(
        "download: body cut once, server without Range",
        expected="restarted, file complete",
        outcome=f"{statuses}, sha256 ok={result.sha256 == SHA}",
        ok=ok,
    )
    assert ok


def test_stall_once_is_resumed(fixture_server: FixtureServer, tmp_path: Path, session, fault) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, stall_at=6000, stall_for=3.0, times=1)
    result = download(H2020, fixture_server.url_for(NAME), tmp_path / "raw", session=session)
    second = fixture_server.requests[-1]
    ok = result.sha256 == SHA and len(fixture_server.requests) == 2 and second.headers.get("Range") == "bytes=6000-"
    fault(
        "download: read stalls mid-body once",
        expected="resumed after the read timeout, sha256 right",
        outcome=f"{len(fixture_server.requests)} requests, resumed at {second.headers.get('Range')}",
        ok=ok,
    )
    assert ok


def test_cut_every_time_fails_clearly(fixture_server: FixtureServer, tmp_path: Path, session, fault) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, truncate_at=3000, times=None)
    raw = tmp_path / "raw"
    with pytest.raises(FetchError) as caught:
        download(H2020, fixture_server.url_for(NAME), raw, session=session)
    message = str(caught.value)
    ok = (
        f"broke off after 3000 of {len(BODY)} bytes" in message
        and "3 time(s) in a row" in message
        and _leftovers(raw) == []
        and provenance.read_provenance(raw) == []
        and caught.value.transient
    )
    fault(
        "download: body cut on every attempt",
        expected="clear error with the bytes that arrived, nothing kept",
        outcome=message[:110],
        ok=ok,
    )
    assert ok, message


def test_stall_every_time_counts_the_bytes(fixture_server: FixtureServer, tmp_path: Path, session, fault) -> None:
    fixture_server.put(NAME, BODY)
    fixture_server.fault(NAME, stall_at=5000, stall_for=2.0, times=None)
    raw = tmp_path / "raw"
    with pytest.raises(FetchError) as caught:
        download(H2020, fixture_server.url_for(NAME), raw, session=session)
    message = str(caught.value)
    ok = f"broke off after 5000 of {len(BODY)} bytes" in message and "timed out" in message and _leftovers(raw) == []
    fault(
        "download: read stalls on every attempt",
        expected="error says 5000 of 10240 bytes arrived",
        outcome=message[:110],
        ok=ok,
    )
    assert ok, message


# ---------------------------------------------------------------- the release API


def test_release_api_down_falls_back_to_the_pinned_file(
    fixture_server: FixtureServer, tmp_path: Path, session, monkeypatch, caplog, fault
) -> None:
    monkeypatch.setenv(releases.ZENODO_API_ENV, f"http://127.0.0.1:{closed_port()}/api")
    pinned_path = "records/17953395/files/" + ROR.file_name
    fixture_server.put(pinned_path, BODY)
    local = ROR.__class__(**{**ROR.__dict__, "url": fixture_server.url_for(pinned_path)})  # the pinned URL, on loopback
    with caplog.at_level(logging.WARNING, logger="bilatrus_etl.ingest.releases"):
        dataset = releases.current(local, None, session=session)
    result = download(dataset, dataset.url, tmp_path / "raw", session=session)
    [row] = provenance.read_provenance(tmp_path / "raw")
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    ok = (
        result.sha256 == SHA
        and row["release"]["source"] == "pinned"
        and row["release"]["version"] == "v2.0"
        and "could not be reached" in row["release"]["warning"]
        and len(warned) == 1
    )
    fault(
        "ROR: Zenodo records API unreachable",
        expected="pinned release downloaded, warning logged and recorded",
        outcome=f"source={row['release']['source']} version={row['release']['version']}, {len(warned)} warning",
        ok=ok,
    )
    assert ok, row


def test_sandbox_keeps_the_database_name(warehouse_file: Path, fault) -> None:
    """Queries written against a plain read-only open (catalog named after the file) still run."""
    out = json.loads(query(warehouse_file, "SELECT count(*) AS n FROM bilatrus.main.mart_regions", "json"))
    ok = out == [{"n": 2}]
    fault("query: a table named with its database", expected="answered as on a plain open", outcome=str(out), ok=ok)
    assert ok

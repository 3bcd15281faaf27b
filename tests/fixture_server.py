"""A local HTTP server for tests: serves a folder on 127.0.0.1 with ETag, Last-Modified and 304, and
plays scripted faults per path (an error status N times, Retry-After, a redirect, a truncated body, a body that
stalls mid-stream, a delay). It honours Range requests (206, with If-Range) unless `ranges` is turned off.

Register it once in tests/conftest.py with `pytest_plugins = ["fixture_server"]`, then:

    def test_x(fixture_server):
        fixture_server.put("a.csv", b"x;y\\n")
        fixture_server.fault("a.csv", 500, times=1)      # first GET fails, the next succeeds
        requests.get(fixture_server.url_for("a.csv"))
        assert [r.status for r in fixture_server.requests] == [500, 200]
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import mimetypes
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour for a path."""

    status: int | None = None
    retry_after: str | None = None
    truncate_at: int | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    chunked: bool = False
    stall_at: int | None = None
    stall_for: float = 0.0


@dataclass(frozen=True)
class LoggedRequest:
    """A request the server answered."""

    method: str
    path: str
    headers: dict[str, str]
    status: int
    body_bytes: int


class _Script:
    """Faults queued per path; each entry is used `times` times (None: for ever)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: dict[str, list[list]] = {}

    def add(self, path: str, fault: Fault, times: int | None) -> None:
        with self._lock:
            self._queue.setdefault(path, []).append([fault, times])

    def take(self, path: str) -> Fault | None:
        with self._lock:
            entries = self._queue.get(path)
            if not entries:
                return None
            entry = entries[0]
            if entry[1] is not None:
                entry[1] -= 1
                if entry[1] <= 0:
                    entries.pop(0)
            return entry[0]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()


class FixtureServer:
    """A ThreadingHTTPServer on 127.0.0.1 (free port) serving `root`, in a background thread."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.requests: list[LoggedRequest] = []
        self.conditional = True  # False: no ETag/Last-Modified, never 304 (a server without validators)
        self.ranges = True  # False: Range requests are ignored (always the whole file, 200)
        self._script = _Script()
        # ETag of a file by (path, size, mtime, inode): a real server does not hash a file on every request, and
        # the benchmark's runs share the machine with this server
        self._etags: dict[tuple[str, int, int, int], str] = {}
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fixture = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fixture-http", daemon=True
        )

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL, ending in '/'."""
        return f"http://127.0.0.1:{self.port}/"

    def url_for(self, name: str) -> str:
        return self.url + name.lstrip("/")

    def etag(self, file: Path, data: bytes) -> str:
        """The file's ETag (a sha256 prefix of `data`, its content), computed once per version of the file."""
        stat = file.stat()
        key = (str(file), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        if key not in self._etags:
            self._etags[key] = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
        return self._etags[key]

    def put(self, name: str, data: bytes | str) -> Path:
        """Write a file under root (creating folders) and return its path."""
        self._etags.clear()
        path = self.root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def fault(
        self,
        path: str,
        status: int | None = None,
        *,
        times: int | None = 1,
        retry_after: str | int | None = None,
        truncate_at: int | None = None,
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        chunked: bool = False,
        stall_at: int | None = None,
        stall_for: float = 0.0,
    ) -> None:
        """Script the next `times` requests to `path` (None: all of them).

        status: answer with this status (and `body`, `retry_after`, `headers`) instead of the file; truncate_at:
        send the file only up to that byte offset under its full Content-Length, then close; stall_at: send up to
        that byte offset, go quiet for `stall_for` seconds, then send the rest; delay: wait that long before
        answering; chunked: send the file with Transfer-Encoding: chunked, no Content-Length.
        """
        fault = Fault(
            status=status,
            retry_after=None if retry_after is None else str(retry_after),
            truncate_at=truncate_at,
            delay=delay,
            headers=dict(headers or {}),
            body=body,
            chunked=chunked,
            stall_at=stall_at,
            stall_for=stall_for,
        )
        self._script.add(_normal(path), fault, times)

    def redirect(self, path: str, location: str, *, status: int = 302, times: int | None = None) -> None:
        """Answer requests to `path` with a redirect to `location` (any URL, or a path on this server)."""
        self.fault(path, status, headers={"Location": location}, times=times, body=b"")

    def answer(
        self, path: str, body: bytes | str, *, content_type: str = "application/json", status: int = 200
    ) -> None:
        """Answer every request to `path` with this body (an API endpoint rather than a file)."""
        data = body.encode() if isinstance(body, str) else body
        self.fault(path, status, body=data, headers={"Content-Type": content_type}, times=None)

    def zenodo_release(
        self,
        concept: str,
        record_id: str,
        files: dict[str, bytes],
        *,
        version: str,
        published: str = "2026-01-15",
        checksums: dict[str, str] | None = None,
    ) -> dict:
        """Imitate Zenodo's records API for one concept record whose newest version is `record_id`.

        GET api/records/<concept>/versions/latest redirects to api/records/<record_id>, which answers the record as
        Zenodo documents it (id, doi, conceptdoi, metadata.version, files[] with key, size, checksum "md5:..." and
        links.self); each file is served at api/records/<record_id>/files/<key>/content. `checksums` overrides a
        file's listed checksum (to imitate a corrupted upload). Point BILATRUS_ZENODO_API at `self.url + "api"`.
        """
        entries = []
        for key, data in files.items():
            self.put(f"api/records/{record_id}/files/{key}/content", data)
            checksum = (checksums or {}).get(key) or "md5:" + hashlib.md5(data).hexdigest()
            entries.append(
                {
                    "id": hashlib.sha1(key.encode()).hexdigest(),
                    "key": key,
                    "size": len(data),
                    "checksum": checksum,
                    "links": {"self": self.url_for(f"api/records/{record_id}/files/{key}/content")},
                }
            )
        record = {
            "id": int(record_id),
            "recid": record_id,
            "conceptrecid": concept,
            "doi": f"10.5281/zenodo.{record_id}",
            "conceptdoi": f"10.5281/zenodo.{concept}",
            "metadata": {"title": "ROR Data", "version": version, "publication_date": published},
            "files": entries,
            "links": {"self": self.url_for(f"api/records/{record_id}")},
        }
        self.redirect(f"api/records/{concept}/versions/latest", f"/api/records/{record_id}")
        self.answer(f"api/records/{record_id}", json.dumps(record))
        return record

    def clear_faults(self) -> None:
        self._script.clear()

    def requests_for(self, path: str) -> list[LoggedRequest]:
        return [r for r in self.requests if r.path == _normal(path)]

    def start(self) -> FixtureServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _normal(path: str) -> str:
    return "/" + unquote(urlsplit(path).path).lstrip("/")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fixture: FixtureServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up (timeouts, truncation tests) are expected; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr log; requests are recorded in FixtureServer.requests."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        fixture = self.server.fixture
        path = _normal(self.path)
        fault = fixture._script.take(path)
        if fault and fault.delay and fixture._stopping.wait(fault.delay):
            return
        try:
            if fault and fault.status is not None:
                self._send_status(path, fault, send_body)
            else:
                self._send_file(path, fault, send_body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _log(self, path: str, status: int, sent: int) -> None:
        """Record before answering, so a client that has its answer always finds it in the log."""
        self.server.fixture.requests.append(LoggedRequest(self.command, path, dict(self.headers.items()), status, sent))

    def _send_status(self, path: str, fault: Fault, send_body: bool) -> None:
        body = fault.body if fault.body is not None else f"scripted {fault.status}\n".encode()
        self._log(path, fault.status, len(body) if send_body else 0)
        self.send_response(fault.status)
        if fault.retry_after is not None:
            self.send_header("Retry-After", fault.retry_after)
        for name, value in fault.headers.items():
            self.send_header(name, value)
        if not any(name.lower() == "content-type" for name in fault.headers):
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _send_file(self, path: str, fault: Fault | None, send_body: bool) -> None:
        fixture = self.server.fixture
        file = (fixture.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(fixture.root.resolve()) or not file.is_file():
            self._send_status(path, Fault(status=404, body=b"not found\n"), send_body)
            return
        data = file.read_bytes()
        etag = fixture.etag(file, data)
        mtime = file.stat().st_mtime
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        if fixture.conditional and self._not_modified(etag, mtime):
            self._log(path, 304, 0)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.end_headers()
            return
        chunked = fault is not None and fault.chunked
        start = self._range_start(data, etag, last_modified) if not chunked else None
        offset = start or 0
        end = len(data) if fault is None or fault.truncate_at is None else max(offset, fault.truncate_at)
        body = data[offset:end]
        self._log(path, 206 if start is not None else 200, len(body) if send_body else 0)
        self.send_response(206 if start is not None else 200)
        self.send_header("Content-Type", mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(data) - offset))
        if start is not None:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        if fixture.ranges:
            self.send_header("Accept-Ranges", "bytes")
        if fixture.conditional:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
        for name, value in (fault.headers if fault else {}).items():
            self.send_header(name, value)
        self.end_headers()
        if fault is not None and fault.truncate_at is not None:
            self.close_connection = True
        if send_body and chunked:
            for start_at in range(0, len(body), 1024):
                piece = body[start_at : start_at + 1024]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif send_body and fault is not None and fault.stall_at is not None:
            split = max(0, fault.stall_at - offset)
            self.wfile.write(body[:split])
            self.wfile.flush()
            if fixture._stopping.wait(fault.stall_for):
                return
            self.wfile.write(body[split:])
        elif send_body:
            self.wfile.write(body)
        self.wfile.flush()

    def _range_start(self, data: bytes, etag: str, last_modified: str) -> int | None:
        """The first byte of a satisfiable `Range: bytes=N-` whose If-Range (if any) matches, else None (200)."""
        fixture = self.server.fixture
        wanted = self.headers.get("Range", "")
        if not fixture.ranges or not wanted.startswith("bytes=") or not wanted.endswith("-"):
            return None
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range not in (etag, last_modified):
            return None
        first = wanted.removeprefix("bytes=").removesuffix("-")
        return int(first) if first.isdigit() and int(first) < len(data) else None

    def _not_modified(self, etag: str, mtime: float) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match:
            return etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if not since:
            return False
        try:
            return int(mtime) <= email.utils.parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released): connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fixture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixtureServer]:
    """A running FixtureServer over a fresh folder (`.root`); stopped after the test."""
    with FixtureServer(tmp_path_factory.mktemp("www")) as server:
        yield server

"""A loopback HTTP server for a mirror folder, as a CORDIS-like web server would serve it.

- serves `<root>/<name>` for GET and HEAD, streamed (files of several hundred MB never sit in memory);
- a request for a catalog dataset's official file name that the folder does not hold under that name is
  answered with the dataset's `mirror_glob` match (sources.find_in_folder), the way a local-folder mirror is
  read: the synthetic mirror writes the ROR dump under its own release name (v1.74-...), while the catalog
  asks for v2.0-...; a plain static server would answer 404 and the run would fail;
- sends ETag (sha256 of the content, computed once per file) and Last-Modified, and answers 304 to a
  matching If-None-Match / If-Modified-Since, so the no-op refresh sees what an unchanged upstream says.

Bound to 127.0.0.1 only. Use as a context manager: `with MirrorServer(folder) as server: server.url`.
"""

from __future__ import annotations

import email.utils
import hashlib
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bilatrus_etl import sources

CHUNK = 1 << 20


class MirrorServer:
    """Serve a mirror folder on http://127.0.0.1:<port>/ from a background thread."""

    def __init__(self, root: Path, port: int = 0) -> None:
        self.root = Path(root).resolve()
        self.requests: list[tuple[str, str, int]] = []
        self._etags: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()
        self._aliases = _catalog_aliases(self.root)
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.mirror = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="bench-mirror", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def start(self) -> MirrorServer:
        """Hash every file first (ETags), so that no measured request waits for it; then serve."""
        for path in sorted(self.root.iterdir()):
            if path.is_file():
                self.etag(path)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def resolve(self, name: str) -> Path | None:
        """The file served for a request path, or None (404)."""
        candidate = (self.root / name).resolve()
        if candidate.is_relative_to(self.root) and candidate.is_file():
            return candidate
        alias = self._aliases.get(name)
        return alias if alias is not None and alias.is_file() else None

    def etag(self, path: Path) -> str:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            if key not in self._etags:
                self._etags[key] = '"' + _sha256(path)[:32] + '"'
            return self._etags[key]


def _catalog_aliases(root: Path) -> dict[str, Path]:
    """Official file name -> the file a folder mirror would use for it (only where they differ)."""
    aliases: dict[str, Path] = {}
    for dataset in sources.load_catalog().values():
        found = sources.find_in_folder(dataset, root)
        if found.name != dataset.file_name and found.is_file():
            aliases[dataset.file_name] = found.resolve()
    return aliases


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mirror: MirrorServer

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up are not the benchmark's business."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: requests are recorded in MirrorServer.requests."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        mirror = self.server.mirror
        name = unquote(urlsplit(self.path).path).lstrip("/")
        path = mirror.resolve(name)
        if path is None:
            self._send_empty(404, name)
            return
        etag = mirror.etag(path)
        stat = path.stat()
        last_modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        if self._not_modified(etag, stat.st_mtime):
            self._send_empty(304, name, {"ETag": etag, "Last-Modified": last_modified})
            return
        mirror.requests.append((self.command, name, 200))
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(stat.st_size))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        self.end_headers()
        if send_body:
            try:
                with path.open("rb") as handle:
                    shutil.copyfileobj(handle, self.wfile, CHUNK)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    def _send_empty(self, status: int, name: str, headers: dict[str, str] | None = None) -> None:
        self.server.mirror.requests.append((self.command, name, status))
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

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

"""HTTP download: retries, conditional GET, checksums, size cap, atomic writes and a provenance log.

Files land as `raw_dir/<dataset>/<sha256>.<ext>`; every successful attempt (200 or 304) appends one JSON
line to `raw_dir/provenance.jsonl`.

Network downloads go through one Session (`make_session`) that speaks http(s) only: it follows at most
MAX_REDIRECTS redirects, and only to http(s) addresses (a redirect to file://, ftp:// or anything else is
refused). A body cut mid-stream or a stalled read is retried like the other transient failures, resuming with a
Range request when the server allows it (206 and the same validator) or starting again otherwise. `file://`
URLs (a local mirror folder) are read by a separate Session that holds nothing but a small file adapter, so a
mirror run hashes, caps, writes and records exactly like production while no network answer can reach the disk.
Credentials and tokens in URLs never reach a log, a message or provenance: everything shown goes through
`sources.redact`.
"""

from __future__ import annotations

import email.utils
import hashlib
import inspect
import io
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPResponse
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from bilatrus_etl import __version__
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest.sources import Dataset, load_catalog, official_file_name, redact

log = logging.getLogger(__name__)


class _RedactingFilter(logging.Filter):
    """Takes credentials and tokens out of what urllib3 logs (it logs each request's path and query at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


for _name in ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.response"):
    logging.getLogger(_name).addFilter(_RedactingFilter())

PROVENANCE_FILE = "provenance.jsonl"
DEFAULT_MAX_BYTES = 2 * 1024**3
DEFAULT_CONNECT_TIMEOUT = 4.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_RETRIES = 3
DEFAULT_CONNECT_RETRIES = 1
DEFAULT_BACKOFF = 1.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
REDIRECT_SCHEMES = frozenset({"http", "https"})
UNREACHABLE_TTL = 120.0
CHUNK_SIZE = 1 << 16  # at most this much per read: bytes that arrived are written (and counted) as they come
_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")

Progress = Callable[[int, "int | None"], None]


class FetchError(BilatrusError):
    """A download failed; the message names the dataset, the URL, the cause and what to do."""

    def __init__(self, message: str, *, dataset: str, url: str, transient: bool = False) -> None:
        super().__init__(message, dataset=dataset)
        self.url = url
        self.transient = transient  # worth retrying later (busy server, timeout), unlike a 404 or no network


@dataclass(frozen=True)
class DownloadResult:
    """One successful download attempt (a 200 or a 304), as recorded in provenance.jsonl."""

    dataset: str
    url: str
    path: Path
    sha256: str
    bytes: int
    status: int
    etag: str | None
    last_modified: str | None
    changed: bool
    fetched_at: str
    release: dict[str, Any] | None = None  # which upstream release this is (e.g. the Zenodo record of a ROR dump)

    def provenance_row(self, raw_dir: Path) -> dict[str, Any]:
        """The JSON line for provenance.jsonl; `path` relative to raw_dir; `release` only when known."""
        row = asdict(self)
        row["path"] = _relative(self.path, raw_dir)
        row["http_status"] = row.pop("status")
        order = ("dataset", "url", "fetched_at", "http_status", "etag", "last_modified",
                 "sha256", "bytes", "path", "changed")
        line = {key: row[key] for key in order}
        if self.release:
            line["release"] = self.release
        return line


# ---------------------------------------------------------------- session


class UnsafeRedirect(requests.exceptions.InvalidSchema):
    """A server redirected to an address that is not http(s): refused before any request is made."""


class FetchSession(requests.Session):
    """A Session for network downloads: default (connect, read) timeouts on every request, at most MAX_REDIRECTS
    redirects, and only to http(s) addresses. No file:// adapter is mounted on it."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.timeout = timeout
        self.max_redirects = MAX_REDIRECTS
        self.redirects: list[str] = []  # the last request's address, then every redirect target in order
        self._answered: list[requests.Response] = []  # the redirect answers already counted in `redirects`

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        self.redirects, self._answered = [url], []
        return super().request(method, url, **kwargs)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target is not None:
            absolute = urljoin(resp.url, target)
            if not any(resp is seen for seen in self._answered):  # requests asks twice about each answer
                self._answered.append(resp)
                self.redirects.append(absolute)
            if urlsplit(absolute).scheme.lower() not in REDIRECT_SCHEMES:
                raise UnsafeRedirect(f"{resp.url} redirected to {absolute}, which is not an http(s) address",
                                     response=resp)
        return target


def make_retry(*, retries: int = DEFAULT_RETRIES, connect_retries: int = DEFAULT_CONNECT_RETRIES,
               backoff_factor: float = DEFAULT_BACKOFF, backoff_max: float = 30.0,
               retry_after_max: int = 60) -> Retry:
    """urllib3 Retry: connect errors, read errors and 429/5xx answers, honouring (capped) Retry-After.

    `read` is also the budget of a body cut mid-stream or stalled (see `download`), with the same backoff."""
    options: dict[str, Any] = dict(
        total=None, connect=connect_retries, read=retries, status=retries, other=0, redirect=MAX_REDIRECTS,
        status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET", "HEAD"}),
        backoff_factor=backoff_factor, backoff_max=backoff_max,
        respect_retry_after_header=True, raise_on_status=False,
    )
    if "retry_after_max" in inspect.signature(Retry.__init__).parameters:
        options["retry_after_max"] = retry_after_max
    return Retry(**options)


def make_session(*, retries: int = DEFAULT_RETRIES, connect_retries: int = DEFAULT_CONNECT_RETRIES,
                 backoff_factor: float = DEFAULT_BACKOFF, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
                 read_timeout: float = DEFAULT_READ_TIMEOUT, retry_after_max: int = 60) -> FetchSession:
    """The one Session used for network downloads: a retrying http(s) adapter, nothing else."""
    session = FetchSession((connect_timeout, read_timeout))
    retry = make_retry(retries=retries, connect_retries=connect_retries,
                       backoff_factor=backoff_factor, retry_after_max=retry_after_max)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = f"bilatrus-etl/{__version__} (open data pipeline; python-requests)"
    session.headers["Accept-Encoding"] = "identity"
    return session


def local_session() -> requests.Session:
    """A Session for file:// URLs (a local mirror folder) only: the file adapter is its one adapter."""
    session = requests.Session()
    session.adapters.clear()
    session.mount("file://", FileAdapter())
    return session


def _is_local(url: str) -> bool:
    return url.lower().startswith("file:")


class FileAdapter(BaseAdapter):
    """Serves file:// URLs (a local mirror folder) with ETag, Last-Modified and 304, like a web server."""

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        path = Path(url2pathname(urlsplit(request.url or "").path))
        if request.method not in ("GET", "HEAD"):
            return self._response(request, 405, "Method Not Allowed", {}, io.BytesIO(b""))
        if not path.is_file():
            return self._response(request, 404, "Not Found", {}, io.BytesIO(b""))
        stat = path.stat()
        headers = {
            "ETag": f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"',
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
        }
        if _not_modified(request.headers, headers["ETag"], stat.st_mtime):
            return self._response(request, 304, "Not Modified", headers, io.BytesIO(b""))
        headers["Content-Length"] = str(stat.st_size)
        headers["Content-Type"] = "application/octet-stream"
        body = path.open("rb") if request.method == "GET" else io.BytesIO(b"")
        return self._response(request, 200, "OK", headers, body)

    def _response(self, request: requests.PreparedRequest, status: int, reason: str,
                  headers: dict[str, str], body: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.reason = reason
        response.headers = CaseInsensitiveDict(headers)
        response.raw = HTTPResponse(body=body, headers=headers, status=status, reason=reason,
                                    preload_content=False, decode_content=False,
                                    request_method=request.method, request_url=request.url)
        response.url = request.url or ""
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        """Nothing pooled to close."""


def _not_modified(headers: Mapping[str, str], etag: str, mtime: float) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins over If-Modified-Since."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = headers.get("If-Modified-Since")
    if not since:
        return False
    try:
        when = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return int(mtime) <= when.timestamp()


# ---------------------------------------------------------------- provenance


def provenance_path(raw_dir: str | os.PathLike) -> Path:
    return Path(raw_dir) / PROVENANCE_FILE


def read_provenance(raw_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """All provenance rows, oldest first ([] when nothing was downloaded yet)."""
    path = provenance_path(raw_dir)
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError:
            log.warning("%s line %d is not JSON and was skipped: %.80s", path, number, line)
    return rows


def latest_download(raw_dir: str | os.PathLike, dataset: str, url: str | None = None) -> dict[str, Any] | None:
    """The newest provenance row of a dataset (and URL, if given), or None."""
    for row in reversed(read_provenance(raw_dir)):
        if row.get("dataset") == dataset and (url is None or row.get("url") == url):
            return row
    return None


def stored_path(raw_dir: str | os.PathLike, row: Mapping[str, Any]) -> Path:
    """Absolute path of the file a provenance row points at."""
    return Path(raw_dir) / row["path"]


def _append_provenance(raw_dir: Path, result: DownloadResult) -> None:
    line = json.dumps(result.provenance_row(raw_dir), ensure_ascii=False) + "\n"
    raw_dir.mkdir(parents=True, exist_ok=True)
    with provenance_path(raw_dir).open("a", encoding="utf-8") as out:
        out.write(line)  # one write per row: appends from parallel processes do not interleave


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- download


def download(dataset: str | Dataset, url: str, raw_dir: str | os.PathLike, *,
             session: requests.Session | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
             expected_sha256: str | None = None, expected_md5: str | None = None,
             progress: Progress | None = None) -> DownloadResult:
    """Download `url` for `dataset` into raw_dir/<dataset>/<sha256>.<ext> and record its provenance.

    Sends If-None-Match / If-Modified-Since from the last download of the same dataset and URL; a 304
    reuses the stored file. `changed` is False for a 304 and for a 200 whose sha256 equals the last one.
    A body cut mid-stream or stalled is fetched again (resumed with Range where the server allows it) as
    often as the session retries reads. A dataset resolved to an upstream release (`Dataset.release`) is
    checked against the release's md5 and recorded with it. file:// URLs are read by `local_session`,
    whatever `session` is given.
    """
    target = _Target.of(dataset, url)
    raw_dir = Path(raw_dir).resolve()
    _refuse_known_unreachable(target)
    previous = latest_download(raw_dir, target.key)
    release = target.dataset.release if target.dataset else None
    if release is not None and expected_md5 is None:
        expected_md5 = release.md5
    cached = _reusable(raw_dir, target.key, target.shown, expected_sha256)
    own_session = session is None or _is_local(url)
    if _is_local(url):
        session = local_session()
    session = session or make_session()
    try:
        result = _Transfer(session, raw_dir, target, max_bytes, progress).run(
            cached, previous, expected_sha256, expected_md5)
    finally:
        if own_session:
            session.close()
    if release is not None:
        result = replace(result, release=release.provenance())
    _append_provenance(raw_dir, result)
    log.info("%s: %s %s (%d bytes, sha256 %s, changed=%s)", target.key, result.status, target.shown,
             result.bytes, result.sha256[:12], result.changed)
    return result


@dataclass(frozen=True)
class _Target:
    """What is being downloaded: dataset key, URL, and the catalog entry when there is one."""

    key: str
    url: str
    dataset: Dataset | None

    @classmethod
    def of(cls, dataset: str | Dataset, url: str) -> _Target:
        key = dataset.key if isinstance(dataset, Dataset) else dataset
        if not _SAFE_KEY.fullmatch(key):
            raise BilatrusError(f"dataset key {key!r} cannot name a folder under the raw directory; "
                                "use letters, digits, '_' and '-' only")
        if isinstance(dataset, Dataset):
            return cls(key, url, dataset)
        return cls(key, url, load_catalog().get(key))

    @property
    def shown(self) -> str:
        """The URL as it may be shown and stored: without credentials or tokens."""
        return redact(self.url)

    @property
    def official_url(self) -> str:
        return self.dataset.url if self.dataset else self.url

    @property
    def file_name(self) -> str:
        return self.dataset.file_name if self.dataset else official_file_name(self.url)

    @property
    def extension(self) -> str:
        suffix = Path(self.file_name).suffix.lstrip(".").lower()
        return suffix or (self.dataset.format if self.dataset else "bin")

    @property
    def host(self) -> str:
        """scheme://host[:port], without any user or password (the key of the unreachable-host memory)."""
        parts = urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname or ''}{port}"

    @property
    def is_mirror(self) -> bool:
        return self.url != self.official_url

    def mirror_hint(self) -> str:
        """How to run without reaching the official address."""
        name = self.file_name
        pattern = self.dataset.mirror_glob if self.dataset else None
        glob = f" (or any file matching {pattern})" if pattern else ""
        official = redact(self.official_url)
        hint = (f"If this machine cannot reach it, download the file by hand from {official} into a "
                f"folder, keeping its name {name}{glob}, and set BILATRUS_MIRROR=/that/folder "
                f"(or BILATRUS_MIRROR=http://host/base/ for a web server holding the same file names).")
        if self.is_mirror:
            hint = ("This address comes from BILATRUS_MIRROR: check the mirror, or unset BILATRUS_MIRROR to use "
                    "the official address. " + hint)
        return hint

    def error(self, message: str, *, transient: bool = False) -> FetchError:
        """A FetchError for this download, its message and URL redacted."""
        return FetchError(redact(message), dataset=self.key, url=self.shown, transient=transient)


def _reusable(raw_dir: Path, key: str, url: str, expected_sha256: str | None) -> dict[str, Any] | None:
    """The last download of this dataset+URL (as stored: redacted) whose stored file is intact (same size), if any."""
    row = latest_download(raw_dir, key, url)
    if row is None or not row.get("sha256"):
        return None
    if expected_sha256 and row["sha256"] != expected_sha256.lower():
        return None
    path = stored_path(raw_dir, row)
    if not path.is_file() or path.stat().st_size != row.get("bytes"):
        return None
    return row


def _conditional_headers(cached: Mapping[str, Any] | None) -> dict[str, str]:
    if cached is None:
        return {}
    headers = {}
    if cached.get("etag"):
        headers["If-None-Match"] = cached["etag"]
    if cached.get("last_modified"):
        headers["If-Modified-Since"] = cached["last_modified"]
    return headers


def _get(session: requests.Session, target: _Target, headers: dict[str, str]) -> requests.Response:
    try:
        return session.get(target.url, headers=headers, stream=True)
    except requests.RequestException as exc:
        raise _network_error(target, exc, getattr(session, "redirects", None)) from exc


def _reuse(raw_dir: Path, target: _Target, response: requests.Response, cached: Mapping[str, Any]) -> DownloadResult:
    return DownloadResult(
        dataset=target.key, url=target.shown, path=stored_path(raw_dir, cached), sha256=cached["sha256"],
        bytes=int(cached["bytes"]), status=304,
        etag=response.headers.get("ETag") or cached.get("etag"),
        last_modified=response.headers.get("Last-Modified") or cached.get("last_modified"),
        changed=False, fetched_at=_now(),
    )


class _Cut(Exception):
    """The body stopped before its end (connection closed, or no byte for a read timeout): worth another try."""

    def __init__(self, cause: str, received: int) -> None:
        super().__init__(cause)
        self.cause = cause
        self.received = received


_BODY_ERRORS = (requests.RequestException, HTTPError, OSError)


class _Transfer:
    """One download into a temp file beside its final place: attempts, resume, checks, then the atomic rename.

    The temp file, its running digests and its size survive a cut; the next attempt asks for the rest
    (`Range: bytes=<size>-` with `If-Range: <validator>`). A 206 that continues exactly there is appended; any
    other answer starts the file again.
    """

    def __init__(self, session: requests.Session, raw_dir: Path, target: _Target, max_bytes: int,
                 progress: Progress | None) -> None:
        self.session, self.raw_dir, self.target = session, raw_dir, target
        self.max_bytes, self.progress = max_bytes, progress
        self.folder = raw_dir / target.key
        self.tmp: Path | None = None
        self.size = 0
        self.total: int | None = None
        self.validator: str | None = None
        self.head = b""
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.first: requests.Response | None = None

    def run(self, cached: Mapping[str, Any] | None, previous: Mapping[str, Any] | None,
            expected_sha256: str | None, expected_md5: str | None) -> DownloadResult:
        retry = _read_retry(self.session, self.target.url)
        attempts = 1 + (retry.read if retry is not None and isinstance(retry.read, int) else 0)
        cuts: list[_Cut] = []
        try:
            for attempt in range(1, attempts + 1):
                resuming = bool(self.size and self.validator)
                first_try = not self.size and not cuts
                headers = self._range_headers() if resuming else (_conditional_headers(cached) if first_try else {})
                response = _get(self.session, self.target, headers)
                with response:
                    if response.status_code == 304 and cached is not None and first_try:
                        return _reuse(self.raw_dir, self.target, response, cached)
                    try:
                        if resuming and response.status_code == 206:
                            self._resume(response)
                        else:
                            _raise_for_status(self.target, response)
                            self._restart(response)
                        self._fill(response)
                    except _Cut as cut:
                        cuts.append(cut)
                        if attempt == attempts:
                            raise self._cut_error(cuts) from None
                        log.warning("%s: the download from %s broke off after %d bytes (%s); attempt %d of %d "
                                    "follows", self.target.key, self.target.shown, cut.received, redact(cut.cause),
                                    attempt + 1, attempts)
                        time.sleep(_backoff(retry, attempt))
                        continue
                return self._finish(previous, expected_sha256, expected_md5)
            raise AssertionError("unreachable")  # the loop returns or raises
        finally:
            if self.tmp is not None:
                self.tmp.unlink(missing_ok=True)

    # -- one response --------------------------------------------------------------------------------------

    def _range_headers(self) -> dict[str, str]:
        headers = {"Range": f"bytes={self.size}-"}
        if self.validator:
            headers["If-Range"] = self.validator
        return headers

    def _resume(self, response: requests.Response) -> None:
        """Accept a 206 that continues the file; otherwise forget the partial file (the next attempt restarts)."""
        if not self._continues(response):
            received = self.size
            self.size, self.validator = 0, None
            raise _Cut("the server's partial answer (206) did not continue the file where it stopped", received)

    def _continues(self, response: requests.Response) -> bool:
        """A 206 that carries the bytes from exactly where the file stopped, of the same version of the file."""
        match = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", response.headers.get("Content-Range", ""))
        if not match or not self.validator or int(match[1]) != self.size:
            return False
        if match[3] != "*" and self.total is not None and int(match[3]) != self.total:
            return False
        etag = response.headers.get("ETag")
        return not (etag and self.validator.startswith('"') and etag != self.validator)

    def _restart(self, response: requests.Response) -> None:
        """A full answer (200): start the temp file again and remember what a resume must match."""
        total = _content_length(response)
        if total is not None and total > self.max_bytes:
            raise self.target.error(
                f"Dataset {self.target.key!r}: {self.target.url} announces {_mb(total)}, over the size cap of "
                f"{_mb(self.max_bytes)}. Nothing was downloaded. If the file really grew, raise max_bytes.")
        if self.tmp is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self.folder, prefix=".download-", suffix=".part")
            os.close(fd)
            self.tmp = Path(name)
        self.tmp.write_bytes(b"")
        self.size, self.total, self.head = 0, total, b""
        self.sha256, self.md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
        self.first = response
        etag = response.headers.get("ETag")
        identity = response.headers.get("Content-Encoding", "identity").lower() == "identity"
        strong = etag if etag and not etag.startswith("W/") else None
        # a resume needs byte offsets that mean the same thing twice: a strong validator and no content coding
        self.validator = (strong or response.headers.get("Last-Modified")) if identity else None

    def _fill(self, response: requests.Response) -> None:
        """Append the body to the temp file, hashing; a cut or stall raises _Cut with the bytes kept so far."""
        assert self.tmp is not None
        if self.progress:
            self.progress(self.size, self.total)
        start = self.size
        with self.tmp.open("ab") as out:
            try:
                while chunk := self._read(response):
                    self._write(out, chunk)  # a local write error (disk full) is not a cut: it is raised as is
            finally:
                out.flush()
                os.fsync(out.fileno())
        if self.total is not None:
            received = self.size
            if response.headers.get("Content-Encoding", "identity").lower() != "identity":
                received = _wire_bytes(response, self.size - start) + start
            if received < self.total:
                raise _Cut("the connection closed before the end of the body", received)
            if received > self.total:
                raise self.target.error(
                    f"Dataset {self.target.key!r}: the download from {self.target.url} is longer than announced: "
                    f"{received} bytes received, {self.total} announced (Content-Length). Nothing was kept. Run "
                    "again; if it keeps failing, the server is broken. " + self.target.mirror_hint())

    def _read(self, response: requests.Response) -> bytes:
        """What has arrived of the body (at most CHUNK_SIZE bytes); b"" at its end; _Cut when it breaks off."""
        try:
            return response.raw.read1(CHUNK_SIZE, decode_content=True)
        except _BODY_ERRORS as exc:
            raise _Cut(_cause(exc), self.size) from exc

    def _write(self, out: io.BufferedWriter, chunk: bytes) -> None:
        if self.size + len(chunk) > self.max_bytes:
            raise self.target.error(
                f"Dataset {self.target.key!r}: the body from {self.target.url} passed the size cap of "
                f"{_mb(self.max_bytes)}; the download was stopped and discarded. If the file really grew, raise "
                "max_bytes.")
        if len(self.head) < 512:
            self.head += chunk[: 512 - len(self.head)]
        out.write(chunk)
        self.sha256.update(chunk)
        self.md5.update(chunk)
        self.size += len(chunk)
        if self.progress:
            self.progress(self.size, self.total)

    # -- the end -------------------------------------------------------------------------------------------

    def _cut_error(self, cuts: list[_Cut]) -> FetchError:
        last = cuts[-1]
        expected = f" of {self.total}" if self.total is not None else ""
        arrived = ", ".join(str(c.received) for c in cuts)
        return self.target.error(
            f"Dataset {self.target.key!r}: the download from {self.target.url} broke off after {last.received}"
            f"{expected} bytes ({last.cause}), {len(cuts)} time(s) in a row (bytes received when each attempt "
            f"stopped: {arrived}). Nothing was kept. Run again later; if it keeps failing, the server or the "
            "connection is unstable. " + self.target.mirror_hint(), transient=True)

    def _finish(self, previous: Mapping[str, Any] | None, expected_sha256: str | None,
                expected_md5: str | None) -> DownloadResult:
        assert self.tmp is not None and self.first is not None
        _check_not_html(self.target, self.head)
        sha256 = self.sha256.hexdigest()
        key, url = self.target.key, self.target.url
        if expected_sha256 and sha256 != expected_sha256.lower():
            raise self.target.error(
                f"Dataset {key!r}: the file from {url} has sha256 {sha256}, not the expected "
                f"{expected_sha256.lower()}. It was discarded. The upstream file changed or was corrupted: "
                "check the source and update the expected checksum.")
        md5 = self.md5.hexdigest()
        if expected_md5 and md5 != expected_md5.lower():
            raise self.target.error(
                f"Dataset {key!r}: the file from {url} has md5 {md5}, not the md5 {expected_md5.lower()} its "
                "publisher lists for it. It was discarded. Run again; if it keeps failing, the file on the server "
                "is damaged: report it to the publisher. " + self.target.mirror_hint(), transient=True)
        final = self.folder / f"{sha256}.{self.target.extension}"
        os.replace(self.tmp, final)
        self.tmp = None
        headers = self.first.headers
        return DownloadResult(
            dataset=key, url=self.target.shown, path=final, sha256=sha256, bytes=self.size,
            status=self.first.status_code, etag=headers.get("ETag"), last_modified=headers.get("Last-Modified"),
            changed=previous is None or previous.get("sha256") != sha256, fetched_at=_now(),
        )


def _read_retry(session: requests.Session, url: str) -> Retry | None:
    """The urllib3 Retry of the adapter that serves `url` (None for adapters without one, e.g. file://)."""
    try:
        adapter = session.get_adapter(url)
    except requests.RequestException:
        return None
    retry = getattr(adapter, "max_retries", None)
    return retry if isinstance(retry, Retry) else None


def _backoff(retry: Retry | None, attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: the session's own exponential backoff."""
    if retry is None or not retry.backoff_factor:
        return 0.0
    return min(float(retry.backoff_max), retry.backoff_factor * (2 ** (attempt - 1)))


def _wire_bytes(response: requests.Response, default: int) -> int:
    """Bytes read off the connection (before any content decoding)."""
    try:
        return int(response.raw.tell())
    except (AttributeError, TypeError, ValueError, OSError):
        return default


def _check_not_html(target: _Target, head: bytes) -> None:
    """A data file that starts like a web page is an error or login page, not data."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")):
        raise target.error(
            f"Dataset {target.key!r}: {target.url} sent an HTML page, not the data file (it starts "
            f"{head[:60]!r}). The address probably shows an error or a notice now: open it in a browser, and "
            "update the URL in the source catalog if the file moved. " + target.mirror_hint())


def _raise_for_status(target: _Target, response: requests.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    what = f"{status} {response.reason or ''}".strip()
    key, url = target.key, target.url
    if url.startswith("file:") and status == 404:
        path = Path(url2pathname(urlsplit(url).path))
        raise target.error(
            f"Dataset {key!r}: the mirror folder {path.parent} has no file {path.name}. Download it by hand from "
            f"{target.official_url} into {path.parent} under that name, or unset BILATRUS_MIRROR to download it.")
    if status == 404 or status == 410:
        where = ""
        if target.dataset and target.dataset.landing_page:
            where = f" (see {target.dataset.landing_page})"
        raise target.error(
            f"Dataset {key!r}: {url} answered HTTP {what}. The file may have moved: find its current address"
            f"{where} and update the source catalog (src/bilatrus_etl/catalog/sources.json). "
            + target.mirror_hint())
    if status in RETRY_STATUSES:
        raise target.error(
            f"Dataset {key!r}: {url} answered HTTP {what}, still after retries: the server is busy or down. "
            "Try again later. " + target.mirror_hint(), transient=True)
    if status == 304:
        raise target.error(
            f"Dataset {key!r}: {url} answered 304 Not Modified, but no earlier download of it is stored. "
            f"Remove its rows from {PROVENANCE_FILE} and run again.")
    raise target.error(
        f"Dataset {key!r}: {url} answered HTTP {what} instead of the file. Check the address in the source "
        "catalog. " + target.mirror_hint())


# ---------------------------------------------------------------- network errors


_unreachable: dict[str, tuple[float, str]] = {}


def forget_unreachable_hosts() -> None:
    """Clear the memory of hosts that failed to connect (tests; long-lived processes)."""
    _unreachable.clear()


def _refuse_known_unreachable(target: _Target) -> None:
    """Fail at once for a host that could not be connected to moments ago in this process."""
    seen = _unreachable.get(target.host)
    if seen is None:
        return
    when, cause = seen
    age = time.monotonic() - when
    if age > UNREACHABLE_TTL:
        _unreachable.pop(target.host, None)
        return
    raise target.error(
        f"Dataset {target.key!r}: cannot download {target.url}: {target.host} could not be reached "
        f"{age:.0f} s ago ({cause}), so it was not tried again. " + target.mirror_hint())


def _network_error(target: _Target, exc: requests.RequestException, chain: list[str] | None = None) -> FetchError:
    redirect = _redirect_error(target, exc, chain or [target.url])
    if redirect is not None:
        return redirect
    cause = _cause(exc)
    reason = _reason(exc)
    host = target.host.split("://", 1)[1]
    if isinstance(reason, (NewConnectionError, NameResolutionError, ConnectTimeoutError)) or isinstance(
            exc, requests.ConnectTimeout):
        _unreachable[target.host] = (time.monotonic(), cause)
        what = f"could not connect to {host} ({cause})"
    elif isinstance(reason, ReadTimeoutError) or isinstance(exc, requests.ReadTimeout):
        what = f"{host} accepted the connection but did not answer in time ({cause})"
    elif isinstance(exc, requests.exceptions.SSLError):
        what = f"the secure connection to {host} failed ({cause})"
    else:
        what = f"the request to {host} failed ({cause})"
    transient = not isinstance(reason, (NewConnectionError, NameResolutionError, ConnectTimeoutError)) and not isinstance(
        exc, requests.ConnectTimeout)
    return target.error(f"Dataset {target.key!r}: cannot download {target.url}: {what}. " + target.mirror_hint(),
                        transient=transient)


def _redirect_error(target: _Target, exc: requests.RequestException, chain: list[str]) -> FetchError | None:
    """A refused redirect (to a non-http(s) address, or more than MAX_REDIRECTS): a final error naming the chain."""
    if not isinstance(exc, (UnsafeRedirect, requests.TooManyRedirects)):
        return None
    repeat = next((i for i, url in enumerate(chain) if url in chain[:i]), None)
    shown = " -> ".join(chain if repeat is None else chain[: repeat + 1]) + (" -> ..." if repeat is not None else "")
    if isinstance(exc, UnsafeRedirect):
        what = (f"the server redirected to {chain[-1]}, which is not an http(s) address; downloads follow "
                "redirects to http and https only, so nothing was fetched from there")
    else:
        what = (f"{'a redirect loop' if repeat is not None else 'too many redirects'}: more than {MAX_REDIRECTS} "
                "redirects, so the download stopped")
    return target.error(
        f"Dataset {target.key!r}: cannot download {target.url}: {what} (redirects: {shown}). Check the address "
        "(or the mirror's web server configuration). " + target.mirror_hint())


def _reason(exc: BaseException) -> BaseException | None:
    """The urllib3 error under a requests error (MaxRetryError.reason when retries ran out)."""
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, MaxRetryError):
            return arg.reason
        if isinstance(arg, BaseException):
            return arg
    return None


def describe_error(exc: BaseException) -> str:
    """A short cause of a requests error for a message, without credentials or tokens."""
    return redact(_cause(exc))


def _cause(exc: BaseException) -> str:
    """A short, human cause: '[Errno 111] Connection refused', 'Read timed out. (read timeout=60)', …"""
    reason = _reason(exc) or exc
    if isinstance(reason, NameResolutionError):
        return "the host name could not be resolved (no DNS or no network)"
    first = reason.args[0] if reason.args and isinstance(reason.args[0], str) else str(reason)
    text = _POOL_PREFIX.sub("", first).removeprefix("Failed to establish a new connection: ")
    return text.strip()[:200] or type(reason).__name__


_POOL_PREFIX = re.compile(r"^(?:<[^>]*>|[\w.]*Connection(?:Pool)?\([^)]*\)): ")


# ---------------------------------------------------------------- small helpers


def check_reachable(url: str, timeout: float = 5.0, session: requests.Session | None = None) -> tuple[bool, str]:
    """Can `url` be fetched? A HEAD (or a one-byte ranged GET where HEAD is refused), without retries."""
    own = session is None or _is_local(url)
    if _is_local(url):
        session = local_session()
    session = session or make_session(retries=0, connect_retries=0, connect_timeout=timeout, read_timeout=timeout)
    try:
        response = session.head(url, allow_redirects=True, timeout=(timeout, timeout))
        if response.status_code in (403, 405, 501):
            response = session.get(url, headers={"Range": "bytes=0-0"}, stream=True, timeout=(timeout, timeout))
            response.close()
    except requests.RequestException as exc:
        return False, redact(f"cannot reach {urlsplit(url).hostname or url}: {_cause(exc)}")
    finally:
        if own:
            session.close()
    return response.status_code < 400, _describe(response)


def _describe(response: requests.Response) -> str:
    parts = [f"HTTP {response.status_code} {response.reason or ''}".strip()]
    size = _content_length(response)
    content_range = response.headers.get("Content-Range", "")
    if response.status_code == 206 and "/" in content_range:
        total = content_range.rsplit("/", 1)[-1]
        size = int(total) if total.isdigit() else None
    if size is not None:
        parts.append(_mb(size))
    if response.headers.get("Last-Modified"):
        parts.append(f"last modified {response.headers['Last-Modified']}")
    return ", ".join(parts)


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value and value.strip().isdigit() else None


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB ({size} bytes)"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

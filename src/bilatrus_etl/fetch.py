"""HTTP download: retries, conditional GET, checksums, size cap, atomic writes and a provenance log.

Files land as `raw_dir/<dataset>/<sha256>.<ext>`; every successful attempt (200 or 304) appends one JSON
line to `raw_dir/provenance.jsonl`. `file://` URLs (a local mirror folder) go through the same Session,
by a small requests adapter, so a mirror run hashes, caps, writes and records exactly like production.
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
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPResponse
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from bilatrus_etl import __version__
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.sources import Dataset, load_catalog, official_file_name

log = logging.getLogger(__name__)

PROVENANCE_FILE = "provenance.jsonl"
DEFAULT_MAX_BYTES = 2 * 1024**3
DEFAULT_CONNECT_TIMEOUT = 4.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_RETRIES = 3
DEFAULT_CONNECT_RETRIES = 1
DEFAULT_BACKOFF = 1.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
UNREACHABLE_TTL = 120.0
CHUNK_SIZE = 1 << 20
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

    def provenance_row(self, raw_dir: Path) -> dict[str, Any]:
        """The JSON line for provenance.jsonl; `path` relative to raw_dir."""
        row = asdict(self)
        row["path"] = _relative(self.path, raw_dir)
        row["http_status"] = row.pop("status")
        order = ("dataset", "url", "fetched_at", "http_status", "etag", "last_modified",
                 "sha256", "bytes", "path", "changed")
        return {key: row[key] for key in order}


# ---------------------------------------------------------------- session


class FetchSession(requests.Session):
    """A Session that applies default (connect, read) timeouts to every request."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


def make_retry(*, retries: int = DEFAULT_RETRIES, connect_retries: int = DEFAULT_CONNECT_RETRIES,
               backoff_factor: float = DEFAULT_BACKOFF, backoff_max: float = 30.0,
               retry_after_max: int = 60) -> Retry:
    """urllib3 Retry: connect errors, read errors and 429/5xx answers, honouring (capped) Retry-After."""
    options: dict[str, Any] = dict(
        total=None, connect=connect_retries, read=retries, status=retries, other=0, redirect=10,
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
    """The one Session used for downloads: retrying http(s) adapter plus the file:// mirror adapter."""
    session = FetchSession((connect_timeout, read_timeout))
    retry = make_retry(retries=retries, connect_retries=connect_retries,
                       backoff_factor=backoff_factor, retry_after_max=retry_after_max)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.mount("file://", FileAdapter())
    session.headers["User-Agent"] = f"bilatrus-etl/{__version__} (open data pipeline; python-requests)"
    session.headers["Accept-Encoding"] = "identity"
    return session


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
             expected_sha256: str | None = None, progress: Progress | None = None) -> DownloadResult:
    """Download `url` for `dataset` into raw_dir/<dataset>/<sha256>.<ext> and record its provenance.

    Sends If-None-Match / If-Modified-Since from the last download of the same dataset and URL; a 304
    reuses the stored file. `changed` is False for a 304 and for a 200 whose sha256 equals the last one.
    """
    target = _Target.of(dataset, url)
    raw_dir = Path(raw_dir).resolve()
    _refuse_known_unreachable(target)
    previous = latest_download(raw_dir, target.key)
    cached = _reusable(raw_dir, target.key, url, expected_sha256)
    headers = _conditional_headers(cached)
    own_session = session is None
    session = session or make_session()
    try:
        response = _get(session, target, headers)
        with response:
            if response.status_code == 304 and cached is not None:
                result = _reuse(raw_dir, target, response, cached)
            else:
                _raise_for_status(target, response)
                result = _store(raw_dir, target, response, previous, max_bytes, expected_sha256, progress)
    finally:
        if own_session:
            session.close()
    _append_provenance(raw_dir, result)
    log.info("%s: %s %s (%d bytes, sha256 %s, changed=%s)", target.key, result.status, url,
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
    def official_url(self) -> str:
        return self.dataset.url if self.dataset else self.url

    @property
    def extension(self) -> str:
        name = official_file_name(self.official_url)
        suffix = Path(name).suffix.lstrip(".").lower()
        return suffix or (self.dataset.format if self.dataset else "bin")

    @property
    def host(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def is_mirror(self) -> bool:
        return self.url != self.official_url

    def mirror_hint(self) -> str:
        """How to run without reaching the official address."""
        name = official_file_name(self.official_url)
        pattern = self.dataset.mirror_glob if self.dataset else None
        glob = f" (or any file matching {pattern})" if pattern else ""
        hint = (f"If this machine cannot reach it, download the file by hand from {self.official_url} into a "
                f"folder, keeping its name {name}{glob}, and set BILATRUS_MIRROR=/that/folder "
                f"(or BILATRUS_MIRROR=http://host/base/ for a web server holding the same file names).")
        if self.is_mirror:
            hint = ("This address comes from BILATRUS_MIRROR: check the mirror, or unset BILATRUS_MIRROR to use "
                    "the official address. " + hint)
        return hint


def _reusable(raw_dir: Path, key: str, url: str, expected_sha256: str | None) -> dict[str, Any] | None:
    """The last download of this dataset+URL whose stored file is still intact (same size), if any."""
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
        raise _network_error(target, exc) from exc


def _reuse(raw_dir: Path, target: _Target, response: requests.Response, cached: Mapping[str, Any]) -> DownloadResult:
    return DownloadResult(
        dataset=target.key, url=target.url, path=stored_path(raw_dir, cached), sha256=cached["sha256"],
        bytes=int(cached["bytes"]), status=304,
        etag=response.headers.get("ETag") or cached.get("etag"),
        last_modified=response.headers.get("Last-Modified") or cached.get("last_modified"),
        changed=False, fetched_at=_now(),
    )


def _store(raw_dir: Path, target: _Target, response: requests.Response, previous: Mapping[str, Any] | None,
           max_bytes: int, expected_sha256: str | None, progress: Progress | None) -> DownloadResult:
    """Stream the body into a temp file beside its final place, check it, then rename it into place."""
    total = _content_length(response)
    if total is not None and total > max_bytes:
        raise FetchError(
            f"Dataset {target.key!r}: {target.url} announces {_mb(total)}, over the size cap of {_mb(max_bytes)}. "
            "Nothing was downloaded. If the file really grew, raise max_bytes.", dataset=target.key, url=target.url)
    folder = raw_dir / target.key
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            sha256, done, head = _stream(target, response, out, total, max_bytes, progress)
            out.flush()
            os.fsync(out.fileno())
        _check_complete(target, response, total, done)
        _check_not_html(target, head)
        if expected_sha256 and sha256 != expected_sha256.lower():
            raise FetchError(
                f"Dataset {target.key!r}: the file from {target.url} has sha256 {sha256}, not the expected "
                f"{expected_sha256.lower()}. It was discarded. The upstream file changed or was corrupted: "
                "check the source and update the expected checksum.", dataset=target.key, url=target.url)
        final = folder / f"{sha256}.{target.extension}"
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return DownloadResult(
        dataset=target.key, url=target.url, path=final, sha256=sha256, bytes=done,
        status=response.status_code, etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        changed=previous is None or previous.get("sha256") != sha256, fetched_at=_now(),
    )


def _stream(target: _Target, response: requests.Response, out: io.BufferedWriter, total: int | None,
            max_bytes: int, progress: Progress | None) -> tuple[str, int, bytes]:
    """Copy the body to `out`, hashing; returns (sha256, bytes, first bytes)."""
    digest = hashlib.sha256()
    done = 0
    head = b""
    if progress:
        progress(0, total)
    try:
        for chunk in response.iter_content(chunk_size=CHUNK_SIZE):
            done += len(chunk)
            if done > max_bytes:
                raise FetchError(
                    f"Dataset {target.key!r}: the body from {target.url} passed the size cap of {_mb(max_bytes)}; "
                    "the download was stopped and discarded. If the file really grew, raise max_bytes.",
                    dataset=target.key, url=target.url)
            if len(head) < 512:
                head += chunk[: 512 - len(head)]
            digest.update(chunk)
            out.write(chunk)
            if progress:
                progress(done, total)
    except requests.RequestException as exc:
        expected = f" of {total}" if total is not None else ""
        received = max(done, _wire_bytes(response, done))
        raise FetchError(
            f"Dataset {target.key!r}: the download from {target.url} broke off after {received}{expected} bytes "
            f"({_cause(exc)}). Nothing was kept. Run again; if it keeps failing, the server is unstable. "
            + target.mirror_hint(), dataset=target.key, url=target.url) from exc
    return digest.hexdigest(), done, head


def _check_complete(target: _Target, response: requests.Response, total: int | None, done: int) -> None:
    """A body shorter (or longer) than its Content-Length is an error."""
    if total is None:
        return
    received = done
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        received = _wire_bytes(response, done)
    if received != total:
        raise FetchError(
            f"Dataset {target.key!r}: the download from {target.url} is truncated: {received} bytes received, "
            f"{total} announced (Content-Length). Nothing was kept. Run again; if it keeps failing, the server is "
            "unstable. " + target.mirror_hint(), dataset=target.key, url=target.url)


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
        raise FetchError(
            f"Dataset {target.key!r}: {target.url} sent an HTML page, not the data file (it starts "
            f"{head[:60]!r}). The address probably shows an error or a notice now: open it in a browser, and "
            "update the URL in the source catalog if the file moved. " + target.mirror_hint(),
            dataset=target.key, url=target.url)


def _raise_for_status(target: _Target, response: requests.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    what = f"{status} {response.reason or ''}".strip()
    key, url = target.key, target.url
    if url.startswith("file:") and status == 404:
        path = Path(url2pathname(urlsplit(url).path))
        raise FetchError(
            f"Dataset {key!r}: the mirror folder {path.parent} has no file {path.name}. Download it by hand from "
            f"{target.official_url} into {path.parent} under that name, or unset BILATRUS_MIRROR to download it.",
            dataset=key, url=url)
    if status == 404 or status == 410:
        where = ""
        if target.dataset and target.dataset.landing_page:
            where = f" (see {target.dataset.landing_page})"
        raise FetchError(
            f"Dataset {key!r}: {url} answered HTTP {what}. The file may have moved: find its current address"
            f"{where} and update the source catalog (src/bilatrus_etl/catalog/sources.json). "
            + target.mirror_hint(), dataset=key, url=url)
    if status in RETRY_STATUSES:
        raise FetchError(
            f"Dataset {key!r}: {url} answered HTTP {what}, still after retries: the server is busy or down. "
            "Try again later. " + target.mirror_hint(), dataset=key, url=url, transient=True)
    if status == 304:
        raise FetchError(
            f"Dataset {key!r}: {url} answered 304 Not Modified, but no earlier download of it is stored. "
            f"Remove its rows from {PROVENANCE_FILE} and run again.", dataset=key, url=url)
    raise FetchError(
        f"Dataset {key!r}: {url} answered HTTP {what} instead of the file. Check the address in the source "
        "catalog. " + target.mirror_hint(), dataset=key, url=url)


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
    raise FetchError(
        f"Dataset {target.key!r}: cannot download {target.url}: {target.host} could not be reached "
        f"{age:.0f} s ago ({cause}), so it was not tried again. " + target.mirror_hint(),
        dataset=target.key, url=target.url)


def _network_error(target: _Target, exc: requests.RequestException) -> FetchError:
    cause = _cause(exc)
    reason = _reason(exc)
    host = urlsplit(target.url).netloc
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
    return FetchError(f"Dataset {target.key!r}: cannot download {target.url}: {what}. " + target.mirror_hint(),
                      dataset=target.key, url=target.url, transient=transient)


def _reason(exc: BaseException) -> BaseException | None:
    """The urllib3 error under a requests error (MaxRetryError.reason when retries ran out)."""
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, MaxRetryError):
            return arg.reason
        if isinstance(arg, BaseException):
            return arg
    return None


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
    own = session is None
    session = session or make_session(retries=0, connect_retries=0, connect_timeout=timeout, read_timeout=timeout)
    try:
        response = session.head(url, allow_redirects=True, timeout=(timeout, timeout))
        if response.status_code in (403, 405, 501):
            response = session.get(url, headers={"Range": "bytes=0-0"}, stream=True, timeout=(timeout, timeout))
            response.close()
    except requests.RequestException as exc:
        return False, f"cannot reach {urlsplit(url).netloc or url}: {_cause(exc)}"
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

"""The HTTP side of downloads: one Session for the network, one for a local mirror folder, and their errors.

Owns: the Session network downloads go through (`make_session`): a urllib3 `Retry` on connect errors, read errors
and 429/5xx answers (honouring a capped Retry-After), default (connect, read) timeouts, at most MAX_REDIRECTS
redirects and only to http(s) addresses (a redirect to file://, ftp:// or anything else is refused before any
request is made); the Session for `file://` URLs (`local_session`: a small file adapter answering with ETag,
Last-Modified and 304 like a web server, and nothing else mounted); `check_reachable` (doctor); short, redacted
causes of requests errors for messages; and a logging filter that takes credentials and tokens out of what
urllib3 logs. What a download does with an answer (conditional GET, resume, checksums) is in `fetch`.
"""

from __future__ import annotations

import email.utils
import inspect
import io
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPResponse
from urllib3.exceptions import MaxRetryError, NameResolutionError
from urllib3.util.retry import Retry

from bilatrus_etl import __version__
from bilatrus_etl.ingest.catalog import redact

DEFAULT_CONNECT_TIMEOUT = 4.0
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_RETRIES = 3
DEFAULT_CONNECT_RETRIES = 1
DEFAULT_BACKOFF = 1.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
REDIRECT_SCHEMES = frozenset({"http", "https"})


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


for _name in ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.response"):
    logging.getLogger(_name).addFilter(_RedactingFilter())


# ---------------------------------------------------------------- sessions


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
                raise UnsafeRedirect(
                    f"{resp.url} redirected to {absolute}, which is not an http(s) address", response=resp
                )
        return target


def make_retry(
    *,
    retries: int = DEFAULT_RETRIES,
    connect_retries: int = DEFAULT_CONNECT_RETRIES,
    backoff_factor: float = DEFAULT_BACKOFF,
    backoff_max: float = 30.0,
    retry_after_max: int = 60,
) -> Retry:
    """urllib3 Retry: connect errors, read errors and 429/5xx answers, honouring (capped) Retry-After.

    `read` is also the budget of a body cut mid-stream or stalled (see `download`), with the same backoff."""
    options: dict[str, Any] = dict(
        total=None,
        connect=connect_retries,
        read=retries,
        status=retries,
        other=0,
        redirect=MAX_REDIRECTS,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    if "retry_after_max" in inspect.signature(Retry.__init__).parameters:
        options["retry_after_max"] = retry_after_max
    return Retry(**options)


def make_session(
    *,
    retries: int = DEFAULT_RETRIES,
    connect_retries: int = DEFAULT_CONNECT_RETRIES,
    backoff_factor: float = DEFAULT_BACKOFF,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    retry_after_max: int = 60,
) -> FetchSession:
    """The one Session used for network downloads: a retrying http(s) adapter, nothing else."""
    session = FetchSession((connect_timeout, read_timeout))
    retry = make_retry(
        retries=retries, connect_retries=connect_retries, backoff_factor=backoff_factor, retry_after_max=retry_after_max
    )
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


def is_local(url: str) -> bool:
    return url.lower().startswith("file:")


class FileAdapter(BaseAdapter):
    """Serves file:// URLs (a local mirror folder) with ETag, Last-Modified and 304, like a web server."""

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
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

    def _response(
        self, request: requests.PreparedRequest, status: int, reason: str, headers: dict[str, str], body: Any
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.reason = reason
        response.headers = CaseInsensitiveDict(headers)
        response.raw = HTTPResponse(
            body=body,
            headers=headers,
            status=status,
            reason=reason,
            preload_content=False,
            decode_content=False,
            request_method=request.method,
            request_url=request.url,
        )
        response.url = request.url or ""
        response.request = request
        response.connection = self  # type: ignore[assignment]  # typed as HTTPAdapter; requests needs only send()
        return response

    def close(self) -> None:
        """Nothing pooled to close."""


def _not_modified(headers: Mapping[str, str | bytes], etag: str, mtime: float) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins over If-Modified-Since."""
    if_none_match = _header(headers, "If-None-Match")
    if if_none_match:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = _header(headers, "If-Modified-Since")
    if not since:
        return False
    try:
        when = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return int(mtime) <= when.timestamp()


def _header(headers: Mapping[str, str | bytes], name: str) -> str:
    """A request header as text (requests allows bytes values: HTTP header bytes are Latin-1)."""
    value = headers.get(name) or ""
    return value.decode("latin-1") if isinstance(value, bytes) else value


# ---------------------------------------------------------------- errors and checks


def underlying_error(exc: BaseException) -> BaseException | None:
    """The urllib3 error under a requests error (MaxRetryError.reason when retries ran out)."""
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, MaxRetryError):
            return arg.reason
        if isinstance(arg, BaseException):
            return arg
    return None


def describe_error(exc: BaseException) -> str:
    """A short cause of a requests error for a message, without credentials or tokens."""
    return redact(error_cause(exc))


def error_cause(exc: BaseException) -> str:
    """A short, human cause: '[Errno 111] Connection refused', 'Read timed out. (read timeout=60)', …"""
    reason = underlying_error(exc) or exc
    if isinstance(reason, NameResolutionError):
        return "the host name could not be resolved (no DNS or no network)"
    first = reason.args[0] if reason.args and isinstance(reason.args[0], str) else str(reason)
    text = _POOL_PREFIX.sub("", first).removeprefix("Failed to establish a new connection: ")
    return text.strip()[:200] or type(reason).__name__


_POOL_PREFIX = re.compile(r"^(?:<[^>]*>|[\w.]*Connection(?:Pool)?\([^)]*\)): ")


def check_reachable(url: str, timeout: float = 5.0, session: requests.Session | None = None) -> tuple[bool, str]:
    """Can `url` be fetched? A HEAD (or a one-byte ranged GET where HEAD is refused), without retries."""
    own = session is None or is_local(url)
    if is_local(url):
        session = local_session()
    session = session or make_session(retries=0, connect_retries=0, connect_timeout=timeout, read_timeout=timeout)
    try:
        response = session.head(url, allow_redirects=True, timeout=(timeout, timeout))
        if response.status_code in (403, 405, 501):
            response = session.get(url, headers={"Range": "bytes=0-0"}, stream=True, timeout=(timeout, timeout))
            response.close()
    except requests.RequestException as exc:
        return False, redact(f"cannot reach {urlsplit(url).hostname or url}: {error_cause(exc)}")
    finally:
        if own:
            session.close()
    return response.status_code < 400, _describe(response)


def _describe(response: requests.Response) -> str:
    parts = [f"HTTP {response.status_code} {response.reason or ''}".strip()]
    size = content_length(response)
    content_range = response.headers.get("Content-Range", "")
    if response.status_code == 206 and "/" in content_range:
        total = content_range.rsplit("/", 1)[-1]
        size = int(total) if total.isdigit() else None
    if size is not None:
        parts.append(megabytes(size))
    if response.headers.get("Last-Modified"):
        parts.append(f"last modified {response.headers['Last-Modified']}")
    return ", ".join(parts)


def content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value and value.strip().isdigit() else None


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB ({size} bytes)"

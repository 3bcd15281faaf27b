"""One download's transfer into a temp file beside its final place: the conditional GET, attempts after a cut
body (resumed with a Range request when the server allows it, restarted otherwise, with the session's own
backoff), the sha256 (and md5 when one is expected) computed as bytes arrive, the size cap, the checks, then the
atomic rename. `fetch.download` decides what to fetch and records it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from urllib3.exceptions import HTTPError
from urllib3.util.retry import Retry

from bilatrus_etl.ingest.catalog import redact
from bilatrus_etl.ingest.fetch_errors import (
    DownloadTarget,
    FetchError,
    check_not_html,
    network_error,
    raise_for_status,
)
from bilatrus_etl.ingest.http import content_length, error_cause, megabytes
from bilatrus_etl.ingest.provenance import DownloadResult, stored_path

log = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20  # at most this much per read: bytes that arrived are written (and counted) as they come

Progress = Callable[[int, "int | None"], None]


def conditional_headers(cached: Mapping[str, Any] | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the provenance row of the download to reuse (none without one)."""
    if cached is None:
        return {}
    headers = {}
    if cached.get("etag"):
        headers["If-None-Match"] = cached["etag"]
    if cached.get("last_modified"):
        headers["If-Modified-Since"] = cached["last_modified"]
    return headers


def _get(session: requests.Session, target: DownloadTarget, headers: dict[str, str]) -> requests.Response:
    try:
        return session.get(target.url, headers=headers, stream=True)
    except requests.RequestException as exc:
        raise network_error(target, exc, getattr(session, "redirects", None)) from exc


def _reuse(
    raw_dir: Path, target: DownloadTarget, response: requests.Response, cached: Mapping[str, Any]
) -> DownloadResult:
    return DownloadResult(
        dataset=target.key,
        url=target.shown,
        path=stored_path(raw_dir, cached),
        sha256=cached["sha256"],
        bytes=int(cached["bytes"]),
        status=304,
        etag=response.headers.get("ETag") or cached.get("etag"),
        last_modified=response.headers.get("Last-Modified") or cached.get("last_modified"),
        changed=False,
        fetched_at=_now(),
    )


class Cut(Exception):
    """The body stopped before its end (connection closed, or no byte for a read timeout): worth another try."""

    def __init__(self, cause: str, received: int) -> None:
        super().__init__(cause)
        self.cause = cause
        self.received = received


_BODY_ERRORS = (requests.RequestException, HTTPError, OSError)


class Transfer:
    """One download into a temp file beside its final place: attempts, resume, checks, then the atomic rename.

    The temp file, its running digests and its size survive a cut; the next attempt asks for the rest
    (`Range: bytes=<size>-` with `If-Range: <validator>`). A 206 that continues exactly there is appended; any
    other answer starts the file again. The sha256 is computed as the bytes arrive; the md5 too, when one is
    expected (`md5`), and only then.
    """

    def __init__(
        self,
        session: requests.Session,
        raw_dir: Path,
        target: DownloadTarget,
        max_bytes: int,
        progress: Progress | None,
        *,
        md5: bool = False,
    ) -> None:
        self.session, self.raw_dir, self.target = session, raw_dir, target
        self.with_md5 = md5
        self.max_bytes, self.progress = max_bytes, progress
        self.folder = raw_dir / target.key
        self.tmp: Path | None = None
        self.size = 0
        self.total: int | None = None
        self.validator: str | None = None
        self.head = b""
        self.sha256 = hashlib.sha256()
        self.md5 = self._md5()
        self.first: requests.Response | None = None

    def run(
        self,
        cached: Mapping[str, Any] | None,
        previous: Mapping[str, Any] | None,
        expected_sha256: str | None,
        expected_md5: str | None,
        answer: requests.Response | None = None,
    ) -> DownloadResult:
        """The download's attempts; `answer`: the first attempt's response when its conditional GET was sent ahead
        (`early`), on this Session."""
        retry = _read_retry(self.session, self.target.url)
        attempts = 1 + (retry.read if retry is not None and isinstance(retry.read, int) else 0)
        cuts: list[Cut] = []
        try:
            for attempt in range(1, attempts + 1):
                resuming = bool(self.size and self.validator)
                first_try = not self.size and not cuts
                headers = self._range_headers() if resuming else (conditional_headers(cached) if first_try else {})
                response = answer if answer is not None and first_try else _get(self.session, self.target, headers)
                answer = None
                with response:
                    if response.status_code == 304 and cached is not None and first_try:
                        return _reuse(self.raw_dir, self.target, response, cached)
                    try:
                        if resuming and response.status_code == 206:
                            self._resume(response)
                        else:
                            raise_for_status(self.target, response)
                            self._restart(response)
                        self._fill(response)
                    except Cut as cut:
                        cuts.append(cut)
                        if attempt == attempts:
                            raise self._cut_error(cuts) from None
                        log.warning(
                            "%s: the download from %s broke off after %d bytes (%s); attempt %d of %d follows",
                            self.target.key,
                            self.target.shown,
                            cut.received,
                            redact(cut.cause),
                            attempt + 1,
                            attempts,
                        )
                        time.sleep(_backoff(retry, attempt))
                        continue
                return self._finish(previous, expected_sha256, expected_md5)
            raise AssertionError("unreachable")  # the loop returns or raises
        finally:
            if self.tmp is not None:
                self.tmp.unlink(missing_ok=True)

    def _md5(self) -> hashlib._Hash | None:
        return hashlib.md5(usedforsecurity=False) if self.with_md5 else None

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
            raise Cut("the server's partial answer (206) did not continue the file where it stopped", received)

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
        total = content_length(response)
        if total is not None and total > self.max_bytes:
            raise self.target.error(
                f"Dataset {self.target.key!r}: {self.target.url} announces {megabytes(total)}, over the size cap of "
                f"{megabytes(self.max_bytes)}. Nothing was downloaded. If the file really grew, raise max_bytes."
            )
        if self.tmp is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self.folder, prefix=".download-", suffix=".part")
            os.close(fd)
            self.tmp = Path(name)
        self.tmp.write_bytes(b"")
        self.size, self.total, self.head = 0, total, b""
        self.sha256, self.md5 = hashlib.sha256(), self._md5()
        self.first = response
        etag = response.headers.get("ETag")
        identity = response.headers.get("Content-Encoding", "identity").lower() == "identity"
        strong = etag if etag and not etag.startswith("W/") else None
        # a resume needs byte offsets that mean the same thing twice: a strong validator and no content coding
        self.validator = (strong or response.headers.get("Last-Modified")) if identity else None

    def _fill(self, response: requests.Response) -> None:
        """Append the body to the temp file, hashing; a cut or stall raises Cut with the bytes kept so far."""
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
                raise Cut("the connection closed before the end of the body", received)
            if received > self.total:
                raise self.target.error(
                    f"Dataset {self.target.key!r}: the download from {self.target.url} is longer than announced: "
                    f"{received} bytes received, {self.total} announced (Content-Length). Nothing was kept. Run "
                    "again; if it keeps failing, the server is broken. " + self.target.mirror_hint()
                )

    def _read(self, response: requests.Response) -> bytes:
        """What has arrived of the body (at most CHUNK_SIZE bytes); b"" at its end; Cut when it breaks off."""
        try:
            return response.raw.read1(CHUNK_SIZE, decode_content=True)
        except _BODY_ERRORS as exc:
            raise Cut(error_cause(exc), self.size) from exc

    def _write(self, out: io.BufferedWriter, chunk: bytes) -> None:
        if self.size + len(chunk) > self.max_bytes:
            raise self.target.error(
                f"Dataset {self.target.key!r}: the body from {self.target.url} passed the size cap of "
                f"{megabytes(self.max_bytes)}; the download was stopped and discarded. If the file really grew, raise "
                "max_bytes."
            )
        if len(self.head) < 512:
            self.head += chunk[: 512 - len(self.head)]
        out.write(chunk)
        self.sha256.update(chunk)
        if self.md5 is not None:
            self.md5.update(chunk)
        self.size += len(chunk)
        if self.progress:
            self.progress(self.size, self.total)

    # -- the end -------------------------------------------------------------------------------------------

    def _cut_error(self, cuts: list[Cut]) -> FetchError:
        last = cuts[-1]
        expected = f" of {self.total}" if self.total is not None else ""
        arrived = ", ".join(str(c.received) for c in cuts)
        return self.target.error(
            f"Dataset {self.target.key!r}: the download from {self.target.url} broke off after {last.received}"
            f"{expected} bytes ({last.cause}), {len(cuts)} time(s) in a row (bytes received when each attempt "
            f"stopped: {arrived}). Nothing was kept. Run again later; if it keeps failing, the server or the "
            "connection is unstable. " + self.target.mirror_hint(),
            transient=True,
        )

    def _finish(
        self, previous: Mapping[str, Any] | None, expected_sha256: str | None, expected_md5: str | None
    ) -> DownloadResult:
        assert self.tmp is not None and self.first is not None
        check_not_html(self.target, self.head)
        sha256 = self.sha256.hexdigest()
        key, url = self.target.key, self.target.url
        if expected_sha256 and sha256 != expected_sha256.lower():
            raise self.target.error(
                f"Dataset {key!r}: the file from {url} has sha256 {sha256}, not the expected "
                f"{expected_sha256.lower()}. It was discarded. The upstream file changed or was corrupted: "
                "check the source and update the expected checksum."
            )
        md5 = self.md5.hexdigest() if self.md5 is not None else None
        if expected_md5 and md5 != expected_md5.lower():
            raise self.target.error(
                f"Dataset {key!r}: the file from {url} has md5 {md5}, not the md5 {expected_md5.lower()} its "
                "publisher lists for it. It was discarded. Run again; if it keeps failing, the file on the server "
                "is damaged: report it to the publisher. " + self.target.mirror_hint(),
                transient=True,
            )
        final = self.folder / f"{sha256}.{self.target.extension}"
        os.replace(self.tmp, final)
        self.tmp = None
        headers = self.first.headers
        return DownloadResult(
            dataset=key,
            url=self.target.shown,
            path=final,
            sha256=sha256,
            bytes=self.size,
            status=self.first.status_code,
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
            changed=previous is None or previous.get("sha256") != sha256,
            fetched_at=_now(),
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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

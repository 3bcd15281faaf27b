"""How a download fails: `FetchError`, and messages that name the dataset, the URL, the cause and what to do.

Owns `DownloadTarget` (what is being downloaded: dataset key, URL, catalog entry; its redacted URL and the hint to
use a mirror), the messages for HTTP statuses, network errors, refused redirects and HTML pages sent instead of
data, and the memory of hosts that could not be connected to moments ago (so a run does not wait on a dead host
once per dataset). Every message and URL goes through `catalog.redact`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import requests
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError, ReadTimeoutError

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest.catalog import Dataset, load_catalog, official_file_name, redact
from bilatrus_etl.ingest.http import MAX_REDIRECTS, RETRY_STATUSES, UnsafeRedirect, error_cause, underlying_error
from bilatrus_etl.ingest.provenance import PROVENANCE_FILE

UNREACHABLE_TTL = 120.0
_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class FetchError(BilatrusError):
    """A download failed; the message names the dataset, the URL, the cause and what to do."""

    def __init__(self, message: str, *, dataset: str, url: str, transient: bool = False) -> None:
        super().__init__(message, dataset=dataset)
        self.url = url
        self.transient = transient  # worth retrying later (busy server, timeout), unlike a 404 or no network


@dataclass(frozen=True)
class DownloadTarget:
    """What is being downloaded: dataset key, URL, and the catalog entry when there is one."""

    key: str
    url: str
    dataset: Dataset | None

    @classmethod
    def of(cls, dataset: str | Dataset, url: str) -> DownloadTarget:
        key = dataset.key if isinstance(dataset, Dataset) else dataset
        if not _SAFE_KEY.fullmatch(key):
            raise BilatrusError(
                f"dataset key {key!r} cannot name a folder under the raw directory; "
                "use letters, digits, '_' and '-' only"
            )
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
        hint = (
            f"If this machine cannot reach it, download the file by hand from {official} into a "
            f"folder, keeping its name {name}{glob}, and set BILATRUS_MIRROR=/that/folder "
            f"(or BILATRUS_MIRROR=http://host/base/ for a web server holding the same file names)."
        )
        if self.is_mirror:
            hint = (
                "This address comes from BILATRUS_MIRROR: check the mirror, or unset BILATRUS_MIRROR to use "
                "the official address. " + hint
            )
        return hint

    def error(self, message: str, *, transient: bool = False) -> FetchError:
        """A FetchError for this download, its message and URL redacted."""
        return FetchError(redact(message), dataset=self.key, url=self.shown, transient=transient)


def check_not_html(target: DownloadTarget, head: bytes) -> None:
    """A data file that starts like a web page is an error or login page, not data."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")):
        raise target.error(
            f"Dataset {target.key!r}: {target.url} sent an HTML page, not the data file (it starts "
            f"{head[:60]!r}). The address probably shows an error or a notice now: open it in a browser, and "
            "update the URL in the source catalog if the file moved. " + target.mirror_hint()
        )


def raise_for_status(target: DownloadTarget, response: requests.Response) -> None:
    status = response.status_code
    if status == 200:
        return
    what = f"{status} {response.reason or ''}".strip()
    key, url = target.key, target.url
    if url.startswith("file:") and status == 404:
        path = Path(url2pathname(urlsplit(url).path))
        raise target.error(
            f"Dataset {key!r}: the mirror folder {path.parent} has no file {path.name}. Download it by hand from "
            f"{target.official_url} into {path.parent} under that name, or unset BILATRUS_MIRROR to download it."
        )
    if status == 404 or status == 410:
        where = ""
        if target.dataset and target.dataset.landing_page:
            where = f" (see {target.dataset.landing_page})"
        raise target.error(
            f"Dataset {key!r}: {url} answered HTTP {what}. The file may have moved: find its current address"
            f"{where} and update the source catalog (src/bilatrus_etl/catalog/sources.json). " + target.mirror_hint()
        )
    if status in RETRY_STATUSES:
        raise target.error(
            f"Dataset {key!r}: {url} answered HTTP {what}, still after retries: the server is busy or down. "
            "Try again later. " + target.mirror_hint(),
            transient=True,
        )
    if status == 304:
        raise target.error(
            f"Dataset {key!r}: {url} answered 304 Not Modified, but no earlier download of it is stored. "
            f"Remove its rows from {PROVENANCE_FILE} and run again."
        )
    raise target.error(
        f"Dataset {key!r}: {url} answered HTTP {what} instead of the file. Check the address in the source "
        "catalog. " + target.mirror_hint()
    )


# ---------------------------------------------------------------- network errors


_unreachable: dict[str, tuple[float, str]] = {}


def forget_unreachable_hosts() -> None:
    """Clear the memory of hosts that failed to connect (tests; long-lived processes)."""
    _unreachable.clear()


def refuse_known_unreachable(target: DownloadTarget) -> None:
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
        f"{age:.0f} s ago ({cause}), so it was not tried again. " + target.mirror_hint()
    )


def network_error(target: DownloadTarget, exc: requests.RequestException, chain: list[str] | None = None) -> FetchError:
    redirect = _redirect_error(target, exc, chain or [target.url])
    if redirect is not None:
        return redirect
    cause = error_cause(exc)
    reason = underlying_error(exc)
    host = target.host.split("://", 1)[1]
    if isinstance(reason, (NewConnectionError, NameResolutionError, ConnectTimeoutError)) or isinstance(
        exc, requests.ConnectTimeout
    ):
        _unreachable[target.host] = (time.monotonic(), cause)
        what = f"could not connect to {host} ({cause})"
    elif isinstance(reason, ReadTimeoutError) or isinstance(exc, requests.ReadTimeout):
        what = f"{host} accepted the connection but did not answer in time ({cause})"
    elif isinstance(exc, requests.exceptions.SSLError):
        what = f"the secure connection to {host} failed ({cause})"
    else:
        what = f"the request to {host} failed ({cause})"
    transient = not isinstance(
        reason, (NewConnectionError, NameResolutionError, ConnectTimeoutError)
    ) and not isinstance(exc, requests.ConnectTimeout)
    return target.error(
        f"Dataset {target.key!r}: cannot download {target.url}: {what}. " + target.mirror_hint(), transient=transient
    )


def _redirect_error(target: DownloadTarget, exc: requests.RequestException, chain: list[str]) -> FetchError | None:
    """A refused redirect (to a non-http(s) address, or more than MAX_REDIRECTS): a final error naming the chain."""
    if not isinstance(exc, (UnsafeRedirect, requests.TooManyRedirects)):
        return None
    repeat = next((i for i, url in enumerate(chain) if url in chain[:i]), None)
    shown = " -> ".join(chain if repeat is None else chain[: repeat + 1]) + (" -> ..." if repeat is not None else "")
    if isinstance(exc, UnsafeRedirect):
        what = (
            f"the server redirected to {chain[-1]}, which is not an http(s) address; downloads follow "
            "redirects to http and https only, so nothing was fetched from there"
        )
    else:
        what = (
            f"{'a redirect loop' if repeat is not None else 'too many redirects'}: more than {MAX_REDIRECTS} "
            "redirects, so the download stopped"
        )
    return target.error(
        f"Dataset {target.key!r}: cannot download {target.url}: {what} (redirects: {shown}). Check the address "
        "(or the mirror's web server configuration). " + target.mirror_hint()
    )

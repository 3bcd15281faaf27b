"""Download one dataset file: conditional GET, resume of cut bodies, checksums, a size cap, atomic writes.

Files land as `raw_dir/<dataset>/<sha256>.<ext>`; every successful attempt (200 or 304) appends one line to the
provenance log (`provenance`). A body cut mid-stream or a stalled read is retried like the other transient
failures, resuming with a Range request when the server allows it (206 and the same validator) or starting again
otherwise (`transfer`: one download's attempts, digests and checks). The Sessions (network, or `file://` for a
mirror folder, which hashes, caps, writes and records exactly like production while no network answer can reach
the disk) are in `http`; failures and their messages in `fetch_errors`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import requests

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import early
from bilatrus_etl.ingest.catalog import Dataset, resolve_url
from bilatrus_etl.ingest.fetch_errors import DownloadTarget, refuse_known_unreachable
from bilatrus_etl.ingest.http import is_local, local_session, make_session
from bilatrus_etl.ingest.provenance import (
    DownloadResult,
    append_provenance,
    latest_download,
    latest_downloads,
    stored_path,
)
from bilatrus_etl.ingest.transfer import Progress, Transfer, conditional_headers

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2 * 1024**3


def download(
    dataset: str | Dataset,
    url: str,
    raw_dir: str | os.PathLike,
    *,
    session: requests.Session | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    expected_sha256: str | None = None,
    expected_md5: str | None = None,
    progress: Progress | None = None,
) -> DownloadResult:
    """Download `url` for `dataset` into raw_dir/<dataset>/<sha256>.<ext> and record its provenance.

    Sends If-None-Match / If-Modified-Since from the last download of the same dataset and URL; a 304
    reuses the stored file. `changed` is False for a 304 and for a 200 whose sha256 equals the last one.
    A body cut mid-stream or stalled is fetched again (resumed with Range where the server allows it) as
    often as the session retries reads. A dataset resolved to an upstream release (`Dataset.release`) is
    checked against the release's md5 and recorded with it. file:// URLs are read by `local_session`,
    whatever `session` is given.
    """
    target = DownloadTarget.of(dataset, url)
    raw_dir = Path(raw_dir).resolve()
    refuse_known_unreachable(target)
    previous = latest_download(raw_dir, target.key)
    release = target.dataset.release if target.dataset else None
    if release is not None and expected_md5 is None:
        expected_md5 = release.md5
    cached = _reusable(raw_dir, target.key, target.shown, expected_sha256)
    own_session = session is None or is_local(url)
    answer = early.take(url, conditional_headers(cached)) if session is None and not is_local(url) else None
    if is_local(url):
        session = local_session()
    session = session or (answer[0] if answer else make_session())
    try:
        result = Transfer(session, raw_dir, target, max_bytes, progress, md5=bool(expected_md5)).run(
            cached, previous, expected_sha256, expected_md5, answer[1] if answer else None
        )
    finally:
        if own_session:
            session.close()
    if release is not None:
        result = replace(result, release=release.provenance())
    append_provenance(raw_dir, result)
    log.info(
        "%s: %s %s (%d bytes, sha256 %s, changed=%s)",
        target.key,
        result.status,
        target.shown,
        result.bytes,
        result.sha256[:12],
        result.changed,
    )
    return result


def _reusable(raw_dir: Path, key: str, url: str, expected_sha256: str | None) -> dict[str, Any] | None:
    """The last download of this dataset+URL (as stored: redacted) whose stored file is intact (same size), if any."""
    return _intact(raw_dir, latest_download(raw_dir, key, url), expected_sha256)


def _intact(raw_dir: Path, row: dict[str, Any] | None, expected_sha256: str | None) -> dict[str, Any] | None:
    """The provenance row, when it names a stored file that is intact (same size, the expected sha256 if any)."""
    if row is None or not row.get("sha256"):
        return None
    if expected_sha256 and row["sha256"] != expected_sha256.lower():
        return None
    path = stored_path(raw_dir, row)
    if not path.is_file() or path.stat().st_size != row.get("bytes"):
        return None
    return row


def send_ahead(datasets: Iterable[Dataset], mirror: str | None, raw_dir: str | os.PathLike) -> int:
    """Send now, each in the background (`early`), the conditional GET that `download` would send for every dataset
    already downloaded from its URL; `download` takes the answer. Returns how many were sent. A dataset whose URL is
    looked up at download time (the newest release of a Zenodo record) or is a local folder is left to `download`."""
    raw_dir = Path(raw_dir).resolve()
    newest = latest_downloads(raw_dir)
    sent = 0
    for dataset in datasets:
        if dataset.zenodo_concept and not mirror:
            continue
        try:
            url = resolve_url(dataset, mirror)
            target = DownloadTarget.of(dataset, url)
            refuse_known_unreachable(target)
        except BilatrusError:
            continue  # `download` says why
        if is_local(url):
            continue
        headers = conditional_headers(_intact(raw_dir, newest.get((target.key, target.shown)), None))
        if headers:
            early.start(url, headers, make_session())
            sent += 1
    return sent

"""Conditional requests sent ahead: the check of a source, asked while the process still prepares the run.

A refresh that finds every source unchanged spends most of its download steps waiting for 304 answers.
`fetch.send_ahead` asks them early (the runner calls it once it holds the run lock, while Dagster creates the run):
for every dataset of the run already downloaded from its URL, the conditional GET its download would send, on a
Session like the download's, each in a background thread (`start`). The download of that dataset then takes the
answer (`take`) instead of asking again, and goes on exactly as with its own: a 304 reuses the stored file, a 200
streams the new file from that response. So a source is still asked once per refresh, only sooner. Nothing is
written before the download takes the answer; an answer nobody takes (another block of programmes, a failed run)
is closed by `discard`. A request that failed is left to the download, which asks again.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import requests

from bilatrus_etl.ingest.catalog import redact

log = logging.getLogger(__name__)

#: How long an answer may wait for its download: past that the download asks again.
MAX_AGE_S = 120.0

_lock = threading.Lock()
_pending: dict[str, _Request] = {}  # by URL


@dataclass
class _Request:
    """One conditional GET under way in its thread, and its outcome."""

    headers: dict[str, str]
    session: requests.Session
    sent_at: float
    done: threading.Event = field(default_factory=threading.Event)
    response: requests.Response | None = None
    abandoned: bool = False

    def run(self, url: str) -> None:
        response = None
        try:
            response = self.session.get(url, headers=self.headers, stream=True)
        except Exception as exc:  # noqa: BLE001 - whatever failed here, the download asks again and reports it
            log.debug("the check sent ahead to %s failed (%s): the download asks again", redact(url), redact(str(exc)))
        with _lock:
            self.response = response
            self.done.set()
            abandoned = self.abandoned
        if abandoned:
            self._close_now()

    def close(self) -> None:
        """Close its response and Session, now if it is answered, else when the answer arrives (never waits)."""
        with _lock:
            self.abandoned = True
            answered = self.done.is_set()
        if answered:
            self._close_now()

    def _close_now(self) -> None:
        if self.response is not None:
            self.response.close()
        self.session.close()


def start(url: str, headers: dict[str, str], session: requests.Session) -> None:
    """Send the conditional GET of `url` with `headers` on `session` in a background thread (`fetch.send_ahead`)."""
    request = _Request(headers, session, time.monotonic())
    with _lock:
        previous = _pending.pop(url, None)
        _pending[url] = request
    if previous is not None:
        previous.close()
    threading.Thread(target=request.run, args=(url,), name="early-request", daemon=True).start()


def take(url: str, headers: dict[str, str]) -> tuple[requests.Session, requests.Response] | None:
    """The answer sent ahead for this URL with these headers (the Session it came on and the response, both the
    caller's to close), or None: none was sent, it failed, it is too old, or it asked with other validators."""
    with _lock:
        request = _pending.pop(url, None)
    if request is None:
        return None
    request.done.wait()
    if request.response is None or request.headers != headers or time.monotonic() - request.sent_at > MAX_AGE_S:
        request.close()
        return None
    return request.session, request.response


def discard() -> None:
    """Close every answer no download took."""
    with _lock:
        left = list(_pending.values())
        _pending.clear()
    for request in left:
        request.close()

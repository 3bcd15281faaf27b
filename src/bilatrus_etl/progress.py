"""A process-wide progress sink: the CLI installs one (a rich display); library steps report to it.

When nothing is installed (tests, the Dagster UI), reporting costs nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

# Fault injection for the reliability tests only: "<point>=<marker file>" makes the process write its pid to the
# marker file when it reaches that point (download, land, stage, validate, core, marts, publish) and wait there to be
# killed, so a kill -9 lands at a known step instead of after a random sleep.
FAULT_POINT_ENV = "BILATRUS_FAULT_POINT"
FAULT_WAIT_S = 300


class ProgressSink(Protocol):
    def download(self, dataset: str) -> Callable[[int, int | None], None]: ...

    def step(self, name: str) -> None: ...

    def done(self, name: str, detail: str) -> None: ...


_sink: ProgressSink | None = None


def install(sink: ProgressSink | None) -> None:
    global _sink
    _sink = sink


def download_callback(dataset: str) -> Callable[[int, int | None], None] | None:
    inner = _sink.download(dataset) if _sink else None
    if not os.environ.get(FAULT_POINT_ENV):
        return inner

    def update(done: int, total: int | None) -> None:
        if inner:
            inner(done, total)
        if done:
            fault_point("download")

    return update


def fault_point(name: str) -> None:
    """Pause here to be killed when the reliability tests ask for this point (see FAULT_POINT_ENV)."""
    point, _, marker = os.environ.get(FAULT_POINT_ENV, "").partition("=")
    if point != name or not marker:
        return
    # written whole, then renamed: the test polling for the marker never reads it empty
    partial = Path(f"{marker}.{os.getpid()}.tmp")
    partial.write_text(str(os.getpid()), encoding="utf-8")
    os.replace(partial, marker)
    deadline = time.monotonic() + FAULT_WAIT_S
    while time.monotonic() < deadline:
        time.sleep(0.2)


@contextmanager
def step(name: str) -> Iterator[None]:
    """Mark a long step; the display shows it while it runs."""
    if _sink:
        _sink.step(name)
    yield


def done(name: str, detail: str) -> None:
    if _sink:
        _sink.done(name, detail)

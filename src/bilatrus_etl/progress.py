"""A process-wide progress sink: the CLI installs one (a rich display); library steps report to it.

When nothing is installed (tests, the Dagster UI), reporting costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Iterator, Protocol


class ProgressSink(Protocol):
    def download(self, dataset: str) -> Callable[[int, int | None], None]: ...

    def step(self, name: str) -> None: ...

    def done(self, name: str, detail: str) -> None: ...


_sink: ProgressSink | None = None


def install(sink: ProgressSink | None) -> None:
    global _sink
    _sink = sink


def download_callback(dataset: str) -> Callable[[int, int | None], None] | None:
    return _sink.download(dataset) if _sink else None


@contextmanager
def step(name: str) -> Iterator[None]:
    """Mark a long step; the display shows it while it runs."""
    if _sink:
        _sink.step(name)
    yield


def done(name: str, detail: str) -> None:
    if _sink:
        _sink.done(name, detail)

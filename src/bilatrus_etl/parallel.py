"""A few items of work at a time on threads, for steps whose work releases the GIL (downloads: socket reads,
sha256 and zip inflation; DuckDB statements, each on its own cursor)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import duckdb

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_in_threads(work: Callable[[Item], Result], items: Sequence[Item], workers: int, name: str) -> list[Result]:
    """`work` on each item, `workers` at a time (in the order of `items`); the results in that order.

    On a failure no further item starts, those under way end (complete, or cleaned up by `work` itself), and the
    error of the first failed item in `items` order is raised. One item, or one worker, runs on this thread.
    """
    if len(items) <= 1 or workers <= 1:
        return [work(item) for item in items]
    pool = ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix=name)
    futures: list[Future[Result]] = []
    try:
        futures = [pool.submit(work, item) for item in items]
        wait(futures, return_when=FIRST_EXCEPTION)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for future in futures:
        error = None if future.cancelled() else future.exception()
        if error is not None:
            raise error
    return [future.result() for future in futures]


def map_on_cursors(
    con: duckdb.DuckDBPyConnection,
    work: Callable[[duckdb.DuckDBPyConnection, Item], Result],
    items: Sequence[Item],
    workers: int,
    name: str,
) -> list[Result]:
    """`map_in_threads` of DuckDB work: each item on a cursor of its own of `con` (its own transaction and temporary
    tables), closed when the item is done; the results in the order of `items`."""
    cursors = threading.Lock()  # the cursors of one connection are made one at a time

    def on_cursor(item: Item) -> Result:
        with cursors:
            cursor = con.cursor()
        try:
            return work(cursor, item)
        finally:
            cursor.close()

    return map_in_threads(on_cursor, items, workers, name)

"""Inflating one zip member's deflate data straight from the archive's bytes, with its CRC-32 and a bomb check.

Both readers of `archive` use it: the central directory's (members located by `zipfile`) and the local headers'
(`zip_recovery`). The inflation is ISA-L's (the `isal` package, zlib's interface at about 2.5 times zlib's
speed); its output is checked as it comes out, by the caller's ratio check and against the member's CRC-32.
What is safe to extract, and the errors raised, are the caller's (`fail`, `check_ratio`).
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterator
from typing import cast

from isal import isal_zlib

CHUNK_SIZE = 1 << 20  # compressed bytes handed to the inflater at a time
BLOCK_SIZE = 4 << 20  # at most this much inflated output per block

crc32 = isal_zlib.crc32
_INFLATE_ERROR = cast(type[Exception], isal_zlib.error)  # the package's stubs type it as an instance


class Deflated:
    """The deflate stream of one member, from `start` in `data` (to `stop` when the member's compressed size is
    known). `blocks()` yields the inflated bytes; after it, `end` is the offset just past the stream and `crc` the
    CRC-32 of the output. A stream that cannot be inflated or runs past `stop` or the data raises `fail(problem)`.
    """

    def __init__(
        self,
        data: bytes | mmap.mmap,
        start: int,
        name: str,
        fail: Callable[[str], Exception],
        check_ratio: Callable[[str, int, int], None],
        stop: int | None = None,
    ) -> None:
        self.view = data
        self.start, self.name, self.fail, self.check_ratio = start, name, fail, check_ratio
        self.stop = len(self.view) if stop is None else min(stop, len(self.view))
        self.end: int | None = None
        self.crc = 0
        self.size = 0

    def blocks(self) -> Iterator[bytes]:
        inflater = isal_zlib.decompressobj(-isal_zlib.MAX_WBITS)
        position = self.start
        pending = b""
        while not inflater.eof:
            if not pending:
                if position >= self.stop:
                    raise self.fail("is cut short: the archive ends inside it")
                pending = self.view[position : min(position + CHUNK_SIZE, self.stop)]
                position += len(pending)
            try:
                block = inflater.decompress(pending, BLOCK_SIZE)
            except _INFLATE_ERROR as exc:
                raise self.fail(f"cannot be inflated ({exc}): the archive is damaged") from exc
            pending = inflater.unconsumed_tail
            if block:
                self.size += len(block)
                self.crc = crc32(block, self.crc)
                self.check_ratio(self.name, self.size, position - self.start - len(pending))
                yield block
        # At the end of the stream all output is out, and the input left over is in unused_data (flush()
        # would feed unconsumed_tail, which repeats it, a second time).
        self.end = position - len(inflater.unused_data)

"""Recovering the members of a zip that `zipfile` cannot read, by walking its local file headers.

Some CORDIS zips are malformed for strict tools (bad central directory, wrong sizes). `ScanSource` ignores the
central directory: it reads each local header from the start of the file and inflates the member (`inflate`),
checking CRC-32 as it goes (and ZIP64 sizes, data descriptors, stored members). What is safe to extract, and
the errors raised, are the caller's (`archive`), passed in as a `Guard`.
"""

from __future__ import annotations

import mmap
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bilatrus_etl.ingest.inflate import Deflated, crc32

CHUNK_SIZE = 1 << 20
LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


class Guard(Protocol):
    """The extraction's limits and its error type: who the archive is, and a bomb check as bytes come out."""

    label: str
    zip_path: Path

    def check_ratio(self, name: str, size: int, compressed: int) -> None: ...

    def error(self, message: str) -> Exception: ...


@dataclass
class ScannedEntry:
    """One member found by its local header; `chunks()` inflates it and sets `end`."""

    view: mmap.mmap
    guard: Guard
    name: str
    flags: int
    method: int
    crc: int
    stored_size: int | None
    data_start: int
    is_dir: bool = False
    size: int | None = None
    compressed_size: int | None = None
    end: int | None = field(default=None)

    def chunks(self) -> Iterator[bytes]:
        if self.flags & 0x1:
            raise self._error("is encrypted")
        if self.method == zipfile.ZIP_DEFLATED:
            blocks = self._inflate()
        elif self.method == zipfile.ZIP_STORED:
            blocks = self._stored()
        else:
            raise self._error(f"uses compression method {self.method}, which the recovery reader cannot read")
        crc = 0
        for block in blocks:
            crc = crc32(block, crc)
            yield block
        expected = self._expected_crc()
        if crc != expected:
            raise self._error(f"fails its CRC-32 check ({crc:08x} != {expected:08x}): the archive is damaged")

    def skip(self) -> None:
        """Move past the data without keeping it."""
        if self.end is not None:
            return
        if self.method == zipfile.ZIP_STORED and self.stored_size is not None:
            self.end = self.data_start + self.stored_size
            return
        for _ in self.chunks():
            pass

    def _inflate(self) -> Iterator[bytes]:
        stream = Deflated(self.view, self.data_start, self.name, self._error, self.guard.check_ratio)
        yield from stream.blocks()
        self.end = stream.end

    def _stored(self) -> Iterator[bytes]:
        if self.stored_size is None:
            raise self._error("is stored with its size only after the data; the recovery reader cannot delimit it")
        end = self.data_start + self.stored_size
        if end > len(self.view):
            raise self._error("is cut short: the archive ends inside it")
        for start in range(self.data_start, end, CHUNK_SIZE):
            yield self.view[start : min(start + CHUNK_SIZE, end)]
        self.end = end

    def _expected_crc(self) -> int:
        if not self.flags & 0x8:
            return self.crc
        assert self.end is not None
        at = self.end + (4 if self.view[self.end : self.end + 4] == _DESCRIPTOR else 0)
        return struct.unpack_from("<I", self.view, at)[0]

    def next_header(self) -> int:
        """Offset of the next local header, or -1 when the local entries are over."""
        assert self.end is not None
        window = self.view[self.end : self.end + 32]
        found = window.find(LOCAL_HEADER_SIGNATURE)
        return self.end + found if found >= 0 else -1

    def _error(self, problem: str) -> Exception:
        zip_path = self.guard.zip_path
        return self.guard.error(
            f"Dataset {self.guard.label!r}: member {self.name} of {zip_path} {problem}. zipfile could "
            f"not read the archive either. Delete {zip_path} and download it again; if the new copy "
            "fails the same way, extract it with another tool into a mirror folder."
        )


class ScanSource:
    """Walks local file headers from the start of the file; ignores the central directory."""

    def __init__(self, path: Path, guard: Guard) -> None:
        self.path = path
        self.guard = guard

    def names(self) -> None:
        return None

    def close(self) -> None:
        """Nothing held open between calls."""

    def entries(self) -> Iterator[ScannedEntry]:
        with self.path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            position = 0
            while 0 <= position and view[position : position + 4] == LOCAL_HEADER_SIGNATURE:
                entry = self._entry(view, position)
                yield entry
                entry.skip()
                position = entry.next_header()

    def _entry(self, view: mmap.mmap, position: int) -> ScannedEntry:
        if position + _LOCAL_HEADER.size > len(view):
            raise self.guard.error(
                f"Dataset {self.guard.label!r}: {self.path} ends inside a zip header; delete it and download it again."
            )
        (_sig, _version, flags, method, _time, _date, crc, csize, usize, name_len, extra_len) = (
            _LOCAL_HEADER.unpack_from(view, position)
        )
        name_start = position + _LOCAL_HEADER.size
        raw_name = view[name_start : name_start + name_len]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        extra = view[name_start + name_len : name_start + name_len + extra_len]
        usize, csize = _zip64_sizes(extra, usize, csize)
        known = not flags & 0x8
        return ScannedEntry(
            view=view,
            guard=self.guard,
            name=name,
            flags=flags,
            method=method,
            crc=crc,
            stored_size=csize if known else None,
            data_start=name_start + name_len + extra_len,
            is_dir=name.endswith("/"),
            size=None,
            compressed_size=None,
        )


def _zip64_sizes(extra: bytes, usize: int, csize: int) -> tuple[int, int]:
    """Read 64-bit sizes from a ZIP64 extra field where the 32-bit ones are saturated."""
    at = 0
    while at + 4 <= len(extra):
        header_id, length = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4 : at + 4 + length]
        if header_id == 0x0001:
            values = [struct.unpack_from("<Q", body, i)[0] for i in range(0, len(body) - 7, 8)]
            if usize == 0xFFFFFFFF and values:
                usize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
        at += 4 + length
    return usize, csize

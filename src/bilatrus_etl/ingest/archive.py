"""Safe zip extraction: wanted members only, no path tricks, no zip bombs, atomic writes.

Owns `extract`: which members are wanted (names, globs, the catalog's member patterns), the checks before and
while writing (unsafe paths, declared and actual sizes, compression ratios), temp files renamed into place only
when every wanted member is there, and the messages naming the dataset, the archive and what to do. Members
are found with `zipfile`, deflated ones inflated by `inflate`; when zipfile rejects an archive that starts like
a zip, `zip_recovery` reads them from the local file headers instead.
"""

from __future__ import annotations

import logging
import mmap
import os
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Protocol

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest.catalog import Dataset, load_catalog
from bilatrus_etl.ingest.inflate import Deflated
from bilatrus_etl.ingest.zip_recovery import CHUNK_SIZE, LOCAL_HEADER_SIGNATURE, ScanSource

log = logging.getLogger(__name__)

DEFAULT_MAX_TOTAL_BYTES = 4 * 1024**3
DEFAULT_MAX_RATIO = 100.0
RATIO_FLOOR = 1 << 20  # members smaller than this are never called bombs, whatever their ratio
_DRIVE = re.compile(r"^[A-Za-z]:")
_ENCRYPTED = 0x1
# the local header's general purpose flags, name length and extra length
_LOCAL_HEADER = struct.Struct("<4x2xH18xHH")

MemberSpecs = Mapping[str, Sequence[str]]


class ArchiveError(BilatrusError):
    """An archive could not be extracted; the message names the dataset, the file and what to do."""


class MissingMemberError(ArchiveError):
    """An expected member is not in the archive."""


class _Malformed(Exception):
    """zipfile could not read the archive; try the local-header fallback."""


@dataclass
class _Limits:
    """One extraction's caps and running total (a `zip_recovery.Guard`)."""

    label: str
    zip_path: Path
    max_total_bytes: int
    max_ratio: float
    written: int = 0

    def check_ratio(self, name: str, size: int, compressed: int) -> None:
        _check_ratio(name, size, compressed, self)

    def error(self, message: str) -> ArchiveError:
        return ArchiveError(message)


def extract(
    zip_path: str | os.PathLike,
    dest_dir: str | os.PathLike,
    *,
    dataset: str | Dataset | None = None,
    members: Iterable[str] | Mapping[str, str | Sequence[str]] | None = None,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> dict[str, Path]:
    """Extract members of a zip into dest_dir; returns {member key: extracted path}.

    members: names or basename globs matched case-insensitively (key = the name given), or a mapping
    key -> patterns tried in order (the first pattern matching exactly one member wins). A name that the
    dataset's catalog entry gives `member_patterns` for (e.g. ROR's "ror-data.json") uses those patterns.
    With members None: the dataset's expected members when it is in the catalog, else every file (key = path).
    A wanted member is written as dest_dir/<its basename>; all are renamed into place only when all are there.
    """
    zip_path = Path(zip_path)
    dest = Path(dest_dir)
    label = dataset.key if isinstance(dataset, Dataset) else (dataset or zip_path.name)
    entry = dataset if isinstance(dataset, Dataset) else load_catalog().get(dataset or "")
    if members is None and entry is not None and entry.members:
        members = entry.member_specs()
    specs = _specs(members, dict(entry.member_patterns) if entry else {})
    limits = _Limits(label, zip_path, max_total_bytes, max_ratio)
    try:
        source = _open(zip_path, label)
        try:
            return _extract(source, dest, specs, limits)
        finally:
            source.close()
    except _Malformed as exc:
        log.warning("%s: zipfile cannot read %s (%s); recovering members from local headers", label, zip_path, exc)
        limits.written = 0
        return _extract(ScanSource(zip_path, limits), dest, specs, limits)
    except MissingMemberError as missing:
        if not _starts_like_zip(zip_path):
            raise
        log.warning("%s: %s's central directory lacks members; looking for them in local headers", label, zip_path)
        limits.written = 0
        try:
            return _extract(ScanSource(zip_path, limits), dest, specs, limits)
        except ArchiveError:
            raise missing from None


def _specs(
    members: Iterable[str] | Mapping[str, str | Sequence[str]] | None, catalog_patterns: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]] | None:
    if members is None:
        return None
    if isinstance(members, Mapping):
        return {key: (value,) if isinstance(value, str) else tuple(value) for key, value in members.items()}
    return {name: catalog_patterns.get(name, (name,)) for name in members}


def _open(zip_path: Path, label: str) -> _Source:
    if not zip_path.is_file():
        raise ArchiveError(f"Dataset {label!r}: archive {zip_path} does not exist. Download the dataset again.")
    try:
        return _ZipfileSource(zip_path)
    except (zipfile.BadZipFile, zlib.error, EOFError, struct.error, ValueError) as exc:
        with zip_path.open("rb") as handle:
            head = handle.read(64)
        if head.startswith(LOCAL_HEADER_SIGNATURE):
            raise _Malformed(str(exc)) from exc
        raise ArchiveError(_not_a_zip(label, zip_path, head)) from exc


def _starts_like_zip(zip_path: Path) -> bool:
    with zip_path.open("rb") as handle:
        return handle.read(4) == LOCAL_HEADER_SIGNATURE


def _not_a_zip(label: str, zip_path: Path, head: bytes) -> str:
    looks = ""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith(b"<"):
        looks = " It looks like an HTML/XML page: the server probably sent an error page instead of the file."
    elif not head:
        looks = " It is empty."
    return (
        f"Dataset {label!r}: {zip_path} is not a zip archive (it starts with {head[:40]!r}).{looks} "
        f"Delete {zip_path} and run again; if it comes back the same, check the dataset's URL or mirror file."
    )


# ---------------------------------------------------------------- the extraction, common to both readers


class _Entry(Protocol):
    name: str
    is_dir: bool
    size: int | None
    compressed_size: int | None

    def chunks(self) -> Iterator[bytes]: ...


class _Source(Protocol):
    def names(self) -> list[str] | None: ...

    def entries(self) -> Iterator[_Entry]: ...

    def close(self) -> None: ...


def _extract(source: _Source, dest: Path, specs: dict[str, tuple[str, ...]] | None, limits: _Limits) -> dict[str, Path]:
    dest.mkdir(parents=True, exist_ok=True)
    temps: dict[str, Path] = {}
    seen: list[str] = []
    try:
        names = source.names()
        chosen = None
        if names is not None:
            for name in names:
                _check_name(name, limits)
            chosen = _choose(specs, [n for n in names if not n.endswith("/")], limits)
            _check_declared(source, set(chosen.values()), limits)
        wanted = set(chosen.values()) if chosen is not None else None
        for entry in source.entries():
            _check_name(entry.name, limits)
            if entry.is_dir:
                continue
            seen.append(entry.name)
            if entry.name in wanted if wanted is not None else _matches_any(entry.name, specs):
                if entry.name in temps:  # a name repeated in a damaged archive: the last copy wins
                    temps.pop(entry.name).unlink(missing_ok=True)
                temps[entry.name] = _write_temp(entry, dest, limits)
        if chosen is None:
            chosen = _choose(specs, seen, limits)
        return _commit(chosen, temps, dest, specs is None)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)


def _check_name(name: str, limits: _Limits) -> None:
    """Refuse absolute paths, drive letters and '..' anywhere in an archive."""
    normal = name.replace("\\", "/")
    parts = PurePosixPath(normal).parts
    if normal.startswith("/") or _DRIVE.match(normal) or ".." in parts or "\x00" in normal:
        raise ArchiveError(
            f"Dataset {limits.label!r}: archive {limits.zip_path} holds a member with an unsafe path {name!r} "
            "(absolute or climbing out with '..'); nothing was extracted. This is not a genuine upstream archive: "
            f"delete {limits.zip_path} and download it again."
        )


def _basename(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).name


def _matches(name: str, pattern: str) -> bool:
    return fnmatchcase(_basename(name).lower(), pattern.lower())


def _matches_any(name: str, specs: dict[str, tuple[str, ...]] | None) -> bool:
    return specs is None or any(_matches(name, p) for patterns in specs.values() for p in patterns)


def _choose(specs: dict[str, tuple[str, ...]] | None, names: list[str], limits: _Limits) -> dict[str, str]:
    """Map each wanted key to one archive member, or raise listing what the archive holds."""
    if specs is None:
        return {_normal(name): name for name in names}
    chosen: dict[str, str] = {}
    missing = []
    for key, patterns in specs.items():
        for pattern in patterns:
            hits = [name for name in names if _matches(name, pattern)]
            if len(hits) > 1:
                raise ArchiveError(
                    f"Dataset {limits.label!r}: archive {limits.zip_path} has several members matching {pattern!r} "
                    f"({', '.join(hits)}); cannot tell which is {key!r}. Check the archive and the catalog's "
                    "member_patterns."
                )
            if hits:
                chosen[key] = hits[0]
                break
        else:
            missing.append(key)
    if missing:
        held = ", ".join(names[:40]) + (f" and {len(names) - 40} more" if len(names) > 40 else "")
        raise MissingMemberError(
            f"Dataset {limits.label!r}: archive {limits.zip_path} lacks {', '.join(missing)}; it holds: "
            f"{held or 'no files'}. The upstream layout may have changed: check the file and update the catalog's "
            "members."
        )
    return chosen


def _normal(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).as_posix()


def _check_declared(source: _Source, wanted: set[str], limits: _Limits) -> None:
    """Refuse before writing anything when declared sizes or ratios are out of bounds."""
    total = 0
    for entry in source.entries():
        if entry.name not in wanted or entry.size is None:
            continue
        total += entry.size
        _check_ratio(entry.name, entry.size, entry.compressed_size or 0, limits)
    if total > limits.max_total_bytes:
        raise ArchiveError(_too_big(limits, total))


def _check_ratio(name: str, size: int, compressed: int, limits: _Limits) -> None:
    if size > RATIO_FLOOR and size > limits.max_ratio * max(compressed, 1):
        raise ArchiveError(
            f"Dataset {limits.label!r}: member {name} of {limits.zip_path} expands from {compressed} to {size} bytes "
            f"(more than {limits.max_ratio:g} times): this looks like a zip bomb or a damaged archive, so nothing "
            f"was extracted. Delete {limits.zip_path} and download it again; raise max_ratio only if the real file "
            "is known to compress that well."
        )


def _too_big(limits: _Limits, size: int) -> str:
    return (
        f"Dataset {limits.label!r}: extracting {limits.zip_path} would write more than {size} bytes, over the "
        f"cap of {limits.max_total_bytes} bytes (max_total_bytes); nothing was kept. Delete the archive and "
        "download it again; raise the cap only if the real data has grown that much."
    )


def _write_temp(entry: _Entry, dest: Path, limits: _Limits) -> Path:
    fd, name = tempfile.mkstemp(dir=dest, prefix=".extract-", suffix=".part")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            for block in entry.chunks():
                limits.written += len(block)
                if limits.written > limits.max_total_bytes:
                    raise ArchiveError(_too_big(limits, limits.written))
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _commit(chosen: dict[str, str], temps: dict[str, Path], dest: Path, keep_paths: bool) -> dict[str, Path]:
    """Rename every temp file into place (only reached when every wanted member was written)."""
    result = {}
    for key, name in chosen.items():
        final = dest / (key if keep_paths else _basename(name))
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temps.pop(name), final)
        result[key] = final
    return result


# ---------------------------------------------------------------- reader 1: zipfile


@dataclass
class _ZipfileEntry:
    archive: zipfile.ZipFile
    info: zipfile.ZipInfo
    path: Path
    name: str = ""
    is_dir: bool = False
    size: int | None = None
    compressed_size: int | None = None

    def __post_init__(self) -> None:
        self.name = self.info.filename
        self.is_dir = self.info.is_dir()
        self.size = self.info.file_size
        self.compressed_size = self.info.compress_size

    def chunks(self) -> Iterator[bytes]:
        if self.info.compress_type == zipfile.ZIP_DEFLATED and not self.info.flag_bits & _ENCRYPTED:
            yield from self._inflate()
            return
        try:
            with self.archive.open(self.info) as member:
                while block := member.read(CHUNK_SIZE):
                    yield block
        except (zipfile.BadZipFile, zlib.error, EOFError, struct.error, ValueError) as exc:
            raise _Malformed(f"{self.name}: {exc}") from exc

    def _inflate(self) -> Iterator[bytes]:
        """A deflated member inflated straight from the archive's bytes (`inflate`), where the central directory
        places it, held to the size and CRC-32 the directory declares (what zipfile checks, at ISA-L's speed)."""
        with self.path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            start = self._data_start(view)
            stream = Deflated(
                view, start, self.name, self._malformed, self._within_size, stop=start + self.info.compress_size
            )
            yield from stream.blocks()
        if stream.size != self.info.file_size:
            raise self._malformed(f"inflates to {stream.size} bytes, not the {self.info.file_size} declared")
        if stream.crc != self.info.CRC:
            raise self._malformed(f"fails its CRC-32 check ({stream.crc:08x} != {self.info.CRC:08x})")

    def _data_start(self, view: mmap.mmap) -> int:
        """Where the member's data begins: after its local header, which must name the same member."""
        at = self.info.header_offset
        header = view[at : at + _LOCAL_HEADER.size]
        if len(header) < _LOCAL_HEADER.size or header[:4] != LOCAL_HEADER_SIGNATURE:
            raise self._malformed("has no local header where the central directory places it")
        flags, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        raw_name = view[at + _LOCAL_HEADER.size : at + _LOCAL_HEADER.size + name_length]
        if raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace") != self.info.orig_filename:
            raise self._malformed(f"has the local header of another name ({raw_name!r})")
        return at + _LOCAL_HEADER.size + name_length + extra_length

    def _within_size(self, name: str, size: int, compressed: int) -> None:
        if size > self.info.file_size:
            raise self._malformed(f"inflates to more than the {self.info.file_size} bytes declared")

    def _malformed(self, problem: str) -> _Malformed:
        return _Malformed(f"{self.name}: {problem}")


class _ZipfileSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.archive = zipfile.ZipFile(path)

    def names(self) -> list[str]:
        return self.archive.namelist()

    def entries(self) -> Iterator[_Entry]:
        for info in self.archive.infolist():
            yield _ZipfileEntry(self.archive, info, self.path)

    def close(self) -> None:
        self.archive.close()

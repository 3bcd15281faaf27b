"""The header line of a delimited text file, read and checked in Python before DuckDB reads the rows.

`sniff_header` refuses empty files, binary or HTML files and text that is not in the expected encoding, and
finds the delimiter (`;`, `,` or tab) from the header line; each refusal names the file and what to do.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest.readers.columns import FileRef

DELIMITERS: tuple[str, ...] = (";", ",", "\t")
HEAD_BYTES = 1 << 16


@dataclass(frozen=True)
class Header:
    """The first line of a delimited text file."""

    names: list[str]
    delimiter: str


def sniff_header(path: Path, ref: FileRef, *, encoding: str = "utf-8") -> Header:
    """Read and check the header line: not empty, text, in `encoding`, with a known delimiter."""
    path = Path(path)
    if not path.is_file():
        raise BilatrusError(f"{ref.describe()}: no such file {path}", dataset=ref.dataset)
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head.strip():
        raise BilatrusError(
            f"{ref.describe()} is empty ({size} bytes at {path}): the download was probably cut short; fetch it again.",
            dataset=ref.dataset,
        )
    _refuse_binary(head, path, ref)
    first, _, rest = head.partition(b"\n")
    if not rest and size > len(head):
        raise BilatrusError(
            f"{ref.describe()} does not look like CSV text: its first line is longer than {HEAD_BYTES} bytes ({path}).",
            dataset=ref.dataset,
        )
    line = _decode_header(first, path, ref, encoding).lstrip("\ufeff").rstrip("\r")
    delimiter = _delimiter(line)
    if delimiter is None:
        raise BilatrusError(
            f"{ref.describe()} does not look like CSV text: no ';', ',' or tab in its first line "
            f"{line[:120]!r} ({path}).",
            dataset=ref.dataset,
        )
    names = next(csv.reader([line], delimiter=delimiter, quotechar='"'))
    if size <= len(head) and not rest.strip():
        raise BilatrusError(
            f"{ref.describe()} has a header but no data rows ({path}): the download was probably cut short; "
            "fetch it again.",
            dataset=ref.dataset,
        )
    return Header([n.strip() for n in names], delimiter)


def _refuse_binary(head: bytes, path: Path, ref: FileRef) -> None:
    kinds = {
        b"PK\x03\x04": "a zip archive",
        b"\x1f\x8b": "a gzip file",
        b"%PDF": "a PDF document",
        b"\xd0\xcf\x11\xe0": "an old Excel/OLE document",
    }
    for magic, kind in kinds.items():
        if head.startswith(magic):
            raise BilatrusError(
                f"{ref.describe()} is {kind}, not CSV text ({path}): the catalog entry or the archive member "
                "is wrong, or the server sent something else.",
                dataset=ref.dataset,
            )
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if start.startswith((b"<!doctype", b"<html", b"<?xml")):
        raise BilatrusError(
            f"{ref.describe()} is an HTML/XML page, not CSV text ({path}): the server probably answered with "
            "an error or login page; check the URL or the mirror.",
            dataset=ref.dataset,
        )
    if b"\x00" in head:
        raise BilatrusError(
            f"{ref.describe()} is binary (it holds NUL bytes), not CSV text ({path}); a UTF-16 file would "
            "also look like this: re-save it as UTF-8.",
            dataset=ref.dataset,
        )


def _decode_header(first: bytes, path: Path, ref: FileRef, encoding: str) -> str:
    try:
        return codecs.decode(first, _python_codec(encoding))
    except UnicodeDecodeError as err:
        raise BilatrusError(
            encoding_message(
                ref, path, encoding, f"byte 0x{first[err.start]:02X} at offset {err.start} of the header line"
            ),
            dataset=ref.dataset,
        ) from err


def _python_codec(encoding: str) -> str:
    return "utf-8-sig" if encoding.lower().replace("_", "-") in {"utf-8", "utf8"} else encoding


def encoding_message(ref: FileRef, path: Path, encoding: str, where: str) -> str:
    return (
        f"{ref.describe()} is not {encoding} text ({where}; {path}). CORDIS publishes UTF-8: the file may have "
        "been re-saved in another encoding (Windows-1252/Latin-1?). Re-save it as UTF-8, or, where the "
        "publisher documents Latin-1, read it with encoding='latin-1'."
    )


def _delimiter(line: str) -> str | None:
    counts = {d: _count_outside_quotes(line, d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count

"""Writing one CSV file of the mirror with exact bookkeeping of what went into it.

Owns `CsvSink`: it writes records (quoted CORDIS style or minimally quoted) into a binary handle in large
chunks, and counts physical lines, valid records and malformed rows, so the manifest can say exactly what a
reader must find and on which line each malformed row is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from bilatrus_etl_synthetic.layout import quote_min, quote_row


class CsvSink:
    """Writes records into a binary handle, counting physical lines and records."""

    def __init__(
        self,
        fh: IO[bytes],
        columns: Sequence[str],
        *,
        bom: bool = False,
        crlf: bool = False,
        quote_header: bool = False,
        quote_all: bool = True,
    ) -> None:
        self.fh = fh
        self.columns = tuple(columns)
        self.newline = "\r\n" if crlf else "\n"
        self.quote_all = quote_all
        self.buffer: list[str] = []
        self.size = 0
        self.lines = 0  # physical lines written so far
        self.records = 0  # valid data records
        self.rows = 0  # valid + malformed data rows
        self.malformed: list[dict[str, Any]] = []
        header = quote_row(columns) if quote_header else ";".join(columns) + "\n"
        if crlf:
            header = header[:-1] + "\r\n"
        self._emit(("\ufeff" if bom else "") + header)

    def _emit(self, text: str) -> None:
        self.buffer.append(text)
        self.lines += text.count("\n")
        self.size += len(text)
        if self.size > 1 << 20:
            self.flush()

    def row(self, fields: Sequence[str]) -> None:
        if self.quote_all:
            text = quote_row(fields)
        else:
            text = ";".join(quote_min(f) for f in fields) + "\n"
        if self.newline != "\n":
            text = text[:-1] + self.newline
        self.records += 1
        self.rows += 1
        self._emit(text)

    def line(self, text: str) -> None:
        """One valid record given as its finished text (quoted, ending in a newline)."""
        self.records += 1
        self.rows += 1
        self._emit(text)

    def lines_of(self, texts: list[str]) -> None:
        """Many valid records at once (finished texts)."""
        if texts:
            self.records += len(texts)
            self.rows += len(texts)
            self._emit("".join(texts))

    def bad(self, text: str, kind: str, note: str) -> None:
        self.rows += 1
        self.malformed.append({"line": self.lines + 1, "record": self.rows, "kind": kind, "note": note})
        self._emit(text)

    def flush(self) -> None:
        if self.buffer:
            self.fh.write("".join(self.buffer).encode("utf-8"))
            self.buffer = []
            self.size = 0

    def summary(self) -> dict[str, Any]:
        self.flush()
        return {
            "columns": list(self.columns),
            "records": self.records,
            "malformed": len(self.malformed),
            "malformed_lines": self.malformed,
            "physical_lines": self.lines,
        }

"""The malformed lines placed on purpose in the mirror's data files, and where they go.

Owns the three kinds of line a strict `;`/`"` CSV reader must reject (MALFORMED_KINDS: one field too many, a
stray quote, too few fields), the choice of the records they are slipped in before (never the first five), and
`write_rows`, which writes a file's records with those lines among them; the sink records each line's number.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence

from bilatrus_etl_synthetic.layout import MALFORMED_KINDS
from bilatrus_etl_synthetic.sink import CsvSink


def malformed_line(fields: Sequence[str], kind: str, text_index: int) -> str:
    """One physical line that a strict `;`/`"` CSV reader must reject, with balanced quotes."""
    clean = [f.replace("\r", " ").replace("\n", " ") for f in fields]
    quoted = ['"' + f.replace('"', '""') + '"' for f in clean]
    if kind == "too_many_fields":
        value = clean[text_index].replace('"', "").replace(";", ",") or "UNNAMED"
        quoted[text_index] = f"{value}; EXTRA"  # unquoted value with a bare separator: one field too many
        if not clean[-1]:
            # DuckDB silently accepts one surplus field when the last value is empty (and shifts the
            # columns): keep the surplus visible to every strict reader.
            quoted[-1] = '"-"'
    elif kind == "stray_quote":
        value = clean[text_index].replace('"', "").replace(";", ",") or "UNNAMED"
        head, _, tail = value.partition(" ")
        quoted[text_index] = f'"{head} "QUOTED" {tail or "X"}"'  # quote not doubled inside a quoted field
    elif kind == "too_few_fields":
        quoted = quoted[: max(2, len(quoted) // 2)]
    else:
        raise ValueError(f"unknown malformed kind {kind!r}")
    return ";".join(quoted) + "\n"


def malformed_positions(rng: random.Random, n_records: int, k: int) -> list[int]:
    """Indices (0-based, into the valid records) before which a malformed line goes; never the first 5 rows."""
    if k <= 0 or n_records == 0:
        return []
    low = min(5, n_records - 1)
    candidates = range(low, n_records)
    return sorted(rng.sample(candidates, min(k, len(candidates))))


def write_rows(
    sink: CsvSink,
    texts: Iterable[str],
    n_rows: int,
    rng: random.Random,
    k: int,
    make_bad: Callable[[int], Sequence[str]],
    text_index: int,
    note: str,
    first_kind: int = 0,
) -> None:
    """Write finished record texts, slipping `k` malformed lines in before randomly chosen records."""
    positions = malformed_positions(rng, n_rows, k)
    cursor = 0
    next_bad = positions[0] if positions else -1
    chunk: list[str] = []
    for index, text in enumerate(texts):
        if index == next_bad:
            sink.lines_of(chunk)
            chunk = []
            while cursor < len(positions) and positions[cursor] == index:
                kind = MALFORMED_KINDS[(first_kind + cursor) % len(MALFORMED_KINDS)]
                sink.bad(malformed_line(make_bad(index), kind, text_index), kind, note)
                cursor += 1
            next_bad = positions[cursor] if cursor < len(positions) else -1
        chunk.append(text)
        if len(chunk) >= 4096:
            sink.lines_of(chunk)
            chunk = []
    sink.lines_of(chunk)

"""Row identities of the vintage store: how a row is named, the scheme each vintage records, whole-table
fingerprints, and the previous state re-keyed from its stored rows when a vintage used another scheme.

A row's identity (`_row_hash`, 20 bytes) is two 64-bit DuckDB hash() values of its fields, the table's column
names and types mixed in, and its occurrence number among identical rows: the first over the fields in order,
the second over them in reverse order with every text field suffixed, so that the two are not functions of
each other (fixed-width fields hash without collisions; a text collision of one does not carry to the other).
No field is cast to text: hashing the row costs a tenth of an md5 of its text.

The identities depend on DuckDB's hash function, so each vintage records its scheme (`row_identity` in
vintage.json: the scheme's name, a fingerprint of its output on probe values of every column type the
warehouse uses, and the DuckDB version for information). Vintages recorded before schemes were recorded used
an md5 of the row's text. When a table's stored rows carry identities of another scheme, the previous state is
re-keyed from its stored rows (the rows keep their stored identities, so the removals of a vintage still name
the rows as the store added them): the diff of the first vintage after a change of scheme holds exactly the rows
that changed.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import TYPE_CHECKING, Any

import duckdb

from bilatrus_etl.warehouse.vintages.store import ROW_HASH, _quote_column, _rows_of, _state_at_end

if TYPE_CHECKING:
    from bilatrus_etl.warehouse.vintages.store import Vintage

IDENTITY_KEY = "row_identity"
SCHEME = "duckdb-hash-2x64"
LEGACY = {"scheme": "md5-row-text"}  # vintages recorded before the scheme was recorded
STORED = "_stored_row_hash"  # a re-keyed state row's identity as the store holds it
# Probe values of every column type the warehouse's tables use: a DuckDB whose hash() gives other values for
# them gives another scheme fingerprint, and the previous state is then re-keyed.
_PROBE_COLUMNS = [
    ["s", "VARCHAR"],
    ["i", "BIGINT"],
    ["f", "DOUBLE"],
    ["m", "DECIMAL(38,2)"],
    ["n", "DECIMAL(18,2)"],
    ["b", "BOOLEAN"],
    ["d", "DATE"],
    ["l", "VARCHAR[]"],
    ["z", "STRUCT(k VARCHAR, v BIGINT)[]"],
]
_PROBE_ROWS = (
    "('Новосибирск ''state'' university', 42, 0.1, 12345678901234.56, -7.25, true, DATE '2026-11-02', "
    "['a', NULL, ''], [{'k': 'x', 'v': 3}]), "
    "('', -1, -0.0, 0, 0, false, DATE '1970-01-01', [], []), "
    "(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
    "('a', 1, 1e300, -1.01, 99.99, NULL, DATE '2100-12-31', ['b'], [{'k': NULL, 'v': NULL}])"
)


def hashes(columns: list[list[str]]) -> str:
    """The two 64-bit hashes of a row (`_h1`, `_h2`) over `columns` (name, type), the columns' names and types
    mixed in: SELECT expressions."""
    names = [_quote_column(name) for name, _ in columns]
    salted = [f"{q} || '~'" if kind == "VARCHAR" else q for q, (_, kind) in zip(names, columns, strict=True)]
    signature = _literal(json.dumps(columns))
    return f"hash({', '.join(names)}, {signature}) AS _h1, hash({signature}, {', '.join(reversed(salted))}) AS _h2"


def identified(relation: str, columns: list[list[str]], *, repeats: bool = True, keep_hashes: bool = False) -> str:
    """The rows of `relation` (every column of it kept) with their identity `_row_hash` in front, computed over
    `columns` (name, type): the table's own columns. `repeats=False` numbers every row as the first of its kind
    without the window that numbers identical rows: the same identities when no two rows are identical
    (`has_repeats` tells), at half the cost. `keep_hashes` keeps `_h1` and `_h2` (for `fingerprint`)."""
    occurrence = "row_number() OVER (PARTITION BY _h1, _h2)" if repeats else "1"
    # 8 + 8 + 4 bytes, most significant first: each number's bits (a BIT of its width) as bytes, no text formatting
    return (
        f"SELECT _h1::BIT::BLOB || _h2::BIT::BLOB || ({occurrence})::UINTEGER::BIT::BLOB AS {ROW_HASH}, "
        f"*{'' if keep_hashes else ' EXCLUDE (_h1, _h2)'} FROM (SELECT {hashes(columns)}, * FROM {relation})"
    )


def has_repeats(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    """Whether rows of `relation` (with `_h1`, `_h2`) include identical rows (to number with `repeats=True`)."""
    return bool(con.execute(f"SELECT count(*) > count(DISTINCT (_h1, _h2)) FROM {relation}").fetchall()[0][0])


_FINGERPRINT_SQL = "count(*), coalesce(sum(_h1::HUGEINT), 0), coalesce(sum(_h2::HUGEINT), 0)"


def _fingerprint_text(count: int, first: int, second: int) -> str:
    return f"{count}:{first:x}:{second:x}"


def fingerprint(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """A whole-table fingerprint of the rows of `relation` (with `_h1`, `_h2`): the row count and the sums of
    both hashes, whatever the order of the rows. Equal fingerprints, same rows (as a multiset)."""
    return _fingerprint_text(*con.execute(f"SELECT {_FINGERPRINT_SQL} FROM {relation}").fetchall()[0])


def stored_fingerprint_and_repeats(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[str, bool]:
    """`fingerprint` and `has_repeats` in one scan of rows named by `identified` (`relation` with `_row_hash`,
    e.g. a file of the store): `_h1` and `_h2` are read back from the identity's first and second 8 bytes, so the
    fields are not hashed again. Identical rows named with `repeats=False` share a `_row_hash`: they show as
    repeats."""
    count, first, second, distinct = con.execute(
        f"SELECT {_FINGERPRINT_SQL}, count(DISTINCT {ROW_HASH}) FROM "
        f"(SELECT {ROW_HASH}, {ROW_HASH}[1:8]::BIT::UBIGINT AS _h1, {ROW_HASH}[9:16]::BIT::UBIGINT AS _h2 FROM {relation})"
    ).fetchall()[0]
    return _fingerprint_text(count, first, second), count > distinct


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@cache
def current_scheme() -> dict[str, str]:
    """The scheme this process names rows with: its name, its fingerprint on the probe values, DuckDB's version."""
    casts = ", ".join(
        f"CAST(col{i} AS {kind}) AS {_quote_column(name)}" for i, (name, kind) in enumerate(_PROBE_COLUMNS)
    )
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"SELECT hex({ROW_HASH}) FROM ({identified(f'(SELECT {casts} FROM (VALUES {_PROBE_ROWS}))', _PROBE_COLUMNS)}) "
            "ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    probe = hashlib.sha256("".join(r[0] for r in rows).encode()).hexdigest()[:16]
    return {"scheme": SCHEME, "probe": probe, "duckdb": duckdb.__version__}


def scheme_of(meta: dict[str, Any]) -> tuple[str, str | None]:
    """What makes two vintages' identities comparable: the scheme's name and its probe fingerprint."""
    identity = meta.get(IDENTITY_KEY) or LEGACY
    return identity.get("scheme", ""), identity.get("probe")


def common_scheme(vintages: list[Vintage]) -> dict[str, Any]:
    """The scheme of a full snapshot that merges `vintages`: theirs when they share one, else 'mixed' (the next
    vintage re-keys)."""
    schemes = {scheme_of(v.meta) for v in vintages}
    if len(schemes) == 1:
        return dict(vintages[-1].meta.get(IDENTITY_KEY) or LEGACY)
    return {"scheme": "mixed", "schemes": sorted(f"{name}:{probe}" for name, probe in schemes)}


def needs_rekey(prior: list[Vintage]) -> bool:
    """Whether a table's stored rows (over `prior`) carry identities of a scheme other than this process's."""
    current = scheme_of({IDENTITY_KEY: current_scheme()})
    return any(scheme_of(v.meta) != current for v in prior)


def previous_state(prior: list[Vintage], table: str) -> str:
    """The table's rows at the end of `prior` as (`_row_hash` in the current scheme, `_stored_row_hash`)."""
    if not needs_rekey(prior):
        return f"SELECT {ROW_HASH}, {ROW_HASH} AS {STORED} FROM ({_state_at_end(prior, table)})"
    columns = prior[-1].tables[table]["columns"]
    stored = (
        f"(SELECT a.{ROW_HASH} AS {STORED}, a.* EXCLUDE ({ROW_HASH}, _from_seq) "
        f"FROM ({_rows_of(prior, table, columns)}) AS a SEMI JOIN ({_state_at_end(prior, table)}) AS s USING ({ROW_HASH}))"
    )
    return f"SELECT {ROW_HASH}, {STORED} FROM ({identified(stored, columns)})"

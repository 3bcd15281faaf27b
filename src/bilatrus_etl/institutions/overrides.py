"""Curated matching decisions: the overrides file (reference/institution_overrides.csv) and its rules.

A row decides a name (exact, or a `re:` pattern on `normalise_name`), optionally within a city and country:
a ROR id, `none` (no ROR record) or `not:<id>` (never this record; matching goes on). A row with a PIC links
that PIC to a ROR id or to none. `load_overrides` reads and checks the file; a bad row fails naming the file
and line.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bilatrus_etl.institutions.cities import city_agreement
from bilatrus_etl.institutions.methods import ResolveError
from bilatrus_etl.institutions.normalise import match_key
from bilatrus_etl.institutions.ror_schema import short_ror_id
from bilatrus_etl.resources import REFERENCE_DIR

DEFAULT_OVERRIDES = REFERENCE_DIR / "institution_overrides.csv"
OVERRIDE_COLUMNS: tuple[str, ...] = ("name_pattern", "city", "country", "pic", "ror_id", "note")
_ROR_ID = re.compile(r"^0[a-z0-9]{6}[0-9]{2}$")


@dataclass(frozen=True)
class Override:
    """One curated decision about a name (exact, or a `re:` pattern on `normalise_name`).

    `ror_id` is the institution; None means "no ROR record" (ror_id cell `none`); `excluded` (cell
    `not:<id>`) only forbids one ROR record for that name and lets matching go on.
    """

    key: str | None
    pattern: re.Pattern[str] | None
    city: str
    country: str
    ror_id: str | None
    excluded: str | None
    note: str
    line: int

    def applies(self, name_key: str, normalised: str, city: Any, country: str | None) -> bool:
        if self.country and country and self.country != country:
            return False
        if self.city and city_agreement(self.city, city) is not True:
            return False
        if self.pattern is not None:
            return bool(self.pattern.search(normalised))
        return self.key == name_key


@dataclass
class Overrides:
    """Curated name decisions and PIC links, as read from `institution_overrides.csv`."""

    rules: list[Override] = field(default_factory=list)
    pic_links: dict[str, str | None] = field(default_factory=dict)

    def lookup(
        self, name_key: str, normalised: str, city: Any, country: str | None
    ) -> tuple[Override | None, frozenset[str]]:
        """The first deciding rule for a name (or None) and the ROR ids its exclusion rules forbid."""
        excluded: set[str] = set()
        for rule in self.rules:
            if rule.applies(name_key, normalised, city, country):
                if rule.excluded:
                    excluded.add(rule.excluded)
                else:
                    return rule, frozenset(excluded)
        return None, frozenset(excluded)


def _parse_ror_cell(value: str, source: Path, line: int) -> tuple[str | None, str | None]:
    """(ror_id, excluded) from a cell holding a ROR id, `none` or `not:<ROR id>`."""
    text = (value or "").strip()
    if text.lower() == "none":
        return None, None
    negate = text.lower().startswith("not:")
    ident = short_ror_id(text[4:] if negate else text)
    if not ident or not _ROR_ID.match(ident):
        raise ResolveError(
            f"overrides file {source}, line {line}: ror_id {value!r} is not a ROR id (like 010pmpe69), "
            "'none' or 'not:<ROR id>'"
        )
    return (None, ident) if negate else (ident, None)


def load_overrides(path: str | Path | None) -> Overrides:
    """Read the curated overrides CSV (columns: name_pattern, city, country, pic, ror_id, note)."""
    if path is None:
        return Overrides()
    source = Path(path)
    if not source.is_file():
        raise ResolveError(f"overrides file {source} does not exist; pass an existing CSV or none")
    with source.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in ("name_pattern", "ror_id") if column not in (reader.fieldnames or [])]
        if missing:
            raise ResolveError(
                f"overrides file {source} lacks column(s) {', '.join(missing)}; expected {', '.join(OVERRIDE_COLUMNS)}"
            )
        overrides = Overrides()
        for line, row in enumerate(reader, start=2):
            rule = _override_row(row, source, line, overrides)
            if rule is not None:
                overrides.rules.append(rule)
    return overrides


def _override_row(row: dict[str, str], source: Path, line: int, overrides: Overrides) -> Override | None:
    pattern_text = (row.get("name_pattern") or "").strip()
    pic = (row.get("pic") or "").strip()
    ror_id, excluded = _parse_ror_cell(row.get("ror_id") or "", source, line)
    if pic:
        if excluded:
            raise ResolveError(f"overrides file {source}, line {line}: a PIC link needs a ROR id or 'none', not 'not:'")
        overrides.pic_links[pic] = ror_id
    if not pattern_text:
        if not pic:
            raise ResolveError(f"overrides file {source}, line {line}: give a name_pattern or a pic")
        return None
    pattern = None
    key = None
    if pattern_text.startswith("re:"):
        try:
            pattern = re.compile(pattern_text[3:])
        except re.error as exc:
            raise ResolveError(f"overrides file {source}, line {line}: bad regular expression: {exc}") from exc
    else:
        key = match_key(pattern_text)
        if not key:
            raise ResolveError(
                f"overrides file {source}, line {line}: name_pattern {pattern_text!r} is empty once normalised"
            )
    return Override(
        key=key,
        pattern=pattern,
        city=(row.get("city") or "").strip(),
        country=(row.get("country") or "").strip().upper(),
        ror_id=ror_id,
        excluded=excluded,
        note=(row.get("note") or "").strip(),
        line=line,
    )

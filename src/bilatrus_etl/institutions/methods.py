"""The match methods: how an organisation was linked to a ROR record, and how much that decision weighs.

`MATCH_METHODS` is the one table of methods (name -> strength, whether the participant's name decided it, and
a description); the matcher's stages, the PIC propagation and the choice
of one link per organisation key (`bilatrus_etl.institutions.link`), the warehouse description of
`institution_link.method` is built from it, and a test checks the README, the docs and the suite's value set
against it. `MatchResult` is one decision; `ResolveError` is what the
institution modules raise on unusable input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from bilatrus_etl.errors import BilatrusError


class ResolveError(BilatrusError):
    """Unusable matcher input (a missing column, a bad overrides file); the message names the file."""


class MatchResult(NamedTuple):
    """What the matcher decided for one participant: `(ror_id or None, method, score 0-100)`."""

    ror_id: str | None
    method: str
    score: float


@dataclass(frozen=True)
class MatchMethod:
    """One way of linking a participant: `strength` orders the links of one organisation key (the strongest
    is kept); `by_name` says the participant's name decided it (so it vouches for the participant's PIC)."""

    strength: int
    by_name: bool
    description: str


# In the order the matcher tries them (`pic` and `none` aside). Strengths: a curated rule beats a PIC link,
# which beats an exact name; fuzzy and acronym matches confirmed by the city beat the other guarded guesses.
MATCH_METHODS: dict[str, MatchMethod] = {
    "override": MatchMethod(6, True, "a curated rule of reference/institution_overrides.csv (a reason per row)"),
    "pic": MatchMethod(
        5, False, "the participant's PIC: linked in the overrides file, or agreed by the other rows of that PIC"
    ),
    "exact": MatchMethod(
        4,
        True,
        "the same normalised name in any word order (95 without a federal district added to the city; 90 or 85 when the city does not confirm it)",
    ),
    "acronym+city": MatchMethod(3, True, "the short name is the record's acronym, in the same city"),
    "fuzzy+city": MatchMethod(3, True, "every meaningful word aligned (spelling slips, eponyms), in the same city"),
    "fuzzy": MatchMethod(2, True, "every meaningful word aligned, the name locating itself without a city"),
    "prefix": MatchMethod(2, True, "a name cut at a source's field length: the one record it starts"),
    "person+kind": MatchMethod(
        2, True, 'a person\'s name and a kind of body ("Sechenov University"): the one record holding both'
    ),
    "person+city": MatchMethod(
        2, True, "a renamed body: the one record of the city named after the same person, sharing one more word"
    ),
    "scored": MatchMethod(2, True, "the best-scored candidate, clearly good and clearly ahead of the runner-up"),
    "none": MatchMethod(0, False, "no record: unsure, or explicitly none"),
}
METHODS: tuple[str, ...] = tuple(MATCH_METHODS)


def strength(method: object) -> int:
    """The strength of a method name (0 for an unknown one)."""
    known = MATCH_METHODS.get(str(method))
    return known.strength if known else 0

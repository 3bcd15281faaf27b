"""Words of match keys: which words tell institutions apart, which are people's names, how two names line up.

`align` lines up the words of two match keys (spelling slips and glued words allowed) and says what is left
over on each side; `distinctive_words` are the words that tell one institution from another (not "institute",
"state"); `eponyms` finds the people a name is named after. The matcher's fuzzy, prefix and scored stages
accept a match by these rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from bilatrus_etl.institutions.normalise import match_key, skeleton
from bilatrus_etl.institutions.word_forms import same_stem, synonyms

_TOKEN_SIMILARITY = 85.0

# Words two names of one institution may differ by ("National Research Tomsk Polytechnic University").
DROPPABLE = frozenset(
    skeleton(word)
    for word in (
        "national",
        "research",
        "state",
        "russia",
        "scientific",
        "ras",
        "public",
        "autonomous",
        "budgetary",
        "named",
        "nauchno",
        "issledovatelskii",
        "gosudarstvennyi",
        "natsionalnyi",
        "federalnyi",
        "rossiiskii",
        "corporation",
        "company",
        "limited",
        "group",
        "holding",
    )
)
# Titles a name may carry or not without becoming another body ("National Research ... University").
STATUS_WORDS = frozenset(skeleton(word) for word in ("national", "research", "ras"))
# Branch words a name may omit when the city already says which branch it is.
_SOFT = frozenset(skeleton(word) for word in ("sb", "ub", "feb", "rams", "branch"))
# Words that say what kind of body something is, not which one: a fuzzy match needs one more word.
NON_DISTINCTIVE = frozenset(
    skeleton(word)
    for word in (
        "institute",
        "university",
        "academy",
        "school",
        "college",
        "center",
        "state",
        "national",
        "research",
        "scientific",
        "science",
        "sciences",
        "federal",
        "russian",
        "russia",
        "ras",
        "sb",
        "ub",
        "feb",
        "rams",
        "hospital",
        "clinical",
        "city",
        "regional",
        "international",
        "all",
        "union",
        "central",
        "main",
        "first",
        "new",
        "higher",
        "republican",
        "district",
        "northern",
        "southern",
        "eastern",
        "western",
        "far",
        "branch",
        "department",
        "laboratory",
        "foundation",
        "society",
        "ministry",
        "agency",
        "company",
        "corporation",
        "children",
        "childrens",
        "infectious",
        "polyclinic",
        "clinic",
        "dispensary",
        "gymnasium",
    )
)
# Common words that are never a person's or a body's own name (used to recognise eponyms): the kinds of body
# above, less a few kinds that can be part of an own name, and subjects, places and other ordinary words.
GENERIC_WORDS = (
    NON_DISTINCTIVE
    - frozenset(
        skeleton(word)
        for word in (
            "company",
            "corporation",
            "infectious",
            "polyclinic",
            "clinic",
            "dispensary",
            "gymnasium",
        )
    )
) | frozenset(
    skeleton(word)
    for word in (
        "technical",
        "technological",
        "medical",
        "pedagogical",
        "agrarian",
        "agricultural",
        "engineering",
        "economics",
        "management",
        "law",
        "physics",
        "chemistry",
        "biology",
        "problems",
        "library",
        "museum",
        "polytechnic",
        "moscow",
        "saint",
        "petersburg",
        "siberian",
        "ural",
        "north",
        "south",
        "east",
        "west",
        "protein",
        "basin",
        "origin",
        "margin",
        "domain",
        "berlin",
        "vitamin",
        "design",
        "informatics",
        "mechanics",
        "optics",
        "electronics",
        "plastics",
        "genetics",
        "service",
    )
)
# Surname endings; not -sky/-skii, which transliterated Russian adjectives share ("khristianskii").
_EPONYM_SUFFIX = re.compile(r"(?:ov|ev|ova|eva|in|ina|ich|enko|dze|shvili)$")
_INITIAL_THEN_NAME = re.compile(r"(?:\b[A-ZА-ЯЁ]\.\s?){1,2}\s?([A-Za-zА-Яа-яЁё'’\-]{3,})")
_DOUBLE_INITIAL_NAME = re.compile(r"\b[A-Z]{2}\s([A-Z][a-z]{2,})")
_NAMED_AFTER = re.compile(
    r"(?:named\s+after|n\.\s?a\.|\bim\.|\bimeni|\bthem\.|имени|им\.)\s*(?:academician\s+|professor\s+|prof\.\s*|"
    r"академика\s+|профессора\s+)?(?:(?:[A-ZА-ЯЁ]\.\s?){0,2}|[A-Z]{2}\s)([A-Za-zА-Яа-яЁё'’\-]{3,})",
    re.IGNORECASE,
)


def eponyms(name: Any) -> frozenset[str]:
    """Skeleton words that are people's names in a name: after initials or after 'named after'/'im.'."""
    if not isinstance(name, str):
        return frozenset()
    found: set[str] = set()
    for pattern in (_INITIAL_THEN_NAME, _DOUBLE_INITIAL_NAME, _NAMED_AFTER):
        for match in pattern.finditer(name):
            # after "named after" / "имени" the whole phrase: its key reads a genitive surname ("имени ... Королёва")
            # in the nominative (`normalise`), and drops the marker and a title
            for token in match_key(match.group(0 if pattern is _NAMED_AFTER else 1)).split():
                found.add(token)
    return frozenset(found - GENERIC_WORDS)


def looks_like_eponym(token: str, known: frozenset[str]) -> bool:
    """Whether a key word is a person's name: one of `known`, or a long word with a surname ending."""
    if token in known:
        return True
    return len(token) >= 5 and token not in GENERIC_WORDS and not token.isdigit() and bool(_EPONYM_SUFFIX.search(token))


def people_words(key: str, known: frozenset[str]) -> frozenset[str]:
    """Words of a match key that name a person: eponyms (`looks_like_eponym`), and a word just before one that is
    no generic word (a first name or patronymic: "ilia glazunov", "ivan dmitrievich papanin")."""
    words = key.split()
    found = {word for word in words if looks_like_eponym(word, known)}
    for before, after in reversed(list(zip(words, words[1:], strict=False))):
        if after in found and before not in GENERIC_WORDS and not before.isdigit() and len(before) >= 3:
            found.add(before)
    return frozenset(found)


def _tokens_align(token: str, others: frozenset[str]) -> bool:
    if token in others:
        return True
    if synonyms(token, others):
        return True
    if len(token) < 4 or token.isdigit():
        return False
    return any(
        len(other) >= 4
        and (
            other[0] == token[0]
            and (
                fuzz.ratio(token, other) >= _TOKEN_SIMILARITY
                or _compound_of(token, other)
                or _place_of(token, other)
                or same_stem(token, other)
            )
            or same_person(token, other)
        )
        for other in others
    )


def _place_of(first: str, second: str) -> bool:
    """Whether one word is the other's Russian place adjective stem ("kazansk" / "kazan", `match_key`)."""
    return first == second + "sk" or second == first + "sk"


_COMPOUND_STEM = 5


def _compound_of(first: str, second: str) -> bool:
    """Whether one word is the other with a second word glued on ("waterway" / "water"): the shorter one a
    whole word of five letters or more that starts the longer one."""
    short, long = sorted((first, second), key=len)
    return len(short) >= _COMPOUND_STEM and len(long) - len(short) >= 3 and long.startswith(short)


@dataclass(frozen=True)
class Alignment:
    """How two names' words line up: what is left over on each side after matching words."""

    query_left: frozenset[str]
    candidate_left: frozenset[str]
    aligned: int
    distinctive: int

    @property
    def complete(self) -> bool:
        return not self.query_left and not self.candidate_left

    @property
    def leftover(self) -> frozenset[str]:
        return self.query_left | self.candidate_left


def _merge_compounds(tokens: list[str], others: frozenset[str]) -> list[str]:
    """Join neighbours that the other name writes as one word ("radio engineering" ~ "radioengineering")."""
    merged: list[str] = []
    index = 0
    while index < len(tokens):
        if index + 1 < len(tokens) and tokens[index] + tokens[index + 1] in others:
            merged.append(tokens[index] + tokens[index + 1])
            index += 2
        else:
            merged.append(tokens[index])
            index += 1
    return merged


def align(query: str, candidate: str, acronyms: frozenset[str] = frozenset(), same_city: bool = False) -> Alignment:
    """Align the words of two match keys; droppable words (national, state, ...) never count as left over.

    A query word equal to one of the candidate's acronyms counts as aligned; with `same_city`, branch
    words (SB, UB, FEB) may be left over too.
    """
    q_list, c_list = query.split(), candidate.split()
    q_tokens = frozenset(_merge_compounds(q_list, frozenset(c_list)))
    c_tokens = frozenset(_merge_compounds(c_list, frozenset(q_list)))
    q_left = frozenset(t for t in q_tokens if not _tokens_align(t, c_tokens) and t not in acronyms)
    c_left = frozenset(t for t in c_tokens if not _tokens_align(t, q_tokens))
    aligned = sum(1 for t in q_tokens - q_left if t not in DROPPABLE)
    distinctive = sum(
        1 for t in q_tokens - q_left if t not in DROPPABLE and t not in NON_DISTINCTIVE and not t.isdigit()
    )
    ignorable = DROPPABLE | _SOFT if same_city else DROPPABLE
    return Alignment(q_left - ignorable, c_left - ignorable, aligned, distinctive)


def distinctive_words(key: str) -> list[str]:
    """The words of a match key that tell one institution from another (not "institute", "state", numbers)."""
    return [w for w in key.split() if w not in NON_DISTINCTIVE and w not in DROPPABLE and not w.isdigit()]


def count_distinctive(key: str) -> int:
    """How many distinctive words a match key has."""
    return len(distinctive_words(key))


def words_align(word: str, others: Iterable[str]) -> bool:
    """Whether a match-key word is one of `others`, allowing a spelling slip in words of four letters or more."""
    return _tokens_align(word, frozenset(others))


def numbered(key: str) -> bool:
    """Whether a name carries a number ("City Hospital No. 40", "46th Central Research Institute")."""
    return any(any(char.isdigit() for char in word) for word in key.split())


def self_locating(key: str) -> bool:
    """Whether a name identifies one institution without its city: no number, some distinctive word."""
    words = key.split()
    if any(word.isdigit() for word in words):
        return False
    return any(word not in NON_DISTINCTIVE and word not in DROPPABLE for word in words)


# Letters a person's name is transliterated with either way once `skeleton` has folded the rest: German "z"
# for "ц" ("Herzen" / "Hertzen" -> "hercen"), "ё" written "io" or "e" after a consonant ("Korolyov" /
# "Korolev"), doubled letters ("Ioffe" / "Iofe"), and ISO 9's "x" for "х" (`skeleton`: "ks"), which the others
# write "kh" (`skeleton`: "h"): "Bloxin" / "Blokhin".
_PERSON_FOLDS = (
    (re.compile(r"ks"), "h"),
    (re.compile(r"z"), "c"),
    (re.compile(r"(?<=[bcdfghklmnprstv])io"), "e"),
    (re.compile(r"(.)\1"), r"\1"),
)


@lru_cache(maxsize=200_000)
def _person_key(word: str) -> str:
    for pattern, replacement in _PERSON_FOLDS:
        word = pattern.sub(replacement, word)
    return word


def same_person(first: str, second: str) -> bool:
    """Whether two match-key words are one person's name spelt two ways ("herzen" / "hercen"): equal once the
    letters transliterations disagree on are folded. Two different surnames never fold to one key unless they
    differ only by those letters; no edit distance is allowed ("petrov" is not "petrova", nor "pavlov" "popov")."""
    return first == second or (len(first) >= 4 and _person_key(first) == _person_key(second))

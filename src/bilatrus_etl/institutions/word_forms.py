"""When two words of match keys are one word written two ways in English: another ending of one stem ("medical" /
"medicine", "organizations" / Russian "organizatsiia"), or another English word for one Russian word ("management"
/ "control"). `alignment` lines words up with these besides spelling slips, glued words and places.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bilatrus_etl.institutions.normalise import skeleton

# Endings of English nouns and adjectives of one stem ("medical" / "medicine", "finance" / "financial", "biology" /
# "biological", "physics" / "physical"), as `skeleton` writes them ("y" as "i"); the longest that leaves a stem of
# _STEM_LETTERS letters or more comes off. "-tion" is also read as the Russian "-циия" ("organizations" /
# "organizatsiia", `skeleton`: "organizacia"): both stems then end in "c".
_STEM_ENDINGS = tuple(
    sorted(("ical", "ics", "ic", "ial", "al", "ine", "ies", "es", "s", "ia", "i", "e", "ion", "ions"), key=len)[::-1]
)
_TION = re.compile(r"tions?$")
_PLURAL_TS = re.compile(r"[aeiou][nrlp]c$")
_STEM_LETTERS = 5


@lru_cache(maxsize=200_000)
def _english_stems(word: str) -> frozenset[str]:
    stems = {word}
    for ending in _STEM_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _STEM_LETTERS:
            stems = {word[: -len(ending)]}
            break
    tion = _TION.search(word)
    if tion and tion.start() >= _STEM_LETTERS:
        stems.add(word[: tion.start()] + "c")
    if _PLURAL_TS.search(word):  # "plants", "products": `skeleton` wrote "-ts" as "c" ("planc")
        stems.add(word[:-1] + "t")
    return frozenset(stems)


def same_stem(first: str, second: str) -> bool:
    """Whether two match-key words are one English stem with another ending ("medical" / "medicine", "industri" /
    "industrial", "organizacions" / "organizacia"); "technical" and "technological" are two stems."""
    return bool(_english_stems(first) & _english_stems(second))


# English words one Russian word is written as in the registry's names ("управление": management, control,
# administration; "фонд": foundation, fund; "строительный": construction, building; "нефтяной": petroleum, oil;
# "экологический": ecological, environmental; "морской": marine, maritime; "аграрный": agrarian, agricultural;
# "детский": children's, pediatric): two names of one body may use either.
_SYNONYMS = tuple(
    frozenset(skeleton(word) for word in group)
    for group in (
        ("management", "control", "administration"),
        ("foundation", "fund"),
        ("construction", "building"),
        ("petroleum", "oil"),
        ("ecological", "environmental"),
        ("marine", "maritime"),
        ("agrarian", "agricultural"),
        ("children", "childrens", "pediatric", "paediatric"),
    )
)
_SYNONYM_OF = {word: group for group in _SYNONYMS for word in group}


def synonyms(word: str, others: frozenset[str]) -> bool:
    """Whether one of `others` is a synonym of a match-key word (`_SYNONYMS`)."""
    group = _SYNONYM_OF.get(word)
    return group is not None and bool(group & others)

"""Russian words the tables of `russian` do not read, learned from the registry's own bilingual names.

A record named both in Russian and in English is a small parallel corpus: once the words each name shares with
the other (the proper names, and the common words `russian.RUSSIAN_STEMS` reads) are set aside, a Russian name
that keeps one word of its own opposite an English name that keeps one word of its own pairs those two words
("Институт карпологии" / "Institute of Carpology" pairs "karpologii" with "carpology"). `learn_words` collects such
pairs over the registry (under each stem of the Russian word, `stems`: a case ending cut off) and keeps a stem
that names one English word more often than any other; `RegistryIndex.key` then reads a query's Russian words
with them. The index learns from the names it holds, so a name held out of it (the development sources'
held-out names) teaches nothing about itself.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from bilatrus_etl.institutions.alignment import words_align
from bilatrus_etl.institutions.normalise import case_stems

_STEM_LETTERS = 4  # a learned stem is at least this long ("plemenn", not "pl")
_WORD_LETTERS = 4  # words shorter than this are acronyms or stop words, not learned


def stems(word: str) -> list[str]:
    """The stems a learned word is kept under: `normalise.case_stems`, none shorter than _STEM_LETTERS."""
    return case_stems(word, _STEM_LETTERS)


def learn_words(pairs: Iterable[tuple[str, str]], english: frozenset[str]) -> dict[str, str]:
    """Stem -> English word, from (Russian name's key, English name's key) pairs of one record each.

    `english` are the words of the registry's Latin names: a Russian word that is one of them is already read
    (or is a proper name both scripts share) and is not learned. A pair teaches a word when each name keeps one
    word the other does not align with; a stem paired with two English words equally often teaches nothing."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for russian_key, english_key in pairs:
        russian_words, english_words = russian_key.split(), english_key.split()
        russian_left = [w for w in russian_words if not words_align(w, english_words)]
        english_left = [w for w in english_words if not words_align(w, russian_words)]
        if len(russian_left) != 1 or len(english_left) != 1:
            continue
        (word,), (meaning,) = russian_left, english_left
        if word in english or len(word) < _WORD_LETTERS or len(meaning) < _WORD_LETTERS or word.isdigit():
            continue
        for key in stems(word) or [word]:
            counts[key][meaning] += 1
    learned: dict[str, str] = {}
    for key, meanings in counts.items():
        ranked = meanings.most_common(2)
        if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
            learned[key] = ranked[0][0]
    return learned


def read_word(word: str, learned: dict[str, str], english: frozenset[str]) -> str:
    """A query word read with the learned words: the English word of its stem, unless it is an English word."""
    if not learned or word in english:
        return word
    return next((learned[s] for s in stems(word) if s in learned), word)  # the longest stem learned

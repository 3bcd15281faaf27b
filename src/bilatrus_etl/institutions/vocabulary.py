"""The registry's vocabulary, and a source's names mended against it (glued, split and misspelt words).

`Vocabulary` holds every word of the registry's names as written, plus stop words and the words of legal
forms (English and transliterated Russian) that sources misspell; the words the normaliser reads itself
(`normalise.rewritten`: "physico", "centre", Russian words such as "ekonomicheskikh") are left as they are. `repair` mends a name against it
("INSTITUTEOF" -> "institute of", "UNI VERSITY" -> "university", "BUDGETRY" -> "budgetary"); `is_cut_word`
tells a word cut at a source's field length ("ECONOMI") from a whole one.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz.distance import Levenshtein

from bilatrus_etl.institutions.normalise import STOPWORDS, drop_parentheses, fold, raw_words, rewritten

# Words of legal forms (English and transliterated Russian) that sources misspell; a query word that is no
# registry word is corrected to the nearest of these or of the registry's words.
LEGAL_VOCABULARY = frozenset(
    {
        "federal",
        "state",
        "budgetary",
        "budget",
        "autonomous",
        "unitary",
        "institution",
        "establishment",
        "enterprise",
        "educational",
        "education",
        "higher",
        "professional",
        "vocational",
        "science",
        "scientific",
        "organization",
        "organisation",
        "government",
        "governmental",
        "municipal",
        "nonprofit",
        "noncommercial",
        "treasury",
        "company",
        "joint",
        "stock",
        "limited",
        "liability",
        "public",
        "private",
        "closed",
        "open",
        "federalnoe",
        "gosudarstvennoe",
        "biudzhetnoe",
        "byudzhetnoe",
        "avtonomnoe",
        "kazennoe",
        "unitarnoe",
        "uchrezhdenie",
        "obrazovatelnoe",
        "nauchnoe",
        "nauki",
        "vysshego",
        "obrazovaniya",
        "obrazovaniia",
        "professionalnogo",
        "predpriyatie",
        "predpriiatie",
        "obshchestvo",
        "aktsionernoe",
        "nekommercheskaya",
        "organizatsiya",
        "zdravookhraneniya",
        "dopolnitelnogo",
    }
)
_TYPO_SHORTEST = 5


class Vocabulary:
    """The words names are mended against; mended words are remembered (one vocabulary per registry index)."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words: set[str] = set(words)
        self.words.update(STOPWORDS, LEGAL_VOCABULARY)
        self._sorted = sorted(self.words)
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in self.words:
            if len(word) >= _TYPO_SHORTEST:
                self._by_initial[word[0]].append(word)
        self._mended: dict[str, list[str]] = {}

    def repair(self, name: str) -> str:
        """Mend words the source glued, split or misspelt, against the registry's (and legal forms') words.

        "INSTITUTEOF" -> "institute of", "UNI VERSITY" -> "university", "BUDGETRY" -> "budgetary". A name whose
        words are all known comes back unchanged.
        """
        vocabulary = self.words
        if all(w in vocabulary or rewritten(w) or w.isdigit() or len(w) < 3 for w in raw_words(name)):
            return name
        words = raw_words(drop_parentheses(fold(name)))
        out: list[str] = []
        index = 0
        while index < len(words):
            word = words[index]
            following = words[index + 1] if index + 1 < len(words) else ""
            if following and word + following in vocabulary and (word not in vocabulary or following not in vocabulary):
                out.append(word + following)
                index += 2
                continue
            if word in vocabulary or rewritten(word) or word.isdigit() or len(word) < 3:
                out.append(word)  # known, or a spelling the normaliser rewrites itself
            else:
                out.extend(self._mend_word(word))
            index += 1
        return " ".join(out)

    def _mend_word(self, word: str) -> list[str]:
        cached = self._mended.get(word)
        if cached is not None:
            return cached
        vocabulary = self.words
        result = [word]
        splits: list[tuple[str, str]] = [
            (word[:i], word[i:])
            for i in range(2, len(word) - 1)
            if word[:i] in vocabulary and word[i:] in vocabulary and max(i, len(word) - i) >= 4
        ]
        if splits:
            head, tail = max(splits, key=lambda pair: min(len(pair[0]), len(pair[1])))
            result = [head, tail]
        elif len(word) >= _TYPO_SHORTEST and word.isalpha():
            limit = 1 if len(word) < 9 else 2
            close = [
                (Levenshtein.distance(word, other, score_cutoff=limit), other)
                for other in self._by_initial.get(word[0], ())
                if abs(len(other) - len(word)) <= limit
            ]
            close = [(d, other) for d, other in close if d <= limit]
            if close:
                best = min(d for d, _ in close)
                winners = [other for d, other in close if d == best]
                if len(winners) == 1:
                    result = winners
        self._mended[word] = result
        return result

    def is_cut_word(self, word: str) -> bool:
        """A word that is no registry word but the start of one ("ECONOMI", "FED", "S")."""
        if word in self.words or word.isdigit():
            return False
        index = bisect.bisect_left(self._sorted, word)
        return index < len(self._sorted) and self._sorted[index].startswith(word)

"""The registry records closest to a name, scored: the runner-up of every decision and the scored stage's input.

Two retrievals feed the scoring: the names sharing a three-letter word start with the query (blocking on the
index's postings), of which rapidfuzz keeps the best by token-set ratio, and the names closest by TF-IDF over
character 3-grams (`ngrams`: a transliteration, a cut or glued word, another ending share no word start but
most letters). Each is scored by soft TF-IDF over the words of
the match keys (`weighted_overlap`), less `CITY_PENALTY` when the cities disagree. One candidate per
institution (successors followed), best first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from rapidfuzz import fuzz, process

from bilatrus_etl.institutions.alignment import distinctive_words, words_align
from bilatrus_etl.institutions.cities import normalise_city
from bilatrus_etl.institutions.index import RegistryIndex
from bilatrus_etl.institutions.normalise import trimmed_variants

CITY_PENALTY = 15.0  # what a city disagreement takes off a candidate's score
_RETRIEVE = 40
_KEEP_CANDIDATES = 10
# Character n-gram retrieval (`ngrams`): the names of the country closest to the query's key by TF-IDF cosine over
# character 3-grams join the word-blocked ones, whatever words they share.
NGRAM_RETRIEVE = 5
NGRAM_SIMILARITY = 0.3


class Candidate(NamedTuple):
    """One registry record scored against a name: `weighted_overlap` of the match keys (0-100), less
    `CITY_PENALTY` when the cities disagree; `city_agrees` is None when unknown."""

    ror_id: str
    name: str
    score: float
    city_agrees: bool | None


def weighted_overlap(first: str, second: str, weight: Callable[[str], float]) -> float:
    """How much of two match keys the other key holds, 0-100: each word weighs its inverse document frequency
    in the registry (`RegistryIndex.word_weight`: a rare word such as "pediatric" counts more than "state") and
    counts as held when the other key has it, or a spelling of it (`words_align`); the harmonic mean of the two
    shares held (soft TF-IDF), so a word either name lacks lowers the score by its weight."""
    words_a, words_b = first.split(), second.split()
    if not words_a or not words_b:
        return 0.0
    set_a, set_b = frozenset(words_a), frozenset(words_b)

    def held(words: list[str], others: frozenset[str]) -> float:
        total = sum(weight(w) for w in words)
        found = sum(weight(w) for w in words if w in others or words_align(w, others))
        return found / total if total else 0.0

    share_a, share_b = held(words_a, set_b), held(words_b, set_a)
    return 200.0 * share_a * share_b / (share_a + share_b) if share_a + share_b else 0.0


class CandidateFinder:
    """Scores a registry index's records against names; remembers the ranking of each (name, city, country)."""

    def __init__(self, index: RegistryIndex) -> None:
        self.index = index
        self._cache: dict[tuple[Any, ...], list[Candidate]] = {}

    def candidates(self, text: str, city: Any, country_code: str | None, limit: int) -> list[Candidate]:
        """The records closest to a cleaned name, best first, at most `limit`; every country's when no code."""
        index = self.index
        cache_key = (text, normalise_city(city), country_code)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached[:limit]
        found: dict[str, Candidate] = {}
        keys = {index.key(index.vocabulary.repair(v)) for v, _ in trimmed_variants(text, "")} - {""} if text else set()
        codes = [country_code] if country_code else list(index.entries)
        for key in keys:
            # Only names sharing the first three letters of a word with the query are scored (blocking).
            words = [w for w in key.split() if len(w) >= 3 and not w.isdigit()]
            prefixes = {w[:3] for w in distinctive_words(" ".join(words))} or {w[:3] for w in words}
            for code in codes:
                postings = index.postings.get(code) or {}
                subset = sorted(set().union(*(postings.get(prefix, ()) for prefix in prefixes)))
                choices = index.entry_keys.get(code, [])
                hits = process.extract(
                    key, [choices[i] for i in subset], scorer=fuzz.token_set_ratio, limit=_RETRIEVE, score_cutoff=50
                )
                retrieved = {subset[position] for _, _, position in hits}
                if code in index.ngrams and NGRAM_RETRIEVE:
                    retrieved.update(
                        row for row, _ in index.ngrams[code].nearest(key, NGRAM_RETRIEVE, NGRAM_SIMILARITY)
                    )
                for row in sorted(retrieved):
                    entry = index.entries[code][row]
                    agrees = index.city_agrees(city, entry.record)
                    score = weighted_overlap(key, entry.key, index.word_weight)
                    score -= CITY_PENALTY if agrees is False else 0.0
                    ror = index.final_id(entry.record)
                    if ror not in found or score > found[ror].score:
                        found[ror] = Candidate(ror, index.record_name(ror) or ror, round(score, 1), agrees)
        ranked = sorted(found.values(), key=lambda c: (-c.score, c.ror_id))[:_KEEP_CANDIDATES]
        self._cache[cache_key] = ranked
        return ranked[:limit]

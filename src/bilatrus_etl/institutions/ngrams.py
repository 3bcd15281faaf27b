"""Character n-gram retrieval: the names of a country closest to a match key by TF-IDF over character 3-grams.

The candidate finder's word blocking only sees names that share the start of a whole word with the query; a
name written another way (a transliteration, a cut or glued word, another ending) may share none and still
share most of its letters. `NgramIndex` holds one sparse matrix per country: a row per indexed name (its match
key), a column per character 3-gram of the key's words (each word padded with a space on both sides, so word
starts and ends count), weighted by sublinear term frequency and inverse document frequency, rows of unit
length. `nearest` returns the rows of highest cosine similarity with a query key: the candidates it adds are
scored like every other (`candidates.weighted_overlap`), so retrieval widens what is seen, not what is taken.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

_GRAM = 3


def char_grams(key: str) -> Counter[str]:
    """The character 3-grams of a match key's words, each word padded with a space on both sides."""
    grams: Counter[str] = Counter()
    for word in key.split():
        padded = f" {word} "
        grams.update(padded[i : i + _GRAM] for i in range(len(padded) - _GRAM + 1))
    return grams


class NgramIndex:
    """TF-IDF vectors of character 3-grams over a list of match keys (one row per key, in the list's order)."""

    def __init__(self, keys: Sequence[str]) -> None:
        counted = [char_grams(key) for key in keys]
        frequency: Counter[str] = Counter(gram for grams in counted for gram in grams)
        self.columns = {gram: column for column, gram in enumerate(sorted(frequency))}
        self.idf = np.array([math.log((len(keys) + 1) / (frequency[g] + 1)) + 1.0 for g in sorted(frequency)])
        self.unseen_idf = math.log(len(keys) + 1) + 1.0
        rows, cols, values = [], [], []
        for row, grams in enumerate(counted):
            for gram, count in grams.items():
                rows.append(row)
                cols.append(self.columns[gram])
                values.append(1.0 + math.log(count))
        matrix = sparse.csr_matrix(
            (np.array(values, dtype=float), (rows, cols)), shape=(len(keys), len(self.columns)), dtype=float
        )
        matrix = matrix.multiply(self.idf).tocsr()
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        # gram -> rows (the transpose), so a query reads only the rows of its own grams
        self.by_gram = sparse.csr_matrix(matrix.multiply(1.0 / norms[:, None]).T)
        self.rows = len(keys)

    def nearest(self, key: str, limit: int, min_similarity: float) -> list[tuple[int, float]]:
        """(row, cosine similarity) of the `limit` keys closest to `key`, best first, at least `min_similarity`."""
        counted = char_grams(key)
        known = [(self.columns[g], 1.0 + math.log(c)) for g, c in counted.items() if g in self.columns]
        if not known or not self.rows:
            return []
        columns = np.array([c for c, _ in known])
        weights = np.array([w for _, w in known]) * self.idf[columns]
        # a gram no indexed key has weighs as much as the rarest: it lengthens the query's vector
        unknown = [(1.0 + math.log(c)) * self.unseen_idf for g, c in counted.items() if g not in self.columns]
        weights /= math.sqrt(float(weights @ weights) + sum(w * w for w in unknown))
        similarity = np.asarray(self.by_gram[columns].T @ weights).ravel()
        count = min(limit, len(similarity))
        best = np.argpartition(-similarity, count - 1)[:count]
        best = best[np.argsort(-similarity[best], kind="stable")]
        return [(int(row), float(similarity[row])) for row in best if similarity[row] >= min_similarity]

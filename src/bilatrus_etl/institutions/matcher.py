"""`Matcher`: which ROR record one participant is, preferring no match over a wrong one.

For one participant (name, city, country, optional PIC and short name) the decision rule is: a curated
override (`bilatrus_etl.institutions.overrides`) decides first, then a PIC link; otherwise each variant of the
name (as given, without a '*' short name, without a faculty/department tail), mended against the registry's
vocabulary (glued, split and misspelt words), goes through the stages (`stages`, `word_stages`,
`eponym_stage`) in turn: exact name, acronym within the same city, guarded fuzzy match, prefix of a name cut
at a field length, a person's name with a kind of body ("Sechenov University"), a scored match (threshold
and margin over the runner-up), and last a renamed body named after the same person in the same city.
Withdrawn or inactive ROR records are followed to their successor. `Matcher.candidates` lists the best-scored records of a name with their scores
(the runner-up of every decision). Its collaborators: `RegistryIndex` (what the registry holds),
`Vocabulary` (mending names), `CandidateFinder` (scoring) and `Overrides`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from bilatrus_etl.ingest.clean import COUNTRY_EXCEPTIONS
from bilatrus_etl.institutions.candidates import Candidate, CandidateFinder
from bilatrus_etl.institutions.cities import normalise_city
from bilatrus_etl.institutions.eponym_stage import person_city_match, person_kind_match
from bilatrus_etl.institutions.index import RegistryIndex
from bilatrus_etl.institutions.methods import MatchResult
from bilatrus_etl.institutions.normalise import clean_text, match_key, normalise_name, trimmed_variants
from bilatrus_etl.institutions.overrides import DEFAULT_OVERRIDES, Overrides, load_overrides
from bilatrus_etl.institutions.stages import Query, acronym_match, exact_match, scored_match
from bilatrus_etl.institutions.word_stages import cut_after_stop_word, ends_in_cut_word, fuzzy_match, prefix_match

# The scored stage (after the rule stages): the best candidate is taken when its score reaches SCORE_THRESHOLD
# and leads the runner-up by SCORE_MARGIN. Calibrated on the development split of scripts/evaluate_matching.py
# (`--calibrate`, `calibrate`): the pair of highest dev recall at which every dev source keeps a precision of 0.98
# (or, below it already, the strictest pair's). The word check (`stages.scored_match`) stays the binding rule: a
# low threshold with a wide margin takes a clear winner whose words account for the query's.
SCORE_THRESHOLD = 40.0
SCORE_MARGIN = 12.0
REVIEW_SCORE = 70.0  # an unmatched row whose runner-up scores this much is worth a look


def _country_code(country: Any) -> str | None:
    """An ISO 3166-1 alpha-2 code from a CORDIS or ISO country cell (None when blank)."""
    code = clean_text(country).upper()
    # CORDIS codes that differ from ISO 3166-1 (EL, UK): the one table of them, reference/cordis_country_codes.csv
    return COUNTRY_EXCEPTIONS[code][0] if code in COUNTRY_EXCEPTIONS else (code or None)


class Matcher:
    """Match participants to ROR records of a registry DataFrame (see `bilatrus_etl.institutions.registry`)."""

    def __init__(
        self,
        registry: pd.DataFrame,
        overrides: Overrides | None = None,
        pic_links: Mapping[str, str | None] | None = None,
        follow_successors: bool = True,
        score_threshold: float = SCORE_THRESHOLD,
        score_margin: float = SCORE_MARGIN,
    ) -> None:
        self.overrides = overrides or Overrides()
        self.score_threshold = score_threshold
        self.score_margin = score_margin
        self.pic_links: dict[str, str | None] = {**self.overrides.pic_links, **dict(pic_links or {})}
        self.follow_successors = follow_successors
        self.index = RegistryIndex(registry, follow_successors)
        self._finder = CandidateFinder(self.index)
        self._cache: dict[tuple[Any, ...], MatchResult] = {}

    @classmethod
    def from_registry(
        cls,
        registry: pd.DataFrame,
        overrides_path: str | Path | None = DEFAULT_OVERRIDES,
        pic_links: Mapping[str, str | None] | None = None,
        follow_successors: bool = True,
    ) -> Matcher:
        """A matcher with the curated overrides file (the project's, unless another path or None is given)."""
        if overrides_path == DEFAULT_OVERRIDES and not DEFAULT_OVERRIDES.is_file():
            overrides_path = None
        return cls(registry, load_overrides(overrides_path), pic_links, follow_successors)

    def set_decision(self, score_threshold: float, score_margin: float) -> None:
        """Change the scored stage's threshold and margin (calibration): decisions are made again, the scored
        candidates of each name are kept (they do not depend on the decision)."""
        self.score_threshold, self.score_margin = score_threshold, score_margin
        self._cache.clear()

    def record_name(self, ror_id: str | None) -> str | None:
        """The display name of a ROR id known to the registry."""
        return self.index.record_name(ror_id)

    def repair(self, name: str) -> str:
        """A name with the words the source glued, split or misspelt mended (see `Vocabulary.repair`)."""
        return self.index.vocabulary.repair(name)

    def match(
        self,
        name: Any,
        city: Any = None,
        country: Any = None,
        pic: Any = None,
        short_name: Any = None,
    ) -> MatchResult:
        """Decide which ROR record one participant is; `MatchResult(None, 'none', 0.0)` when unsure."""
        country_code = _country_code(country)
        pic_text = clean_text(pic)
        cache_key = (clean_text(name), normalise_city(city), country_code, pic_text, clean_text(short_name))
        if cache_key in self._cache and pic_text not in self.pic_links:
            return self._cache[cache_key]
        result = self._decide(clean_text(name), city, country_code, pic_text, clean_text(short_name))
        self._cache[cache_key] = result
        return result

    def candidates(self, name: Any, city: Any = None, country: Any = None, limit: int = 5) -> list[Candidate]:
        """The registry records closest to a name, best first, one per institution (see `Candidate`)."""
        return self._finder.candidates(clean_text(name), city, _country_code(country), limit)

    def _decide(self, name: str, city: Any, country: str | None, pic: str, short_name: str) -> MatchResult:
        key = match_key(name)
        rule, excluded = self.overrides.lookup(key, normalise_name(name), city, country)
        if rule is not None:
            return MatchResult(rule.ror_id, "override", 100.0)
        if pic and pic in self.pic_links:
            return MatchResult(self.pic_links[pic], "pic", 100.0)
        if not key:
            return MatchResult(None, "none", 0.0)
        for variant, variant_short in trimmed_variants(name, short_name):
            variant_key = self.index.key(self.repair(variant))
            if not variant_key:
                continue
            query = Query(variant, variant_key, city, country, variant_short, excluded)
            if cut_after_stop_word(variant):  # the name goes on: only its one completion will do
                result = prefix_match(self.index, query)
                if result is not None:
                    return result
                continue
            fuzzy = () if ends_in_cut_word(self.index, variant) else (fuzzy_match,)
            for stage in (exact_match, acronym_match, *fuzzy, prefix_match, person_kind_match):
                result = stage(self.index, query)
                if result is not None:
                    return result
            result = self._scored_match(query) or person_city_match(self.index, query)
            if result is not None:
                return result
        return MatchResult(None, "none", 0.0)

    def _scored_match(self, query: Query) -> MatchResult | None:
        ranked = self.candidates(query.name, query.city, query.country, 3)
        return scored_match(self.index, ranked, query, self.score_threshold, self.score_margin)

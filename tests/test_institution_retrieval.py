"""Character n-gram retrieval of candidates, the scored stage's word check on two kinds of body, and the
calibration of the scored stage's threshold and margin (on the real ROR samples of ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bilatrus_etl.institutions import candidates
from bilatrus_etl.institutions.calibrate import calibrate, format_calibration
from bilatrus_etl.institutions.matcher import SCORE_MARGIN, SCORE_THRESHOLD, Matcher
from bilatrus_etl.institutions.ngrams import NgramIndex, char_grams
from bilatrus_etl.institutions.registry import read_registries
from bilatrus_etl.institutions.transliterated import transliterated_names

REGISTRIES = ("registries/ror-ru-sample-schema-v2.json", "registries/ror-ru-sample-schema-v1.json")


@pytest.fixture(scope="module")
def ror(shared_file) -> pd.DataFrame:
    return read_registries([Path(shared_file(path)) for path in REGISTRIES])


def test_char_grams_pad_each_word() -> None:
    assert char_grams("nev tec") == {" ne": 1, "nev": 1, "ev ": 1, " te": 1, "tec": 1, "ec ": 1}
    assert char_grams("") == {}


def test_ngram_index_ranks_by_shared_letters_not_word_starts() -> None:
    keys = ["national institute carpologi", "moscov state universiti", "infectious clinical hospital 1"]
    index = NgramIndex(keys)
    best = index.nearest("national institute karpologi", 3, 0.1)
    assert best[0][0] == 0
    assert best[0][1] == pytest.approx(0.87, abs=0.02)
    assert [row for row, _ in index.nearest("moscov infectious hospital 1", 3, 0.2)] == [2, 1]
    assert index.nearest("zzzz", 3, 0.1) == []  # no gram of the query is indexed
    assert NgramIndex([]).nearest("moscov", 3, 0.0) == []


def test_ngram_retrieval_brings_a_transliterated_name_to_the_scored_stage(
    ror: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "НОВЫЕ ТЕХНОЛОГИИ" as CORDIS writes it, asked of the registry without the record's Cyrillic names: the
    # word-start blocking keeps other "technolog..." names; the character n-grams find "New Technologies and
    # Services", and the scored stage takes it.
    kept, queries = transliterated_names(ror, 1)
    assert "00hqcx089" in set(queries["expected_ror_id"])
    found = Matcher(kept, None).candidates("NOVYE TEKHNOLOGII", "St Petersburg", "RU", 3)
    assert (found[0].ror_id, found[0].score) == ("00hqcx089", 74.3)
    assert Matcher(kept, None).match("NOVYE TEKHNOLOGII", "St Petersburg", "RU").ror_id == "00hqcx089"
    monkeypatch.setattr(candidates, "NGRAM_RETRIEVE", 0)
    without = Matcher(kept, None)
    assert "00hqcx089" not in [c.ror_id for c in without.candidates("NOVYE TEKHNOLOGII", "St Petersburg", "RU", 3)]
    assert without.match("NOVYE TEKHNOLOGII", "St Petersburg", "RU").ror_id is None


def test_two_kinds_of_body_are_no_rare_name_with_or_without_a_kind(ror: pd.DataFrame) -> None:
    # "Finance" is a rare word and both names leave a kind of body: that is a renamed body's case, and a research
    # institute is no higher school renamed. The registry has no Finance Academy: unmatched, its runner-up listed.
    matcher = Matcher(ror, None)
    assert matcher.candidates("Finance Academy", "Moscow", "RU", 1)[0].ror_id == "00kfpzv56"
    assert matcher.match("Finance Academy", "Moscow", "RU").method == "none"


def test_calibration_chooses_the_best_recall_that_keeps_every_source_precise(ror: pd.DataFrame) -> None:
    labelled = pd.DataFrame(
        columns=["name", "city", "country", "pic", "short_name", "expected_ror_id", "source", "note"]
    )
    small = ror[ror["country_code"].eq("RU")].head(120).reset_index(drop=True)
    result = calibrate(small, labelled, thresholds=(50.0, SCORE_THRESHOLD), margins=(SCORE_MARGIN, 12.0))
    assert [(t.threshold, t.margin) for t in result.trials] == [
        (50.0, SCORE_MARGIN),
        (50.0, 12.0),
        (SCORE_THRESHOLD, SCORE_MARGIN),
        (SCORE_THRESHOLD, 12.0),
    ]
    assert result.chosen is not None
    strictest = max(result.trials, key=lambda t: (t.threshold, t.margin))

    def precise(trial) -> bool:
        return all(p >= min(0.98, strictest.per_source[s]) - 1e-9 for s, p in trial.per_source.items())

    assert precise(result.chosen)
    assert result.chosen.recall == max(t.recall for t in result.trials if precise(t))
    text = format_calibration(result)
    assert f"chosen: threshold {result.chosen.threshold}, margin {result.chosen.margin}" in text
    assert len(text.splitlines()) == 1 + len(result.trials) + 1

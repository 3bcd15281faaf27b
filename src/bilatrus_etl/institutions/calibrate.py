"""Calibrating the scored stage's decision (threshold, and margin over the runner-up) on the development split.

`calibrate` asks every dev query of the development set (`evaluate.development_sets`) once per pair of a grid,
reusing each matcher's scored candidates (they do not depend on the decision), and chooses the pair of highest
recall on the dev split whose precision on every dev source reaches `PRECISION_FLOOR`, or, for a source already
below it with the strictest pair (a rule stage's error the decision cannot mend), does not fall below that
(ties: the stricter pair). The eval split is never read here. Run `python scripts/evaluate_matching.py
--calibrate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from bilatrus_etl.institutions.evaluate import combine, development_sets, evaluate_sets

PRECISION_FLOOR = 0.98
THRESHOLDS = (30.0, 40.0, 50.0, 55.0, 60.0, 66.0, 72.0)
MARGINS = (2.0, 4.0, 8.0, 12.0, 16.0)


@dataclass(frozen=True)
class Trial:
    """One pair of the grid: recall and precision on the dev split, and the lowest precision of a dev source."""

    threshold: float
    margin: float
    precision: float
    recall: float
    per_source: dict[str, float]

    @property
    def worst_source(self) -> str:
        return min(self.per_source, key=lambda s: (self.per_source[s], s))


@dataclass(frozen=True)
class Calibration:
    trials: list[Trial]
    chosen: Trial | None


def calibrate(
    registry: pd.DataFrame,
    labelled: pd.DataFrame,
    thresholds: Sequence[float] = THRESHOLDS,
    margins: Sequence[float] = MARGINS,
    floor: float = PRECISION_FLOOR,
) -> Calibration:
    """Sweep the grid on the dev split and choose a pair (see the module docstring)."""
    sets = development_sets(registry, labelled, None)
    trials = []
    for threshold in thresholds:
        for margin in margins:
            for item in sets:
                item.matcher.set_decision(threshold, margin)
            parts = evaluate_sets(sets, splits=("dev",))
            total = combine([p.evaluation for p in parts])
            per_source = {p.source: p.evaluation.precision for p in parts}
            trials.append(Trial(threshold, margin, total.precision, total.recall, per_source))
    strictest = max(trials, key=lambda t: (t.threshold, t.margin))
    good = [
        t
        for t in trials
        if all(t.per_source[s] >= min(floor, strictest.per_source[s]) - 1e-9 for s in strictest.per_source)
    ]
    chosen = max(good, key=lambda t: (round(t.recall, 4), t.threshold, t.margin)) if good else None
    return Calibration(trials, chosen)


def format_calibration(calibration: Calibration) -> str:
    """The grid as a table (dev split, all sources, without overrides) and the chosen pair."""
    lines = ["threshold margin precision recall  lowest source precision (dev split, without overrides)"]
    for t in calibration.trials:
        lines.append(
            f"{t.threshold:9.1f} {t.margin:6.1f} {t.precision:9.3f} {t.recall:6.3f}  "
            f"{t.per_source[t.worst_source]:.3f} {t.worst_source}"
        )
    chosen = calibration.chosen
    lines.append(f"chosen: threshold {chosen.threshold}, margin {chosen.margin}" if chosen else "chosen: none")
    return "\n".join(lines)

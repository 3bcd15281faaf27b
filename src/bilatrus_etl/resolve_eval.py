"""Measure the institution matcher against a hand-labelled set of participant names.

Precision = correct matches / all matches made; recall = correct matches / rows labelled with a ROR id.
A match to the wrong ROR id counts against both. Run `python scripts/evaluate_matching.py`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bilatrus_etl.registry import read_registries, short_ror_id
from bilatrus_etl.resolve import DEFAULT_OVERRIDES, Matcher, resolve_frame

# Development defaults, relative to a checkout (scripts/evaluate_matching.py runs from its root).
DEFAULT_LABELLED = Path("tests") / "labelled" / "ru_participants_labelled.csv"
DEFAULT_REGISTRIES = (
    Path("..") / "shared" / "data" / "registries" / "ror-ru-sample-schema-v2.json",
    Path("..") / "shared" / "data" / "registries" / "ror-ru-sample-schema-v1.json",
)


@dataclass(frozen=True)
class Evaluation:
    """Counts, rates and the rows the matcher got wrong."""

    rows: int
    labelled_matches: int
    matches_made: int
    correct: int
    errors: pd.DataFrame

    @property
    def precision(self) -> float:
        return self.correct / self.matches_made if self.matches_made else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.labelled_matches if self.labelled_matches else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def read_labelled(path: str | Path = DEFAULT_LABELLED) -> pd.DataFrame:
    """The labelled set (name, city, country, pic, short_name, expected_ror_id, source, note) as text."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    frame["expected_ror_id"] = frame["expected_ror_id"].map(lambda v: short_ror_id(v) if v.lower() != "none" else None)
    return frame


def evaluate(labelled: pd.DataFrame, matcher: Matcher) -> Evaluation:
    """Run the matcher over the labelled frame (as one batch, so PIC links apply) and score it."""
    resolved = resolve_frame(labelled, matcher)
    expected = resolved["expected_ror_id"]
    got = resolved["ror_id"]
    made = got.notna()
    correct = made & (got == expected)
    kind = pd.Series("", index=resolved.index)
    kind[made & expected.isna()] = "false match"
    kind[~made & expected.notna()] = "missed match"
    kind[made & expected.notna() & (got != expected)] = "wrong id"
    shown = ["name", "city", "country", "expected_ror_id", "ror_id", "ror_name", "method", "score"]
    errors = resolved.loc[kind != "", shown]
    errors.insert(0, "error", kind[kind != ""])
    return Evaluation(
        rows=len(resolved),
        labelled_matches=int(expected.notna().sum()),
        matches_made=int(made.sum()),
        correct=int(correct.sum()),
        errors=errors.reset_index(drop=True),
    )


def format_report(evaluation: Evaluation, title: str) -> str:
    lines = [
        f"== {title}",
        f"rows {evaluation.rows}, labelled with a ROR id {evaluation.labelled_matches}, "
        f"matches made {evaluation.matches_made}, correct {evaluation.correct}",
        f"precision {evaluation.precision:.3f}  recall {evaluation.recall:.3f}  F1 {evaluation.f1:.3f}",
    ]
    for row in evaluation.errors.itertuples(index=False):
        lines.append(
            f"  {row.error:12} {row.name!r} ({row.city}, {row.country}) expected={_text(row.expected_ror_id, 'none')} "
            f"got={_text(row.ror_id, 'none')} [{row.method} {row.score}] {_text(row.ror_name, '')}"
        )
    return "\n".join(lines)


def _text(value: object, missing: str) -> str:
    return missing if value is None or pd.isna(value) else str(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Precision and recall of the institution matcher on a labelled set.")
    parser.add_argument("--labelled", type=Path, default=DEFAULT_LABELLED)
    parser.add_argument("--registry", type=Path, action="append", help="ROR dump (zip/json); repeatable")
    parser.add_argument("--overrides", type=Path, default=DEFAULT_OVERRIDES)
    args = parser.parse_args(argv)
    registry = read_registries(args.registry or DEFAULT_REGISTRIES)
    labelled = read_labelled(args.labelled)
    with_overrides = evaluate(labelled, Matcher.from_registry(registry, args.overrides))
    without = evaluate(labelled, Matcher.from_registry(registry, None))
    print(format_report(with_overrides, f"with overrides ({args.overrides})"))
    print()
    print(format_report(without, "without overrides (names and in-batch PIC links only)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

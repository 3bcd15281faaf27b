"""Measure the institution matcher on a development set drawn from real text, per source and split.

Sources of the development set (column `source`):
- the labelled rows of tests/labelled (real CORDIS names, university-domains-ru.json names, hand-written
  CORDIS-style names; each keeps its own `source`);
- `ror-loo:<lang>`: leave-one-name-out over the registry's own name variants: each record's names are split
  into two folds by a stable hash; the matcher indexes the registry without one fold and is asked for the
  held-out names (with the record's city). Names whose key equals a kept name's key are skipped (they test
  nothing), and so are names in a script no kept name of the record is written in (the matcher reads the common
  words of Russian names in English, not the proper names: an English name is not expected from a Russian
  label alone). Expected: the record.
- `ror-translit:<system>`: the registry's Russian names in Latin capitals (BGN/PCGN, ICAO, ISO 9 system B), asked
  of the registry without the record's Cyrillic names (`transliterated`). Expected: the record.
- `ror-variants:<kind>`: each active record's display name rewritten the ways CORDIS legal names differ from
  ROR (a legal-form prefix with typos or in transliterated Russian, a Soviet order, a faculty after a comma, a
  short name after '*', the name cut at a field length, alone or after a long legal form, another city or
  none), and its Russian names as CORDIS writes Russian (`translit-j`, `-telegram`); expected: the record.
- `ror-absent`: whole records removed from the index (a stable fifth of the active records without
  relationships) and asked for by their display name: expected no match (precision against near neighbours).

Each row falls in the `dev` or `eval` split by a stable hash (of the ROR id, or of the name for labelled rows
without one). Calibrate on `dev` only; `eval` is reported, never tuned on.

Precision = correct matches / all matches made; recall = correct matches / rows labelled with a ROR id.
A match to the wrong ROR id counts against both. Run `python scripts/evaluate_matching.py`.
"""

from __future__ import annotations

import argparse
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bilatrus_etl.institutions.link import resolve_frame
from bilatrus_etl.institutions.matcher import Matcher
from bilatrus_etl.institutions.normalise import match_key
from bilatrus_etl.institutions.overrides import DEFAULT_OVERRIDES, load_overrides
from bilatrus_etl.institutions.registry import read_registries
from bilatrus_etl.institutions.ror_schema import short_ror_id
from bilatrus_etl.institutions.transliterated import (
    dev_query,
    language,
    record_names,
    russian_name_variants,
    transliterated_names,
)

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


def stable_bucket(text: str, buckets: int) -> int:
    """A bucket number that is the same on every machine and run (CRC-32, not Python's salted hash)."""
    return zlib.crc32(text.encode("utf-8")) % buckets


def split_of(text: str) -> str:
    """`eval` for a stable fifth of the keys, `dev` for the rest."""
    return "eval" if stable_bucket(f"split:{text}", 5) == 0 else "dev"


def leave_one_name_out(registry: pd.DataFrame, fold: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(registry without the fold's names, queries for them): see the module docstring, `ror-loo`."""
    kept_registry = registry.copy()
    queries: list[dict[str, object]] = []
    displays, labels = [], []
    for row in registry.itertuples(index=False):
        data = pd.Series(row._asdict())
        names = record_names(data)
        held = [n for n in names if stable_bucket(f"{data['ror_id']}|{n}", 2) == fold]
        kept = [n for n in names if n not in held]
        if not kept and held:
            kept, held = held[:1], held[1:]
        kept_keys = {match_key(n) for n in kept}
        active = str(data["status"]).lower() == "active"
        kept_scripts = {language(n) for n in kept}
        for name in held:
            # Only names whose script another kept name shares: the matcher does not translate.
            if active and language(name) in kept_scripts and match_key(name) and match_key(name) not in kept_keys:
                queries.append(
                    dev_query(
                        name,
                        data["city"],
                        data["country_code"],
                        data["ror_id"],
                        f"ror-loo:{language(name)}",
                        f"held-out name of {data['ror_id']}",
                    )
                )
        acronyms = list(data["acronyms"] or [])
        displays.append(kept[0] if kept else data["display_name"])
        labels.append([*kept, *acronyms])
    kept_registry["display_name"] = displays
    kept_registry["labels"] = labels
    return kept_registry, pd.DataFrame(queries)


def absent_records(registry: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(registry without a stable fifth of its plain active records, their display names expecting none)."""
    related = ("parent_ror_ids", "child_ror_ids", "successor_ror_ids", "related_ror_ids")
    linked = {i for column in related for ids in registry[column] for i in (ids or [])}
    plain = registry["status"].eq("active") & registry.apply(
        lambda r: not any(len(r[c] or []) for c in related) and r["ror_id"] not in linked, axis=1
    )
    removed = plain & registry["ror_id"].map(lambda i: stable_bucket(f"absent:{i}", 5) == 0)
    gone = registry[removed]
    queries = pd.DataFrame(
        {
            "name": gone["display_name"],
            "city": gone["city"].fillna(""),
            "country": gone["country_code"].fillna(""),
            "pic": "",
            "short_name": "",
            "expected_ror_id": None,
            "source": "ror-absent",
            "note": "record removed from the index: " + gone["ror_id"],
        }
    )
    return registry[~removed].reset_index(drop=True), queries.reset_index(drop=True)


def miss_kind(row: pd.Series) -> str:
    """Why a row went wrong, from its runner-up (for an unmatched row: the best-scored candidate)."""
    if pd.notna(row["ror_id"]):
        return f"matched by {row['method']}"
    runner, score = row.get("runner_up_ror_id"), row.get("runner_up_score")
    script = "cyrillic, " if language(str(row["name"])) == "ru" else ""
    if isinstance(runner, str) and runner and runner == row["expected_ror_id"]:
        return f"{script}top candidate not accepted (score {score:.0f})"
    return f"{script}expected record not the top candidate" + (f" (top scores {score:.0f})" if pd.notna(score) else "")


_OTHER_CITY = ("OMSK", "TOMSK")
_LONG_FORM = "FEDERAL STATE AUTONOMOUS EDUCATIONAL INSTITUTION OF HIGHER EDUCATION "
_VARIANTS: dict[str, Callable[[str, str], tuple[str, str] | None]] = {
    "typo-legal-form": lambda n, c: ("FEDERAL STATE BUDGETRY INSTITUION OF SCIENCE " + n, c),
    "translit-legal-form": lambda n, c: ("FEDERALNOE GOSUDARSTVENNOE BYUDZHETNOE UCHREZHDENIE NAUKI " + n, c),
    "soviet-order": lambda n, c: (n + " ORDER OF LENIN AND ORDER OF THE RED BANNER OF LABOUR", c),
    "faculty-suffix": lambda n, c: (n + ", FACULTY OF PHYSICS", c),
    "star-short-name": lambda n, c: (n + "*XYZ", c),
    "cut-name": lambda n, c: (n[: len(n) - 7], c) if len(n) >= 47 else None,
    "legal-form-cut": lambda n, c: ((_LONG_FORM + n)[:100], c) if len(_LONG_FORM + n) > 100 else None,
    "other-city": lambda n, c: (n, _OTHER_CITY[1] if c.upper() == _OTHER_CITY[0] else _OTHER_CITY[0]),
    "no-city": lambda n, c: (n, ""),
}


def name_variants(registry: pd.DataFrame, country: str = "RU") -> pd.DataFrame:
    """Queries for the `ror-variants:<kind>` sources (see the module docstring)."""
    rows = []
    active = registry[registry["status"].eq("active") & registry["country_code"].eq(country)]
    for ror_id, display, city in zip(active["ror_id"], active["display_name"], active["city"].fillna(""), strict=True):
        for kind, make in _VARIANTS.items():
            made = make(str(display).upper(), str(city))
            if made is not None:
                rows.append(dev_query(made[0], made[1], country, ror_id, f"ror-variants:{kind}"))
    return pd.DataFrame(rows + russian_name_variants(registry, country))


@dataclass(frozen=True)
class SourceEvaluation:
    """One part of the development set, its split, and how the matcher did on it."""

    source: str
    split: str
    evaluation: Evaluation


def _source_group(source: str) -> str:
    head = source.split("#")[0].split(":")
    return head[0] + (":" + head[1] if head[0] in {"ror-loo", "ror-translit", "ror-variants"} else "")


@dataclass(frozen=True)
class DevelopmentSet:
    """One frame of queries (with `group` and `split` columns) and the matcher that answers it."""

    frame: pd.DataFrame
    matcher: Matcher


def development_sets(
    registry: pd.DataFrame, labelled: pd.DataFrame, overrides: Path | None = None, **matcher_options: Any
) -> list[DevelopmentSet]:
    """The queries of every source of the development set (see the module docstring), each with its matcher.

    `matcher_options` go to `Matcher` (score_threshold, score_margin)."""

    def make(frame: pd.DataFrame) -> Matcher:
        return Matcher(frame, load_overrides(overrides), **matcher_options)

    results: list[tuple[pd.DataFrame, Matcher]] = []
    labelled = labelled.copy()
    labelled["split"] = [
        split_of(ror if isinstance(ror, str) and ror else name)
        for ror, name in zip(labelled["expected_ror_id"], labelled["name"], strict=True)
    ]
    results.append((labelled, make(registry)))
    for fold in (0, 1):
        for hold_out in (leave_one_name_out, transliterated_names):
            kept, queries = hold_out(registry, fold)
            if len(queries):
                queries["split"] = queries["expected_ror_id"].map(split_of)
                results.append((queries, make(kept)))
    variants = name_variants(registry)
    if len(variants):
        variants["split"] = variants["expected_ror_id"].map(split_of)
        results.append((variants, results[0][1]))
    kept, queries = absent_records(registry)
    queries["split"] = queries["note"].map(lambda n: split_of(n.rsplit(" ", 1)[-1]))
    results.append((queries, make(kept)))
    sets = []
    for frame, matcher in results:
        frame = frame.copy()
        frame["group"] = frame["source"].map(_source_group)
        sets.append(DevelopmentSet(frame, matcher))
    return sets


def evaluate_sets(sets: list[DevelopmentSet], splits: Sequence[str] = ("dev", "eval")) -> list[SourceEvaluation]:
    """Precision and recall per source and split of the development sets (each frame asked of its matcher)."""
    out: list[SourceEvaluation] = []
    frames = [(item.frame[item.frame["split"].isin(splits)], item.matcher) for item in sets]
    groups = sorted({(g, s) for frame, _ in frames for g, s in zip(frame["group"], frame["split"], strict=True)})
    for group, split in groups:
        parts = []
        for frame, matcher in frames:
            part = frame[(frame["group"] == group) & (frame["split"] == split)]
            if len(part):
                parts.append(evaluate(part.reset_index(drop=True), matcher))
        out.append(SourceEvaluation(group, split, combine(parts)))
    return out


def development_evaluations(
    registry: pd.DataFrame, labelled: pd.DataFrame, overrides: Path | None = None, **matcher_options: Any
) -> list[SourceEvaluation]:
    """Evaluate every source of the development set (see the module docstring), per split."""
    return evaluate_sets(development_sets(registry, labelled, overrides, **matcher_options))


def combine(parts: list[Evaluation]) -> Evaluation:
    return Evaluation(
        rows=sum(p.rows for p in parts),
        labelled_matches=sum(p.labelled_matches for p in parts),
        matches_made=sum(p.matches_made for p in parts),
        correct=sum(p.correct for p in parts),
        errors=pd.concat([p.errors for p in parts], ignore_index=True),
    )


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
    errors["kind"] = [miss_kind(resolved.loc[i]) for i in errors.index]
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


def format_sources(evaluations: list[SourceEvaluation], title: str) -> str:
    """A table: one line per source and split with rows, positives, matches, precision and recall."""
    lines = [
        f"== {title}",
        f"{'source':42} {'split':5} {'rows':>5} {'pos':>5} {'made':>5} {'ok':>5} {'precision':>9} {'recall':>7}",
    ]
    for item in evaluations:
        e = item.evaluation
        lines.append(
            f"{item.source:42} {item.split:5} {e.rows:5} {e.labelled_matches:5} {e.matches_made:5} "
            f"{e.correct:5} {e.precision:9.3f} {e.recall:7.3f}"
        )
    return "\n".join(lines)


def misses_by_kind(evaluations: list[SourceEvaluation], split: str = "dev") -> pd.DataFrame:
    """The errors of one split with their kind and source, for the closing list of remaining misses."""
    frames = []
    for item in evaluations:
        if item.split == split and len(item.evaluation.errors):
            frames.append(item.evaluation.errors.assign(source=item.source))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Precision and recall of the institution matcher on a labelled set.")
    parser.add_argument("--labelled", type=Path, default=DEFAULT_LABELLED)
    parser.add_argument("--registry", type=Path, action="append", help="ROR dump (zip/json); repeatable")
    parser.add_argument("--overrides", type=Path, default=DEFAULT_OVERRIDES)
    parser.add_argument(
        "--show-misses",
        choices=("dev", "eval", "none"),
        default="dev",
        help="list the remaining errors of this split (default dev)",
    )
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="sweep the scored stage's threshold and margin on the dev split and print the table",
    )
    args = parser.parse_args(argv)
    registry = read_registries(args.registry or DEFAULT_REGISTRIES)
    labelled = read_labelled(args.labelled)
    if args.calibrate:
        from bilatrus_etl.institutions.calibrate import calibrate, format_calibration

        print(format_calibration(calibrate(registry, labelled)))
        return 0
    with_overrides = evaluate(labelled, Matcher.from_registry(registry, args.overrides))
    print(format_report(with_overrides, f"labelled set with overrides ({args.overrides})").split("\n  ")[0])
    print()
    sources = development_evaluations(registry, labelled, None)
    print(format_sources(sources, "development set per source, without overrides"))
    if args.show_misses != "none":
        misses = misses_by_kind(sources, args.show_misses)
        print()
        print(f"== remaining errors in the {args.show_misses} split, without overrides: {len(misses)}")
        if len(misses):
            kinds = misses["error"] + ": " + misses["kind"].str.replace(r" \(.*\)$", "", regex=True)
            for kind, count in kinds.value_counts().items():
                print(f"  {count:4}  {kind}")
        for row in misses.itertuples(index=False):
            print(
                f"  {row.source:24} {row.error:12} {row.name!r} ({row.city}) expected={_text(row.expected_ror_id, 'none')} "
                f"got={_text(row.ror_id, 'none')} [{row.method} {row.score}] {_text(row.ror_name, '')} -- {row.kind}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

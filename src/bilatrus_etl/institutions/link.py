"""Linking participants to institutions: match a table of participants, and write the warehouse's tables.

`resolve_frame` adds the match columns (ror_id, ror_name, method, score, institution_key, runner-up) to a
participants DataFrame and lets rows of one PIC agree; `resolve_csv` does it for an analyst's CSV (`bilatrus
resolve`). `build_institutions` writes `dim_ror_institution` from a ROR dump and `link_institutions` writes
`institution_link`: one link per organisation key, the strongest method of `MATCH_METHODS` among its
spellings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from bilatrus_etl.institutions import registry
from bilatrus_etl.institutions.matcher import Matcher
from bilatrus_etl.institutions.methods import MATCH_METHODS, MatchResult, ResolveError, strength
from bilatrus_etl.institutions.normalise import clean_text, institution_key, normalise_name
from bilatrus_etl.institutions.overrides import DEFAULT_OVERRIDES
from bilatrus_etl.warehouse import queries, tables

RESULT_COLUMNS: tuple[str, ...] = (
    "ror_id",
    "ror_name",
    "method",
    "score",
    "institution_key",
    "runner_up_ror_id",
    "runner_up_name",
    "runner_up_score",
)


def resolve_frame(frame: pd.DataFrame, matcher: Matcher, runner_up: bool = True) -> pd.DataFrame:
    """Add ror_id, ror_name, method, score and institution_key to a participants frame, and (unless
    `runner_up` is False) the runner-up: the best-scored other record (`Matcher.candidates`), which for an
    unmatched row is the record it came closest to.

    Columns read: name (required), city, country, pic, short_name (optional). Every other column is
    carried through. Rows left unmatched whose PIC was matched elsewhere in the frame get that match
    (method 'pic') when the frame's matched rows agree on it.
    """
    if "name" not in frame.columns:
        raise ResolveError(f"participants table lacks the column 'name' (it has: {', '.join(map(str, frame.columns))})")
    column = {
        c: frame[c] if c in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        for c in ("name", "city", "country", "pic", "short_name")
    }
    results = [
        matcher.match(n, c, k, p, s)
        for n, c, k, p, s in zip(
            column["name"], column["city"], column["country"], column["pic"], column["short_name"], strict=True
        )
    ]
    results = _propagate_pics(results, [clean_text(p) for p in column["pic"]])
    out = frame.copy()
    out["ror_id"] = [r.ror_id for r in results]
    out["ror_name"] = [matcher.record_name(r.ror_id) for r in results]
    out["method"] = [r.method for r in results]
    out["score"] = [r.score for r in results]
    out["institution_key"] = _institution_keys(results, column["name"], column["country"], column["pic"])
    if runner_up:
        runners = [
            next((c for c in matcher.candidates(n, c_, k, 3) if c.ror_id != r.ror_id), None)
            for n, c_, k, r in zip(column["name"], column["city"], column["country"], results, strict=True)
        ]
        out["runner_up_ror_id"] = [c.ror_id if c else None for c in runners]
        out["runner_up_name"] = [c.name if c else None for c in runners]
        out["runner_up_score"] = [c.score if c else None for c in runners]
    return out


def _propagate_pics(results: list[MatchResult], pics: list[str]) -> list[MatchResult]:
    """Unmatched rows of a PIC take the record its rows matched by name agree on (method 'pic')."""
    voted: dict[str, set[str]] = defaultdict(set)
    for result, pic in zip(results, pics, strict=True):
        method = MATCH_METHODS.get(result.method)
        if pic and result.ror_id and method is not None and method.by_name:
            voted[pic].add(result.ror_id)
    consensus = {pic: next(iter(ids)) for pic, ids in voted.items() if len(ids) == 1}
    return [
        MatchResult(consensus[pic], "pic", 100.0) if result.method == "none" and pic in consensus else result
        for result, pic in zip(results, pics, strict=True)
    ]


def _institution_keys(
    results: list[MatchResult], names: Iterable[Any], countries: Iterable[Any], pics: Iterable[Any]
) -> list[str]:
    names = [normalise_name(n) for n in names]
    countries = [clean_text(c).upper() for c in countries]
    pics = [clean_text(p) for p in pics]
    usual_name: dict[str, str] = {}
    by_pic: dict[str, Counter[str]] = defaultdict(Counter)
    for result, name, pic in zip(results, names, pics, strict=True):
        if pic and not result.ror_id and name:
            by_pic[pic][name] += 1
    for pic, counter in by_pic.items():
        usual_name[pic] = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[0][0]
    return [
        institution_key(result.ror_id, usual_name.get(pic, name) if pic else name, country)
        for result, name, country, pic in zip(results, names, countries, pics, strict=True)
    ]


_INPUT_ALIASES = {
    "name": ("name", "legal_name", "organisation_name", "organization_name"),
    "city": ("city",),
    "country": ("country", "country_code"),
    "pic": ("pic", "organisationid", "organizationid"),
    "short_name": ("short_name", "shortname", "legal_short_name"),
}


def resolve_csv(
    registry_paths: list[Path],
    input_csv: Path,
    output_csv: Path,
    overrides_path: str | Path | None = DEFAULT_OVERRIDES,
) -> pd.DataFrame:
    """Analyst entry point: match the participants of a CSV and write it back with the match columns.

    The input needs a `name` column; `city`, `country`, `pic` and `short_name` are used when present and
    every other column is carried through. The output adds ror_id (empty when none), ror_name, method,
    score and institution_key.
    """
    source = Path(input_csv)
    if not registry_paths:
        raise ResolveError("no ROR registry given; pass at least one --registry PATH (a ROR dump .zip or .json)")
    if not source.is_file():
        raise ResolveError(f"input file {source} does not exist")
    try:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ResolveError(f"input file {source} is not a readable CSV: {exc}") from exc
    renames: dict[str, str] = {}
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for canonical, aliases in _INPUT_ALIASES.items():
        if canonical in frame.columns:
            continue
        original = next((lower[a] for a in aliases if a in lower), None)
        if original is not None and original not in renames:
            renames[original] = canonical
    if "name" not in frame.columns and "name" not in renames.values():
        raise ResolveError(
            f"input file {source} has no column 'name' (it has: {', '.join(map(str, frame.columns)) or 'none'}); "
            "add a 'name' column holding the organisation names"
        )
    clashes = [column for column in RESULT_COLUMNS if column in frame.columns]
    if clashes:
        raise ResolveError(f"input file {source} already has column(s) {', '.join(clashes)}; rename them first")
    ror = registry.read_registries(registry_paths)
    matcher = Matcher.from_registry(ror, overrides_path)
    working = frame.rename(columns=renames)
    resolved = resolve_frame(working, matcher)
    resolved = resolved.rename(columns={new: old for old, new in renames.items()})
    for column in ("ror_id", "ror_name", "runner_up_ror_id", "runner_up_name"):
        resolved[column] = resolved[column].fillna("")
    output = Path(output_csv)
    output.parent.mkdir(parents=True, exist_ok=True)
    resolved.to_csv(output, index=False, encoding="utf-8")
    return resolved


# --- the warehouse tables ----------------------------------------------------------------------------


def build_institutions(con: duckdb.DuckDBPyConnection, registry_file: Path, focus_country: str = "RU") -> int:
    """Write `dim_ror_institution` (the focus country's ROR records) from a ROR dump (zip or JSON, schema v1 or v2);
    return its rows."""
    code = focus_country.upper()
    frame = registry.read_focus_registry(registry_file, code)
    tables.replace_from_frame(con, tables.DIM_ROR_INSTITUTION, "ror_frame", frame, "write_dim_ror_institution", code)
    return len(frame)


def links_by_org_key(resolved: pd.DataFrame) -> pd.DataFrame:
    """One link per organisation key: the strongest match among its spellings (ties: more participations)."""
    frame = resolved.assign(
        strength=resolved["method"].map(strength),
        institution_name=resolved["ror_name"].where(resolved["ror_id"].notna(), resolved["name"]),
    )
    frame = frame.sort_values(["org_key", "strength", "score", "participations"], ascending=[True, False, False, False])
    best = frame.drop_duplicates("org_key", keep="first")
    columns = [
        "org_key",
        "ror_id",
        "institution_key",
        "institution_name",
        "method",
        "score",
        "runner_up_ror_id",
        "runner_up_score",
    ]
    for column in ("runner_up_ror_id", "runner_up_score"):
        if column not in best.columns:
            best = best.assign(**{column: None})
    return best[columns].reset_index(drop=True)


def link_institutions(con: duckdb.DuckDBPyConnection, country: str = "RU") -> pd.DataFrame:
    """Write `institution_link` for the focus country's participants from `dim_ror_institution`; return the links."""
    participants = queries.run(con, "participants_to_resolve", focus_country=country).df()
    ror = queries.run(con, "institutions_for_matching").df()
    matcher = Matcher.from_registry(ror)
    links = links_by_org_key(resolve_frame(participants, matcher))
    tables.replace_from_frame(con, tables.INSTITUTION_LINK, "links_frame", links, "write_institution_link")
    return links

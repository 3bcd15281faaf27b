"""Institution lookup (`bilatrus institution NAME`): the profile of the institution a name best matches.

Names searched: each mart_institution_profile row's display name, CORDIS name variants and short names, and,
for institutions matched to ROR, the registry's names, aliases, acronyms and labels (dim_ror_institution, or
dim_ru_institution in older warehouses), plus acronyms spelt from Russian names. A match must contain every
distinctive word of the query (`unmatched_words`): "nansen centre" never answers with another research centre.
When nothing matches, the message names the ROR records that match but have no participation in the warehouse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from rapidfuzz import fuzz, process

from bilatrus_etl.analyst.catalog import SYNTHETIC_WARNING, built_from_synthetic, table_columns
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.institutions.alignment import distinctive_words, words_align
from bilatrus_etl.institutions.normalise import derived_acronyms, match_key, normalise_name
from bilatrus_etl.institutions.ror_schema import short_ror_id
from bilatrus_etl.warehouse.publish import open_readonly, table_names

PROFILE_MODEL = "mart_institution_profile"
PROFILE_MIN_SCORE = 75.0  # rapidfuzz WRatio (0-100) a name must reach to count as a match
PROFILE_CANDIDATES = 4  # other close candidates listed under the profile
# The ROR registry table: dim_ror_institution (dim_ru_institution in warehouses built before the focus country).
_REGISTRY_TABLES = ("dim_ror_institution", "dim_ru_institution")
# ROR registry columns shown in a profile and used for matching, where the registry table has them.
_ROR_COLUMNS = (
    "ror_id",
    "display_name",
    "name_en",
    "name_ru",
    "aliases",
    "acronyms",
    "labels",
    "types",
    "city",
    "established",
    "status",
)
_ROR_NAME_COLUMNS = ("display_name", "name_en", "name_ru", "aliases", "acronyms", "labels")


def _ror_records(con: duckdb.DuckDBPyConnection, tables: set[str], ror_ids: set[str] | None) -> dict[str, dict]:
    """Registry records (dim_ror_institution, or the older dim_ru_institution; the columns of _ROR_COLUMNS it has) by
    bare ROR id: the given ids, or all (None)."""
    table = next((t for t in _REGISTRY_TABLES if t in tables), None)
    if table is None or ror_ids == set():
        return {}
    present = [c for c in _ROR_COLUMNS if c in table_columns(con, table)]
    if "ror_id" not in present:
        return {}
    select = ", ".join(f'"{c}"' for c in present)
    if ror_ids is None:
        rows = con.execute(f"SELECT {select} FROM {table}")
    else:
        rows = con.execute(f"SELECT {select} FROM {table} WHERE ror_id IN (SELECT unnest(?))", [sorted(ror_ids)])
    names = [d[0] for d in rows.description]
    return {short_ror_id(r[0]) or "": dict(zip(names, r)) for r in rows.fetchall()}


def _as_list(value: object) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v is not None and v != ""]
    return [value]


def _rank_candidates(
    query_text: str, entries: list[dict], ror: dict[str, dict], min_score: float
) -> list[tuple[float, str, dict]]:
    """(score, matched name, entry) for every institution whose best name scores >= min_score, best first."""

    def norm(text: str) -> str:
        return normalise_name(text) or " ".join(str(text).casefold().split())

    wanted = norm(query_text)
    raw = query_text.strip().casefold()
    texts: list[str] = []
    owners: list[int] = []
    for position, entry in enumerate(entries):
        names = [entry["display_name"], *_as_list(entry["name_variants"]), *_as_list(entry["short_names"])]
        record = ror.get(short_ror_id(entry["ror_id"]) or "") if entry["ror_id"] else None
        if record:
            for column in _ROR_NAME_COLUMNS:
                names.extend(_as_list(record.get(column)))
            names.extend(derived_acronyms(str(n) for n in names if n))  # "МГУ" from the Russian name
        for name in dict.fromkeys(str(n) for n in names if n):
            texts.append(name)
            owners.append(position)
    best: dict[int, tuple[float, str]] = {}
    # identifiers typed as such (an institution key, a ROR id or URL) match exactly
    for position, entry in enumerate(entries):
        idents = {str(entry["institution_key"]).casefold()}
        if entry["ror_id"]:
            idents |= {str(entry["ror_id"]).casefold(), (short_ror_id(entry["ror_id"]) or "").casefold()}
        if raw in idents:
            best[position] = (100.0, str(entry["institution_key"]))
    if wanted:
        matches = process.extract(
            wanted, [norm(t) for t in texts], scorer=fuzz.WRatio, limit=None, score_cutoff=min_score
        )
        for _, score, index in matches:
            position = owners[index]
            if score > best.get(position, (-1.0, ""))[0]:
                best[position] = (float(score), texts[index])
    ranked = [(score, name, entries[position]) for position, (score, name) in best.items()]
    ranked.sort(key=lambda item: (-item[0], -(item[2]["participations"] or 0), str(item[2]["display_name"])))
    return ranked


def unmatched_words(wanted: str, matched: str) -> set[str]:
    """The query's distinctive words (not "institute", "centre", "state", ...) that the matched name lacks.

    A lookup whose distinctive words are not all in the name it found is a poor match, not an answer:
    "nansen centre" must not be answered with another research centre."""
    wanted_words = distinctive_words(match_key(wanted))
    matched_key = match_key(matched)
    found = set(matched_key.split()) | {matched_key.replace(" ", "")}
    return {word for word in wanted_words if not words_align(word, found)}


def _count(value: object) -> str:
    return "0" if value is None else f"{value:,}"


def _join(values: object, sep: str = ", ", empty: str = "-") -> str:
    items = [str(v) for v in _as_list(values)]
    return sep.join(items) if items else empty


def _ror_url(ror_id: str) -> str:
    return ror_id if ror_id.lower().startswith("http") else f"https://ror.org/{ror_id}"


def _profile_lines(row: dict, record: dict | None) -> list[str]:
    """The readable profile of one mart_institution_profile row (with its dim_ror_institution record, if any)."""
    lines: list[str] = []

    def add(label: str, text: str) -> None:
        lines.append(f"  {label:<20}{text}")

    title = str(row["display_name"])
    lines += [title, "=" * min(len(title), 100)]
    add("Institution key", str(row["institution_key"]))
    add("Country", str(row["focus_country"]))
    if row["ror_id"]:
        methods = _join(row["match_methods"], empty="")
        add("ROR", _ror_url(str(row["ror_id"])) + (f" (linked by {methods})" if methods else ""))
        if record:
            if record.get("name_ru"):
                add("Russian name", str(record["name_ru"]))
            if record.get("name_en") and record["name_en"] != row["display_name"]:
                add("English name", str(record["name_en"]))
            if _as_list(record.get("acronyms")):
                add("Acronyms", _join(record["acronyms"]))
            if _as_list(record.get("aliases")):
                add("Aliases", _join(_as_list(record["aliases"])[:5], "; "))
            if _as_list(record.get("types")):
                add("ROR types", _join(record["types"]))
            extra = [f"{k} {record[k]}" for k in ("city", "established", "status") if record.get(k)]
            if extra:
                add("ROR record", ", ".join(extra))
    else:
        add("ROR", "not matched")
    add("Names in CORDIS", _join(row["name_variants"], "; "))
    if _as_list(row["short_names"]):
        add("Short names", _join(row["short_names"]))
    keys = _as_list(row["organisation_keys"])
    shown_keys = ", ".join(str(k) for k in keys[:8]) + (f", ... ({len(keys) - 8} more)" if len(keys) > 8 else "")
    add("Organisation keys", f"{_count(row['organisations'])} ({shown_keys})")
    add("Organisation type", _join(row["activity_types"]))
    place = [v for v in (row["federal_subject"], row["federal_district"]) if v]
    add("City", (row["city"] or "-") + (f" ({', '.join(place)})" if place else ""))
    add("Programmes", _join(row["programmes"]))
    years = f"{row['first_year']}-{row['last_year']}" if row["first_year"] is not None else "-"
    add("Years", f"{years} (project start years)")
    add("Projects", _count(row["projects"]))
    fractional = row["participations_fractional"]
    add(
        "Participations",
        _count(row["participations"]) + (f" (fractional {fractional:.2f})" if fractional is not None else ""),
    )
    add(
        "Coordinations",
        f"{_count(row['coordinations'])} of collaborative projects, "
        f"{_count(row['single_beneficiary_coordinations'])} single-beneficiary grants (ERC, fellowships)",
    )
    roles = [f"{r['role']} {r['participations']:,}" for r in _as_list(row["roles"])]
    add("Roles", ", ".join(roles) or "-")
    ec = row["ec_contribution"]
    ec_text = "not reported" if ec is None else f"EUR {ec:,.0f}"
    not_reported = row["ec_not_reported_participations"] or 0
    add(
        "EC contribution",
        ec_text + f" (funded participations {_count(row['funded_participations'])}, unfunded "
        f"{_count(row['unfunded_participations'])}, not reported {not_reported:,}"
        + ("; FP6 reports no per-participant contribution)" if not_reported else ")"),
    )
    themes = [f"{t['theme_name']} ({t['participations']:,})" for t in _as_list(row["top_themes"])]
    add("Top themes", "; ".join(themes) or "-")
    partners = _as_list(row["top_partners"])
    if partners:
        for rank, partner in enumerate(partners, start=1):
            name = partner["name"] or partner["institution_key"]
            country = f" ({partner['country_code']})" if partner["country_code"] else ""
            projects = partner["joint_projects"]
            add(
                "Top partners" if rank == 1 else "",
                f"{rank:>2}. {name}{country}: {projects:,} joint project{'s' if projects != 1 else ''}",
            )
    else:
        add("Top partners", "-")
    countries = [f"{c['country_code']} {c['joint_projects']:,}" for c in _as_list(row["top_partner_countries"])]
    add("Partner countries", (", ".join(countries) + " (joint projects)") if countries else "-")
    return lines


def _no_match_message(
    con: duckdb.DuckDBPyConnection,
    tables: set[str],
    wanted: str,
    min_score: float,
    path: Path | str,
    lead: str | None = None,
) -> str:
    """Why nothing matched; names the ROR records that match but have no participation in the warehouse."""
    message = lead or (
        f"No institution of {PROFILE_MODEL} in {path} matches {wanted!r} (no name scores {min_score:.0f} or more "
        f"of 100). Try another spelling, an acronym (e.g. MSU) or one distinctive word of the name."
    )
    registry = _ror_records(con, tables, None)
    entries: list[dict[str, Any]] = [
        {
            "institution_key": ror_id,
            "display_name": r.get("display_name") or ror_id,
            "ror_id": ror_id,
            "name_variants": [],
            "short_names": [],
            "participations": 0,
        }
        for ror_id, r in registry.items()
    ]
    known = [k for k in _rank_candidates(wanted, entries, registry, min_score) if not unmatched_words(wanted, k[1])][:3]
    if known:
        names = "; ".join(f"{e['display_name']} (ROR {e['ror_id']})" for _, _, e in known)
        message += (
            f" The ROR registry (dim_ror_institution) knows {names}, but no participation in this warehouse is "
            f"linked to {'it' if len(known) == 1 else 'them'}."
        )
    return message


def institution_profile(
    path: Path | str, name: str, *, limit: int = PROFILE_CANDIDATES, min_score: float = PROFILE_MIN_SCORE
) -> str:
    """A readable profile of the institution whose name best matches `name` (rapidfuzz), from the published warehouse.

    Names searched: each profile's display name, CORDIS name variants and short names, and, for institutions
    matched to ROR, the registry's names, aliases, acronyms and labels (dim_ror_institution); an institution key or
    ROR id matches exactly. Up to `limit` other candidates scoring at least `min_score` are listed under the
    profile. The first line warns when the warehouse holds synthetic data (meta_build.synthetic).
    """
    wanted = (name or "").strip()
    if not wanted:
        raise BilatrusError("Give an institution name to look for, e.g. `bilatrus institution Lomonosov`.")
    if limit < 0:
        raise BilatrusError(f"limit must be 0 or more, not {limit}.")
    con = open_readonly(path)
    try:
        tables = table_names(con)
        if PROFILE_MODEL not in tables:
            raise BilatrusError(
                f"The warehouse {path} has no {PROFILE_MODEL} table: it was built before institution profiles "
                f"existed or the build did not finish. Rebuild and publish it (`bilatrus run`, or `make demo`)."
            )
        synthetic = built_from_synthetic(con, tables)
        entries = [
            dict(
                zip(("institution_key", "display_name", "ror_id", "name_variants", "short_names", "participations"), r)
            )
            for r in con.execute(
                f"SELECT institution_key, display_name, ror_id, name_variants, short_names, participations FROM {PROFILE_MODEL}"
            ).fetchall()
        ]
        if not entries:
            raise BilatrusError(
                f"{PROFILE_MODEL} in {path} is empty: the warehouse holds no institution of the focus country."
            )
        ror_ids = {ident for e in entries if e["ror_id"] and (ident := short_ror_id(e["ror_id"]))}
        ror = _ror_records(con, tables, ror_ids)
        ranked = _rank_candidates(wanted, entries, ror, min_score)
        if not ranked:
            raise BilatrusError(_no_match_message(con, tables, wanted, min_score, path))
        score, matched, best = ranked[0]
        missing = unmatched_words(wanted, matched)
        if missing:
            closest = "; ".join(f"{e['display_name']} (score {s:.0f})" for s, _, e in ranked[: 1 + limit])
            lead = (
                f"No clear match for {wanted!r} in {PROFILE_MODEL} of {path}: the closest names lack "
                f"{', '.join(repr(w) for w in sorted(missing))}, so none is given as the answer. Closest "
                f"candidates: {closest}. Try another spelling or more of the name."
            )
            raise BilatrusError(_no_match_message(con, tables, wanted, min_score, path, lead))
        cursor = con.execute(f"SELECT * FROM {PROFILE_MODEL} WHERE institution_key = ?", [best["institution_key"]])
        columns = [d[0] for d in cursor.description]
        row = dict(zip(columns, cursor.fetchall()[0]))
    finally:
        con.close()
    record = ror.get(short_ror_id(row["ror_id"]) or "") if row["ror_id"] else None
    lines = [SYNTHETIC_WARNING, ""] if synthetic else []
    lines += _profile_lines(row, record)
    lines += ["", f"Best match for {wanted!r}: {matched!r} (score {score:.0f}/100)."]
    others = ranked[1 : 1 + limit]
    if others:
        lines.append("Other candidates:")
        lines += [
            f"  {s:5.1f}  {e['display_name']}  [{e['institution_key']}, {_count(e['participations'])} participations]"
            for s, _, e in others
        ]
    return "\n".join(lines)

"""Focus-country institutions in the warehouse: the ROR registry table and the organisation -> institution links."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from bilatrus_etl.warehouse import queries
from bilatrus_etl.institutions import registry
from bilatrus_etl.institutions import resolve
from bilatrus_etl import warehouse

INSTITUTION_DESCRIPTION = (
    "Organisations of the focus country in the ROR registry with their parents and children: names (English, "
    "Russian and every other name with its language), aliases, acronyms, types, cities, coordinates, status, "
    "established, external ids. Formerly dim_ru_institution."
)
INSTITUTION_COLUMNS: dict[str, str] = {
    "ror_id": "ROR identifier (bare, e.g. 010pmpe69)",
    "display_name": "the registry's display name",
    "name_en": "English name",
    "name_ru": "Russian name",
    "aliases": "other names",
    "acronyms": "acronyms",
    "labels": "every name of the record (labels in all languages)",
    "types": "ROR organisation types (education, facility, funder, ...)",
    "city": "city (GeoNames)",
    "lat": "latitude",
    "lon": "longitude",
    "country_code": "ISO 3166 alpha-2 country code",
    "status": "active, inactive or withdrawn",
    "established": "year established",
    "external_ids": "external identifiers (GRID, ISNI, Wikidata, FundRef) as JSON",
    "parent_ror_ids": "ROR ids of parent organisations",
    "child_ror_ids": "ROR ids of child organisations",
    "successor_ror_ids": "ROR ids of successors (for inactive or withdrawn records)",
    "related_ror_ids": "ROR ids of related organisations",
    "parent_ror_id": "the first parent's ROR id",
    "grid_id": "GRID identifier",
    "wikidata_id": "Wikidata identifier",
    "schema_version": "ROR schema version of the source record (1 or 2)",
    "source_file": "file the record was read from",
    "names": "every name of the record: value, types (ror_display, label, alias, acronym) and language",
    "cities": "every city of the record's locations (v2) or addresses (v1)",
    "focus_country": "the focus country (BILATRUS_FOCUS_COUNTRY) the table was built for",
}
# Columns the matching step adds to institution_link (the empty table of warehouse.ensure_institution_link
# has only the first six).
RUNNER_UP_COLUMNS: dict[str, str] = {
    "runner_up_ror_id": "the best-scored other ROR record (for an unmatched organisation: the closest one), for review",
    "runner_up_score": "its score (Matcher.candidates: token set and sort ratios, less a city disagreement penalty)",
}
_METHOD_STRENGTH = {
    "override": 6, "pic": 5, "exact": 4, "acronym+city": 3, "fuzzy+city": 3, "prefix": 2, "scored": 2, "fuzzy": 2, "none": 0,
}


def build_institutions(con: duckdb.DuckDBPyConnection, registry_file: Path, focus_country: str = "RU") -> int:
    """Write `dim_ror_institution` (the focus country's ROR records) from a ROR dump (zip or JSON, schema v1 or v2);
    return its rows."""
    code = focus_country.upper()
    frame = registry.read_focus_registry(registry_file, code)
    con.register("ror_frame", frame)
    try:
        queries.run(con, "write_dim_ror_institution", {"focus_country": code})
    finally:
        con.unregister("ror_frame")
    warehouse.describe_table(con, "dim_ror_institution", INSTITUTION_DESCRIPTION, INSTITUTION_COLUMNS)
    return len(frame)


def links_by_org_key(resolved: pd.DataFrame) -> pd.DataFrame:
    """One link per organisation key: the strongest match among its spellings (ties: more participations)."""
    frame = resolved.assign(
        strength=resolved["method"].map(_METHOD_STRENGTH).fillna(0),
        institution_name=resolved["ror_name"].where(resolved["ror_id"].notna(), resolved["name"]),
    )
    frame = frame.sort_values(["org_key", "strength", "score", "participations"], ascending=[True, False, False, False])
    best = frame.drop_duplicates("org_key", keep="first")
    columns = ["org_key", "ror_id", "institution_key", "institution_name", "method", "score",
               "runner_up_ror_id", "runner_up_score"]
    for column in ("runner_up_ror_id", "runner_up_score"):
        if column not in best.columns:
            best = best.assign(**{column: None})
    return best[columns].reset_index(drop=True)


def link_institutions(con: duckdb.DuckDBPyConnection, country: str = "RU") -> pd.DataFrame:
    """Write `institution_link` for the focus country's participants from `dim_ror_institution`; return the links."""
    participants = queries.run(con, "participants_to_resolve", {"country": country.upper()}).df()
    ror = queries.run(con, "institutions_for_matching").df()
    matcher = resolve.Matcher.from_registry(ror)
    links = links_by_org_key(resolve.resolve_frame(participants, matcher))
    con.register("links_frame", links)
    try:
        queries.run(con, "write_institution_link")
    finally:
        con.unregister("links_frame")
    warehouse.describe_table(
        con, "institution_link", warehouse.INSTITUTION_LINK_DESCRIPTION,
        {**warehouse.INSTITUTION_LINK_COLUMNS, **RUNNER_UP_COLUMNS},
    )
    return links

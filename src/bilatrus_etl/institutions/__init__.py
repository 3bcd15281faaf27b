"""Focus-country institutions in the warehouse: the ROR registry table and the organisation -> institution links."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from bilatrus_etl.warehouse import queries
from bilatrus_etl.institutions import registry
from bilatrus_etl.institutions import resolve
from bilatrus_etl.warehouse import tables

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
    tables.describe(con, tables.DIM_ROR_INSTITUTION)
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
    tables.describe(con, tables.INSTITUTION_LINK)
    return links

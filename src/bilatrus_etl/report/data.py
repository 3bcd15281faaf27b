"""What the report shows, read from the published warehouse (marts and dims) through named queries.

Every query is a file of sql/queries/ named `report_*`; `collect(con)` runs them and returns plain JSON-ready
Python values (the same values the pages show and embed as their data block). Institution data (the knowledge
base pages) comes from `report_institution_*` queries only, so a renamed registry table is one edit there.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import duckdb

from bilatrus_etl.settings import PROGRAMMES
from bilatrus_etl.warehouse import queries
from bilatrus_etl.warehouse.publish import table_names

SUSPENSION_DATE = dt.date(2022, 3, 1)
TOP_THIRD_COUNTRIES = 10
TOP_PARTNER_COUNTRIES = 15
TOP_INSTITUTIONS = 25
NETWORK_NODES = 60
CENTRALITY_ROWS = 20
INSTITUTION_PARTNERS = 20
#: Tables the report reads; a warehouse without one of these cannot give a report.
REQUIRED_TABLES = (
    "meta_build",
    "mart_country_participation",
    "mart_third_country_ranking",
    "mart_theme_profile",
    "mart_partner_countries",
    "mart_regions",
    "mart_institutions",
    "mart_institution_profile",
    "mart_institution_partners",
    "mart_collaboration_network",
    "mart_collaboration_edges",
    "fact_participation",
    "dim_project",
    "dim_country",
)
#: Optional tables: without them the matching section says so instead of failing.
OPTIONAL_TABLES = ("meta_download_provenance", "dim_ror_institution")


_PLAIN = frozenset({str, int, bool})


def jsonable(value: Any) -> Any:
    """A DuckDB value as JSON: decimals and floats as floats (NaN as None), dates as ISO text."""
    if value is None or type(value) in _PLAIN:  # most values: returned as they are, without the checks below
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [{n: jsonable(v) for n, v in zip(names, row)} for row in cursor.fetchall()]


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object] | None = None) -> list[dict[str, Any]]:
    return records(queries.run(con, name, params))


def with_changes(programmes: list[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each programme's row with `change_<field>`: the relative change from the programme before (None first,
    or where either value is missing or the earlier one is 0)."""
    out, previous = [], None
    for row in programmes:
        row = dict(row)
        for field in fields:
            before: Any = previous.get(field) if previous else None
            now = row.get(field)
            row[f"change_{field}"] = (now - before) / before if before and now is not None else None
        out.append(row)
        previous = row
    return out


def by_programme(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["framework_programme"], []).append(row)
    order = {p: i for i, p in enumerate(PROGRAMMES)}
    return dict(sorted(grouped.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])))


HEADLINE_FIELDS = (
    "participations",
    "participations_fractional",
    "projects",
    "organisations",
    "coordinations",
    "ec_contribution",
    "ec_contribution_fractional",
)


def collect(con: duckdb.DuckDBPyConnection, active: list[dict[str, Any]]) -> dict[str, Any]:
    """Every figure of the landscape page. `active` are the mart_active_projects rows on SUSPENSION_DATE."""
    present = table_names(con)
    build = run(con, "report_build")
    build_row = build[0] if build else {"built_at": None, "focus_country": "RU", "synthetic": False}
    programmes = with_changes(run(con, "report_programmes"), HEADLINE_FIELDS)
    top_nodes = run(con, "report_network_nodes", {"top": NETWORK_NODES})
    keys = [n["institution_key"] for n in top_nodes]
    return {
        "focus_country": build_row["focus_country"],
        "built_at": build_row["built_at"],
        "synthetic": bool(build_row["synthetic"]),
        "package_version": build_row.get("package_version"),
        "vintage": run(con, "report_vintage") if "meta_download_provenance" in present else [],
        "programmes": programmes,
        "ranking": by_programme(run(con, "report_ranking", {"top": TOP_THIRD_COUNTRIES})),
        "years": run(con, "report_years"),
        "themes": run(con, "report_themes"),
        "partner_countries": by_programme(run(con, "report_partner_countries", {"top": TOP_PARTNER_COUNTRIES})),
        "regions": by_programme(run(con, "report_regions")),
        "top_institutions": run(con, "report_top_institutions", {"top": TOP_INSTITUTIONS}),
        "network": {
            "summary": run(con, "report_network_summary")[0],
            "nodes": top_nodes,
            "edges": run(con, "report_network_edges", {"keys": keys}) if keys else [],
            "centrality": sorted(top_nodes, key=lambda n: (-(n["betweenness"] or 0), n["institution_key"]))[
                :CENTRALITY_ROWS
            ],
        },
        "active_on": SUSPENSION_DATE.isoformat(),
        "active_projects": active,
    }


def institutions(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every institution of the focus country with its profile, registry record, projects and partners."""
    profiles = (
        run(con, "report_institution_profiles")
        if "dim_ror_institution" in table_names(con)
        else [
            {
                **row,
                "ror_name_ru": None,
                "ror_acronyms": None,
                "ror_aliases": None,
                "ror_types": None,
                "ror_parent_id": None,
                "ror_parent_name": None,
                "ror_established": None,
                "ror_status": None,
            }
            for row in run(con, "report_institution_profiles_without_registry")
        ]
    )
    projects: dict[str, list[dict[str, Any]]] = {}
    for row in run(con, "report_institution_projects"):
        projects.setdefault(row["institution_key"], []).append(row)
    partners: dict[str, list[dict[str, Any]]] = {}
    for row in run(con, "report_institution_partners", {"top": INSTITUTION_PARTNERS}):
        partners.setdefault(row["institution_key"], []).append(row)
    for profile in profiles:
        profile["projects_list"] = projects.get(profile["institution_key"], [])
        profile["partners_list"] = partners.get(profile["institution_key"], [])
    return profiles

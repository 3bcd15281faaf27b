"""The institution steps of a run: read the ROR registry into dim_ror_institution and link the focus country's
participants to institutions (institution_link), reporting progress. The Dagster assets in
pipelines/defs/institutions.py are thin wrappers of these; the reading and matching are the rest of this package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from bilatrus_etl import progress
from bilatrus_etl.imports import LARGE_IMPORTS
from bilatrus_etl.ingest.steps import latest_fetched
from bilatrus_etl.settings import Settings


def registry_path(settings: Settings) -> Path:
    """The ROR dump's registry file: the extracted JSON member when there is one, else the downloaded file."""
    fetched = latest_fetched(settings, "ror_dump")
    return next(iter(fetched.members.values()), fetched.path)


def build_institutions(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    """Write dim_ror_institution from the latest ROR dump; return its rows."""
    with LARGE_IMPORTS:  # pandas and the matcher, while GX may be importing on another thread
        from bilatrus_etl.institutions import link

    with progress.step("read ROR registry"):
        rows = link.build_institutions(con, registry_path(settings), settings.focus_country)
    progress.done("read ROR registry", f"{rows:,} institutions of {settings.focus_country}")
    return rows


def link_institutions(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, Any]:
    """Write institution_link for the focus country's participants; return counts by outcome and method."""
    with LARGE_IMPORTS:
        from bilatrus_etl.institutions import link

    step = f"match {settings.focus_country} participants to institutions"
    with progress.step(step):
        links = link.link_institutions(con, settings.focus_country)
    matched = int(links["ror_id"].notna().sum())
    progress.done(step, f"{matched:,} of {len(links):,} matched")
    return {
        "rows": len(links),
        "matched": matched,
        "unmatched": len(links) - matched,
        "by_method": {str(k): int(v) for k, v in links["method"].value_counts().items()},
    }

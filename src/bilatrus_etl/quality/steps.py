"""The validation steps of a run: validate one table with its suite and record the run; rebuild the Data Docs.

Moved unchanged from the old warehouse/steps.py; the Dagster asset checks (pipelines/defs/checks.py) call these.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from bilatrus_etl import progress
from bilatrus_etl.settings import Settings

if TYPE_CHECKING:  # imported lazily where used: Great Expectations alone costs seconds
    from bilatrus_etl import quality


def validate(
    con: duckdb.DuckDBPyConnection, settings: Settings, table: str, run_id: str | None = None
) -> "quality.ValidationOutcome":
    """Validate one table with its suite, record the run (with `run_id`, the Dagster run), rebuild the Data Docs."""
    from bilatrus_etl import quality

    with progress.step(f"validate {table}"):
        outcome = quality.validate_table(con, table, data_docs_dir=settings.docs_dir / "gx", docs_policy="on_failure")
        quality.record_validation_run(con, outcome, run_id=run_id)
        progress.fault_point("validate")
    verdict = "passed" if outcome.success else ("warnings" if outcome.passed_errors else "FAILED")
    progress.done(f"validate {table}", f"{verdict} ({outcome.evaluated} expectations)")
    return outcome


def build_data_docs(settings: Settings) -> Path | None:
    """Rebuild the Great Expectations Data Docs site once from every stored validation result."""
    from bilatrus_etl import quality

    folder = settings.docs_dir / "gx"
    if not folder.exists():
        return None
    return quality.build_data_docs(folder)

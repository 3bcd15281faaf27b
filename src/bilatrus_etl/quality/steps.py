"""The validation steps of a run: validate one table with its suite and record the run; rebuild the Data Docs.

The Dagster asset checks (pipelines/defs/checks.py) call these.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from bilatrus_etl import progress
from bilatrus_etl.settings import Settings

if TYPE_CHECKING:  # imported lazily where used: Great Expectations alone costs seconds
    from bilatrus_etl.quality.report import ValidationOutcome


def validate(
    con: duckdb.DuckDBPyConnection, settings: Settings, table: str, run_id: str | None = None
) -> ValidationOutcome:
    """Validate one table with its suite, record the run (with `run_id`, the Dagster run), rebuild the Data Docs."""
    from bilatrus_etl.quality.report import record_validation_run
    from bilatrus_etl.quality.validate import validate_table

    with progress.step(f"validate {table}"):
        outcome = validate_table(
            con, table, data_docs_dir=settings.docs_dir / "gx", docs_policy="on_failure", run_name=run_id
        )
        record_validation_run(con, outcome, run_id=run_id)
        progress.fault_point("validate")
    verdict = "passed" if outcome.success else ("warnings" if outcome.passed_errors else "FAILED")
    progress.done(f"validate {table}", f"{verdict} ({outcome.evaluated} expectations)")
    return outcome


def build_data_docs(settings: Settings) -> Path | None:
    """Rebuild the Great Expectations Data Docs site once from every stored validation result."""
    from bilatrus_etl.quality import docs

    folder = settings.docs_dir / "gx"
    if not folder.exists():
        return None
    return docs.build_data_docs(folder)

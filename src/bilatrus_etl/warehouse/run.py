"""The warehouse steps of a run: run one SQL model on the build file with the installation's variables, and stamp,
document, record the vintage of and publish the build.

The Dagster assets in pipelines/defs (models, publish) are thin wrappers of these.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from bilatrus_etl import progress
from bilatrus_etl.ingest.steps import current_sources, mirror_is_synthetic
from bilatrus_etl.resources import REFERENCE_DIR
from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse import meta
from bilatrus_etl.warehouse.models import load_models, run_model, set_variables
from bilatrus_etl.warehouse.publish import publish, take_back
from bilatrus_etl.warehouse.versions import code_fingerprint

if TYPE_CHECKING:  # the report (jinja2, matplotlib) is imported by the publish that writes one
    from bilatrus_etl.report import PreparedReport, ReportResult


def model_variables(settings: Settings) -> dict[str, object]:
    """Session variables the SQL models read with getvariable()."""
    return {"focus_country": settings.focus_country, "reference_dir": str(REFERENCE_DIR)}


def run_sql_model(con: duckdb.DuckDBPyConnection, settings: Settings, name: str) -> int:
    """Run one SQL model against the build file with the installation's variables; return its row count."""
    set_variables(con, model_variables(settings))
    model = load_models()[name]
    rows = run_model(con, model)
    progress.fault_point(model.layer)
    return rows


def publish_build(
    settings: Settings,
    build_path: str | Path,
    run_id: str | None = None,
    *,
    report_dir: Path | None = None,
    hand_over: bool = False,
) -> dict[str, Any]:
    """Stamp the build (meta_build, data dictionary), keep only this run's meta rows, record
    the vintage history, publish it atomically.
    `run_id` is the Dagster run that built the warehouse. With `hand_over` (the caller's last use of the build
    file: the run's last step, its database instance closed), the build file itself becomes the published file
    when nothing in this process has it open, instead of a copy (`publish.publish`).
    With `report_dir`, the landscape report of what is published is written there too: its figures are read off
    the stamped build (the tables the published file will hold), its pages rendered while DuckDB records the
    vintage (rendering is Python, the recording mostly DuckDB's own threads), and the new report is swapped in once
    the warehouse is published; if the publish fails it is discarded, so the report in place always describes the
    warehouse in place. A report that fails leaves the publish done: its error is returned as `report_error`."""
    from bilatrus_etl.quality.steps import build_data_docs
    from bilatrus_etl.warehouse import dictionary
    from bilatrus_etl.warehouse.tables import RETIRED_TABLES, drop_retired_tables
    from bilatrus_etl.warehouse.vintages.record import record

    datasets = current_sources(settings)
    synthetic = mirror_is_synthetic(settings)
    report_job: Future[PreparedReport] | None = None
    report_read = threading.Event()
    try:
        with progress.step("publish"), ThreadPoolExecutor(2, thread_name_prefix="publish") as background:
            # The Data Docs site is rendered by GX in Python while DuckDB records the vintage (it releases the GIL).
            data_docs = background.submit(build_data_docs, settings)
            take_back(build_path)  # the build handed over by the last publish is written as a copy of its own
            con = duckdb.connect(str(build_path))
            try:
                set_variables(con, model_variables(settings))
                retired = drop_retired_tables(con)
                meta.record_build_info(con, settings, datasets, synthetic, run_id)
                meta.record_provenance(con, settings, run_id)
                meta.keep_run_rows(con, run_id)
                if report_dir is not None:
                    report_job = background.submit(_prepare_report, con.cursor(), build_path, report_dir, report_read)
                history = record(
                    con,
                    settings,
                    datasets=datasets,
                    synthetic=synthetic,
                    code_fingerprint=code_fingerprint(),
                    run_id=run_id,
                )
                meta.describe_meta_tables(con)
                docs = dictionary.build(con, settings.docs_dir / "data-dictionary.md", strict=True)
            finally:
                if report_job is not None:
                    report_read.wait()  # the report's reads end before the build is checkpointed and copied
                con.close()
            data_docs.result()
            progress.fault_point("publish")
            result = publish(build_path, settings.warehouse_path, settings.previous_warehouse_path, hand_over=hand_over)
    except BaseException:
        # nothing was published: a report rendered for it is removed, the report in place stays
        if report_job is not None and report_job.done() and report_job.exception() is None:
            report_job.result().discard()
        raise
    report, report_error = _install_report(report_job)
    dropped = "".join(f"; dropped {name} (now {RETIRED_TABLES[name]})" for name in retired)
    progress.done("publish", f"{result.tables} tables -> {result.published_path}{dropped}")
    return {
        "warehouse": result.published_path,
        "tables": result.tables,
        "bytes": result.bytes,
        "published_by": result.method,
        "synthetic": synthetic,
        "dictionary": settings.docs_dir / "data-dictionary.md",
        "documented_tables": len(docs),
        "vintage_recorded": history.recorded.label if history.recorded else None,
        "vintages": len(history.vintages),
        "retired_tables": retired,
        "report": report,
        "report_error": report_error,
    }


def _prepare_report(
    cursor: duckdb.DuckDBPyConnection, build_path: str | Path, report_dir: Path, read: threading.Event
) -> PreparedReport:
    """The report's figures read on `cursor` (then closed, and `read` set), its pages rendered beside `report_dir`."""
    from bilatrus_etl import report

    try:
        figures, profiles = report.read_figures(cursor, str(build_path))
    finally:
        cursor.close()
        read.set()
    return report.prepare_report(figures, profiles, report_dir)


def _install_report(job: Future[PreparedReport] | None) -> tuple[ReportResult | None, BaseException | None]:
    """Swap the prepared report in (after the publish): (its result, None), or (None, the error it failed with)."""
    if job is None:
        return None, None
    error = job.exception()
    if error is not None:
        return None, error
    try:
        return job.result().install(), None
    except OSError as err:
        return None, err

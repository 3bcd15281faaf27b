"""The published warehouse (the build file handed over, or copied, and renamed atomically onto the analysts' path)
and the landscape report written from it, in one step: the report's pages are rendered while the publish records
the vintage."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl.warehouse.run import publish_build
from pipelines.defs.policies import MONTHLY_FRESHNESS
from pipelines.defs.resources import BilatrusConfig, BuildWarehouse
from pipelines.defs.tables import PYTHON_TABLES, python_code_version, sql_model_keys

if TYPE_CHECKING:
    from bilatrus_etl.report import ReportResult

PUBLISHED = dg.AssetKey(["warehouse", "published_warehouse"])
REPORT = dg.AssetKey(["reports", "landscape_report"])


def _published_deps() -> list[dg.AssetKey]:
    keys = set(sql_model_keys().values()) | set(PYTHON_TABLES.values())
    return sorted(keys, key=lambda k: k.to_user_string())


@dg.multi_asset(
    name="warehouse__published_warehouse",
    can_subset=True,
    specs=[
        dg.AssetSpec(
            PUBLISHED,
            group_name="publish",
            kinds={"duckdb"},
            deps=_published_deps(),
            freshness_policy=MONTHLY_FRESHNESS,
            code_version=python_code_version(PUBLISHED),
            description="The analysts' DuckDB file (data/warehouse/bilatrus.duckdb): the finished build, published "
            "by an atomic rename; the previous file is kept beside it for rollback. A run that finds every source "
            "unchanged records it current (a materialisation with the same data version, metadata `unchanged`), so "
            "its freshness policy measures how recently the sources were checked.",
            skippable=True,
        ),
        dg.AssetSpec(
            REPORT,
            group_name="reports",
            kinds={"html"},
            deps=[PUBLISHED],
            description="The landscape report (data/reports/index.html) and one page per institution of the focus "
            "country, of the published warehouse; self-contained HTML that works offline. Built in the publish's "
            "step: its figures are read off the build about to be published, its pages rendered while the vintage "
            "is recorded, and it is swapped in once the warehouse is published (alone, from the published file).",
            skippable=True,
        ),
    ],
)
def published_warehouse(
    context: dg.AssetExecutionContext, bilatrus: BilatrusConfig, duckdb: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    settings = bilatrus.settings()
    selected = context.selected_asset_keys
    if PUBLISHED not in selected:  # the report alone, from the published file
        from bilatrus_etl import report  # jinja2 and the page code: imported when a report is written

        yield _report_result(report.build_report(settings.warehouse_path, settings.reports_dir))
        return
    output = settings.reports_dir if REPORT in selected else None
    # The run's last step: the run's build database is closed and the build file handed over as the published file.
    # Only a BuildWarehouse copies a handed-over build before writing it again (create_build_file); another resource
    # (e.g. a plain DuckDBResource in a test) gets a copy published.
    if isinstance(duckdb, BuildWarehouse):
        duckdb.release()
    result = publish_build(
        settings,
        duckdb.database,
        run_id=context.run.run_id,
        report_dir=output,
        hand_over=isinstance(duckdb, BuildWarehouse),
    )
    yield dg.MaterializeResult(
        asset_key=PUBLISHED,
        metadata={
            "path": dg.MetadataValue.path(str(result["warehouse"])),
            "tables": result["tables"],
            "bytes": result["bytes"],
            "published_by": result["published_by"],
            "synthetic": result["synthetic"],
            "data_dictionary": dg.MetadataValue.path(str(result["dictionary"])),
            "vintage_recorded": result["vintage_recorded"] or "none (sources unchanged since the last vintage)",
            "vintages": result["vintages"],
            "retired_tables": dg.MetadataValue.json(result["retired_tables"]),
        },
    )
    if output is not None:
        if result["report_error"] is not None:
            raise result["report_error"]
        yield _report_result(result["report"])


def _report_result(built: "ReportResult") -> dg.MaterializeResult:
    return dg.MaterializeResult(
        asset_key=REPORT,
        metadata={
            "index": dg.MetadataValue.path(str(built.index)),
            "institutions": dg.MetadataValue.path(str(built.institutions_index)),
            "institution_pages": built.institution_pages,
            "index_bytes": built.index_bytes,
            "synthetic": built.synthetic,
        },
    )

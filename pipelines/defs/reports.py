"""The landscape report: HTML pages written from the published warehouse after each publish."""

import dagster as dg

from pipelines.defs.resources import BilatrusConfig


@dg.asset(
    key=["reports", "landscape_report"],
    group_name="reports",
    kinds={"html"},
    deps=[dg.AssetKey(["warehouse", "published_warehouse"])],
    description="The landscape report (data/reports/index.html) and one page per institution of the focus "
    "country, read from the published warehouse; self-contained HTML that works offline.",
)
def landscape_report(bilatrus: BilatrusConfig) -> dg.MaterializeResult:
    from bilatrus_etl import report  # jinja2 and the page code: imported by this step, not by every run's start

    settings = bilatrus.settings()
    result = report.build_report(settings.warehouse_path, report.default_output(settings))
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(result.index)),
            "institutions": dg.MetadataValue.path(str(result.institutions_index)),
            "institution_pages": result.institution_pages,
            "index_bytes": result.index_bytes,
            "synthetic": result.synthetic,
        }
    )

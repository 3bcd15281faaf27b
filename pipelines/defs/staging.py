"""Group `staging`: each source read into the common shape (one slice per programme), reference tables."""

from collections.abc import Iterator

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl.ingest.steps import (
    land_programmes,
    stage_dashboards,
    stage_programmes,
    stage_reference,
    staging_counts,
)
from bilatrus_etl.quality.context import prewarm
from bilatrus_etl.warehouse.models import row_count
from bilatrus_etl.warehouse.versions import dashboard_version
from pipelines.defs.partitions import programme_partitions, single_run
from pipelines.defs.resources import BilatrusConfig
from pipelines.defs.tables import python_code_version

PROGRAMME_TABLES = {
    "stg_project": "stg_project: one row per project per programme, typed, from every programme's project file.",
    "stg_participation": "stg_participation: one row per organisation per project, in the common shape "
    "(ISO countries, normalised roles, EC contribution in EUR).",
    "quarantine": "quarantine: every row rejected while reading or by a row-level rule, with reason, file and line.",
    "load_audit": "load_audit: per source file and table, raw rows = staged rows + quarantined rows.",
}
LANDING_TABLES = {
    "land_project": "land_project: each programme's project file as read (canonical column names, text as in the "
    "file), one slice per programme.",
    "land_participation": "land_participation: each programme's organisation file as read, one slice per programme.",
    "land_rejects": "land_rejects: every malformed line of a file, with DuckDB's reason (the reference files' and the "
    "Dashboard exports' too).",
}
LANDING_KEYS = frozenset(dg.AssetKey(["staging", name]) for name in LANDING_TABLES)
PROGRAMME_DEPS = [
    *sorted(LANDING_KEYS, key=lambda key: key.to_user_string()),
    dg.AssetKey(["staging", "stg_country"]),
    dg.AssetKey(["staging", "dashboard_exports"]),
]


def _table_specs(tables: dict[str, str], deps: list[dg.AssetKey]) -> list[dg.AssetSpec]:
    """One asset per staging table a step writes (`tables`: name -> description), each with `deps`."""
    return [
        dg.AssetSpec(
            ["staging", name],
            group_name="staging",
            kinds={"duckdb"},
            deps=deps,
            description=text,
            code_version=python_code_version(dg.AssetKey(["staging", name])),
        )
        for name, text in tables.items()
    ]


def _programme_results(counts: dict[str, dict], details: dict[str, dict]) -> Iterator[dg.MaterializeResult]:
    """A result per table of a programme step: its rows in all and by programme, and the step's `details`."""
    for table, count in counts.items():
        yield dg.MaterializeResult(
            asset_key=["staging", table],
            metadata={
                "row_count": count["total"],
                "dagster/row_count": count["total"],
                "rows_by_programme": dg.MetadataValue.json(count["by_programme"]),
                **{name: dg.MetadataValue.json(value) for name, value in details.items()},
            },
        )


@dg.multi_asset(
    specs=_table_specs(LANDING_TABLES, [dg.AssetKey(["raw", "cordis_programme_files"])]),
    partitions_def=programme_partitions,
    backfill_policy=single_run,
)
def stg_landing(
    context: dg.AssetExecutionContext, bilatrus: BilatrusConfig, duckdb: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    """The programmes' files read into the landing tables, in a step of its own: it needs neither the reference
    tables nor their checks, so it runs beside them. GX is imported meanwhile for the checks that follow (the
    landing is DuckDB's work, which releases the GIL), and the report's charting and templates set up."""
    from bilatrus_etl.report import warm_up as report_warm_up  # imported here: the definitions load without it

    prewarm()
    report_warm_up()
    settings = bilatrus.settings()
    with duckdb.get_connection() as con:
        landed = land_programmes(con, settings, list(context.partition_keys))
        counts = staging_counts(con, list(LANDING_TABLES))
    files = {
        programme: [f"{file.ref.source_file}: {file.rows:,} records, {file.rejected:,} malformed" for file in items]
        + [f"ignored: {key}" for key in ignored]
        for programme, (items, ignored) in landed.items()
    }
    yield from _programme_results(counts, {"files": files})


@dg.multi_asset(
    specs=_table_specs(PROGRAMME_TABLES, PROGRAMME_DEPS),
    partitions_def=programme_partitions,
    backfill_policy=single_run,
)
def stg_programme(
    context: dg.AssetExecutionContext, bilatrus: BilatrusConfig, duckdb: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    settings = bilatrus.settings()
    with duckdb.get_connection() as con:
        reports = stage_programmes(con, settings, list(context.partition_keys))
        counts = staging_counts(con, list(PROGRAMME_TABLES))
    yield from _programme_results(counts, {"load_reports": {p: str(r) for p, r in reports.items()}})


REFERENCE_TABLES = {
    "stg_country": "stg_country: CORDIS country codes (EL, UK, ...) with their ISO 3166 alpha-2 codes and English names.",
    "stg_programme_ref": "stg_programme_ref: FP7 and H2020 programme codes with their English titles (cordisref).",
    "stg_activity_type": "stg_activity_type: organisation activity types (HES, REC, PRC, PUB, OTH) with titles.",
    "stg_funding_scheme": "stg_funding_scheme: funding scheme codes with their titles (cordisref).",
}


@dg.multi_asset(
    specs=_table_specs(REFERENCE_TABLES, [dg.AssetKey(["raw", "cordisref"])]),
)
def stg_reference(bilatrus: BilatrusConfig, duckdb: DuckDBResource) -> Iterator[dg.MaterializeResult]:
    with duckdb.get_connection() as con:
        stage_reference(con, bilatrus.settings())
        for name in REFERENCE_TABLES:
            rows = row_count(con, name)
            yield dg.MaterializeResult(
                asset_key=["staging", name], metadata={"row_count": rows, "dagster/row_count": rows}
            )


@dg.asset(
    key=["staging", "dashboard_exports"],
    group_name="staging",
    kinds={"duckdb", "python"},
    deps=[dg.AssetKey(["staging", "stg_country"])],
    code_version=python_code_version(dg.AssetKey(["staging", "dashboard_exports"])),
    description="Optional Horizon Dashboard exports (csv, xlsx) supplied by an analyst (BILATRUS_DASHBOARD): read into "
    "the common shape beside the official files, which win for the projects they cover.",
)
def dashboard_exports(bilatrus: BilatrusConfig, duckdb: DuckDBResource) -> dg.MaterializeResult:
    settings = bilatrus.settings()
    with duckdb.get_connection() as con:
        reports = stage_dashboards(con, settings)
    return dg.MaterializeResult(
        data_version=dg.DataVersion(dashboard_version(settings)),
        metadata={
            "files": dg.MetadataValue.json([str(r) for r in reports]),
            "row_count": sum(r.staged_rows for r in reports),
            "quarantined": sum(r.quarantined_rows for r in reports),
        },
    )

"""Group `staging`: each source read into the common shape (one slice per programme), reference tables."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl import staging, steps
from pipelines.defs.partitions import programme_partitions, single_run
from pipelines.defs.resources import BilatrusConfig

GATE = dg.AssetKey(["raw", "download_provenance"])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["staging", "stg_project"],
            group_name="staging",
            kinds={"duckdb"},
            deps=[dg.AssetKey(["raw", "cordis_programme_files"]), GATE],
            description="stg_project: one row per project per programme, typed, from every programme's project file.",
        ),
        dg.AssetSpec(
            ["staging", "stg_participation"],
            group_name="staging",
            kinds={"duckdb"},
            deps=[dg.AssetKey(["raw", "cordis_programme_files"]), GATE],
            description="stg_participation: one row per organisation per project, in the common shape "
            "(ISO countries, normalised roles, EC contribution in EUR).",
        ),
    ],
    partitions_def=programme_partitions,
    backfill_policy=single_run,
    pool="warehouse_writer",
)
def stg_programme(
    context: dg.AssetExecutionContext, bilatrus: BilatrusConfig, duckdb: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    settings = bilatrus.settings()
    reports = {}
    with duckdb.get_connection() as con:
        for programme in context.partition_keys:
            files, names = steps.programme_inputs(settings, programme)
            reports[programme] = staging.stage_programme(con, programme, files, names)
        counts = steps.staging_counts(con)
    for table in ("stg_project", "stg_participation"):
        yield dg.MaterializeResult(
            asset_key=["staging", table],
            metadata={
                "row_count": counts[table]["total"],
                "dagster/row_count": counts[table]["total"],
                "rows_by_programme": dg.MetadataValue.json(counts[table]["by_programme"]),
                "load_reports": dg.MetadataValue.json({p: str(r) for p, r in reports.items()}),
            },
        )


REFERENCE_TABLES = {
    "stg_country": "stg_country: CORDIS country codes (EL, UK, ...) with their ISO 3166 alpha-2 codes and English names.",
    "stg_programme_ref": "stg_programme_ref: FP7 and H2020 programme codes with their English titles (cordisref).",
    "stg_activity_type": "stg_activity_type: organisation activity types (HES, REC, PRC, PUB, OTH) with titles.",
    "stg_funding_scheme": "stg_funding_scheme: funding scheme codes with their titles (cordisref).",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["staging", name], group_name="staging", kinds={"duckdb"},
                     deps=[dg.AssetKey(["raw", "cordisref"]), GATE], description=text)
        for name, text in REFERENCE_TABLES.items()
    ],
    pool="warehouse_writer",
)
def stg_reference(bilatrus: BilatrusConfig, duckdb: DuckDBResource) -> Iterator[dg.MaterializeResult]:
    settings = bilatrus.settings()
    with duckdb.get_connection() as con:
        staging.stage_reference(con, steps.reference_inputs(settings))
        for name in REFERENCE_TABLES:
            rows = steps.row_count(con, name)
            yield dg.MaterializeResult(asset_key=["staging", name], metadata={"row_count": rows, "dagster/row_count": rows})

"""The published warehouse: the build file copied and renamed atomically onto the analysts' path."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl.warehouse.run import publish_build
from pipelines.defs.policies import MONTHLY_FRESHNESS
from pipelines.defs.resources import BilatrusConfig
from pipelines.defs.tables import PYTHON_TABLES, python_code_version, sql_model_keys


def _published_deps() -> list[dg.AssetKey]:
    keys = set(sql_model_keys().values()) | set(PYTHON_TABLES.values())
    return sorted(keys, key=lambda k: k.to_user_string())


@dg.asset(
    key=["warehouse", "published_warehouse"],
    group_name="publish",
    kinds={"duckdb"},
    deps=_published_deps(),
    freshness_policy=MONTHLY_FRESHNESS,
    code_version=python_code_version(dg.AssetKey(["warehouse", "published_warehouse"])),
    description="The analysts' DuckDB file (data/warehouse/bilatrus.duckdb): the finished build, published by "
    "an atomic rename; the previous file is kept beside it for rollback. A run that finds every source unchanged "
    "records it current (a materialisation with the same data version, metadata `unchanged`), so its freshness "
    "policy measures how recently the sources were checked.",
)
def published_warehouse(
    context: dg.AssetExecutionContext, bilatrus: BilatrusConfig, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    result = publish_build(bilatrus.settings(), duckdb.database, run_id=context.run.run_id)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result["warehouse"])),
            "tables": result["tables"],
            "bytes": result["bytes"],
            "synthetic": result["synthetic"],
            "data_dictionary": dg.MetadataValue.path(str(result["dictionary"])),
            "vintage_recorded": result["vintage_recorded"] or "none (sources unchanged since the last vintage)",
            "vintages": result["vintages"],
            "retired_tables": dg.MetadataValue.json(result["retired_tables"]),
        }
    )

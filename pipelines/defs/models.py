"""One asset per SQL model in sql/ (core and marts, and staging models not run by the readers).

Dependencies come from the SQL itself (sqlglot, in the library), never from a second list.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl import resources
from bilatrus_etl.warehouse.models import Model, load_models
from bilatrus_etl.warehouse.run import run_sql_model
from bilatrus_etl.warehouse.versions import model_code_version
from pipelines.defs.resources import BilatrusConfig
from pipelines.defs.tables import sql_model_keys, table_asset_key


def _model_asset(model: Model, key: dg.AssetKey) -> dg.AssetsDefinition:
    deps = sorted({k for t in model.tables_read if (k := table_asset_key(t)) and k != key}, key=str)
    description = model.description + (f"\n\n{model.notes}" if model.notes else "")

    @dg.asset(
        key=key,
        group_name=model.layer,
        kinds={"duckdb", "sql"},
        deps=deps,
        description=description,
        metadata={"sql_file": dg.MetadataValue.path(resources.relative(model.path))},
        code_version=model_code_version(model.name),
    )
    def _run(bilatrus: BilatrusConfig, duckdb: DuckDBResource) -> dg.MaterializeResult:
        with duckdb.get_connection() as con:
            rows = run_sql_model(con, bilatrus.settings(), model.name)
        return dg.MaterializeResult(metadata={"row_count": rows, "dagster/row_count": rows})

    return _run


def model_assets() -> list[dg.AssetsDefinition]:
    models = load_models()
    return [_model_asset(models[name], key) for name, key in sql_model_keys().items()]

"""The collaboration network's node measures (degree, betweenness), computed over the SQL edge mart."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl.warehouse.tables import COLLABORATION_NETWORK
from pipelines.defs.tables import python_code_version


@dg.asset(
    key=["marts", "mart_collaboration_network"],
    group_name="marts",
    kinds={"duckdb", "python"},
    deps=[dg.AssetKey(["marts", "mart_collaboration_edges"])],
    code_version=python_code_version(dg.AssetKey(["marts", "mart_collaboration_network"])),
    description=f"{COLLABORATION_NETWORK.name}: {COLLABORATION_NETWORK.description}",
)
def mart_collaboration_network(duckdb: DuckDBResource) -> dg.MaterializeResult:
    from bilatrus_etl.warehouse import network  # scipy and pandas: imported when the asset runs

    with duckdb.get_connection() as con:
        rows = network.build_network(con)
    return dg.MaterializeResult(metadata={"row_count": rows, "dagster/row_count": rows})

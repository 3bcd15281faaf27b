"""Focus-country institutions: the ROR registry table and the participant-to-institution link table."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl.warehouse.tables import DIM_ROR_INSTITUTION, INSTITUTION_LINK
from pipelines.defs.resources import BilatrusConfig
from pipelines.defs.tables import python_code_version
from pipelines.executor import AFTER_TAG, GX_IMPORT


@dg.asset(
    key=["core", "dim_ror_institution"],
    group_name="core",
    kinds={"duckdb", "python"},
    deps=[dg.AssetKey(["raw", "ror_dump"])],
    code_version=python_code_version(dg.AssetKey(["core", "dim_ror_institution"])),
    description=f"{DIM_ROR_INSTITUTION.name}: {DIM_ROR_INSTITUTION.description}",
    # its imports (pandas, the matcher) wait for GX's background import (bilatrus_etl.imports): the executor runs
    # other ready steps meanwhile instead of holding a worker idle
    op_tags={AFTER_TAG: GX_IMPORT},
)
def dim_ror_institution(bilatrus: BilatrusConfig, duckdb: DuckDBResource) -> dg.MaterializeResult:
    from bilatrus_etl.institutions import build  # pandas and the matcher: imported when the asset runs

    with duckdb.get_connection() as con:
        rows = build.build_institutions(con, bilatrus.settings())
    return dg.MaterializeResult(metadata={"row_count": rows, "dagster/row_count": rows})


@dg.asset(
    key=["core", "institution_link"],
    group_name="core",
    kinds={"duckdb", "python"},
    deps=[dg.AssetKey(["staging", "stg_participation"]), dim_ror_institution],
    code_version=python_code_version(dg.AssetKey(["core", "institution_link"])),
    description=f"{INSTITUTION_LINK.name}: {INSTITUTION_LINK.description}",
)
def institution_link(bilatrus: BilatrusConfig, duckdb: DuckDBResource) -> dg.MaterializeResult:
    from bilatrus_etl.institutions import build

    with duckdb.get_connection() as con:
        stats = build.link_institutions(con, bilatrus.settings())
    return dg.MaterializeResult(
        metadata={
            "row_count": stats["rows"],
            "dagster/row_count": stats["rows"],
            "matched": stats["matched"],
            "unmatched": stats["unmatched"],
            "by_method": dg.MetadataValue.json(stats["by_method"]),
        }
    )


def institution_assets() -> list[dg.AssetsDefinition]:
    return [dim_ror_institution, institution_link]

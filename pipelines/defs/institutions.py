"""Focus-country institutions: the ROR registry table and the participant-to-institution link table."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl.warehouse import steps
from pipelines.defs.resources import BilatrusConfig
from pipelines.defs.tables import python_code_version

@dg.asset(
    key=["core", "dim_ror_institution"],
    group_name="core",
    kinds={"duckdb", "python"},
    deps=[dg.AssetKey(["raw", "ror_dump"])],
    pool="warehouse_writer",
    code_version=python_code_version(dg.AssetKey(["core", "dim_ror_institution"])),
    description="dim_ror_institution: organisations of the focus country (BILATRUS_FOCUS_COUNTRY) in the ROR registry "
    "(with their parents and children): every name with its language, aliases, acronyms, types, cities, "
    "coordinates, external ids, and the focus country. Formerly dim_ru_institution.",
)
def dim_ror_institution(bilatrus: BilatrusConfig, duckdb: DuckDBResource) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        rows = steps.build_institutions(con, bilatrus.settings())
    return dg.MaterializeResult(metadata={"row_count": rows, "dagster/row_count": rows})


@dg.asset(
    key=["core", "institution_link"],
    group_name="core",
    kinds={"duckdb", "python"},
    deps=[dg.AssetKey(["staging", "stg_participation"]), dim_ror_institution],
    pool="warehouse_writer",
    code_version=python_code_version(dg.AssetKey(["core", "institution_link"])),
    description="institution_link: each focus-country organisation key -> its institution (ROR id where matched, "
    "method, score, runner-up for review) and an institution key grouping the same institution across programmes.",
)
def institution_link(bilatrus: BilatrusConfig, duckdb: DuckDBResource) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        stats = steps.link_institutions(con, bilatrus.settings())
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

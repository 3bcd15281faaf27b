"""Which asset produces which warehouse table: SQL models by layer, and the tables Python steps write."""


import dagster as dg

from bilatrus_etl.warehouse import steps
from bilatrus_etl import warehouse

# Tables written by Python steps (readers, registry, matching, network measures), by their asset key.
PYTHON_TABLES: dict[str, dg.AssetKey] = {
    "meta_download_provenance": dg.AssetKey(["raw", "download_provenance"]),
    # staging.stage_programme lands the files and runs these models (the *_screened ones are temporary tables,
    # dropped at the end of the step: not in the warehouse)
    "land_project": dg.AssetKey(["staging", "stg_project"]),
    "stg_project_screened": dg.AssetKey(["staging", "stg_project"]),
    "stg_project": dg.AssetKey(["staging", "stg_project"]),
    "land_participation": dg.AssetKey(["staging", "stg_participation"]),
    "stg_participation_screened": dg.AssetKey(["staging", "stg_participation"]),
    "stg_participation": dg.AssetKey(["staging", "stg_participation"]),
    "land_rejects": dg.AssetKey(["staging", "quarantine"]),
    "quarantine": dg.AssetKey(["staging", "quarantine"]),
    "load_audit": dg.AssetKey(["staging", "load_audit"]),
    # staging.stage_reference lands cordisref, installs the code maps and runs these models
    "ref_country_code": dg.AssetKey(["staging", "stg_country"]),
    "ref_activity_type": dg.AssetKey(["staging", "stg_activity_type"]),
    "ref_role": dg.AssetKey(["staging", "stg_country"]),
    "stg_country": dg.AssetKey(["staging", "stg_country"]),
    "stg_programme_ref": dg.AssetKey(["staging", "stg_programme_ref"]),
    "stg_activity_type": dg.AssetKey(["staging", "stg_activity_type"]),
    "stg_funding_scheme": dg.AssetKey(["staging", "stg_funding_scheme"]),
    "dim_ror_institution": dg.AssetKey(["core", "dim_ror_institution"]),
    "institution_link": dg.AssetKey(["core", "institution_link"]),
    "mart_collaboration_network": dg.AssetKey(["marts", "mart_collaboration_network"]),
}


def sql_model_keys() -> dict[str, dg.AssetKey]:
    """Every SQL model that is its own asset (models the staging step runs itself are excluded)."""
    return {
        name: dg.AssetKey([model.layer, name])
        for name, model in warehouse.load_models().items()
        if name not in PYTHON_TABLES
    }


def python_code_version(key: dg.AssetKey) -> str:
    """Code version of an asset written by a Python step: see steps.python_code_version (its tables' SQL, suites)."""
    return steps.python_code_version(sorted(t for t, k in PYTHON_TABLES.items() if k == key))


def table_asset_key(table: str) -> dg.AssetKey | None:
    """The asset that writes `table`, or None for tables outside the warehouse graph."""
    return PYTHON_TABLES.get(table) or sql_model_keys().get(table)

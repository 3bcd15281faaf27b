"""Which asset produces which warehouse table: SQL models by layer, and the tables Python steps write (read from
their declaration in bilatrus_etl.warehouse.tables)."""

import dagster as dg

from bilatrus_etl.warehouse import tables, versions
from bilatrus_etl.warehouse.models import load_models

# Tables written by Python steps (readers, registry, matching, network measures), by their asset key.
PYTHON_TABLES: dict[str, dg.AssetKey] = {table: dg.AssetKey(list(path)) for table, path in tables.asset_paths().items()}


def sql_model_keys() -> dict[str, dg.AssetKey]:
    """Every SQL model that is its own asset (models the staging step runs itself are excluded)."""
    return {
        name: dg.AssetKey([model.layer, name]) for name, model in load_models().items() if name not in PYTHON_TABLES
    }


def python_code_version(key: dg.AssetKey) -> str:
    """Code version of an asset written by a Python step: see versions.python_code_version (its tables' SQL, suites)."""
    return versions.python_code_version(sorted(t for t, k in PYTHON_TABLES.items() if k == key))


def table_asset_key(table: str) -> dg.AssetKey | None:
    """The asset that writes `table`, or None for tables outside the warehouse graph."""
    return PYTHON_TABLES.get(table) or sql_model_keys().get(table)

"""Dagster definitions: thin wrappers that turn bilatrus_etl library calls into assets and checks."""

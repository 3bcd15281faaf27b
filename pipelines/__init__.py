"""The application layer: the Dagster code location and the `bilatrus` command."""

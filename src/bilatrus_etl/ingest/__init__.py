"""Ingest: the catalog of sources, downloads, archives, readers and staging into DuckDB."""

"""The tables the pipeline builds in Python, declared once: name, description, columns, the module that builds
them and the asset that writes them.

SQL models describe themselves in their opening comment (models.py). The tables written by Python steps are
declared here instead, and everything that needs their names or texts reads this one declaration: the step
that writes a table stores its description as DuckDB comments (`describe`), the Dagster code location maps
tables to assets (pipelines/defs/tables.py) and attaches suites to them, and the data dictionary
(dictionary.py) documents them. A column with a `data_type` can be created empty from the declaration
(`create_empty`, for tests and the benchmark floor that build the core tables without the matching step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from bilatrus_etl.institutions.methods import METHODS
from bilatrus_etl.warehouse import queries
from bilatrus_etl.warehouse.models import describe_table, transaction
from bilatrus_etl.warehouse.publish import table_names


@dataclass(frozen=True)
class Column:
    """One column of a table built in Python."""

    name: str
    description: str
    data_type: str | None = None


@dataclass(frozen=True)
class PythonTable:
    """A table built by a Python step, as the data dictionary and the Dagster assets see it."""

    name: str
    description: str
    columns: tuple[Column, ...]
    built_by: str
    asset: tuple[str, ...] | None = None
    notes: str = ""

    @property
    def column_docs(self) -> dict[str, str]:
        return {column.name: column.description for column in self.columns}


INSTITUTION_LINK = PythonTable(
    name="institution_link",
    description=(
        "Each organisation key linked to its institution: ROR id where matched, matching method and score, and an "
        "institution key grouping the same institution across programmes."
    ),
    columns=(
        Column("org_key", "organisation key (stg_participation.org_key)", "VARCHAR"),
        Column("ror_id", "ROR identifier of the matched institution (NULL where unmatched)", "VARCHAR"),
        Column(
            "institution_key",
            "key grouping the organisation keys of one institution (the core tables fall back to org_key)",
            "VARCHAR",
        ),
        Column("institution_name", "name of the institution", "VARCHAR"),
        Column(
            "method",
            f"how the link was made ({', '.join(METHODS)})",
            "VARCHAR",
        ),
        Column("score", "matching score (0-100)", "DOUBLE"),
        Column(
            "runner_up_ror_id",
            "the best-scored other ROR record (for an unmatched organisation: the closest one), for review",
            "VARCHAR",
        ),
        Column(
            "runner_up_score",
            "its score (Matcher.candidates: token set and sort ratios, less a city disagreement penalty)",
            "DOUBLE",
        ),
    ),
    built_by="src/bilatrus_etl/institutions/build.py",
    asset=("core", "institution_link"),
)

DIM_ROR_INSTITUTION = PythonTable(
    name="dim_ror_institution",
    description=(
        "Organisations of the focus country in the ROR registry with their parents and children: names (English, "
        "Russian and every other name with its language), aliases, acronyms, types, cities, coordinates, status, "
        "established, external ids. Formerly dim_ru_institution."
    ),
    columns=(  # typed, so the table keeps its shape when a focus country has no record or no relation of a kind
        Column("ror_id", "ROR identifier (bare, e.g. 010pmpe69)", "VARCHAR"),
        Column("display_name", "the registry's display name", "VARCHAR"),
        Column("name_en", "English name", "VARCHAR"),
        Column("name_ru", "Russian name", "VARCHAR"),
        Column("aliases", "other names", "VARCHAR[]"),
        Column("acronyms", "acronyms", "VARCHAR[]"),
        Column("labels", "every name of the record (labels in all languages)", "VARCHAR[]"),
        Column("types", "ROR organisation types (education, facility, funder, ...)", "VARCHAR[]"),
        Column("city", "city (GeoNames)", "VARCHAR"),
        Column("lat", "latitude", "DOUBLE"),
        Column("lon", "longitude", "DOUBLE"),
        Column("country_code", "ISO 3166 alpha-2 country code", "VARCHAR"),
        Column("status", "active, inactive or withdrawn", "VARCHAR"),
        Column("established", "year established", "BIGINT"),
        Column("external_ids", "external identifiers (GRID, ISNI, Wikidata, FundRef) as JSON", "VARCHAR"),
        Column("grid_id", "GRID identifier", "VARCHAR"),
        Column("wikidata_id", "Wikidata identifier", "VARCHAR"),
        Column("parent_ror_id", "the first parent's ROR id", "VARCHAR"),
        Column("parent_ror_ids", "ROR ids of parent organisations", "VARCHAR[]"),
        Column("child_ror_ids", "ROR ids of child organisations", "VARCHAR[]"),
        Column("successor_ror_ids", "ROR ids of successors (for inactive or withdrawn records)", "VARCHAR[]"),
        Column("related_ror_ids", "ROR ids of related organisations", "VARCHAR[]"),
        Column("schema_version", "ROR schema version of the source record (1 or 2)", "VARCHAR"),
        Column("source_file", "file the record was read from", "VARCHAR"),
        Column(
            "names",
            "every name of the record: value, types (ror_display, label, alias, acronym) and language",
            'STRUCT("value" VARCHAR, "types" VARCHAR[], lang VARCHAR)[]',
        ),
        Column("cities", "every city of the record's locations (v2) or addresses (v1)", "VARCHAR[]"),
        Column("focus_country", "the focus country (BILATRUS_FOCUS_COUNTRY) the table was built for", "VARCHAR"),
    ),
    built_by="src/bilatrus_etl/institutions/build.py",
    asset=("core", "dim_ror_institution"),
)

COLLABORATION_NETWORK = PythonTable(
    name="mart_collaboration_network",
    description=(
        "One row per institution of the focus country's collaboration network: degree, weighted degree and "
        "betweenness centrality (Brandes, as networkx computes it) over mart_collaboration_edges."
    ),
    notes=(
        "Built by bilatrus_etl.warehouse.network (Python), not by a SQL file: it reads mart_collaboration_edges after that model "
        "has run. Nodes are the institutions that have at least one edge (institutions alone in all their projects "
        "with the focus country are not in the network). Counting: degree counts distinct partner institutions; "
        "weighted_degree sums joint projects over edges (full counting); weighted_degree_fractional sums the "
        "fractional edge weights (each project's weight 1 split over its organisation pairs). Betweenness is "
        "unweighted (shortest paths in hops), normalised to [0, 1] as networkx does; on large graphs it is estimated "
        "from a fixed-seed sample of source nodes (betweenness_method says which), since exact betweenness costs "
        "nodes x edges steps."
    ),
    columns=(
        Column("focus_country", "ISO code of the focus country"),
        Column(
            "institution_key",
            "institution key of the node (institution_link.institution_key, else the organisation key)",
        ),
        Column("institution_name", "name of the institution (its organisation with most participations)"),
        Column("country_code", "ISO 3166-1 alpha-2 country of the institution"),
        Column("is_focus_country", "the institution is from the focus country"),
        Column("degree", "number of distinct partner institutions (edges)"),
        Column("weighted_degree", "sum of joint projects over the node's edges (full counting)"),
        Column("weighted_degree_fractional", "sum of the fractional edge weights over the node's edges"),
        Column(
            "betweenness",
            "betweenness centrality (unweighted, normalised); estimated when betweenness_method says sampled",
        ),
        Column("degree_rank", "RANK() by degree, highest first (ties share a rank)"),
        Column("betweenness_rank", "RANK() by betweenness, highest first (ties share a rank)"),
        Column("component_size", "number of institutions in the node's connected component"),
        Column("betweenness_method", "'exact', or 'sampled k=<source nodes> seed=<seed>' on large graphs"),
    ),
    built_by="src/bilatrus_etl/warehouse/network.py",
    asset=("marts", "mart_collaboration_network"),
)

DOWNLOAD_PROVENANCE = PythonTable(
    name="meta_download_provenance",
    description=(
        "The download each dataset's tables were built from (the latest of the dataset): URL, time, HTTP "
        "status, ETag, sha256 and size of the stored file. Every attempt is in raw/provenance.jsonl."
    ),
    columns=(
        Column("run_id", "Dagster run that built this warehouse"),
        Column("dataset", "catalog key of the dataset"),
        Column("url", "address fetched (official URL or mirror)"),
        Column("fetched_at", "when (UTC)"),
        Column("http_status", "200, or 304 when the stored file was still current"),
        Column("etag", "ETag sent by the server"),
        Column("last_modified", "Last-Modified sent by the server"),
        Column("sha256", "sha256 of the stored file"),
        Column("bytes", "size of the stored file"),
        Column("path", "stored file, relative to data/raw"),
        Column("changed", "whether the content differed from the previous download"),
        Column(
            "release",
            "the upstream release the file is (JSON: Zenodo record id, version, DOI, file, md5, and whether the records API named it or the pinned file was used, with the warning); NULL for other datasets",
        ),
    ),
    built_by="src/bilatrus_etl/warehouse/meta.py",
    asset=("raw", "download_provenance"),
)

BUILD = PythonTable(
    name="meta_build",
    description=(
        "One row describing the build: when, code fingerprint, version, focus country, synthetic flag, source hashes."
    ),
    columns=(
        Column("run_id", "Dagster run that built this warehouse"),
        Column("built_at", "when the build was stamped (UTC)"),
        Column("code_fingerprint", "hash of the SQL, suites and reference tables"),
        Column("package_version", "bilatrus-etl version"),
        Column("focus_country", "ISO code the marts describe"),
        Column("synthetic", "true when built from the generated demo mirror: never cite such numbers"),
        Column("sources", "dataset -> sha256 of the file each table was built from"),
        Column(
            "mirror",
            "the mirror the sources came from (folder, or URL without credentials); NULL for the official URLs",
        ),
    ),
    built_by="src/bilatrus_etl/warehouse/meta.py",
)

VALIDATION_RUNS = PythonTable(
    name="meta_validation_runs",
    description=(
        "One row per Great Expectations validation of the run that built this warehouse: table, suite, time, "
        "duration, outcome, failures."
    ),
    columns=(Column("run_id", "Dagster run that validated (the one that built this warehouse)"),),
    built_by="src/bilatrus_etl/quality",
)

VINTAGE = PythonTable(
    name="meta_vintage",
    description=(
        "One row per vintage of the warehouse kept in the history: when it was recorded, the source files it was built "
        "from (dataset, URL, sha256) and the code that built it. Query a past vintage with the history_* views."
    ),
    columns=(
        Column(
            "seq", "number of the vintage (1 = the first ever recorded; numbers are never reused, pruned ones are gone)"
        ),
        Column(
            "vintage",
            "label of the vintage: the date it was recorded (YYYY-MM-DD, with -2, -3 for a second, third that day)",
        ),
        Column("recorded_at", "when the vintage was recorded (UTC)"),
        Column("run_id", "the Dagster run that published it (NULL when recorded outside a run)"),
        Column("package_version", "bilatrus-etl version that built it"),
        Column("code_fingerprint", "hash of the SQL, suites and reference tables that built it"),
        Column("focus_country", "ISO code the marts of this vintage describe"),
        Column("synthetic", "true when built from the generated demo mirror: never cite such numbers"),
        Column(
            "sources_fingerprint",
            "hash of the source files' sha256s and the focus country: equal fingerprints, same vintage",
        ),
        Column(
            "sources", "every source file: dataset, URL, sha256, bytes, fetch time and Last-Modified (from provenance)"
        ),
        Column("tables", "tables recorded in the vintage"),
        Column("table_rows", "rows of those tables in the vintage"),
        Column("rows_added", "row versions stored for this vintage (new or changed rows)"),
        Column("rows_removed", "row versions of the previous vintage that this one no longer has"),
        Column("is_current", "the latest vintage (the one the current tables show)"),
    ),
    built_by="src/bilatrus_etl/warehouse/vintages",
)

DATA_DICTIONARY = PythonTable(
    name="meta_data_dictionary",
    description="The data dictionary: one row per column of every warehouse table, with its type and description.",
    notes="Generated by src/bilatrus_etl/warehouse/dictionary.py from the SQL models and the warehouse schema.",
    columns=(
        Column("table_name", "name of the table", "VARCHAR"),
        Column("layer", "staging, core, marts, meta, history or other", "VARCHAR"),
        Column("built_by", "the SQL file or Python module that builds the table", "VARCHAR"),
        Column("table_description", "one-line description of the table", "VARCHAR"),
        Column(
            "table_notes", "what one row is, counting method and caveats (from the model's opening comment)", "VARCHAR"
        ),
        Column("table_rows", "number of rows when the dictionary was generated", "BIGINT"),
        Column("column_position", "position of the column in the table (1 = first)", "INTEGER"),
        Column("column_name", "name of the column", "VARCHAR"),
        Column("data_type", "DuckDB type of the column", "VARCHAR"),
        Column("column_description", "description of the column (NULL where none is documented)", "VARCHAR"),
    ),
    built_by="src/bilatrus_etl/warehouse/dictionary.py",
)

PYTHON_TABLES: dict[str, PythonTable] = {
    table.name: table
    for table in (
        INSTITUTION_LINK,
        DIM_ROR_INSTITUTION,
        COLLABORATION_NETWORK,
        DOWNLOAD_PROVENANCE,
        BUILD,
        VALIDATION_RUNS,
        VINTAGE,
        DATA_DICTIONARY,
    )
}

# Tables the staging steps write: landing tables (the landing step's own assets) and code maps (described by the
# readers and ingest/clean.py) and the staging models the staging step runs itself (described by their SQL), by the
# asset that writes them. The *_screened models (the landed rows that break a rule) are temporary tables, dropped at
# the end of the step.
STAGING_STEP_TABLES: dict[str, tuple[str, ...]] = {
    "land_project": ("staging", "land_project"),
    "stg_project_screened": ("staging", "stg_project"),
    "stg_project": ("staging", "stg_project"),
    "land_participation": ("staging", "land_participation"),
    "stg_participation_screened": ("staging", "stg_participation"),
    "stg_participation": ("staging", "stg_participation"),
    "land_rejects": ("staging", "land_rejects"),
    "quarantine": ("staging", "quarantine"),
    "load_audit": ("staging", "load_audit"),
    "ref_country_code": ("staging", "stg_country"),
    "ref_activity_type": ("staging", "stg_activity_type"),
    "ref_role": ("staging", "stg_country"),
    "stg_country": ("staging", "stg_country"),
    "stg_programme_ref": ("staging", "stg_programme_ref"),
    "stg_activity_type": ("staging", "stg_activity_type"),
    "stg_funding_scheme": ("staging", "stg_funding_scheme"),
}


# Tables earlier versions built under another name (old name -> the table that replaces it). A build file made
# before the rename still holds the old table, which nothing refreshes any more: the publish step drops it, so the
# published warehouse never carries a stale copy (the vintage history keeps its earlier rows).
RETIRED_TABLES = {
    "dim_ru_city": "dim_city",
    "dim_ru_institution": "dim_ror_institution",
}


def drop_retired_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop the RETIRED_TABLES present in the current schema of `con`'s database; return their names."""
    present = sorted(table_names(con) & set(RETIRED_TABLES))
    for name in present:
        con.execute(f"DROP TABLE {name}")
    return present


def asset_paths() -> dict[str, tuple[str, ...]]:
    """Every table written by a Python step (or run by the staging step itself) -> the key path of its asset."""
    declared = {table.name: table.asset for table in PYTHON_TABLES.values() if table.asset is not None}
    return {**STAGING_STEP_TABLES, **declared}


def describe(con: duckdb.DuckDBPyConnection, table: PythonTable) -> None:
    """Store the declared description and column descriptions as DuckDB comments on the built table."""
    describe_table(con, table.name, table.description, table.column_docs)


def create_empty_sql(table: PythonTable) -> str:
    """CREATE TABLE IF NOT EXISTS with the declared columns and types (also for SQL scripts without Python steps)."""
    if any(column.data_type is None for column in table.columns):
        raise ValueError(f"{table.name}: not every column declares a data_type, so it cannot be created empty.")
    columns = ", ".join(f"{column.name} {column.data_type}" for column in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({columns})"


def create_empty(con: duckdb.DuckDBPyConnection, table: PythonTable) -> None:
    """Create the table empty when it does not exist (tests and tools that build the core tables without the
    matching step: the core SQL reads institution_link); describe it."""
    con.execute(create_empty_sql(table))
    describe(con, table)


def replace_from_frame(
    con: duckdb.DuckDBPyConnection,
    table: PythonTable,
    frame_name: str,
    frame: Any,
    query: str,
    focus_country: str | None = None,
) -> None:
    """Replace `table`, which a Python step writes from a frame (pandas), in one transaction: created empty from its
    declaration, so it has its declared columns and types whatever the frame holds (a frame with no rows, or a
    column no row fills, has no type DuckDB can infer); then filled by the named query from `frame`, registered as
    `frame_name`."""
    con.register(frame_name, frame)
    try:
        with transaction(con):
            con.execute(f"DROP TABLE IF EXISTS {table.name}")
            create_empty(con, table)
            queries.run(con, query, focus_country=focus_country)
    finally:
        con.unregister(frame_name)

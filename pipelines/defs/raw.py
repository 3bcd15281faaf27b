"""Group `raw`: downloads of every source, and the provenance table.

Each download asset's data version is its file's sha256 (several files: the hash of their sha256s), so an
unchanged upstream leaves everything downstream up to date in Dagster's own staleness terms.
"""

from collections.abc import Callable

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest.steps import FetchedSource, current_sources, fetch_kind, fetch_programmes
from bilatrus_etl.warehouse.meta import record_provenance
from bilatrus_etl.warehouse.versions import sources_version
from pipelines.defs.partitions import programme_partitions, single_run
from pipelines.defs.policies import DOWNLOAD_RETRY
from pipelines.defs.resources import BilatrusConfig
from pipelines.defs.tables import python_code_version


def _fetched(fetch: Callable[[], list[FetchedSource]]) -> list[FetchedSource]:
    """Run a download; only transient failures (busy server, timeout) are worth the step's retry policy."""
    try:
        return fetch()
    except BilatrusError as err:
        if getattr(err, "transient", False):
            raise
        raise dg.Failure(description=str(err), allow_retries=False) from err


def _result(fetched: list[FetchedSource]) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_metadata(fetched), data_version=dg.DataVersion(sources_version(fetched)))


def _metadata(fetched: list[FetchedSource]) -> dict[str, dg.MetadataValue]:
    return {
        "files": dg.MetadataValue.md(
            "| dataset | sha256 | bytes | changed |\n|---|---|---|---|\n"
            + "\n".join(f"| {f.dataset} | `{f.sha256[:12]}` | {f.bytes:,} | {f.changed} |" for f in fetched)
        ),
        "bytes": dg.MetadataValue.int(sum(f.bytes for f in fetched)),
        "changed": dg.MetadataValue.bool(any(f.changed for f in fetched)),
        "row_count": dg.MetadataValue.int(len(fetched)),
    }


@dg.asset(
    key=["raw", "cordis_programme_files"],
    group_name="raw",
    kinds={"python", "file"},
    partitions_def=programme_partitions,
    backfill_policy=single_run,
    retry_policy=DOWNLOAD_RETRY,
    description="CORDIS project and participant files of one Framework Programme, as downloaded "
    "(FP6 legacy CSVs; FP7, H2020, Horizon Europe zips), stored under data/raw by content hash.",
)
def cordis_programme_files(context: dg.AssetExecutionContext, bilatrus: BilatrusConfig) -> dg.MaterializeResult:
    settings = bilatrus.settings()
    return _result(_fetched(lambda: fetch_programmes(settings, list(context.partition_keys))))


def _catalog_kind_download(name: str, kind: str, description: str) -> dg.AssetsDefinition:
    """An unpartitioned download asset for every catalog dataset of one kind (reference tables, registry)."""

    @dg.asset(
        key=["raw", name],
        group_name="raw",
        kinds={"python", "file"},
        retry_policy=DOWNLOAD_RETRY,
        description=description,
    )
    def _download(context: dg.AssetExecutionContext, bilatrus: BilatrusConfig) -> dg.MaterializeResult:
        return _result(_fetched(lambda: fetch_kind(bilatrus.settings(), kind)))

    return _download


cordisref_files = _catalog_kind_download(
    "cordisref",
    "reference",
    "CORDIS reference tables (cordisref): countries, FP7 and H2020 programme codes, activity types, "
    "funding scheme categories.",
)
ror_dump = _catalog_kind_download(
    "ror_dump", "registry", "Research Organization Registry data dump (Zenodo zip, schema v2 JSON)."
)


@dg.asset(
    key=["raw", "download_provenance"],
    group_name="raw",
    kinds={"duckdb"},
    deps=[cordis_programme_files, cordisref_files, ror_dump],
    code_version=python_code_version(dg.AssetKey(["raw", "download_provenance"])),
    description="meta_download_provenance: one row per download (dataset, URL, time, HTTP status, ETag, "
    "sha256, bytes).",
)
def download_provenance(
    context: dg.AssetExecutionContext, bilatrus: BilatrusConfig, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    settings = bilatrus.settings()
    datasets = current_sources(settings)
    with duckdb.get_connection() as con:
        rows = record_provenance(con, settings, context.run.run_id)
    return dg.MaterializeResult(
        metadata={"row_count": rows, "datasets": dg.MetadataValue.json(datasets)},
    )

"""Group `raw`: downloads of every source, and the provenance table that gates the rest of the run."""


import hashlib
from collections.abc import Callable, Iterator

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl import steps
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.steps import FetchedSource
from pipelines.defs.partitions import programme_partitions, single_run
from pipelines.defs.policies import DOWNLOAD_RETRY
from pipelines.defs.resources import BilatrusConfig



def _fetched(fetch: Callable[[], list[FetchedSource]]) -> list[FetchedSource]:
    """Run a download; only transient failures (busy server, timeout) are worth the step's retry policy."""
    try:
        return fetch()
    except BilatrusError as err:
        if getattr(err, "transient", False):
            raise
        raise dg.Failure(description=str(err), allow_retries=False) from err


def _combined_version(fetched: list[FetchedSource]) -> dg.DataVersion:
    digest = hashlib.sha256("".join(sorted(f"{f.dataset}={f.sha256}" for f in fetched)).encode())
    return dg.DataVersion(digest.hexdigest()[:16])


def _result(fetched: list[FetchedSource]) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_metadata(fetched), data_version=_combined_version(fetched))


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
    return _result(_fetched(lambda: [f for p in context.partition_keys for f in steps.fetch_programme(settings, p)]))


def _catalog_kind_download(name: str, kind: str, description: str) -> dg.AssetsDefinition:
    """An unpartitioned download asset for every catalog dataset of one kind (reference tables, registry)."""

    @dg.asset(key=["raw", name], group_name="raw", kinds={"python", "file"}, retry_policy=DOWNLOAD_RETRY,
              description=description)
    def _download(bilatrus: BilatrusConfig) -> dg.MaterializeResult:
        return _result(_fetched(lambda: steps.fetch_kind(bilatrus.settings(), kind)))

    _download.__name__ = f"raw_{name}"
    return _download


cordisref_files = _catalog_kind_download(
    "cordisref", "reference",
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
    output_required=False,
    pool="warehouse_writer",
    description="meta_download_provenance: one row per download (dataset, URL, time, HTTP status, ETag, "
    "sha256, bytes). When every source is byte-identical to the published warehouse's, the run stops here.",
)
def download_provenance(
    context: dg.AssetExecutionContext, bilatrus: BilatrusConfig, duckdb: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    settings = bilatrus.settings()
    datasets = steps.current_sources(settings)
    if not bilatrus.force and steps.is_up_to_date(settings, datasets):
        context.log.info("Every source is unchanged since the published warehouse: nothing to rebuild.")
        return
    with duckdb.get_connection() as con:
        rows = steps.record_provenance(con, settings, context.run.run_id)
    yield dg.MaterializeResult(
        metadata={"row_count": rows, "datasets": dg.MetadataValue.json(datasets)},
        data_version=dg.DataVersion(hashlib.sha256(repr(sorted(datasets.items())).encode()).hexdigest()[:16]),
    )

"""The Dagster code location: `dagster dev -m pipelines.definitions`."""

from __future__ import annotations

import dagster as dg

from pipelines.defs import institutions, models, network, publish, raw, staging, vintages
from pipelines.defs.checks import suite_checks
from pipelines.defs.jobs import build_stale_assets, monthly_refresh, refresh_job
from pipelines.defs.resources import default_resources
from pipelines.executor import threaded_in_process_executor
from pipelines.instance_sqlite import install as install_sqlite_settings

install_sqlite_settings()  # the run worker's and code server's connections to the instance (pipelines/instance_sqlite.py)

_assets = [
    raw.cordis_programme_files,
    raw.cordisref_files,
    raw.ror_dump,
    raw.download_provenance,
    staging.stg_landing,
    staging.stg_programme,
    staging.stg_reference,
    staging.dashboard_exports,
    *institutions.institution_assets(),
    *models.model_assets(),
    network.mart_collaboration_network,
    publish.published_warehouse,
    vintages.vintage_changes,
]

defs = dg.Definitions(
    assets=_assets,
    asset_checks=suite_checks(_assets),
    jobs=[refresh_job],
    schedules=[monthly_refresh],
    sensors=[build_stale_assets],
    resources=default_resources(),
    executor=threaded_in_process_executor,
)

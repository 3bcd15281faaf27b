"""The refresh job, its monthly schedule, the sensor that builds what the downloads made stale, and the run-level
settings operators rely on."""

import os

import dagster as dg

from bilatrus_etl.settings import PROGRAMMES, Settings
from pipelines.defs.changes import DOWNLOAD_KEYS, confirm_unchanged, stale_assets
from pipelines.defs.partitions import all_programmes_tags
from pipelines.defs.resources import DATA_DIR_TAG
from pipelines.executor import threaded_in_process_executor

refresh_job = dg.define_asset_job(
    name="refresh",
    selection=dg.AssetSelection.all(),
    description="Full refresh: download every source (conditional GET), stage, validate, build core and "
    "marts, publish. `bilatrus run` and the schedule launch it twice: the downloads, then only what Dagster's data "
    "and code versions report stale.",
    executor_def=threaded_in_process_executor,
    # the run queue holds one run per data folder (tag_concurrency_limits in dagster.yaml)
    tags={DATA_DIR_TAG: str(Settings.from_env().data_dir)},
)


@dg.schedule(
    job=refresh_job,
    cron_schedule="0 3 2 * *",
    execution_timezone="Europe/Brussels",
    description="Monthly check of every source, the day after CORDIS's own monthly update (every programme "
    "partition, one run of the downloads); the sensor `build_stale_assets` builds what changed.",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def monthly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=context.scheduled_execution_time.strftime("%Y-%m"),
        tags=all_programmes_tags(),
        asset_selection=sorted(DOWNLOAD_KEYS, key=str),
    )


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[refresh_job],
    request_job=refresh_job,
    description="After a scheduled or UI run of the downloads alone: a refresh run of the assets now stale (and "
    "their downstream), or, when none is, the published warehouse recorded as checked and unchanged. (`bilatrus "
    "run` does the same itself.)",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def build_stale_assets(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    if run.tags.get("launched_by") == "cli" or not run.asset_selection or not run.asset_selection <= DOWNLOAD_KEYS:
        return dg.SkipReason("not a run of the downloads alone")
    settings = Settings.from_env(mirror=os.environ.get("BILATRUS_MIRROR") or None)
    if context.repository_def is None:
        return dg.SkipReason("no repository to read the asset graph from")
    graph = context.repository_def.asset_graph
    rebuild = stale_assets(context.instance, graph, list(PROGRAMMES), settings)
    if not rebuild:
        confirm_unchanged(context.instance, run.run_id)
        return dg.SkipReason("every source unchanged: the published warehouse was recorded as checked, unchanged")
    return dg.RunRequest(
        run_key=f"build-after-{run.run_id}", asset_selection=sorted(rebuild, key=str), tags=all_programmes_tags()
    )

"""The refresh job, its monthly schedule, the sensor that builds what the downloads made stale, and the run-level
settings operators rely on."""

import os

import dagster as dg

from bilatrus_etl.settings import PROGRAMMES, Settings
from bilatrus_etl.warehouse import runlock
from bilatrus_etl.warehouse.publish import changed_since_hand_over
from bilatrus_etl.warehouse.recovery import full_rebuild_reason
from pipelines.defs.changes import DOWNLOAD_KEYS, confirm_unchanged, rebuild_selection
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


# How long the sensor waits for the data folder's run lock (the downloads' run, just ended, may still hold it)
LOCK_WAIT_S = 30.0


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[refresh_job],
    request_job=refresh_job,
    description="After a scheduled or UI run of the downloads alone: a refresh run of the assets now stale (and "
    "their downstream; of every asset when the build file is missing or was changed through the published file), "
    "or, when none is, the published warehouse recorded as checked and unchanged. (`bilatrus run` does the same "
    "itself.)",
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
    # as `bilatrus run` does: no build file, or one changed through the published file, means every programme is
    # rebuilt; the changed one is removed under the data folder's run lock (the downloads' run, just ended, may still
    # be letting it go)
    reason = None
    if not settings.build_path.exists() or changed_since_hand_over(settings.build_path):
        try:
            with runlock.acquire(settings.data_dir, wait=True, timeout_s=LOCK_WAIT_S, command="build_stale_assets"):
                reason = full_rebuild_reason(settings)
        except runlock.RunInProgress as busy:
            return dg.SkipReason(
                f"the build file is to be rebuilt but {runlock.describe(busy.holder)} holds the data folder: "
                "nothing launched; the next scheduled run or `bilatrus run` rebuilds every programme"
            )
    rebuild = rebuild_selection(context.instance, graph, list(PROGRAMMES), settings, everything=reason is not None)
    if not rebuild:
        confirm_unchanged(context.instance, run.run_id)
        return dg.SkipReason("every source unchanged: the published warehouse was recorded as checked, unchanged")
    if reason is not None:
        context.log.info(f"rebuilding every programme: {reason}")
    return dg.RunRequest(
        run_key=f"build-after-{run.run_id}",
        asset_selection=sorted(rebuild, key=str),
        tags={**all_programmes_tags(), "force": str(reason is not None).lower()},
    )

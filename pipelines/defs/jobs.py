"""The refresh job, its monthly schedule, and the run-level settings operators rely on."""


import dagster as dg

from pipelines.defs.partitions import all_programmes_tags

refresh_job = dg.define_asset_job(
    name="refresh",
    selection=dg.AssetSelection.all(),
    description="Full refresh: download every source (conditional GET), stage, validate, build core and "
    "marts, publish. Ends early when every source is unchanged since the published warehouse.",
    executor_def=dg.in_process_executor,
)


@dg.schedule(
    job=refresh_job,
    cron_schedule="0 3 2 * *",
    execution_timezone="Europe/Brussels",
    description="Monthly full refresh, the day after CORDIS's own monthly update (every programme partition, one run).",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def monthly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=context.scheduled_execution_time.strftime("%Y-%m"), tags=all_programmes_tags())

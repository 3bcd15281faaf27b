"""`bilatrus run`: the refresh job launched from the code location on the project's persistent Dagster instance.

One run at a time per data folder (the run lock, held for the whole command); a run whose process died is
found, failed and its concurrency slots freed before anything starts; then, per contiguous block of programmes:
1. a `refresh` run of the download assets (conditional GETs; each data version is the file's sha256);
2. Dagster's own staleness decides the rest: the assets whose upstream data version or own code version
   changed, and everything downstream of them, are materialised in a second `refresh` run; when none is stale
   the published warehouse is recorded as confirmed current (same data version), nothing is rebuilt.
Both are real runs of the `refresh` job with the code location's origin, so they show in the job's history; the code
location is loaded in this process (`code_location`), the runs execute here (the job's executor runs every step
in this process, up to two at a time on threads: pipelines/executor.py).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import catalog, early
from bilatrus_etl.ingest.steps import send_ahead
from bilatrus_etl.quality.context import prewarm
from bilatrus_etl.settings import PROGRAMMES, Settings
from bilatrus_etl.warehouse import queries, runlock
from bilatrus_etl.warehouse.meta import published_manifest
from bilatrus_etl.warehouse.publish import open_readonly
from bilatrus_etl.warehouse.recovery import full_rebuild_reason, remove_leftovers
from pipelines.defs.changes import DOWNLOAD_KEYS, confirm_unchanged, rebuild_selection
from pipelines.defs.partitions import programme_range_tags
from pipelines.defs.resources import DATA_DIR_TAG, HOST_TAG, PID_TAG
from pipelines.defs.staging import LANDING_KEYS
from pipelines.instance_sqlite import install as install_sqlite_settings

LOCATION_NAME = "pipelines.definitions"  # the name `dagster dev -m pipelines.definitions` gives the location
JOB_NAME = "refresh"
ACTIVE = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING]

INSTANCE_HEADER = "# Persistent Dagster instance of bilatrus-etl (written by `bilatrus init-instance`)."
INSTANCE_YAML = f"""\
{INSTANCE_HEADER}
telemetry:
  enabled: false
concurrency:
  runs:
    # one run at a time per data folder, for runs the daemon launches (schedule, UI); `bilatrus run` holds
    # the data folder's run lock besides
    tag_concurrency_limits:
      - key: {DATA_DIR_TAG}
        value:
          applyLimitPerUniqueValue: true
        limit: 1
run_monitoring:
  # with the daemon running (`make ui`): fail runs whose worker died, free their pool slots
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  max_resume_run_attempts: 0
  poll_interval_seconds: 60
  free_slots_after_run_end_seconds: 30
"""


def ensure_instance_home() -> Path:
    """DAGSTER_HOME (default data/dagster) with its dagster.yaml; exported for this process.

    A dagster.yaml this project wrote is brought up to date; one an operator wrote is left alone."""
    home = Path(os.environ.get("DAGSTER_HOME") or Settings.from_env().dagster_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or (
        config.read_text(encoding="utf-8").startswith(INSTANCE_HEADER)
        and config.read_text(encoding="utf-8") != INSTANCE_YAML
    ):
        config.write_text(INSTANCE_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@dataclass
class RunOutcome:
    """What one or more refresh runs did, in words an operator can act on."""

    run_ids: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    materialized: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)
    up_to_date: bool = False
    summary: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.failures and not self.failed_checks

    def recovery_lines(self) -> list[str]:
        """What this run cleaned up after runs that died (printed before it starts its own work)."""
        lines = [f"[yellow]![/] {message}" for message in self.recovered]
        if self.cleaned:
            lines.append(
                f"[yellow]![/] removed {len(self.cleaned)} leftover file(s) of an interrupted run: "
                + ", ".join(self.cleaned)
            )
        return lines

    def summary_lines(self) -> list[str]:
        lines = [f"[red]✗[/] {message}" for message in self.failures]
        lines += [f"[red]✗[/] check failed: {message}" for message in self.failed_checks]
        if self.failed_checks or self.failures:
            lines.append("The published warehouse was left as it was. Fix the cause above and run again.")
        elif self.up_to_date:
            lines.append("[green]✓[/] Every source is unchanged since the last publish: every asset is up to date.")
        lines += self.summary
        lines.append(f"Dagster run(s): {', '.join(self.run_ids)} (see them with `make ui`)")
        return lines


def contiguous_blocks(programmes: list[str]) -> list[list[str]]:
    """Programme partitions as contiguous ranges (one run each), e.g. [FP6], [HE] for fp6,he."""
    blocks: list[list[str]] = []
    for programme in PROGRAMMES:
        if programme not in programmes:
            if blocks and blocks[-1]:
                blocks.append([])
            continue
        if not blocks:
            blocks.append([])
        blocks[-1].append(programme)
    return [b for b in blocks if b]


def _root_message(error: dg.SerializableErrorInfo | None) -> str:
    """The first error in the chain raised by the project (not Dagster's wrappers), without its class name."""
    chain: list[dg.SerializableErrorInfo] = []
    while error is not None:
        chain.append(error)
        error = error.cause
    if not chain:
        return "unknown error"
    chosen = next((e for e in chain if e.cls_name and not e.cls_name.startswith("Dagster")), chain[-1])
    message = chosen.message.strip()
    head, separator, rest = message.partition(": ")
    if separator and chosen.cls_name and head.split(".")[-1] == chosen.cls_name:
        return rest.strip()
    return message


def _collect(result: dg.JobExecutionResult, outcome: RunOutcome) -> None:
    outcome.run_ids.append(result.run_id)
    for event in result.all_events:
        if event.is_step_failure:
            outcome.failures.append(f"{event.step_key}: {_root_message(event.step_failure_data.error)}")
        elif event.event_type_value == "RUN_FAILURE" and not outcome.failures:
            outcome.failures.append(event.message or "the run failed")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if (
                isinstance(evaluation, dg.AssetCheckEvaluation)
                and not evaluation.passed
                and evaluation.severity == dg.AssetCheckSeverity.ERROR
            ):
                outcome.failed_checks.append(
                    f"{evaluation.asset_key.to_user_string()} / {evaluation.check_name}: {evaluation.description or ''}"
                )
        elif event.is_step_materialization and event.asset_key is not None:
            outcome.materialized.append(event.asset_key.to_user_string())


# --- crash recovery -------------------------------------------------------------------------------------------


def _belongs_to(run: dg.DagsterRun, settings: Settings, instance: dg.DagsterInstance) -> bool:
    """Whether a run worked on this data folder (its tag), or, untagged, ran on this folder's own instance."""
    tagged = run.tags.get(DATA_DIR_TAG)
    if tagged:
        return Path(tagged) == settings.data_dir
    home = Path(instance.root_directory).resolve() if instance.root_directory else None
    return home is not None and home.is_relative_to(settings.data_dir)


def recover_dead_runs(instance: dg.DagsterInstance, settings: Settings) -> list[str]:
    """Fail every run left STARTED on this data folder by a process that died, and free its pool slots.

    Called while holding the data folder's run lock: every live run on the folder holds that lock, so a run
    still marked in progress here has no live process (its recorded pid is checked too, on this host)."""
    messages = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=ACTIVE)):
        run = record.dagster_run
        if not _belongs_to(run, settings, instance):
            continue
        pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        where = f" (pid {pid} on {host})" if pid else ""
        if pid and host != socket.gethostname():
            messages.append(f"run {run.run_id[:8]}{where} is marked in progress on another host: not judged from here")
            continue
        if pid and int(pid) != os.getpid() and runlock.process_alive(int(pid)):
            continue  # a live process that has not taken the lock yet: it will be refused by the lock itself
        instance.report_run_failed(
            run,
            f"The process running this run{where} is gone (killed or crashed); "
            "marked failed by the next `bilatrus run`.",
        )
        slots = _free_slots(instance, run.run_id)
        messages.append(
            f"run {run.run_id[:8]} of job {run.job_name}{where} had died: marked failed"
            + (f", {slots} pool slot(s) freed" if slots else "")
        )
    # slots claimed by runs that ended without giving them back (e.g. failed by run monitoring)
    if instance.event_log_storage.supports_global_concurrency_limits:
        for run_id in instance.event_log_storage.get_concurrency_run_ids():
            holder = instance.get_run_by_id(run_id)
            if holder is None or holder.status not in ACTIVE:
                slots = _free_slots(instance, run_id)
                if slots:
                    messages.append(f"run {run_id[:8]} had ended holding {slots} pool slot(s): freed")
    return messages


def _free_slots(instance: dg.DagsterInstance, run_id: str) -> int:
    if not instance.event_log_storage.supports_global_concurrency_limits:
        return 0
    return int(instance.event_log_storage.free_concurrency_slots_for_run(run_id) or 0)


# --- launching runs of the refresh job from the code location --------------------------------------------------


@dataclass(frozen=True)
class CodeLocation:
    """The code location `pipelines.definitions` as `dagster dev -m pipelines.definitions` names it, loaded in this
    process: its repository's definitions (found by Dagster's own autodiscovery), the reconstructable repository the
    runs execute from, and its origin, which every run records so that it shows in the job's history."""

    origin: Any  # InProcessCodeLocationOrigin
    recon_repository: Any  # ReconstructableRepository
    repository: Any  # RepositoryDefinition

    @property
    def asset_graph(self) -> Any:
        return self.repository.asset_graph


def code_location() -> CodeLocation:
    """Load the code location in this process. Unlike Dagster's in-process code location (built for serving it),
    this snapshots no job but the runs' own: no gRPC server, no snapshot of the whole repository."""
    from dagster._core.code_pointer import CodePointer
    from dagster._core.definitions.reconstruct import ReconstructableRepository
    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._grpc.utils import get_loadable_targets

    module, working_directory = "pipelines.definitions", os.getcwd()
    target = LoadableTargetOrigin(
        executable_path=sys.executable, module_name=module, working_directory=working_directory
    )
    origin = InProcessCodeLocationOrigin(target, location_name=LOCATION_NAME)
    (loadable,) = get_loadable_targets(
        python_file=None,
        module_name=module,
        package_name=None,
        autoload_defs_module_name=None,
        working_directory=working_directory,
        attribute=None,
        resolve_lazy_defs=True,
    )
    recon_repository = ReconstructableRepository(
        CodePointer.from_module(module, loadable.attribute, working_directory),
        origin.container_image,
        executable_path=sys.executable,
        entry_point=origin.entry_point,
    )
    return CodeLocation(origin, recon_repository, recon_repository.get_definition())


def _launch(
    location: CodeLocation,
    instance: dg.DagsterInstance,
    keys: set[dg.AssetKey],
    tags: dict[str, str],
    run_config: dict,
    lock: runlock.RunLock,
) -> dg.JobExecutionResult:
    """Create a run of the refresh job for these assets (and their checks) with the location's origin; run it here."""
    from dagster._core.execution.api import execute_run

    run = create_run(location, instance, keys, tags, run_config)
    lock.update(run_id=run.run_id)  # a refused run names the run in the way
    return execute_run(location.recon_repository.get_reconstructable_job(JOB_NAME), run, instance)


def create_run(
    location: CodeLocation,
    instance: dg.DagsterInstance,
    keys: set[dg.AssetKey],
    tags: dict[str, str],
    run_config: dict,
) -> dg.DagsterRun:
    """A run of the refresh job for these assets and their checks, with the code location's origin (not started)."""
    from dagster._core.execution.api import create_execution_plan
    from dagster._core.remote_origin import RemoteJobOrigin, RemoteRepositoryOrigin
    from dagster._core.snap import snapshot_from_execution_plan

    graph = location.asset_graph
    checks = {check for check in graph.asset_check_keys if check.asset_key in keys}
    recon_job = location.recon_repository.get_reconstructable_job(JOB_NAME).get_subset(
        asset_selection=frozenset(keys), asset_check_selection=frozenset(checks)
    )
    job = recon_job.get_definition()
    plan = create_execution_plan(recon_job, run_config, instance_ref=instance.get_ref(), tags=tags)
    return instance.create_run(
        job_name=JOB_NAME,
        run_id=None,
        run_config=run_config,
        resolved_op_selection=None,
        step_keys_to_execute=plan.step_keys_to_execute,
        op_selection=None,
        status=None,
        root_run_id=None,
        parent_run_id=None,
        tags={**job.tags, **tags},
        job_snapshot=job.get_job_snapshot(),
        execution_plan_snapshot=snapshot_from_execution_plan(plan, job.get_job_snapshot_id()),
        parent_job_snapshot=job.get_parent_job_snapshot(),
        remote_job_origin=RemoteJobOrigin(RemoteRepositoryOrigin(location.origin, location.repository.name), JOB_NAME),
        job_code_origin=recon_job.get_python_origin(),
        asset_selection=frozenset(keys),
        asset_check_selection=frozenset(checks),
        asset_graph=graph,
    )


# --- the command ---------------------------------------------------------------------------------------------------


def run_config_for(settings: Settings, force: bool) -> dict:
    config = {
        "data_dir": str(settings.data_dir),
        "mirror": settings.mirror or "",
        "focus_country": settings.focus_country,
        "force": force,
        "dashboard": os.pathsep.join(str(p) for p in settings.dashboard_exports),
    }
    return {
        "resources": {"bilatrus": {"config": config}, "duckdb": {"config": {"database": str(settings.build_path)}}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }


def programmes_from_option(value: str | None) -> list[str]:
    """Parse a `fp6,fp7,h2020,he` option into programme keys (all when empty)."""
    if not value:
        return list(PROGRAMMES)
    wanted = [part.strip().upper() for part in value.split(",") if part.strip()]
    aliases = {"HORIZON": "HE", "HORIZONEUROPE": "HE", "HEU": "HE"}
    wanted = [aliases.get(p, p) for p in wanted]
    unknown = [p for p in wanted if p not in PROGRAMMES]
    if unknown:
        raise BilatrusError(f"unknown programme(s) {', '.join(unknown)}: choose from {', '.join(PROGRAMMES)}")
    return wanted


def published_summary(settings: Settings) -> list[str]:
    """A few lines on the published warehouse: where it is and participations per programme."""
    if not settings.warehouse_path.exists():
        return ["No published warehouse yet."]
    con = open_readonly(settings.warehouse_path)
    try:
        rows = queries.run(con, "published_summary").fetchall()
    finally:
        con.close()
    lines = [f"Published warehouse: {settings.warehouse_path}"]
    if any(row[2] for row in rows):
        lines.append("SYNTHETIC DATA: built from a generated demo mirror, not from CORDIS.")
    lines += [f"  {programme}: {count:,} participations" for programme, count, _ in rows]
    index = settings.reports_dir / "index.html"
    if index.exists():
        lines.append(f"Landscape report: {index} (institution pages under {index.parent / 'institutions'})")
    return lines


def refresh(
    programmes: str | None = None,
    force: bool = False,
    *,
    wait: bool = False,
    on_wait: Callable[[dict], None] | None = None,
    settings: Settings | None = None,
    instance: dg.DagsterInstance | None = None,
    notify: Callable[[str], None] | None = None,
    location: CodeLocation | None = None,
) -> RunOutcome:
    """Run the refresh job for the chosen programmes (all by default); see the module's docstring. `location`: the
    code location already loaded (`code_location()`), else it is loaded here."""
    wanted = programmes_from_option(programmes)
    settings = settings or Settings.from_env()
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    lock = runlock.acquire(settings.data_dir, wait=wait, on_wait=on_wait, command="bilatrus run")
    try:
        # the sources' checks go out now and are answered while Dagster prepares the first run of the downloads
        blocks = contiguous_blocks(wanted)
        if blocks:
            send_ahead(settings, blocks[0])
        if instance is None:
            ensure_instance_home()
            install_sqlite_settings()
            with dg.DagsterInstance.get() as persistent:
                return _refresh_locked(persistent, settings, wanted, force, lock, notify, location)
        return _refresh_locked(instance, settings, wanted, force, lock, notify, location)
    finally:
        early.discard()
        lock.release()


def _refresh_locked(
    instance: dg.DagsterInstance,
    settings: Settings,
    wanted: list[str],
    force: bool,
    lock: runlock.RunLock,
    notify: Callable[[str], None] | None,
    location: CodeLocation | None,
) -> RunOutcome:
    outcome = RunOutcome()
    outcome.recovered = recover_dead_runs(instance, settings)
    outcome.cleaned = remove_leftovers(settings, crashed=bool(outcome.recovered))
    missing = not settings.build_path.exists()
    if reason := full_rebuild_reason(settings):
        # no build file (first run, or removed after a crash), or one changed through the published file (removed
        # now): build everything, every programme, from the downloads
        force, wanted = True, list(PROGRAMMES)
        if not missing:
            outcome.recovered.append(reason)
        elif outcome.recovered:
            outcome.recovered.append("the interrupted build file was removed: rebuilding every programme")
    for line in outcome.recovery_lines():
        (notify or (lambda _: None))(line)
    published = published_manifest(settings)
    if published and published["focus_country"] != settings.focus_country:
        force = True  # the marts describe another country: a setting, not a file, so Dagster cannot see it change
    run_config = run_config_for(settings, force)
    base_tags = {
        "launched_by": "cli",
        "mirror": catalog.mirror_label(settings.mirror) or "official",
        "force": str(force).lower(),
        DATA_DIR_TAG: str(settings.data_dir),
        PID_TAG: lock.info["pid"],
        HOST_TAG: lock.info["host"],
    }
    changed = False
    location = location or code_location()
    graph = location.asset_graph
    for block in contiguous_blocks(wanted):
        tags = {**base_tags, "programmes": ",".join(block).lower(), **programme_range_tags(block)}
        downloads = _launch(location, instance, set(DOWNLOAD_KEYS), tags, run_config, lock)
        _collect(downloads, outcome)
        if not outcome.success:
            break
        rebuild = rebuild_selection(instance, graph, block, settings, everything=force)
        if not rebuild:
            continue
        changed = True
        if LANDING_KEYS.isdisjoint(rebuild):
            prewarm()  # the run validates what it rebuilds (a run that lands files starts it in its landing step)
        build_tags = (
            tags
            if any(graph.get(k).is_partitioned for k in rebuild)
            else {k: v for k, v in tags.items() if not k.startswith("dagster/asset_partition_range")}
        )
        build = _launch(location, instance, rebuild, build_tags, run_config, lock)
        _collect(build, outcome)
        if not outcome.success:
            break
    if outcome.success and not changed:
        outcome.up_to_date = True
        confirm_unchanged(instance, outcome.run_ids[-1])
    if outcome.success:
        outcome.summary = published_summary(settings)
    return outcome


def last_run_row() -> tuple[str, bool | None, str]:
    """The latest run recorded on the persistent instance, as a doctor row."""
    home = Path(os.environ.get("DAGSTER_HOME") or Settings.from_env().dagster_home)
    if not (home / "dagster.yaml").exists():
        return ("last Dagster run", None, f"none: no instance at {home} yet")
    os.environ["DAGSTER_HOME"] = str(home.resolve())
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return ("last Dagster run", None, "none yet")
        run = runs[0]
        record = instance.get_run_record_by_id(run.run_id)
    when = record.end_time or record.start_time if record else None
    stamp = datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds") if when else "unknown time"
    ok = run.status == dg.DagsterRunStatus.SUCCESS
    return ("last Dagster run", ok, f"{run.job_name} {run.run_id[:8]}: {run.status.value} at {stamp}")

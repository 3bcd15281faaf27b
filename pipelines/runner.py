"""Launch the refresh job on the project's persistent Dagster instance and summarise what happened."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from bilatrus_etl import steps
from bilatrus_etl.settings import PROGRAMMES, Settings
from pipelines.defs.partitions import programme_range_tags

INSTANCE_YAML = """\
# Persistent Dagster instance of bilatrus-etl (written by `bilatrus init-instance`).
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""


def ensure_instance_home() -> Path:
    """DAGSTER_HOME (default data/dagster) with its dagster.yaml; exported for this process."""
    home = Path(os.environ.get("DAGSTER_HOME") or Settings.from_env().dagster_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
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
    up_to_date: bool = False
    summary: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.failures and not self.failed_checks

    def summary_lines(self) -> list[str]:
        lines = [f"[red]✗[/] {message}" for message in self.failures]
        lines += [f"[red]✗[/] check failed: {message}" for message in self.failed_checks]
        if self.failed_checks or self.failures:
            lines.append("The published warehouse was left as it was. Fix the cause above and run again.")
        elif self.up_to_date:
            lines.append("[green]✓[/] Every source is unchanged since the last publish: the warehouse is current.")
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


def _collect(result: dg.ExecuteInProcessResult, outcome: RunOutcome) -> None:
    outcome.run_ids.append(result.run_id)
    for event in result.all_events:
        if event.is_step_failure:
            outcome.failures.append(f"{event.step_key}: {_root_message(event.step_failure_data.error)}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                outcome.failed_checks.append(
                    f"{evaluation.asset_key.to_user_string()} / {evaluation.check_name}: {evaluation.description or ''}"
                )
        elif event.is_step_materialization:
            outcome.materialized.append(event.asset_key.to_user_string())


def refresh(programmes: str | None = None, force: bool = False) -> RunOutcome:
    """Run the refresh job for the chosen programmes (all by default) on the persistent instance."""
    ensure_instance_home()
    from pipelines.definitions import defs

    wanted = steps.programmes_from_option(programmes)
    job = defs.resolve_job_def("refresh")
    settings = Settings.from_env()
    config = {"data_dir": str(settings.data_dir), "mirror": settings.mirror or "",
              "focus_country": settings.focus_country, "force": force,
              "dashboard": os.pathsep.join(str(p) for p in settings.dashboard_exports)}
    run_config = {
        "resources": {"bilatrus": {"config": config}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }
    outcome = RunOutcome()
    with dg.DagsterInstance.get() as instance:
        for block in contiguous_blocks(wanted):
            result = job.execute_in_process(
                instance=instance, run_config=run_config, tags=programme_range_tags(block), raise_on_error=False
            )
            _collect(result, outcome)
            if not outcome.success:
                break
    outcome.up_to_date = outcome.success and not any(k.startswith("warehouse/") for k in outcome.materialized)
    if outcome.success:
        outcome.summary = steps.published_summary(settings)
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

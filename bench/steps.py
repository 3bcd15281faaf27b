"""Where the time of a pipeline run goes: Dagster's own step statistics from a DAGSTER_HOME.

`python -m bench.steps DAGSTER_HOME` prints JSON: every run (oldest first) with its start, end and steps
(step key, status, start, end, duration). Run as a subprocess by the benchmark, so that the benchmark process
itself never imports Dagster.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def run_steps(home: Path) -> list[dict[str, object]]:
    """Runs on the instance at `home`, oldest first, each with its step statistics."""
    os.environ["DAGSTER_HOME"] = str(Path(home).resolve())
    import dagster as dg

    runs: list[dict[str, object]] = []
    with dg.DagsterInstance.get() as instance:
        for run in reversed(instance.get_runs()):
            stats = instance.get_run_stats(run.run_id)
            steps = [
                {
                    "step": step.step_key,
                    "status": step.status.value if step.status else None,
                    "start": step.start_time,
                    "end": step.end_time,
                    "duration_s": round(step.end_time - step.start_time, 3)
                    if step.start_time and step.end_time
                    else None,
                }
                for step in instance.get_run_step_stats(run.run_id)
            ]
            runs.append(
                {
                    "run_id": run.run_id,
                    "status": run.status.value,
                    "start": stats.start_time,
                    "end": stats.end_time,
                    "duration_s": round(stats.end_time - stats.start_time, 3)
                    if stats.start_time and stats.end_time
                    else None,
                    "steps": steps,
                }
            )
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m bench.steps DAGSTER_HOME", file=sys.stderr)
        return 2
    json.dump(run_steps(Path(args[0])), sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

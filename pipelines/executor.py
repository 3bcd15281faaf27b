"""The run's executor: every step in this one process, as the in-process executor does, but up to `max_concurrent`
steps at a time, each on a worker thread.

Why threads: every step that writes the build file shares the one DuckDB database instance the run opened
(`BuildWarehouse`), and DuckDB allows one writer *process*, so the multiprocess executor cannot run two of them at
once. Within one process DuckDB runs concurrent transactions (each step on its own cursor) and releases the GIL
while it works, so independent steps (the ROR registry beside the CORDIS staging, the marts side by side, a
table's checks beside the next model) overlap on the machine's cores. The run's resources are built once, as in
process; steps are started when Dagster's `ActiveExecution` lets them (dependencies, blocking checks, retries),
the longest chain of what still waits on them first (`critical_path_first`), and their events are handled on the
run's thread in the order they happen.

Settings: DuckDB's database-wide settings are shared by the steps running at the same time. The landing load turns
preserve_insertion_order off while it runs (and, for a small load, sets DuckDB to one thread), so a step running
beside it reads rows in a given order with ORDER BY, never by relying on a table's physical order, and may run on
one DuckDB thread meanwhile. Landings running side by side (the programmes' files beside the reference tables)
share the settings: the first sets them, the last puts them back (`raw.landing_threads`). No other step changes a
setting but the publish, which runs alone, being downstream of every table.

Waits: a step tagged AFTER_TAG (the suite checks, while Great Expectations is imported in the background) is taken
from the plan but not started until its wait is over, so that the worker runs other ready steps meanwhile.

Pools: the steps of a run share one database instance, so they need no pool between them; one run at a time per
data folder is the run lock's and the run queue's job (README, "One run at a time per data folder").
Interrupts (SIGTERM, SIGINT) stop new steps from starting; the steps already running finish, then the run ends
interrupted, as the multiprocess executor does.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.events import DagsterEvent, EngineEventData
from dagster._core.execution.api import ExecuteRunWithPlanIterable
from dagster._core.execution.compute_logs import create_compute_log_file_key
from dagster._core.execution.context.system import PlanExecutionContext, PlanOrchestrationContext
from dagster._core.execution.context_creation_job import PlanExecutionContextManager
from dagster._core.execution.plan.execute_plan import _trigger_hook, dagster_event_sequence_for_step
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.plan.step import ExecutionStep
from dagster._core.execution.retries import RetryMode, get_retries_config
from dagster._core.executor.base import Executor
from dagster._core.storage.tags import PRIORITY_TAG

from bilatrus_etl.quality.context import importing

DEFAULT_MAX_CONCURRENT = 2
# A step tagged AFTER_TAG: <wait> does not start while that wait is under way (WAITS[<wait>]() is true), so that it
# does not hold a worker idle: other ready steps run meanwhile. The suite checks and the ROR step (whose imports
# wait for it: bilatrus_etl.imports) wait for GX_IMPORT, Great Expectations imported in the background from the
# landing step (`quality.context.prewarm`); with nothing else to start, a waiting step starts anyway and waits inside.
AFTER_TAG = "bilatrus/after"
GX_IMPORT = "gx-import"
WAITS: dict[str, Callable[[], bool]] = {GX_IMPORT: importing}
_DONE = object()  # a worker's last message for its step: the step's events are all out


def default_max_concurrent() -> int:
    """Two steps at a time, or as many as the machine has cores when it has fewer (BILATRUS_MAX_CONCURRENT sets it)."""
    configured = os.environ.get("BILATRUS_MAX_CONCURRENT", "")
    if configured.strip().isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(DEFAULT_MAX_CONCURRENT, os.cpu_count() or 1))


class ThreadedExecutor(Executor):
    def __init__(self, retries: RetryMode, max_concurrent: int) -> None:
        self._retries = retries
        self.max_concurrent = max(1, max_concurrent)

    @property
    def retries(self) -> RetryMode:
        return self._retries

    def execute(self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan) -> Iterator[DagsterEvent]:
        keys = execution_plan.step_keys_to_execute
        yield DagsterEvent.engine_event(
            plan_context,
            f"Executing steps in process (pid: {os.getpid()}), up to {self.max_concurrent} at a time",
            event_specific_data=EngineEventData.in_process(os.getpid(), keys),
        )
        yield from iter(
            ExecuteRunWithPlanIterable(
                execution_plan=plan_context.execution_plan,
                iterator=self._steps,
                execution_context_manager=PlanExecutionContextManager(
                    job=plan_context.job,
                    retry_mode=plan_context.retry_mode,
                    execution_plan=plan_context.execution_plan,
                    run_config=plan_context.run_config,
                    dagster_run=plan_context.dagster_run,
                    instance=plan_context.instance,
                    raise_on_error=plan_context.raise_on_error,
                    output_capture=plan_context.output_capture,
                ),
            )
        )
        yield DagsterEvent.engine_event(
            plan_context,
            f"Finished steps in process (pid: {os.getpid()})",
            event_specific_data=EngineEventData.in_process(os.getpid(), keys),
        )

    def _steps(self, job_context: PlanExecutionContext, execution_plan: ExecutionPlan) -> Iterator[DagsterEvent]:
        """Dagster's in-process plan loop (execute_plan.inner_plan_execution_iterator), with the steps on threads."""
        compute_log_manager = job_context.instance.compute_log_manager
        step_keys = [step.key for step in execution_plan.get_steps_to_execute_in_topo_order()]
        messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        running: dict[str, tuple[Any, list[DagsterEvent]]] = {}
        deferred: list[ExecutionStep] = []  # taken from the plan, not started yet: see AFTER_TAG
        stopping = False
        log_key = compute_log_manager.build_log_key_for_run(job_context.run_id, create_compute_log_file_key())
        with (
            execution_plan.start(
                retry_mode=job_context.retry_mode,
                sort_key_fn=critical_path_first(execution_plan),
                step_dependency_config=job_context.step_dependency_config,
            ) as active,
            compute_log_manager.capture_logs(log_key) as log_context,
            ThreadPoolExecutor(self.max_concurrent, thread_name_prefix="step") as workers,
        ):
            # one capture of the process's output for every step, as in process
            yield DagsterEvent.capture_logs(job_context, step_keys, log_key, log_context)
            while running or (not stopping and not active.is_complete):
                if not stopping and active.check_for_interrupts():
                    stopping = True
                    active.mark_interrupted()
                    yield DagsterEvent.engine_event(
                        job_context,
                        "Interrupted: no new step starts; waiting for the running steps to finish",
                        EngineEventData.interrupted(list(running)),
                    )
                if not stopping:
                    for step in _to_start(active, deferred, self.max_concurrent - len(running), idle=not running):
                        step_context = job_context.for_step(step, active.get_known_state())
                        running[step.key] = (step_context, [])
                        workers.submit(_run_step, step.key, step_context, messages)
                    yield from active.plan_events_iterator(job_context)
                if not running:
                    if not stopping and not active.is_complete:
                        active.sleep_til_ready()
                    continue
                try:
                    key, message = messages.get(timeout=0.1 if deferred else 0.5)
                except queue.Empty:
                    continue
                step_context, step_events = running[key]
                if message is _DONE:
                    del running[key]
                    active.verify_complete(job_context, key)
                    for event in active.plan_events_iterator(job_context):
                        step_events.append(event)
                        yield event
                    yield from _trigger_hook(step_context, step_events)
                elif isinstance(message, BaseException):
                    raise message
                else:
                    step_events.append(message)
                    yield message
                    active.handle_event(message)
            if stopping:
                raise DagsterExecutionInterruptedError()


def _waits(step: ExecutionStep) -> bool:
    wait = WAITS.get(step.tags.get(AFTER_TAG, ""))
    return wait is not None and wait()


def _to_start(active: Any, deferred: list[ExecutionStep], free: int, *, idle: bool) -> list[ExecutionStep]:
    """The steps to start now, at most `free`: deferred steps whose wait is over first, then ready steps in the
    plan's order (`critical_path_first`), each deferred instead while what it waits for is under way. When nothing
    runs (`idle`) and nothing else can start, the deferred steps start anyway."""
    start: list[ExecutionStep] = []
    for step in list(deferred):
        if len(start) < free and not _waits(step):
            deferred.remove(step)
            start.append(step)
    while len(start) < free:
        ready = active.get_steps_to_execute(limit=free - len(start))
        if not ready:
            break
        for step in ready:
            (deferred if _waits(step) else start).append(step)
    if idle and not start:
        start, deferred[:] = deferred[:free], deferred[free:]
    return start


def critical_path_first(plan: ExecutionPlan) -> Callable[[ExecutionStep], float]:
    """The order in which ready steps start: Dagster's `dagster/priority` tag first (higher first), then the step
    with the longest chain of steps still to come after it (a mart the network and the publish wait for before the
    marts nothing waits for), then the plan's own order."""
    steps = plan.get_steps_to_execute_in_topo_order()
    dependents: dict[str, list[str]] = {step.key: [] for step in steps}
    for step in steps:
        for upstream in step.get_execution_dependency_keys():
            dependents.setdefault(upstream, []).append(step.key)
    chain: dict[str, int] = {}
    for step in reversed(steps):
        chain[step.key] = 1 + max((chain.get(key, 1) for key in dependents[step.key]), default=0)
    longest = max(chain.values(), default=0) + 1

    def key(step: ExecutionStep) -> float:
        return -int(step.tags.get(PRIORITY_TAG, 0)) * longest - chain.get(step.key, 0)

    return key


def _run_step(key: str, step_context: Any, messages: queue.Queue[tuple[str, Any]]) -> None:
    """A worker thread: the step's events onto the queue, then _DONE (an error Dagster does not turn into a step
    failure itself is handed to the run's thread to raise)."""
    try:
        for event in dagster_event_sequence_for_step(step_context):
            messages.put((key, event))
    except BaseException as error:  # noqa: BLE001 - re-raised on the run's thread
        messages.put((key, error))
        return
    messages.put((key, _DONE))


@dg.executor(
    name="threaded_in_process",
    config_schema={
        "retries": get_retries_config(),
        "max_concurrent": dg.Field(
            int,
            is_required=False,
            description="Steps running at the same time (default: 2, fewer on a one-core machine; "
            "BILATRUS_MAX_CONCURRENT overrides the default).",
        ),
    },
)
def threaded_in_process_executor(init_context: dg.InitExecutorContext) -> ThreadedExecutor:
    """Every step in the run's process, up to `max_concurrent` at a time on threads (pipelines/executor.py)."""
    config = init_context.executor_config
    retries = RetryMode.from_config(config["retries"])  # type: ignore[arg-type]
    assert retries is not None
    configured = config.get("max_concurrent")
    return ThreadedExecutor(retries, configured if isinstance(configured, int) else default_max_concurrent())

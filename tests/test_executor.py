"""The run's executor (pipelines/executor.py): steps on threads in the run's process, in Dagster's order.

Each test runs a small asset job on an ephemeral instance and asserts on what ran, in which order and how many at
once (counted by the steps themselves, never timed)."""

from __future__ import annotations

import os
import threading

import dagster as dg

from pipelines import executor
from pipelines.definitions import defs
from pipelines.defs.jobs import refresh_job
from pipelines.executor import AFTER_TAG, default_max_concurrent, threaded_in_process_executor


class Tracker:
    """Steps report when they start and end; records the order and the most steps seen running at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[str] = set()
        self.most = 0
        self.log: list[str] = []
        self.threads: set[str] = set()

    def start(self, name: str) -> None:
        with self.lock:
            self.running.add(name)
            self.most = max(self.most, len(self.running))
            self.log.append(f"start {name}")
            self.threads.add(threading.current_thread().name)

    def end(self, name: str) -> None:
        with self.lock:
            self.running.discard(name)
            self.log.append(f"end {name}")


# One job for every test (Dagster keeps the definition a reconstructable job loads); each test sets the state its
# steps read when they run.
_STATE: dict = {}


def _body(name: str) -> None:
    tracker: Tracker = _STATE["tracker"]
    tracker.start(name)
    try:
        barrier = _STATE.get("barrier")
        if barrier is not None and name in {"a", "b"}:
            barrier.wait()
        if name == _STATE.get("fail"):
            raise RuntimeError(f"{name} failed on purpose")
        flaky = _STATE.get("flaky", {})
        if flaky.get(name, 0) > 0:
            flaky[name] -= 1
            raise RuntimeError(f"{name} fails once")
    finally:
        tracker.end(name)


@dg.asset(retry_policy=dg.RetryPolicy(max_retries=1))
def a() -> None:
    _body("a")


@dg.asset
def b() -> None:
    _body("b")


@dg.asset(deps=[a, b])
def c() -> None:
    _body("c")


@dg.asset(deps=[c])
def d() -> None:
    _body("d")


@dg.asset
def e() -> None:
    _body("e")


@dg.asset(op_tags={AFTER_TAG: "test-wait"})
def f() -> None:
    _body("f")


@dg.asset(deps=[f])
def g() -> None:
    _body("g")


@dg.asset
def h() -> None:
    _body("h")


def _waiting_job() -> dg.JobDefinition:
    """f (which waits for "test-wait") before g; h on its own, after f by the plan's order (nothing waits on h)."""
    return dg.Definitions(
        assets=[f, g, h], jobs=[dg.define_asset_job("waiting", executor_def=threaded_in_process_executor)]
    ).resolve_job_def("waiting")


def _job() -> dg.JobDefinition:
    """a and b independent, c after both, d after c; e on its own (nothing waits for it)."""
    return dg.Definitions(
        assets=[a, b, c, d, e], jobs=[dg.define_asset_job("all", executor_def=threaded_in_process_executor)]
    ).resolve_job_def("all")


def _execute(tracker: Tracker, max_concurrent: int | None = None, **state) -> bool:
    _STATE.clear()
    _STATE.update(tracker=tracker, **state)
    config = {"execution": {"config": {"max_concurrent": max_concurrent}}} if max_concurrent else {}
    with dg.instance_for_test() as instance:
        return dg.execute_job(dg.reconstructable(_job), instance=instance, run_config=config).success


def test_independent_steps_run_at_the_same_time_and_dependencies_wait():
    tracker = Tracker()
    # a and b each wait for the other at the barrier: the run only finishes if they run at once
    assert _execute(tracker, max_concurrent=2, barrier=threading.Barrier(2, timeout=60))
    assert tracker.most == 2
    assert len(tracker.threads) == 2
    log = tracker.log
    assert log.index("start c") > max(log.index("end a"), log.index("end b"))
    assert log.index("start d") > log.index("end c")
    assert len(log) == 10


def test_one_at_a_time_when_asked():
    tracker = Tracker()
    assert _execute(tracker, max_concurrent=1)
    assert tracker.most == 1
    starts = [line.split()[1] for line in tracker.log if line.startswith("start")]
    # a and b start first (two steps wait on each); c, which d waits on, before e, which nothing waits on
    assert starts[:3] == ["a", "b", "c"] and sorted(starts[3:]) == ["d", "e"]


def test_a_failed_step_skips_what_is_downstream_and_fails_the_run():
    tracker = Tracker()
    assert not _execute(tracker, max_concurrent=2, fail="a")
    started = {line.split()[1] for line in tracker.log if line.startswith("start")}
    assert started == {"a", "b", "e"}  # b and e ran beside a; c and d never started


def test_a_step_retried_by_its_retry_policy():
    tracker = Tracker()
    flaky = {"a": 1}
    assert _execute(tracker, max_concurrent=2, flaky=flaky)
    assert [line for line in tracker.log if line == "start a"] == ["start a", "start a"]
    second_end_of_a = len(tracker.log) - 1 - tracker.log[::-1].index("end a")
    assert tracker.log.index("start c") > second_end_of_a


def test_default_concurrency(monkeypatch):
    monkeypatch.delenv("BILATRUS_MAX_CONCURRENT", raising=False)
    expected = min(2, os.cpu_count() or 1)
    assert default_max_concurrent() == expected
    monkeypatch.setenv("BILATRUS_MAX_CONCURRENT", "3")
    assert default_max_concurrent() == 3
    monkeypatch.setenv("BILATRUS_MAX_CONCURRENT", "zero")
    assert default_max_concurrent() == expected


def test_the_refresh_job_runs_on_it():
    assert defs.resolve_job_def(refresh_job.name).executor_def is threaded_in_process_executor


INTERRUPTED_RUN = """
import sys, threading, time
from pathlib import Path
sys.path.insert(0, {tests!r})
import dagster as dg
import test_executor as t

marker = Path({marker!r})
tracker = t.Tracker()
original = t._body

def interrupt_seen():
    run_id = instance.get_runs()[0].run_id
    return any("Interrupted" in (entry.user_message or "") for entry in instance.all_logs(run_id))

def body(name):
    if name == "a":  # a tells the test it runs, then works on until the run's thread has seen the interrupt
        marker.write_text("a runs")
        while not interrupt_seen():
            time.sleep(0.05)
    original(name)

t._body = body
with dg.instance_for_test() as instance:
    t._STATE.update(tracker=tracker)
    result = dg.execute_job(dg.reconstructable(t._job), instance=instance, raise_on_error=False)
    print("SUCCESS" if result.success else "NOT SUCCESS", " ".join(tracker.log))
"""


def test_an_interrupt_lets_running_steps_finish_and_starts_no_new_one(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    marker = tmp_path / "a-runs"
    script = INTERRUPTED_RUN.format(tests=str(os.path.dirname(__file__)), marker=str(marker))
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), process.communicate()[1][-2000:]
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert "NOT SUCCESS" in out, err[-2000:]
    log = out.split(" ", 2)[-1].split()
    assert "c" not in log and "d" not in log  # nothing downstream started after the interrupt
    assert "end a" in out  # the running step finished
    assert "Interrupted: no new step starts" in err


def _starts_of_waiting_job(monkeypatch, wait) -> list[str]:
    """The order the waiting job's steps start in, on one worker, with `wait` as what f waits for."""
    tracker = Tracker()
    _STATE.clear()
    _STATE.update(tracker=tracker)
    monkeypatch.setitem(executor.WAITS, "test-wait", lambda: wait(tracker))
    config = {"execution": {"config": {"max_concurrent": 1}}}
    with dg.instance_for_test() as instance:
        assert dg.execute_job(dg.reconstructable(_waiting_job), instance=instance, run_config=config).success
    return [line.split()[1] for line in tracker.log if line.startswith("start")]


def test_a_step_waiting_for_a_background_import_lets_other_steps_run_first(monkeypatch):
    # f waits until h has ended: the one worker runs h first, though f comes first by the plan's order
    assert _starts_of_waiting_job(monkeypatch, lambda tracker: "end h" not in tracker.log) == ["h", "f", "g"]
    # a wait that never ends: once nothing else can start, f starts anyway (and waits inside), and the run ends
    assert _starts_of_waiting_job(monkeypatch, lambda tracker: True) == ["h", "f", "g"]
    # nothing to wait for: the plan's order
    assert _starts_of_waiting_job(monkeypatch, lambda tracker: False)[0] == "f"

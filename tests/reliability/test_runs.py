"""Runs that die, runs that collide, readers during publishes.

`bilatrus run` subprocesses on a small synthetic mirror served over loopback. A kill lands at a named step:
BILATRUS_FAULT_POINT makes the run write its pid to a marker file there and wait, the test sends SIGKILL. Each
next run must find the dead run, fail it (and free any concurrency slot it held), clean its leftovers and publish
the same figures as the generator's manifest says a clean build holds.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from fixture_server import FixtureServer
from pipeline_fixtures import serve_ror_under_official_name

from bilatrus_etl.progress import FAULT_POINT_ENV
from bilatrus_etl.warehouse.publish import publish
from bilatrus_etl_synthetic.mirror import write_mirror

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
KILL_POINTS = ("download", "land", "stage", "validate", "core", "marts", "publish", "hand-over")
BOUND_S = 420  # no run of this tiny mirror comes near it; a hang fails instead of blocking the suite


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k not in {"BILATRUS_MIRROR", FAULT_POINT_ENV}}
    return {
        **inherited,
        "BILATRUS_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(data_dir / "dagster"),
        "COLUMNS": "200",
        **extra,
    }


def _start(data_dir: Path, mirror: str, log: Path, *args: str, **extra: str) -> subprocess.Popen:
    """A `bilatrus run` in the background, its output in `log` (a pipe nobody reads could block it)."""
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "run", "--mirror", mirror, *args],
            cwd=ROOT,
            env=_env(data_dir, **extra),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def _run(data_dir: Path, mirror: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--mirror", mirror, *args],
        cwd=ROOT,
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=BOUND_S,
    )


def _start_with_fault(point: str, data_dir: Path, mirror: str, marker: Path, *args: str) -> subprocess.Popen:
    # --force: after a publish from unchanged sources a plain run would rebuild nothing and reach no step
    return _start(
        data_dir, mirror, marker.with_suffix(".log"), "--force", *args, **{FAULT_POINT_ENV: f"{point}={marker}"}
    )


def _paused_at(
    point: str, data_dir: Path, mirror: str, marker: Path, process: subprocess.Popen | None = None
) -> subprocess.Popen:
    """A run started with a fault point (or the one given), returned once it waits there."""
    log = marker.with_suffix(".log")
    process = process or _start_with_fault(point, data_dir, mirror, marker)
    deadline = time.monotonic() + BOUND_S
    while not marker.exists():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before reaching {point}: {log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError(f"the run did not reach {point} within {BOUND_S} s")
        time.sleep(0.2)
    assert int(marker.read_text()) == process.pid  # the run executes in the `bilatrus run` process itself
    return process


def _kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _figures(data_dir: Path) -> dict[str, tuple[int, int]]:
    """Participations and the focus country's participations per programme, read from the published file."""
    con = duckdb.connect(str(data_dir / "warehouse" / "bilatrus.duckdb"), read_only=True)
    try:
        rows = dict(con.execute("SELECT framework_programme, count(*) FROM stg_participation GROUP BY ALL").fetchall())
        ru = dict(
            con.execute(
                "SELECT framework_programme, sum(participations)::INT FROM mart_country_participation GROUP BY ALL"
            ).fetchall()
        )
    finally:
        con.close()
    return {p: (rows.get(p, 0), ru.get(p, 0)) for p in ("FP6", "FP7", "H2020", "HE")}


def _rows_lost(got: dict[str, tuple[int, int]], expected: dict[str, tuple[int, int]]) -> int:
    return sum(abs(e[0] - got[p][0]) + abs(e[1] - got[p][1]) for p, e in expected.items())


def _instance_state(data_dir: Path) -> tuple[list[str], set[str], dict[str, str]]:
    """Runs still marked in progress, runs holding pool slots, and every run's status, read from the instance."""
    with dg.DagsterInstance.from_config(str(data_dir / "dagster")) as instance:
        started = [r.run_id for r in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))]
        holding = set(instance.event_log_storage.get_concurrency_run_ids())
        statuses = {r.run_id: r.status.value for r in instance.get_runs()}
    return started, holding, statuses


@pytest.fixture(scope="module")
def served_mirror(tmp_path_factory):
    """A mirror of its own, the smallest (scale 0.002): the kill test runs the whole pipeline seven times in a row."""
    folder = tmp_path_factory.mktemp("mirror")
    manifest = write_mirror(folder, scale=0.002, seed=5)
    serve_ror_under_official_name(folder)
    expected = {
        p: (int(manifest["expected"][p]["participations"]), int(manifest["expected"][p]["ru_participations"]))
        for p in ("FP6", "FP7", "H2020", "HE")
    }
    with FixtureServer(folder) as server:
        yield server.url, expected


def test_kill_at_every_step_then_plain_rerun_and_a_second_run_during_a_run(fault, served_mirror, tmp_path):
    """One data folder: a run killed at each step in turn, each next run recovering the dead one, and a plain run
    at the end. While the run waits at staging, a second run refuses (naming it) and a third `--wait`s; it takes
    over when the first is killed, recovers it, and is itself the run killed at validation."""
    mirror, expected = served_mirror
    data_dir = tmp_path / "data"
    killed: dict[str, list[str]] = {}
    taking_over = None
    for point in KILL_POINTS:
        marker = tmp_path / f"at-{point}"
        process = _paused_at(point, data_dir, mirror, marker, taking_over)
        taking_over = None
        if point == "download":
            assert list((data_dir / "raw").rglob("*.part")), "a download in flight keeps a .part file"
        if point == "stage":
            taking_over = _second_runs_during_a_run(fault, data_dir, mirror, process, tmp_path / "at-validate")
        killed[point], _, _ = _instance_state(data_dir)  # the paused run's own run: it recovered the others first
        assert len(killed[point]) == 1
        _kill(process)
        if taking_over is not None:  # it waited for the lock, got it when the run at staging died
            _paused_at("validate", data_dir, mirror, tmp_path / "at-validate", taking_over)
            log = (tmp_path / "at-validate.log").read_text()
            assert "had died: marked failed" in log and "build.duckdb" in log
    rerun = _run(data_dir, mirror)  # plain: no --force, no fault point
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    message = " ".join(rerun.stderr.split())
    assert "had died: marked failed" in message and "removed" in message
    got = _figures(data_dir)
    started, holding, statuses = _instance_state(data_dir)
    assert not list((data_dir / "raw").rglob("*.part"))
    for point, run_ids in killed.items():
        failed = all(statuses[run_id] == "FAILURE" for run_id in run_ids)
        fine = failed and got == expected and not started and not holding
        fault(
            f"kill -9 at {point}",
            expected="the next run fails the dead run, holds no slot for it, rebuilds",
            outcome=f"{len(run_ids)} killed run(s) {'FAILURE' if failed else 'NOT failed'}; final publish "
            f"{'equals' if got == expected else 'DIFFERS from'} a clean build",
            rows_lost=_rows_lost(got, expected),
            ok=fine,
        )
    assert got == expected
    assert started == [] and holding == set()
    assert all(statuses[run_id] == "FAILURE" for ids in killed.values() for run_id in ids)


def _second_runs_during_a_run(
    fault, data_dir: Path, mirror: str, paused: subprocess.Popen, next_marker: Path
) -> subprocess.Popen:
    """While `paused` holds the folder: a plain second run refuses; a `--wait` one waits (and is returned)."""
    refused = _run(data_dir, mirror)
    message = " ".join(refused.stderr.split())
    ok = refused.returncode == 1 and f"pid {paused.pid}" in message and "--wait" in message
    fault("second run during a run", expected="refuses, naming the running run", outcome=message[:120], ok=ok)
    assert ok, refused.stderr[-2000:]
    waiting = _start_with_fault("validate", data_dir, mirror, next_marker, "--wait")
    log = next_marker.with_suffix(".log")
    deadline = time.monotonic() + 120
    while "waiting for" not in log.read_text() and time.monotonic() < deadline and waiting.poll() is None:
        time.sleep(0.2)
    text = " ".join(log.read_text().split())
    ok = "waiting for" in text and f"pid {paused.pid}" in text and waiting.poll() is None
    fault(
        "second run during a run, --wait",
        expected="waits, naming the running run, then takes over",
        outcome=text[:120],
        ok=ok,
    )
    assert ok, text
    return waiting


def _reader(published: Path, stop: Path, out: Path) -> subprocess.Popen:
    code = f"""
import duckdb, os, time
reads = errors = 0
seen = set()
deadline = time.monotonic() + 120
while not os.path.exists({str(stop)!r}) and reads < 5000 and time.monotonic() < deadline:
    try:
        con = duckdb.connect({str(published)!r}, read_only=True)
        seen.add(con.execute("SELECT count(*), sum(v) FROM t").fetchone())
        con.close()
        reads += 1
    except Exception:
        errors += 1
open({str(out)!r}, "w").write(repr((reads, errors, sorted(seen))))
"""
    return subprocess.Popen([sys.executable, "-c", code])


def test_four_readers_through_three_publishes(fault, tmp_path):
    published, build = tmp_path / "bilatrus.duckdb", tmp_path / "build.duckdb"

    def build_with(rows: int) -> None:
        con = duckdb.connect(str(build))
        con.execute(f"CREATE OR REPLACE TABLE t AS SELECT range AS v FROM range({rows})")
        con.close()

    build_with(100)
    publish(build, published)
    stop = tmp_path / "stop"
    outs = [tmp_path / f"reader{i}" for i in range(4)]
    readers = [_reader(published, stop, out) for out in outs]
    time.sleep(1)
    for rows in (200, 300, 400):
        build_with(rows)
        publish(build, published)
        time.sleep(0.5)
    stop.touch()
    for reader in readers:
        reader.wait(timeout=180)
    results = [ast.literal_eval(out.read_text()) for out in outs]  # (reads, errors, [(count, sum), ...])
    valid = {(n, n * (n - 1) // 2) for n in (100, 200, 300, 400)}
    reads, errors = sum(r[0] for r in results), sum(r[1] for r in results)
    seen = {tuple(pair) for r in results for pair in r[2]}
    ok = errors == 0 and reads > 0 and seen <= valid
    fault(
        "4 readers through 3 publishes",
        expected="0 errors, every read a whole published file",
        outcome=f"{reads} reads, {errors} errors, {len(seen)} distinct versions seen",
        ok=ok,
    )
    assert ok, results

"""The production topology on one machine, every part a separate process, with deploy/'s own files:

PostgreSQL (Debian's package; initdb and postgres run as the `postgres` user when we are root) holds the Dagster
instance (deploy/dagster.yaml); a gRPC code server runs the code location from the INSTALLED WHEEL; the webserver
and the daemon read deploy/workspace.yaml, which points at that server. The `refresh` job is launched through the
webserver's GraphQL API, queued, started by the daemon in its own process (DefaultRunLauncher), runs to success
on the demo mirror, and publishes a warehouse that reads back with the generator's expected counts. Then the
published file is changed read-write and a run of the downloads alone (the schedule's) is launched: the daemon's
`build_stale_assets` sensor removes the changed build and launches a build of every asset, which publishes a
warehouse without that change.
Every process is stopped by its pid at the end, also when the test fails.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest
from fixture_server import closed_port
from installed_package import InstalledPackage, clean_env

pytestmark = pytest.mark.slow

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
BIN = Path(sys.executable).parent
RUN_TIMEOUT = 900  # seconds: bounded wait for the run (it takes one to three minutes)


def postgres_bin() -> Path:
    """The folder of initdb/pg_ctl/postgres: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if candidates:
        return Path(candidates[-1]).parent
    message = "PostgreSQL is not installed (initdb not found): `apt-get install -y postgresql` (.ci/run does it)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


def as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` system user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Processes:
    """Processes this test started, stopped by pid (TERM, then KILL after a bounded wait), newest first."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []
        self.others: list[int] = []  # pids started on our behalf (the run worker), stopped first

    def start(self, name: str, command: list[str | Path], **kwargs) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w", encoding="utf-8")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [str(c) for c in command], stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )
        log.close()
        self.started.append((name, process))
        return process

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return f"--- {name} ---\n" + (
            path.read_text(encoding="utf-8", errors="replace")[-chars:] if path.exists() else ""
        )

    def stop_all(self, postmaster_pid: Path | None = None) -> None:
        for pid in self.others:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for name, process in reversed(self.started):
            if process.poll() is not None:
                continue
            if name == "postgres" and postmaster_pid is not None and postmaster_pid.exists():
                # runuser stands between us and the postmaster: a fast shutdown by the postmaster's own pid
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(postmaster_pid.read_text().split()[0]), signal.SIGINT)
            else:
                os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def start_postgres(folder: Path, processes: Processes) -> dict[str, str]:
    """A throwaway PostgreSQL cluster in `folder` on a loopback port; the DAGSTER_PG_* variables of deploy/dagster.yaml."""
    import psycopg2

    bin_dir = postgres_bin()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    data = folder / "data"
    subprocess.run(
        as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "dagster",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = closed_port()
    server = processes.start(
        "postgres",
        as_postgres(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(folder),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ]
        ),
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            connection = psycopg2.connect(host="127.0.0.1", port=port, user="dagster", dbname="postgres")
            break
        except psycopg2.OperationalError:
            assert server.poll() is None and time.monotonic() < deadline, processes.tail("postgres")
            time.sleep(0.5)
    connection.autocommit = True
    connection.cursor().execute("CREATE DATABASE dagster")
    connection.close()
    return {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(port),
        "DAGSTER_PG_USER": "dagster",
        "DAGSTER_PG_PASSWORD": "unused-with-trust-auth",
        "DAGSTER_PG_DB": "dagster",
    }


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.loads(response.read())
    assert "errors" not in payload, payload
    return payload["data"]


LOCATIONS = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""

LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId status } } ... on PythonError { message stack }
  ... on RunConfigValidationInvalid { errors { message } } ... on InvalidSubsetError { message } } }"""

SENSOR_RUNS = """{ runsOrError(filter: {tags: [{key: "dagster/sensor_name", value: "build_stale_assets"}]}) {
  ... on Runs { results { runId status tags { key value } assetSelection { path } } } } }"""

RUN = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status jobName
  repositoryOrigin { repositoryLocationName } } } }"""

EVENTS = """query($id: ID!) { logsForRun(runId: $id, limit: 5000) { __typename
  ... on EventConnection { events { __typename ... on MessageEvent { message }
    ... on ExecutionStepFailureEvent { stepKey error { message } } } } } }"""


def run_messages(port: int, run_id: str) -> list[str]:
    events = graphql(port, EVENTS, {"id": run_id})["logsForRun"]["events"]
    return [event.get("message") or "" for event in events]


def step_errors(port: int, run_id: str) -> str:
    """Each failed step's error, first (the run's last messages say only what was not executed because of it)."""
    events = graphql(port, EVENTS, {"id": run_id})["logsForRun"]["events"]
    return "".join(
        f"step {e['stepKey']} failed: {(e.get('error') or {}).get('message', '')[:3000]}\n"
        for e in events
        if e["__typename"] == "ExecutionStepFailureEvent"
    )


def run_pids(port: int, run_id: str) -> list[int]:
    """The pid of the run's own process, from its "Started process for run (pid: N)" event (none before it starts)."""
    return [
        int(pid)
        for text in run_messages(port, run_id)
        for pid in re.findall(r"Started process for run \(pid: (\d+)\)", text)
    ]


def wait_for(condition, *, timeout: float, what: str, diagnostics) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{diagnostics()}"
        time.sleep(1)


def test_refresh_runs_through_webserver_daemon_and_code_server_on_postgres(
    package: InstalledPackage, tmp_path: Path
) -> None:
    processes = Processes(tmp_path)
    home, data_dir, empty = tmp_path / "dagster_home", tmp_path / "data", tmp_path / "empty"
    for folder in (home, empty):
        folder.mkdir()
    shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    shutil.copy(DEPLOY / "workspace.yaml", tmp_path / "workspace.yaml")
    grpc_port, web_port = closed_port(), closed_port()
    diagnostics = lambda: "\n".join(processes.tail(n) for n in ("postgres", "code-server", "webserver", "daemon"))  # noqa: E731
    pg_folder = Path(tempfile.mkdtemp(prefix="bilatrus-pg-"))  # outside pytest's folders, which only root may enter
    try:
        pg_env = start_postgres(pg_folder, processes)
        env = clean_env(
            DAGSTER_HOME=str(home),
            BILATRUS_CODE_SERVER_HOST="127.0.0.1",
            BILATRUS_CODE_SERVER_PORT=str(grpc_port),
            **pg_env,
        )
        code_env = {**env, "BILATRUS_DATA_DIR": str(data_dir), "BILATRUS_MIRROR": str(package.mirror)}
        code_server = processes.start(
            "code-server",
            [
                package.python,
                "-m",
                "dagster",
                "api",
                "grpc",
                "-m",
                "pipelines.definitions",
                "-h",
                "127.0.0.1",
                "-p",
                str(grpc_port),
            ],
            cwd=empty,
            env=code_env,
        )
        webserver = processes.start(
            "webserver",
            [BIN / "dagster-webserver", "-w", tmp_path / "workspace.yaml", "-h", "127.0.0.1", "-p", str(web_port)],
            cwd=empty,
            env=env,
        )

        def location_loaded() -> bool:
            for process in (code_server, webserver):
                assert process.poll() is None, diagnostics()
            try:
                entries = graphql(web_port, LOCATIONS)["workspaceOrError"]["locationEntries"]
            except OSError:
                return False
            if entries and entries[0]["locationOrLoadError"]["__typename"] == "PythonError":
                graphql(web_port, "mutation { reloadWorkspace { __typename } }")  # code server still starting
                return False
            return bool(entries) and entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation"

        wait_for(location_loaded, timeout=300, what="the webserver to load the code location", diagnostics=diagnostics)
        # the daemon loads the workspace when it starts: started before the code server answered, its run queue
        # found the location unreachable and failed the queued run ("Caught an unrecoverable error while dequeuing")
        daemon = processes.start(
            "daemon", [BIN / "dagster-daemon", "run", "-w", tmp_path / "workspace.yaml"], cwd=empty, env=env
        )
        params = {
            "selector": {
                "repositoryLocationName": "bilatrus",
                "repositoryName": "__repository__",
                "jobName": "refresh",
            },
            "runConfigData": {},
            "executionMetadata": {
                "tags": [
                    {"key": "dagster/asset_partition_range_start", "value": "FP6"},
                    {"key": "dagster/asset_partition_range_end", "value": "HE"},
                    {"key": "launched_by", "value": "deploy-test"},
                ]
            },
        }
        launched = graphql(web_port, LAUNCH, {"params": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]

        def finish(run_id: str) -> dict:
            """Wait for the run to end; it must have succeeded."""

            def run_finished() -> bool:
                assert daemon.poll() is None and code_server.poll() is None, diagnostics()
                if not processes.others:  # its own process, stopped with ours if the test fails
                    processes.others += run_pids(web_port, run_id)
                status = graphql(web_port, RUN, {"id": run_id})["runOrError"]["status"]
                return status in {"SUCCESS", "FAILURE", "CANCELED"}

            wait_for(run_finished, timeout=RUN_TIMEOUT, what=f"run {run_id}", diagnostics=diagnostics)
            processes.others.clear()  # the run is over: its process has ended
            run = graphql(web_port, RUN, {"id": run_id})["runOrError"]
            messages = run_messages(web_port, run_id)
            assert run["status"] == "SUCCESS", (
                step_errors(web_port, run_id) + "\n".join(m for m in messages if m)[-5000:] + diagnostics()
            )
            return run

        run = finish(run_id)
        assert run["jobName"] == "refresh" and run["repositoryOrigin"]["repositoryLocationName"] == "bilatrus"

        # queued by the webserver, dequeued by the daemon, run in a process of its own
        pids = run_pids(web_port, run_id)
        assert len(pids) == 1 and pids[0] not in {code_server.pid, webserver.pid, daemon.pid, os.getpid()}

        # the instance is PostgreSQL: the run is a row of its runs table
        import psycopg2

        connection = psycopg2.connect(
            host="127.0.0.1", port=int(pg_env["DAGSTER_PG_PORT"]), user="dagster", dbname="dagster"
        )
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT status, pipeline_name FROM runs WHERE run_id = %s", (run_id,))
            assert cursor.fetchall() == [("SUCCESS", "refresh")]
        finally:
            connection.close()

        # an analyst opens the published warehouse read-write: the handed-over build file changes with it. A run of
        # the downloads alone (what the schedule launches), then the daemon's sensor removes that build and launches
        # a build of every asset, which publishes a warehouse without the analyst's table
        published = data_dir / "warehouse" / "bilatrus.duckdb"
        assert os.path.samefile(published, data_dir / "warehouse" / "build.duckdb")
        with duckdb.connect(str(published)) as con:
            con.execute("CREATE TABLE analyst_scratch AS SELECT 42 AS answer")
        downloads = [["raw", "cordis_programme_files"], ["raw", "cordisref"], ["raw", "ror_dump"]]
        params["selector"]["assetSelection"] = [{"path": path} for path in downloads]
        launched = graphql(web_port, LAUNCH, {"params": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        finish(launched["run"]["runId"])
        sensor_runs: list[dict] = []

        def sensor_launched() -> bool:
            sensor_runs[:] = graphql(web_port, SENSOR_RUNS)["runsOrError"]["results"]
            return bool(sensor_runs)

        wait_for(sensor_launched, timeout=300, what="the sensor's build run", diagnostics=diagnostics)
        rebuild = sensor_runs[0]
        assert {"key": "force", "value": "true"} in rebuild["tags"]
        finish(rebuild["runId"])
        assert {tuple(key["path"]) for key in rebuild["assetSelection"]} >= {
            ("staging", "land_participation"),
            ("warehouse", "published_warehouse"),
        }
        with duckdb.connect(str(published), read_only=True) as con:
            tables = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "analyst_scratch" not in tables and "mart_third_country_ranking" in tables
    finally:
        processes.stop_all(postmaster_pid=pg_folder / "data" / "postmaster.pid")
        shutil.rmtree(pg_folder, ignore_errors=True)
    assert all(process.poll() is not None for _, process in processes.started)

    # the published warehouse reads back with the synthetic generator's counts
    expected = json.loads((package.mirror / "manifest.json").read_text(encoding="utf-8"))["expected"]
    con = duckdb.connect(str(data_dir / "warehouse" / "bilatrus.duckdb"), read_only=True)
    try:
        counts = dict(
            con.execute("SELECT framework_programme, count(*) FROM stg_participation GROUP BY ALL").fetchall()
        )
        assert con.execute("SELECT synthetic FROM meta_build").fetchone()[0] is True
    finally:
        con.close()
    assert counts == {p: expected[p]["participations"] for p in ("FP6", "FP7", "H2020", "HE")}

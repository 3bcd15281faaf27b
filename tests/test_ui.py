"""The Dagster UI: `dagster dev` on 127.0.0.1, on the instance of the run's demo warehouse, shows the lineage, the
checks and the runs `bilatrus run` launched; stopped by its pid.

(`dg dev` looks for the code under src/ and does not fit this layout; `dagster dev -m` is the documented way.)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
RUNS = """{ runsOrError(filter: {pipelineName: "refresh",
                tags: [{key: ".dagster/repository", value: "__repository__@pipelines.definitions"}]}) {
              ... on Runs { results { runId pipelineName tags { key value }
                                      repositoryOrigin { repositoryLocationName repositoryName } } } } }"""
QUERY = """{ assetNodes { assetKey { path } dependencyKeys { path } groupName description
              assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dagster dev exited with {process.returncode}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def _refresh_runs(home: Path) -> list[str]:
    """The ids of the refresh runs recorded in the instance at `home`, read with Dagster's own API."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        return sorted(r.run_id for r in instance.get_runs(dg.RunsFilter(job_name="refresh")))


def test_ui_serves_lineage_checks_and_the_cli_runs(demo_warehouse, tmp_path):
    """What only the UI shows: the webserver loads the code location, every asset node carries its group,
    description and lineage, the checks show whether they block, and the runs `bilatrus run` launched are in the
    refresh job's history under the repository filter the UI uses. (The graph itself and the runs' origin and tags
    are checked on the definitions and the instance by test_pipeline.)"""
    data_dir = demo_warehouse.copy(tmp_path / "data")  # the instance of a real `bilatrus run`; the UI writes to it
    home = data_dir / "dagster"
    run_ids = _refresh_runs(home)
    assert run_ids
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "BILATRUS_DATA_DIR": str(data_dir)}
    env.pop("BILATRUS_MIRROR", None)
    dagster = Path(sys.executable).with_name("dagster")
    process = subprocess.Popen(
        [str(dagster), "dev", "-m", "pipelines.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/server_info", process)
        deadline = time.monotonic() + 120
        nodes = []
        while time.monotonic() < deadline and not nodes:  # the code location loads after the server answers
            answer = requests.post(f"http://127.0.0.1:{port}/graphql", json={"query": QUERY}, timeout=30).json()
            nodes = (answer.get("data") or {}).get("assetNodes") or []
            time.sleep(1 if not nodes else 0)
        by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        assert all(n["description"] and n["groupName"] for n in nodes)
        fact = by_key["core/fact_participation"]
        assert "staging/stg_participation" in {"/".join(d["path"]) for d in fact["dependencyKeys"]}
        checks = {c["name"]: c["blocking"] for c in fact["assetChecksOrError"]["checks"]}
        # the suite and, beside it, each SQL check of sql/checks/fact_participation__*.sql, all blocking
        assert checks == {
            "gx_fact_participation": True,
            "sql_column_types": True,
            "sql_foreign_key_country": True,
            "sql_foreign_key_organization": True,
            "sql_foreign_key_project": True,
            "sql_row_count_by_programme": True,
        }
        # the runs the CLI launched are in the refresh job's history (repository filter)
        runs = requests.post(f"http://127.0.0.1:{port}/graphql", json={"query": RUNS}, timeout=30).json()
        results = runs["data"]["runsOrError"]["results"]
        assert sorted(r["runId"] for r in results) == run_ids
        assert all(
            r["repositoryOrigin"]
            == {"repositoryLocationName": "pipelines.definitions", "repositoryName": "__repository__"}
            for r in results
        )
        assert all({"key": "launched_by", "value": "cli"} in r["tags"] for r in results)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

"""The Dagster UI: `dagster dev` on 127.0.0.1 shows the lineage and the checks; stopped by its pid.

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


def _cli_run_record(home: Path, data_dir: Path) -> str:
    """Create (without executing) a run as `bilatrus run` creates them, on the instance at `home`."""
    import dagster as dg

    from bilatrus_etl.settings import Settings
    from pipelines import runner

    settings = Settings.from_env(data_dir=data_dir)
    with dg.DagsterInstance.local_temp(str(home)) as instance, runner.code_location(instance) as (location, repo):
        run = runner.create_run(location, repo, instance, set(runner.DOWNLOAD_KEYS),
                                {"launched_by": "cli", "programmes": "fp7", "force": "false",
                                 "dagster/asset_partition_range_start": "FP7", "dagster/asset_partition_range_end": "FP7"},
                                runner.run_config_for(settings, force=False))
    return run.run_id


def test_ui_serves_lineage_and_checks(tmp_path):
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster"), "BILATRUS_DATA_DIR": str(tmp_path / "data")}
    (tmp_path / "dagster").mkdir()
    run_id = _cli_run_record(tmp_path / "dagster", tmp_path / "data")
    dagster = Path(sys.executable).with_name("dagster")
    process = subprocess.Popen(
        [str(dagster), "dev", "-m", "pipelines.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
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
        fact = by_key["core/fact_participation"]
        assert {"/".join(d["path"]) for d in fact["dependencyKeys"]} >= {"staging/stg_participation", "core/dim_project"}
        assert fact["groupName"] == "core" and fact["description"]
        checks = {c["name"]: c["blocking"] for c in fact["assetChecksOrError"]["checks"]}
        assert checks == {"gx_fact_participation": True}
        assert all(n["description"] for n in nodes)
        # a run created the way `bilatrus run` creates its runs is in the refresh job's history (repository filter)
        runs = requests.post(f"http://127.0.0.1:{port}/graphql", json={"query": RUNS}, timeout=30).json()
        results = runs["data"]["runsOrError"]["results"]
        assert [r["runId"] for r in results] == [run_id]
        assert results[0]["repositoryOrigin"] == {"repositoryLocationName": "pipelines.definitions",
                                                  "repositoryName": "__repository__"}
        tags = {t["key"]: t["value"] for t in results[0]["tags"]}
        assert tags["launched_by"] == "cli" and tags["programmes"] == "fp7" and tags["force"] == "false"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

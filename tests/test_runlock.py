"""One run per data folder: the run lock, what it says about its holder, and a holder that dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from bilatrus_etl.ingest import catalog
from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse import runlock
from bilatrus_etl.warehouse.recovery import leftovers, remove_leftovers


def test_a_second_run_is_refused_naming_the_first(tmp_path):
    with runlock.acquire(tmp_path, run_id="1a2b3c4d5e6f") as lock:
        assert runlock.held_here(tmp_path) is lock
        assert runlock.holder(tmp_path)["pid"] == str(os.getpid())
        with pytest.raises(runlock.RunInProgress) as refused:
            runlock.acquire(tmp_path)
        message = str(refused.value)
        assert f"run 1a2b3c4d (pid {os.getpid()}" in message and "--wait" in message
    assert runlock.holder(tmp_path) is None and runlock.held_here(tmp_path) is None


def test_waiting_with_a_timeout_gives_up_naming_the_holder(tmp_path):
    waited = []
    with runlock.acquire(tmp_path, run_id="9f8e7d6c5b4a"):
        with pytest.raises(runlock.RunInProgress, match="run 9f8e7d6c"):
            runlock.acquire(tmp_path, wait=True, timeout_s=0.2, poll_s=0.05, on_wait=waited.append)
    assert [holder["run_id"] for holder in waited] == ["9f8e7d6c5b4a"]  # it did wait, once announced
    with runlock.acquire(tmp_path, wait=True, timeout_s=0.2) as lock:  # free: taken at once
        assert runlock.held_here(tmp_path) is lock


def test_a_lock_from_a_killed_process_never_blocks(tmp_path):
    code = (
        "import sys, time; from bilatrus_etl.warehouse import runlock; runlock.acquire(sys.argv[1]); "
        "print('locked', flush=True); time.sleep(120)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    assert runlock.holder(tmp_path)["pid"] == str(holder.pid)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    assert runlock.holder(tmp_path) is None  # the kernel dropped the dead holder's lock
    with runlock.acquire(tmp_path):  # not even --wait needed
        assert runlock.holder(tmp_path)["pid"] == str(os.getpid())
    holder.stdout.close()


def test_leftovers_of_a_killed_run(tmp_path):
    settings = Settings.from_env(data_dir=tmp_path)
    part = settings.raw_dir / "cordis_fp7" / ".download-x.part"
    temp = settings.warehouse_path.with_name(f".{settings.warehouse_path.name}.123.tmp")
    build, wal = settings.build_path, settings.build_path.with_name(settings.build_path.name + ".wal")
    keep = settings.raw_dir / "cordis_fp7" / "abc.zip"
    for path in (part, temp, build, keep):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    assert set(leftovers(settings, crashed=False)) == {part, temp}  # a build without .wal is a finished one
    wal.write_bytes(b"x")
    removed = remove_leftovers(settings, crashed=False)
    assert sorted(removed) == sorted(
        [
            "raw/cordis_fp7/.download-x.part",
            "warehouse/.bilatrus.duckdb.123.tmp",
            "warehouse/build.duckdb",
            "warehouse/build.duckdb.wal",
        ]
    )
    assert keep.exists() and not build.exists()


def test_public_url_drops_credentials_and_tokens():
    assert (
        catalog.mirror_label("https://user:pw@mirror.example:8443/cordis/?token=s3cret")
        == "https://mirror.example:8443/cordis/"
    )
    assert catalog.mirror_label("/data/mirror") == "/data/mirror"

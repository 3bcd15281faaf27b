"""`bilatrus rollback` swaps the previous published warehouse back, after saying what changes; `bilatrus doctor`
reports the mirror and programmes of the published warehouse from its own meta_build, not from the settings."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from bilatrus_etl.ingest import catalog
from bilatrus_etl.warehouse import queries
from bilatrus_etl.warehouse.publish import publish

PROJECT_ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # each case runs the `bilatrus` command in a subprocess

OCTOBER = {
    "built_at": datetime(2026, 10, 2, 3, 0, tzinfo=UTC),
    "mirror": "/srv/mirror-october",
    "marts": {"mart_a": 10, "mart_b": 5},
    "programmes": {"FP6": 3, "FP7": 4},
}
NOVEMBER = {
    "built_at": datetime(2026, 11, 2, 3, 0, tzinfo=UTC),
    "mirror": "",
    "marts": {"mart_a": 12, "mart_b": 5, "mart_new": 7},
    "programmes": {"FP6": 3, "FP7": 4, "HE": 2},
}


def publish_version(data_dir: Path, version: dict) -> None:
    """A small warehouse with marts, staged participations and a meta_build row, published like a run does."""
    folder = data_dir / "warehouse"
    folder.mkdir(parents=True, exist_ok=True)
    build = folder / "build.duckdb"
    build.unlink(missing_ok=True)
    con = duckdb.connect(str(build))
    for mart, rows in version["marts"].items():
        con.execute(f"CREATE TABLE {mart} AS SELECT range AS id FROM range({rows})")
    con.execute("CREATE TABLE stg_participation (framework_programme VARCHAR)")
    for programme, rows in version["programmes"].items():
        con.execute("INSERT INTO stg_participation SELECT ? FROM range(?)", [programme, rows])
    queries.run(
        con,
        "write_meta_build",
        {
            "built_at": version["built_at"],
            "code": "test",
            "version": "0",
            "synthetic": False,
            "sources": "{}",
            "mirror": version["mirror"],
        },
        focus_country="RU",
    )
    con.close()
    publish(build, folder / "bilatrus.duckdb", folder / "bilatrus.previous.duckdb")


def built_at(path: Path) -> datetime:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT built_at FROM meta_build").fetchone()[0]
    finally:
        con.close()


def bilatrus(*args: str, data_dir: Path, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "BILATRUS_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(data_dir / "dagster"),
        "COLUMNS": "250",
    }
    for name in ("BILATRUS_MIRROR", "BILATRUS_WAREHOUSE", "BILATRUS_BUILD_DB"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=PROJECT_ROOT,
    )


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture()
def two_publishes(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    publish_version(data_dir, OCTOBER)
    publish_version(data_dir, NOVEMBER)
    return data_dir


def test_rollback_needs_yes_without_a_terminal_and_then_swaps(two_publishes: Path) -> None:
    published = two_publishes / "warehouse" / "bilatrus.duckdb"
    previous = two_publishes / "warehouse" / "bilatrus.previous.duckdb"

    refused = bilatrus("rollback", data_dir=two_publishes)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert built_at(published) == NOVEMBER["built_at"]  # nothing changed

    done = bilatrus("rollback", "--yes", data_dir=two_publishes)
    assert done.returncode == 0, done.stderr
    said = one_line(done.stderr)
    assert "mart_a: 12 -> 10 rows (changed)" in said
    assert "mart_b: 5 -> 5 rows" in said and "mart_b: 5 -> 5 rows (changed)" not in said
    assert "mart_new: 7 -> absent rows (changed)" in said
    assert "built 2026-11-02T03:00:00+00:00" in said and "built 2026-10-02T03:00:00+00:00" in said
    assert built_at(published) == OCTOBER["built_at"]
    assert built_at(previous) == NOVEMBER["built_at"]  # kept: a second rollback undoes the first

    again = bilatrus("rollback", "--yes", data_dir=two_publishes)
    assert again.returncode == 0, again.stderr
    assert built_at(published) == NOVEMBER["built_at"] and built_at(previous) == OCTOBER["built_at"]
    assert not [p.name for p in published.parent.iterdir() if p.name.startswith(".")]  # no temporary link left behind


def test_rollback_asks_on_a_terminal_and_no_changes_nothing(two_publishes: Path) -> None:
    leader, follower = pty.openpty()
    try:
        os.write(leader, b"n\n")
        answered = bilatrus("rollback", data_dir=two_publishes, stdin=follower)
    finally:
        os.close(leader)
        os.close(follower)
    assert answered.returncode == 1
    assert "[y/N]" in answered.stderr and "Nothing changed" in answered.stderr
    assert built_at(two_publishes / "warehouse" / "bilatrus.duckdb") == NOVEMBER["built_at"]


def test_rollback_without_a_previous_warehouse_says_so(tmp_path: Path) -> None:
    publish_version(tmp_path / "data", OCTOBER)
    out = bilatrus("rollback", "--yes", data_dir=tmp_path / "data")
    assert out.returncode == 1 and "No previous warehouse" in one_line(out.stderr)


def test_doctor_reports_what_the_published_warehouse_was_built_from(two_publishes: Path) -> None:
    bilatrus("rollback", "--yes", data_dir=two_publishes)  # October's is published now, November's kept
    out = bilatrus("doctor", "--offline", data_dir=two_publishes)
    assert out.returncode == 0, out.stderr
    said = one_line(out.stderr)
    assert "published warehouse built: 2026-10-02T03:00:00+00:00" in said
    assert "mirror of the last publish: /srv/mirror-october" in said
    assert "programmes of the last publish: FP6 (3 participations), FP7 (4 participations)" in said
    assert "previous warehouse (`bilatrus rollback`): built 2026-11-02T03:00:00+00:00" in said


def test_the_recorded_mirror_never_carries_credentials() -> None:
    assert catalog.mirror_label("https://reader:s3cret@mirror.example.org:8443/cordis/?token=abc#x") == (
        "https://mirror.example.org:8443/cordis/"
    )
    assert catalog.mirror_label(None) == "" and catalog.mirror_label("") == ""
    assert catalog.mirror_label("/srv/./mirror") == "/srv/mirror"

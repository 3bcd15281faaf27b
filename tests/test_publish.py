"""Publishing: build file -> atomic rename onto the published path, previous file kept, readers never blocked.

Readers run in OTHER processes (DuckDB locks are per process): one holds a single read-only connection for the
whole test, one reconnects for every query. Both keep querying while several publishes happen; neither may see a
lock error nor an incomplete table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse import publish as publish_module
from bilatrus_etl.warehouse.publish import (
    changed_since_hand_over,
    create_build_file,
    handed_over,
    open_readonly,
    publish,
    rollback,
    write_published_file,
)

ROWS_PER_VERSION = 40_000

READER = r"""
import json, sys, time
from pathlib import Path
import duckdb
from bilatrus_etl.warehouse.publish import open_readonly, publish, rollback, write_published_file

mode, path, stop, ready, out = sys.argv[1:6]
seen, errors, queries = [], [], 0

def snapshot(con):
    version, rows, total = con.execute("SELECT version, rows, total FROM build_info").fetchall()[0]
    groups = con.execute("SELECT version, count(*), sum(value) FROM snapshot GROUP BY version").fetchall()
    if groups != [(version, rows, total)]:
        raise AssertionError(f"incomplete or mixed snapshot: build_info={version, rows, total} snapshot={groups}")
    return version

con = duckdb.connect(path, read_only=True) if mode == "persistent" else None
deadline = time.time() + 60
while not Path(stop).exists() and time.time() < deadline:
    try:
        if mode == "persistent":
            version = snapshot(con)
        else:
            c = open_readonly(path)
            try:
                version = snapshot(c)
            finally:
                c.close()
        queries += 1
        if not seen or seen[-1] != version:
            seen.append(version)
        if queries == 1:
            Path(ready).write_text("ok")
    except Exception as err:  # noqa: BLE001 - every error is a test failure, recorded for the parent
        errors.append(f"{type(err).__name__}: {err}")
        if len(errors) > 20:
            break
Path(out).write_text(json.dumps({"seen": seen, "errors": errors, "queries": queries}))
"""


def build_version(build_path: Path, version: int) -> None:
    """Write a build file whose tables are consistent with each other for `version` (a reader checks that)."""
    con = duckdb.connect(str(build_path))
    rows = ROWS_PER_VERSION * version
    con.execute(f"CREATE OR REPLACE TABLE snapshot AS SELECT {version} AS version, range AS value FROM range({rows})")
    con.execute(
        f"CREATE OR REPLACE TABLE build_info AS SELECT {version} AS version, {rows}::BIGINT AS rows, "
        f"(SELECT sum(value) FROM snapshot) AS total"
    )
    con.close()


def read_version(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT version FROM build_info").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture()
def paths(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "warehouse").mkdir()
    return {
        "build": tmp_path / "build.duckdb",
        "published": tmp_path / "warehouse" / "bilatrus.duckdb",
        "previous": tmp_path / "warehouse" / "bilatrus.previous.duckdb",
        "tmp": tmp_path,
    }


@pytest.mark.parametrize("hand_over", [False, True], ids=["copied", "handed-over"])
def test_readers_in_other_processes_are_never_blocked_nor_see_half_tables(
    paths: dict[str, Path], hand_over: bool
) -> None:
    """Handed over, each build file is the published file until the writer's next `create_build_file` copies it:
    the readers must not tell the difference."""
    if hand_over:
        create_build_file(paths["build"])
    build_version(paths["build"], 1)
    first = publish(paths["build"], paths["published"], paths["previous"], hand_over=hand_over)
    assert first.previous_path is None and first.tables == 2
    assert (first.method == "link") is hand_over
    assert os.path.samefile(paths["build"], paths["published"]) is hand_over
    readers = {}
    for mode in ("persistent", "reconnect"):
        files = {k: paths["tmp"] / f"{mode}.{k}" for k in ("ready", "out")}
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                READER,
                mode,
                str(paths["published"]),
                str(paths["tmp"] / "stop"),
                str(files["ready"]),
                str(files["out"]),
            ],
        )
        readers[mode] = (process, files)
    deadline = time.time() + 30
    while not all(f["ready"].exists() for _, f in readers.values()):
        assert time.time() < deadline, "readers did not start"
        assert all(p.poll() is None for p, _ in readers.values()), "a reader died"
        time.sleep(0.05)

    for version in range(2, 7):  # five publishes while both readers query
        if hand_over:
            create_build_file(paths["build"])  # what every writer of the build file calls first
            assert not os.path.samefile(paths["build"], paths["published"])
        build_version(paths["build"], version)
        result = publish(paths["build"], paths["published"], paths["previous"], hand_over=hand_over)
        assert result.previous_path == paths["previous"]
        assert (result.method == "link") is hand_over
        time.sleep(0.15)
    time.sleep(0.5)
    (paths["tmp"] / "stop").write_text("stop")
    results = {}
    for mode, (process, files) in readers.items():
        assert process.wait(timeout=60) == 0
        results[mode] = json.loads(files["out"].read_text())

    for mode, result in results.items():
        assert result["errors"] == [], mode  # no lock error, no incomplete snapshot
        assert result["queries"] > 10, mode
        assert result["seen"] == sorted(result["seen"]), mode  # never back to an older file
        assert set(result["seen"]) <= set(range(1, 7)), mode
    assert results["persistent"]["seen"][0] == 1  # its connection keeps the file it opened
    assert (
        results["reconnect"]["seen"][0] == 1 and results["reconnect"]["seen"][-1] == 6
    )  # new connections see the new file
    assert read_version(paths["published"]) == 6
    assert read_version(paths["previous"]) == 5  # the file it replaced, kept for rollback
    leftovers = sorted(p.name for p in paths["published"].parent.iterdir())
    assert leftovers == ["bilatrus.duckdb", "bilatrus.previous.duckdb"]  # no temporary file left behind
    assert sorted(p.name for p in paths["tmp"].glob("build.duckdb*")) == (
        ["build.duckdb", "build.duckdb.handed-over"] if hand_over else ["build.duckdb"]
    )


def test_a_handed_over_build_is_copied_before_it_is_written(paths: dict[str, Path]) -> None:
    create_build_file(paths["build"])
    build_version(paths["build"], 1)
    publish(paths["build"], paths["published"], paths["previous"], hand_over=True)
    assert handed_over(paths["build"]) and not changed_since_hand_over(paths["build"])
    create_build_file(paths["build"])  # the next writer's first call
    assert not handed_over(paths["build"]) and not os.path.samefile(paths["build"], paths["published"])
    assert not (paths["tmp"] / "build.duckdb.handed-over").exists()
    assert read_version(paths["build"]) == 1  # the same database, a file of its own
    build_version(paths["build"], 2)
    assert read_version(paths["published"]) == 1  # writing the build left the published file alone
    result = publish(paths["build"], paths["published"], paths["previous"], hand_over=True)
    assert result.method == "link" and read_version(paths["published"]) == 2 and read_version(paths["previous"]) == 1
    # published twice without a build in between: the handed-over build is copied, never opened for writing
    again = publish(paths["build"], paths["published"], paths["previous"], hand_over=True)
    assert again.method == "link" and read_version(paths["published"]) == 2 and read_version(paths["previous"]) == 2
    assert not os.path.samefile(paths["previous"], paths["published"])


def test_a_build_open_in_this_process_or_on_another_file_system_is_copied(
    paths: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    create_build_file(paths["build"])
    build_version(paths["build"], 1)
    held = duckdb.connect(str(paths["build"]))  # a DuckDB instance here would keep the file locked, and may write it
    try:
        held_open = publish(paths["build"], paths["published"], paths["previous"], hand_over=True)
    finally:
        held.close()
    assert held_open.method != "link" and not handed_over(paths["build"])

    def no_hard_links(source: object, target: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(publish_module.os, "link", no_hard_links)
    build_version(paths["build"], 2)
    elsewhere = publish(paths["build"], paths["published"], paths["tmp"] / "previous.duckdb", hand_over=True)
    assert elsewhere.method in {"clone", "copy_file_range", "copy"} and read_version(paths["published"]) == 2
    assert not handed_over(paths["build"]) and not (paths["tmp"] / "build.duckdb.handed-over").exists()


def test_a_build_changed_through_the_published_path_is_not_built_upon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An analyst who opens the published warehouse read-write writes the handed-over build file: the writer
    refuses it, and the next run's recovery removes it (the published file stays) so that everything is rebuilt."""
    from bilatrus_etl.settings import Settings
    from bilatrus_etl.warehouse.recovery import discard_changed_build, leftovers

    monkeypatch.setenv("BILATRUS_DATA_DIR", str(tmp_path / "data"))
    settings = Settings.from_env()
    build, published = settings.build_path, settings.warehouse_path
    create_build_file(build)
    build_version(build, 3)
    publish(build, published, hand_over=True)
    assert discard_changed_build(settings) is None and leftovers(settings, crashed=False) == []
    analyst = duckdb.connect(str(published))
    analyst.execute("CREATE TABLE my_notes AS SELECT 'scratch' AS note")
    analyst.close()
    assert changed_since_hand_over(build)
    with pytest.raises(BilatrusError, match="changed after it was published"):
        create_build_file(build)
    with pytest.raises(BilatrusError, match="changed after it was published"):
        publish(build, published, hand_over=True)
    stray = build.with_name(f".{build.name}.4242.tmp")  # a copy a killed run was making
    stray.write_bytes(b"partial")
    assert stray in leftovers(settings, crashed=False)
    said = discard_changed_build(settings)
    assert said is not None and "rebuilding every programme" in said
    assert not build.exists() and not build.with_name(build.name + ".handed-over").exists()
    assert read_version(published) == 3  # the published file itself is left as it is


def test_rollback_puts_the_previous_file_back(paths: dict[str, Path]) -> None:
    for version in (1, 2):
        build_version(paths["build"], version)
        publish(paths["build"], paths["published"], paths["previous"])
    assert read_version(paths["published"]) == 2
    rollback(paths["published"], paths["previous"])
    assert read_version(paths["published"]) == 1


def test_a_bad_build_leaves_the_published_file_untouched(paths: dict[str, Path]) -> None:
    build_version(paths["build"], 1)
    publish(paths["build"], paths["published"], paths["previous"])
    with pytest.raises(BilatrusError, match="does not exist"):
        publish(paths["tmp"] / "missing.duckdb", paths["published"], paths["previous"])
    broken = paths["tmp"] / "broken.duckdb"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BilatrusError):
        publish(broken, paths["published"], paths["previous"])
    assert read_version(paths["published"]) == 1
    assert not paths["previous"].exists()
    assert sorted(p.name for p in paths["published"].parent.iterdir()) == ["bilatrus.duckdb"]


def test_a_stale_wal_beside_the_published_file_stops_the_publish(paths: dict[str, Path]) -> None:
    build_version(paths["build"], 1)
    publish(paths["build"], paths["published"], paths["previous"])
    wal = paths["published"].with_name("bilatrus.duckdb.wal")
    wal.write_bytes(b"x")
    build_version(paths["build"], 2)
    with pytest.raises(BilatrusError, match="read-only"):
        publish(paths["build"], paths["published"], paths["previous"])
    assert read_version(paths["published"]) == 1


def test_publish_checkpoints_a_build_still_open_in_this_process(paths: dict[str, Path]) -> None:
    con = duckdb.connect(str(paths["build"]))
    con.execute("CREATE TABLE build_info AS SELECT 7 AS version, 0::BIGINT AS rows, 0::HUGEINT AS total")
    con.execute("CREATE TABLE snapshot (version INTEGER, value BIGINT)")
    result = publish(paths["build"], paths["published"])  # previous path defaults beside it
    con.close()
    assert read_version(paths["published"]) == 7 and result.tables == 2


def test_open_readonly_refuses_writes_and_missing_files(paths: dict[str, Path]) -> None:
    with pytest.raises(BilatrusError, match="No warehouse"):
        open_readonly(paths["published"])
    build_version(paths["build"], 1)
    publish(paths["build"], paths["published"], paths["previous"])
    con = open_readonly(paths["published"])
    try:
        with pytest.raises(duckdb.Error):
            con.execute("DROP TABLE snapshot")
    finally:
        con.close()


def test_publish_uses_the_callers_connection_to_the_build(paths: dict[str, Path]) -> None:
    # a connection with another configuration (as dagster-duckdb opens them) forbids a second connect in-process
    con = duckdb.connect(str(paths["build"]), config={"custom_user_agent": "test"})
    con.execute("CREATE TABLE build_info AS SELECT 8 AS version, 0::BIGINT AS rows, 0::HUGEINT AS total")
    with pytest.raises(BilatrusError, match="pass that connection"):
        publish(paths["build"], paths["published"], paths["previous"])
    publish(paths["build"], paths["published"], paths["previous"], con=con)
    con.close()
    assert read_version(paths["published"]) == 8


def test_published_file_is_written_whole_by_every_method(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = tmp_path / "build.bin"
    build.write_bytes(os.urandom(3 * 2**20 + 123))
    first = tmp_path / "first.bin"
    assert write_published_file(build, first) in {"clone", "copy_file_range", "copy"}
    assert first.read_bytes() == build.read_bytes()
    monkeypatch.setattr(publish_module, "_clone", lambda source, destination: None)
    monkeypatch.setattr(publish_module, "_kernel_copy", lambda source, destination, size: None)
    second = tmp_path / "second.bin"
    second.write_bytes(b"stale content longer than nothing")
    assert write_published_file(build, second) == "copy"
    assert second.read_bytes() == build.read_bytes()


def test_tables_retired_by_a_rename_are_dropped_before_publishing(tmp_path: Path) -> None:
    """A build file made before a rename still holds the old table; nothing refreshes it, so it must not be
    published. The replacements are tables the code builds, and no retired name is built again."""
    from bilatrus_etl.warehouse.models import load_models
    from bilatrus_etl.warehouse.tables import PYTHON_TABLES, RETIRED_TABLES, drop_retired_tables

    built = set(load_models()) | {table.name for table in PYTHON_TABLES.values()}
    assert set(RETIRED_TABLES.values()) <= built and not set(RETIRED_TABLES) & built
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    con.execute("CREATE TABLE dim_ru_city AS SELECT 'Moskva' AS city_as_written")
    con.execute("CREATE TABLE dim_city AS SELECT 'RU' AS focus_country, 'Moskva' AS city_as_written")
    con.execute("CREATE SCHEMA history")
    con.execute("CREATE TABLE history.dim_ru_city AS SELECT 1 AS seq")  # an earlier vintage's rows stay
    assert drop_retired_tables(con) == ["dim_ru_city"]
    tables = con.execute("SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1").fetchall()
    assert tables == [("history.dim_ru_city",), ("main.dim_city",)]
    assert drop_retired_tables(con) == []
    con.close()

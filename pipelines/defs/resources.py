"""Resources: the installation's settings, and the build DuckDB file (one database instance per run)."""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from bilatrus_etl.settings import Settings, dashboard_paths
from bilatrus_etl.warehouse import runlock
from bilatrus_etl.warehouse.publish import create_build_file

DATA_DIR_TAG = "bilatrus/data_dir"
PID_TAG = "bilatrus/pid"
HOST_TAG = "bilatrus/host"


class BilatrusConfig(dg.ConfigurableResource):
    """Where data lives and where sources come from (BILATRUS_DATA_DIR, BILATRUS_MIRROR, BILATRUS_FOCUS_COUNTRY,
    BILATRUS_DASHBOARD: optional Horizon Dashboard exports supplied by an analyst)."""

    data_dir: str = "data"
    mirror: str = ""
    focus_country: str = "RU"
    dashboard: str = ""
    force: bool = False

    def settings(self) -> Settings:
        base = Settings.from_env(mirror=self.mirror or None, data_dir=self.data_dir)
        return Settings(
            data_dir=base.data_dir,
            mirror=base.mirror,
            focus_country=self.focus_country.upper(),
            dashboard_exports=dashboard_paths(self.dashboard),
        )

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["BilatrusConfig"]:
        """Hold the data folder's run lock for the whole run (a run launched from the UI, the schedule or a test);
        a `bilatrus run` already holds it in this process. The run is tagged with the process that runs it, so a
        later run can tell a dead run from a live one."""
        data_dir = self.settings().data_dir
        run_id = context.run.run_id if context.run is not None else ""
        held = runlock.held_here(data_dir)
        lock = None if held else runlock.acquire(data_dir, run_id=run_id)
        if context.instance is not None and run_id:
            holder = held or lock
            assert holder is not None  # held here, or just acquired
            info = holder.info
            context.instance.add_run_tags(
                run_id, {DATA_DIR_TAG: str(data_dir), PID_TAG: info["pid"], HOST_TAG: info["host"]}
            )
        try:
            yield self
        finally:
            if lock is not None:
                lock.release()


class BuildWarehouse(DuckDBResource):
    """The build DuckDB file, opened once for the whole run: each step gets its own connection to that one database
    instance (`get_connection` yields a cursor, with its own session variables and temporary tables), so a step
    pays neither the open of the file nor the checkpoint DuckDB makes when its last connection closes. Committed work
    is durable in the write-ahead log between checkpoints. The instance is closed (checkpointed) by the publish step
    before it hands the build file over (`release`), else when the run ends, failed or not; the file is opened through
    `create_build_file`, which copies a handed-over build first. Outside a run (a resource built directly) it opens
    and closes a connection per call, as DuckDBResource does, preparing the file first as a run does."""

    _run_connection: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _cursor_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["BuildWarehouse"]:
        # The library opens the same path with duckdb.connect(path) (the publish step): same configuration, so
        # those connections join this instance instead of being refused. Every step that opens the build file has
        # this resource: it creates the file, in the published storage version (a run of the downloads alone, which
        # need only `bilatrus`, creates none).
        create_build_file(self.database)
        self._run_connection = duckdb.connect(self.database, config=dict(self.connection_config))
        # the landing tables exist before any step runs: steps that land files side by side (the programmes' files,
        # the reference tables) never both create one
        from bilatrus_etl.ingest.readers.land import create_landing_tables

        create_landing_tables(self._run_connection)
        try:
            yield self
        finally:
            self.release()

    def release(self) -> None:
        """Close the run's database instance (DuckDB checkpoints the file as it closes): the publish step, the run's
        last, does so before it hands the build file over as the published file. Later connections of this run
        (none in the refresh job) open the file per call, as outside a run."""
        with self._cursor_lock:
            connection, self._run_connection = self._run_connection, None
        if connection is not None:
            connection.close()

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._run_connection is None:
            create_build_file(self.database)
            with super().get_connection() as connection:
                yield connection
            return
        with self._cursor_lock:  # steps run on threads (pipelines/executor.py); each gets its own cursor
            cursor = self._run_connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()


def default_resources() -> dict[str, object]:
    settings = Settings.from_env()  # nothing is created here: loading the definitions leaves the data folder alone
    return {
        "bilatrus": BilatrusConfig(
            data_dir=str(settings.data_dir),
            mirror=os.environ.get("BILATRUS_MIRROR", ""),
            focus_country=settings.focus_country,
            dashboard=os.environ.get("BILATRUS_DASHBOARD", ""),
            force=os.environ.get("BILATRUS_FORCE", "") in {"1", "true", "yes"},
        ),
        "duckdb": BuildWarehouse(database=str(settings.build_path)),
    }

"""The Dagster asset graph end to end against a fixture HTTP server on 127.0.0.1.

The mirror holds the run's synthetic files in the official layouts plus the real samples of ../shared/data
(cordisref tables; the real H2020 organisation sample inside the H2020 zip). Every download goes through
the real requests path.
"""

from __future__ import annotations

import os
from collections import Counter

import dagster as dg
import duckdb
import pytest
from fixture_server import FixtureServer
from pipeline_fixtures import build_fixture_mirror, manifest_participations, materialized_keys, resources_for

from bilatrus_etl import report
from bilatrus_etl.ingest import catalog
from bilatrus_etl.settings import PROGRAMMES, Settings
from bilatrus_etl.warehouse import runlock
from bilatrus_etl.warehouse.publish import changed_since_hand_over, hand_over_record
from pipelines import runner
from pipelines.definitions import defs
from pipelines.defs import changes, jobs
from pipelines.defs.jobs import build_stale_assets
from pipelines.defs.partitions import all_programmes_tags
from pipelines.defs.resources import BilatrusConfig, BuildWarehouse

pytestmark = pytest.mark.slow

RAW_AND_STAGING = dg.AssetSelection.groups("raw", "staging")


@pytest.fixture(scope="module")
def mirror_server(tmp_path_factory, shared_file, synthetic_mirror):
    mirror = build_fixture_mirror(tmp_path_factory.mktemp("fixture") / "mirror", shared_file, synthetic_mirror)
    with FixtureServer(mirror.folder) as server:
        yield mirror, server


def _materialize(selection, data_dir, server, instance, force=False, dashboard=""):
    return dg.materialize(
        _assets(),
        selection=selection,
        resources=resources_for(data_dir, server.url, force=force, dashboard=dashboard),
        instance=instance,
        tags=all_programmes_tags(),
        raise_on_error=False,
    )


def _assets():
    return list(defs.assets) + list(defs.asset_checks)


def test_definitions_load_with_lineage_checks_schedule_and_partitions():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {
        "raw/cordis_programme_files",
        "staging/stg_participation",
        "core/fact_participation",
        "marts/mart_third_country_ranking",
        "warehouse/published_warehouse",
    } <= keys
    # lineage read from the SQL: fact_participation reads stg_participation and the dimensions
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey(["core", "fact_participation"])).parent_keys}
    assert {"staging/stg_participation", "core/dim_project", "core/dim_organization"} <= parents
    # the programmes' files are landed by a step of their own, which waits for nothing but the downloads
    landing = graph.get(dg.AssetKey(["staging", "land_participation"]))
    assert {k.to_user_string() for k in landing.parent_keys} == {"raw/cordis_programme_files"}
    assert "staging/land_participation" in {
        k.to_user_string() for k in graph.get(dg.AssetKey(["staging", "stg_participation"])).parent_keys
    }
    # partitions on downloads and staging only
    partitioned = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).partitions_def}
    assert partitioned == {
        "raw/cordis_programme_files",
        "staging/land_project",
        "staging/land_participation",
        "staging/land_rejects",
        "staging/stg_project",
        "staging/stg_participation",
        "staging/quarantine",
        "staging/load_audit",
    }
    assert graph.get(dg.AssetKey(["raw", "cordis_programme_files"])).partitions_def.get_partition_keys() == list(
        PROGRAMMES
    )
    # every suite is a check on the asset that writes its table; core checks block
    checks = {key.asset_key.to_user_string() + ":" + key.name for key in graph.asset_check_keys}
    assert "core/fact_participation:gx_fact_participation" in checks
    assert "staging/load_audit:reconciliation" in checks
    schedule = defs.resolve_schedule_def("monthly_refresh")
    assert schedule.cron_schedule == "0 3 2 * *"
    assert schedule.job_name == "refresh"
    job = defs.resolve_job_def("refresh")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == keys


def test_raw_and_staging_against_fixture_server(mirror_server, tmp_path):
    mirror, server = mirror_server
    with dg.DagsterInstance.ephemeral() as instance:
        result = _materialize(RAW_AND_STAGING, tmp_path, server, instance)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    # every official file was fetched over HTTP from the fixture server
    fetched = {r.path.lstrip("/") for r in server.requests if r.status == 200}
    assert {
        "cordis-fp6projects.csv",
        "cordis-fp7projects-csv.zip",
        "cordis-h2020projects-csv.zip",
        "cordis-HORIZONprojects-csv.zip",
        "cordisref-countries.csv",
    } <= fetched
    con = duckdb.connect(str(Settings.from_env(data_dir=tmp_path).build_path), read_only=True)
    by_programme = dict(
        con.execute("SELECT framework_programme, count(*) FROM stg_participation GROUP BY ALL").fetchall()
    )
    for programme in ("FP6", "FP7", "HE"):
        assert by_programme[programme] == manifest_participations(mirror.manifest, programme)
    # H2020 is the real sample: 5,153 rows of which 2 Russian
    audit = con.execute(
        "SELECT sum(raw_rows), sum(staged_rows), sum(quarantined_rows) FROM load_audit "
        "WHERE framework_programme = 'H2020' AND target_table = 'stg_participation'"
    ).fetchone()
    assert audit[0] == 5153 and audit[1] + audit[2] == 5153
    assert by_programme["H2020"] == audit[1]
    assert (
        con.execute(
            "SELECT count(*) FROM stg_participation WHERE framework_programme = 'H2020' AND country = 'RU'"
        ).fetchone()[0]
        == 2
    )
    # the synthetic files' malformed lines are quarantined with file and line
    malformed = sum(len(lines) for name, lines in mirror.manifest["malformed"].items() if "h2020" not in name)
    assert (
        con.execute("SELECT count(*) FROM quarantine WHERE reason ILIKE '%csv%' OR source_line IS NOT NULL").fetchone()[
            0
        ]
        >= malformed
    )
    assert con.execute("SELECT count(*) FROM meta_download_provenance").fetchone()[0] >= 11
    con.close()


def test_full_refresh_publishes_then_unchanged_upstream_skips_downstream(mirror_server, tmp_path, monkeypatch):
    """Two `bilatrus run`s (the runner the CLI calls) on one mirror, read back through the instance's own API:
    real `refresh` runs with the code location's origin and the CLI's tags; after the second, every asset is up
    to date by Dagster's data and code versions, checks keep their results, the freshness policy passes."""
    mirror, server = mirror_server
    settings = Settings.from_env(mirror=server.url.replace("http://", "http://reader:s3cret@"), data_dir=tmp_path)
    (tmp_path / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        first = runner.refresh(settings=settings, instance=instance)
        assert first.success, first.failures + first.failed_checks
        assert "warehouse/published_warehouse" in first.materialized
        assert "reports/landscape_report" in first.materialized  # the report follows the publish
        assert "SYNTHETIC DATA" in (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
        # written in the publish's step off the build, it is the report of the published file, byte for byte
        again = report.build_report(settings.warehouse_path, tmp_path / "report-from-published")
        written = {p.relative_to(tmp_path / "reports"): p.read_bytes() for p in (tmp_path / "reports").rglob("*.html")}
        assert len(written) == again.institution_pages + 2
        assert written == {
            p.relative_to(again.index.parent): p.read_bytes() for p in again.index.parent.rglob("*.html")
        }
        # the run's last step handed its build file over: published without a copy, until the next run writes it
        published = instance.get_latest_materialization_event(changes.PUBLISHED_KEY).asset_materialization
        assert published.metadata["published_by"].value == "link"
        assert os.path.samefile(settings.build_path, settings.warehouse_path)
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
        assert con.execute("SELECT synthetic FROM meta_build").fetchone()[0] is True
        ranked = con.execute(
            "SELECT count(*) FROM mart_third_country_ranking WHERE framework_programme = 'FP7'"
        ).fetchone()[0]
        assert ranked > 0
        con.close()
        checks_after_first = _latest_checks(instance)
        assert checks_after_first and set(checks_after_first.values()) == {"SUCCEEDED"}

        before = len(server.requests)
        second = runner.refresh(settings=settings, instance=instance)
        assert second.success and second.up_to_date
        assert set(second.materialized) == {"raw/cordis_programme_files", "raw/cordisref", "raw/ror_dump"}
        # every source answered 304 Not Modified: no body downloaded again
        assert {r.status for r in server.requests[before:] if r.method == "GET"} == {304}
        # each source asked once: the checks sent ahead of the run of the downloads are the downloads' own
        asked = Counter(r.path for r in server.requests[before:] if r.method == "GET")
        assert len(asked) == len(catalog.load_catalog()) and set(asked.values()) == {1}

        runs = [instance.get_run_by_id(run_id) for run_id in first.run_ids + second.run_ids]
        assert len(runs) == 3  # first: downloads, then the build; second: downloads only
        for run in runs:
            assert run.job_name == "refresh" and run.status == dg.DagsterRunStatus.SUCCESS
            assert run.remote_job_origin.repository_origin.get_label() == "__repository__@pipelines.definitions"
            assert run.tags["launched_by"] == "cli" and run.tags["programmes"] == "fp6,fp7,h2020,he"
            assert run.tags["mirror"] == server.url and "s3cret" not in repr(run.tags)
        assert [r.tags["force"] for r in runs] == ["true", "true", "false"]  # no build file yet: everything
        assert len(instance.get_runs(dg.RunsFilter(job_name="refresh"))) == 3

        graph = defs.resolve_asset_graph()
        assert changes.stale_assets(instance, graph, list(PROGRAMMES), settings) == set()
        # no check was planned and skipped in the second run: each keeps the result of the run that built its asset
        assert _latest_checks(instance) == checks_after_first
        skipped = [
            e
            for run_id in second.run_ids
            for e in instance.all_logs(run_id)
            if e.dagster_event and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION_PLANNED"
        ]
        assert skipped == []
        # the published warehouse is confirmed current: its freshness policy passes, its data version is kept
        latest = instance.get_latest_materialization_event(changes.PUBLISHED_KEY)
        assert latest.asset_materialization.metadata["unchanged"].value is True
        assert latest.timestamp >= instance.get_run_record_by_id(second.run_ids[0]).start_time
        assert _freshness(instance, graph, changes.PUBLISHED_KEY) == "PASS"

        # a scheduled run of the downloads alone: the sensor finds nothing stale and confirms the publish
        monkeypatch.setenv("BILATRUS_DATA_DIR", str(tmp_path))  # the data folder of the daemon's sensor
        downloads = instance.get_run_by_id(second.run_ids[0])
        scheduled = downloads.with_tags({k: v for k, v in downloads.tags.items() if k != "launched_by"})
        success = [e for e in instance.all_logs(downloads.run_id) if e.dagster_event][-1].dagster_event

        def sensor():
            return build_stale_assets(
                dg.build_run_status_sensor_context(
                    sensor_name="build_stale_assets",
                    dagster_instance=instance,
                    dagster_run=scheduled,
                    dagster_event=success,
                    repository_def=defs.get_repository_def(),
                )
            )

        confirmed = len(instance.fetch_materializations(changes.PUBLISHED_KEY, limit=10).records)
        answer = sensor()
        assert isinstance(answer, dg.SkipReason) and "unchanged" in answer.skip_message
        assert len(instance.fetch_materializations(changes.PUBLISHED_KEY, limit=10).records) == confirmed + 1

        _assert_sensor_rebuilds_a_changed_build(instance, graph, settings, sensor, ranked, monkeypatch)
        _assert_stale_check_reads_the_instance(instance, graph, settings)


def _assert_sensor_rebuilds_a_changed_build(
    instance: dg.DagsterInstance, graph, settings: Settings, sensor, ranked: int, monkeypatch
) -> None:
    """Someone opens the published warehouse (the handed-over build file) read-write: after the next run of the
    downloads alone, the sensor removes the build, under the run lock, and requests every asset but the downloads;
    that run publishes a warehouse without the change."""
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("CREATE TABLE analyst_scratch AS SELECT 42 AS answer")
    assert changed_since_hand_over(settings.build_path)
    # another process holds the data folder: nothing removed, nothing launched, the reason said
    monkeypatch.setattr(jobs, "LOCK_WAIT_S", 0.2)
    with runlock.acquire(settings.data_dir, run_id="someone-else"):
        busy = sensor()
    assert isinstance(busy, dg.SkipReason) and "run someone- (pid" in busy.skip_message
    assert "holds the data folder" in busy.skip_message and settings.build_path.exists()

    request = sensor()
    assert isinstance(request, dg.RunRequest) and request.tags["force"] == "true"
    assert set(request.asset_selection or []) == graph.materializable_asset_keys - changes.DOWNLOAD_KEYS
    assert not settings.build_path.exists() and not hand_over_record(settings.build_path).exists()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:  # the published file stays as it is
        assert con.execute("SELECT answer FROM analyst_scratch").fetchone() == (42,)

    rebuilt = dg.materialize(
        _assets(),
        selection=request.asset_selection,
        resources={
            "bilatrus": BilatrusConfig(data_dir=str(settings.data_dir), mirror=settings.mirror or ""),
            "duckdb": BuildWarehouse(database=str(settings.build_path)),
        },
        instance=instance,
        tags=request.tags,
        raise_on_error=False,
    )
    assert rebuilt.success, [e.message for e in rebuilt.all_events if e.is_failure]
    assert os.path.samefile(settings.build_path, settings.warehouse_path)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        tables = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "analyst_scratch" not in tables
        assert (
            con.execute("SELECT count(*) FROM mart_third_country_ranking WHERE framework_programme = 'FP7'").fetchone()[
                0
            ]
            == ranked
        )


def _assert_stale_check_reads_the_instance(instance: dg.DagsterInstance, graph, settings: Settings) -> None:
    """The stale check's shortcut (each partition's latest materialisation, read once) answers as the instance does,
    and a changed programme file makes its staging and everything downstream stale, as Dagster's resolver says."""
    latest = changes._LatestPartitions(instance, graph)
    partitioned = [key for key in graph.materializable_asset_keys if graph.get(key).is_partitioned]
    for key in partitioned:
        for record in instance.fetch_materializations(key, limit=50).records:
            for cursor in (record.storage_id - 1, record.storage_id, record.storage_id + 1):
                asked = {"partition_key": record.partition_key, "after_cursor": cursor}
                expected = instance.get_latest_data_version_record(key, False, **asked)
                got = latest.get_latest_data_version_record(key, False, **asked)
                assert (got and got.storage_id) == (expected and expected.storage_id)

    programme_files = dg.AssetKey(["raw", "cordis_programme_files"])
    instance.report_runless_asset_event(
        dg.AssetMaterialization(programme_files, partition="FP7", tags={"dagster/data_version": "a-new-file"})
    )
    stale = changes.stale_assets(instance, graph, list(PROGRAMMES), settings)
    assert {dg.AssetKey(["staging", "stg_participation"]), changes.PUBLISHED_KEY} <= stale
    assert stale == _stale_by_dagster(instance, graph)


def _stale_by_dagster(instance: dg.DagsterInstance, graph) -> set[dg.AssetKey]:
    """Stale or missing assets (any programme) and everything downstream, by Dagster's resolver on the instance."""
    from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
    from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
    from dagster._time import get_current_datetime

    view = AssetGraphView(
        temporal_context=TemporalContext(effective_dt=get_current_datetime(), last_event_id=None),
        instance=instance,
        asset_graph=graph,
    )
    resolver = CachingStaleStatusResolver(instance, graph, view)
    seeds = {
        key
        for key in graph.materializable_asset_keys - changes.DOWNLOAD_KEYS
        for partition in (PROGRAMMES if graph.get(key).is_partitioned else [None])
        if resolver.get_status(key, partition) in (StaleStatus.STALE, StaleStatus.MISSING)
    }
    return changes._with_downstream(graph, seeds)


def _latest_checks(instance: dg.DagsterInstance) -> dict[str, str]:
    """check -> status of its latest execution, read from the instance."""
    latest = {}
    for key in defs.resolve_asset_graph().asset_check_keys:
        records = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
        if records:
            latest[f"{key.asset_key.to_user_string()}:{key.name}"] = f"{records[0].status.value}"
    return latest


def _freshness(instance: dg.DagsterInstance, graph, key: dg.AssetKey) -> str:
    """The asset's freshness state by Dagster's own evaluator of its time-window policy."""
    import asyncio

    from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
    from dagster._core.definitions.freshness_evaluator import TimeWindowFreshnessPolicyEvaluator
    from dagster._time import get_current_datetime

    view = AssetGraphView(
        temporal_context=TemporalContext(effective_dt=get_current_datetime(), last_event_id=None),
        instance=instance,
        asset_graph=graph,
    )
    return asyncio.run(TimeWindowFreshnessPolicyEvaluator().evaluate_freshness(view, graph.get(key))).value


def _rewrite_member(zip_path, member, edit):
    """Rewrite one member of a zip in place with edit(text) -> text."""
    import zipfile

    with zipfile.ZipFile(zip_path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    contents[member] = edit(contents[member].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def _negative_first_contribution(text: str) -> str:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    column = rows[0].index("ecContribution")
    rows[1][column] = "-100.0"
    out = io.StringIO()
    csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_blocking_check_failure_keeps_the_published_warehouse(tmp_path, shared_file, synthetic_mirror):
    mirror = build_fixture_mirror(tmp_path / "mirror", shared_file, synthetic_mirror)
    data_dir = tmp_path / "data"
    settings = Settings.from_env(data_dir=data_dir)
    with FixtureServer(mirror.folder) as server, dg.DagsterInstance.ephemeral() as instance:
        first = _materialize(dg.AssetSelection.all(), data_dir, server, instance)
        assert first.success
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
        built_at, he_rows = con.execute(
            "SELECT (SELECT built_at FROM meta_build), count(*) FROM stg_participation WHERE framework_programme = 'HE'"
        ).fetchone()
        con.close()

        _rewrite_member(
            mirror.folder / "cordis-HORIZONprojects-csv.zip", "organization.csv", _negative_first_contribution
        )
        second = _materialize(dg.AssetSelection.all(), data_dir, server, instance)

    evaluations = [e.event_specific_data for e in second.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed = [ev for ev in evaluations if not ev.passed]
    assert [ev.check_name for ev in failed] == ["gx_stg_participation"]
    assert failed[0].severity == dg.AssetCheckSeverity.ERROR
    assert "ec_contribution" in failed[0].description
    assert "warehouse/published_warehouse" not in materialized_keys(second)
    assert "core/fact_participation" not in materialized_keys(second)
    # the analysts' file is the one published before, complete and readable
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert con.execute(
        "SELECT (SELECT built_at FROM meta_build), count(*) FROM stg_participation WHERE framework_programme = 'HE'"
    ).fetchone() == (built_at, he_rows)
    assert con.execute("SELECT min(ec_contribution) FROM stg_participation").fetchone()[0] >= 0
    con.close()


def test_analyst_supplied_dashboard_export_joins_the_common_shape(mirror_server, tmp_path, shared_file):
    mirror, server = mirror_server
    export = shared_file("cordis/dashboard/cordis-plus-2007.csv")
    with dg.DagsterInstance.ephemeral() as instance:
        result = _materialize(RAW_AND_STAGING, tmp_path, server, instance, dashboard=str(export))
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    con = duckdb.connect(str(Settings.from_env(data_dir=tmp_path).build_path), read_only=True)
    raw, staged, quarantined = con.execute(
        "SELECT raw_rows, staged_rows, quarantined_rows FROM load_audit "
        "WHERE source_file = 'cordis-plus-2007.csv' AND target_table = 'stg_participation'"
    ).fetchone()
    assert raw == 787 and staged + quarantined == 787
    ru = con.execute(
        "SELECT count(*) FROM stg_participation WHERE source_file = 'cordis-plus-2007.csv' AND country = 'RU'"
    ).fetchone()[0]
    assert ru == 3
    fp7 = con.execute("SELECT count(*) FROM stg_participation WHERE framework_programme = 'FP7'").fetchone()[0]
    assert fp7 == manifest_participations(mirror.manifest, "FP7") + staged
    con.close()

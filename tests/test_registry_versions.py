"""core/dim_ror_institution reads the ROR dump again only when the dump changed: the download's data version
(the file's sha256) decides, in Dagster's own staleness terms, whether the registry table is up to date."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime

import dagster as dg
import duckdb
import pytest
from pipeline_fixtures import materialized_keys, resources_for

from bilatrus_etl.ingest import catalog
from bilatrus_etl.settings import Settings
from pipelines.definitions import defs

pytestmark = pytest.mark.slow

ROR_DUMP = dg.AssetKey(["raw", "ror_dump"])
DIM = dg.AssetKey(["core", "dim_ror_institution"])
V2 = "registries/ror-ru-sample-schema-v2.json"


def _write_dump(folder, records: list[dict]) -> None:
    name = catalog.official_file_name(catalog.load_catalog()["ror_dump"].url)
    member = name.replace(".zip", "_schema_v2.json")
    with zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, json.dumps(records, indent=1))


def _status(instance: dg.DagsterInstance, key: dg.AssetKey):
    from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
    from dagster._core.definitions.data_version import CachingStaleStatusResolver

    graph = defs.resolve_asset_graph()
    view = AssetGraphView(
        temporal_context=TemporalContext(effective_dt=datetime.now(UTC), last_event_id=None),
        instance=instance,
        asset_graph=graph,
    )
    return CachingStaleStatusResolver(instance, graph, view).get_status(key)


def _rows(tmp_path) -> int:
    con = duckdb.connect(str(Settings.from_env(data_dir=tmp_path / "data").build_path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM dim_ror_institution").fetchone()[0]
    finally:
        con.close()


def test_registry_table_is_rebuilt_only_when_the_dump_changes(tmp_path, shared_file) -> None:
    from dagster._core.definitions.data_version import StaleStatus

    records = json.loads(shared_file(V2).read_text(encoding="utf-8"))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    _write_dump(mirror, records)
    resources = resources_for(tmp_path / "data", str(mirror))
    assets = list(defs.assets)

    def materialize(*keys: dg.AssetKey) -> set[str]:
        result = dg.materialize(
            assets, selection=dg.AssetSelection.assets(*keys), resources=resources, instance=instance
        )
        assert result.success
        return materialized_keys(result)

    with dg.DagsterInstance.ephemeral() as instance:
        assert materialize(ROR_DUMP, DIM) == {"raw/ror_dump", "core/dim_ror_institution"}
        assert _rows(tmp_path) == 316
        assert _status(instance, DIM) == StaleStatus.FRESH

        # the same dump downloaded again: same data version, the registry table stays up to date
        materialize(ROR_DUMP)
        assert _status(instance, DIM) == StaleStatus.FRESH

        # a new dump (one Russian record fewer): the table is stale, and rebuilding it reads the new dump
        _write_dump(mirror, records[1:])
        materialize(ROR_DUMP)
        assert _status(instance, DIM) == StaleStatus.STALE
        materialize(DIM)
        assert _status(instance, DIM) == StaleStatus.FRESH
        assert _rows(tmp_path) == 315

"""Change detection in Dagster's own terms: which assets a refresh must rebuild, and "checked, unchanged".

Download assets carry data version = file sha256 and every other asset a code version, so Dagster's staleness
says what changed; `bilatrus run` and the `build_stale_assets` sensor both rebuild exactly that, plus downstream.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import dagster as dg

from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse.versions import dashboard_version

DOWNLOAD_KEYS = frozenset(dg.AssetKey(["raw", name]) for name in ("cordis_programme_files", "cordisref", "ror_dump"))
PUBLISHED_KEY = dg.AssetKey(["warehouse", "published_warehouse"])
DASHBOARD_KEY = dg.AssetKey(["staging", "dashboard_exports"])


def stale_assets(instance: dg.DagsterInstance, graph, programmes: list[str], settings: Settings) -> set[dg.AssetKey]:
    """The assets to rebuild: stale or missing by Dagster's data and code versions (partitions of this block),
    the Dashboard exports when the analyst's files changed, and everything downstream of those."""
    from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
    from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
    from dagster._utils.caching_instance_queryer import CachingInstanceQueryer

    view = AssetGraphView(
        temporal_context=TemporalContext(effective_dt=datetime.now(UTC), last_event_id=None),
        instance=instance,
        asset_graph=graph,
    )
    queryer = CachingInstanceQueryer(instance, graph, view)
    reader = cast(dg.DagsterInstance, _LatestPartitions(instance, graph))  # the instance, with a shortcut
    resolver = CachingStaleStatusResolver(reader, graph, view, instance_queryer=queryer)
    keys = graph.materializable_asset_keys - DOWNLOAD_KEYS
    queryer.prefetch_asset_records(graph.get_all_asset_keys())  # one query, not one per asset
    seeds = set()
    for key in keys:
        partitions = programmes if graph.get(key).is_partitioned else [None]
        if any(resolver.get_status(key, p) in (StaleStatus.STALE, StaleStatus.MISSING) for p in partitions):
            seeds.add(key)
    if resolver.get_current_data_version(DASHBOARD_KEY) != dg.DataVersion(dashboard_version(settings)):
        seeds.add(DASHBOARD_KEY)
    return _with_downstream(graph, seeds)


def rebuild_selection(
    instance: dg.DagsterInstance, graph, programmes: list[str], settings: Settings, *, everything: bool
) -> set[dg.AssetKey]:
    """What a build run materialises after the downloads: every other asset when `everything` (no build file yet,
    or one removed to be rebuilt), else what is stale (`stale_assets`); the publish too whenever no warehouse is
    published."""
    rebuild = (
        set(graph.materializable_asset_keys - DOWNLOAD_KEYS)
        if everything
        else stale_assets(instance, graph, programmes, settings)
    )
    if not settings.warehouse_path.exists():
        rebuild.add(PUBLISHED_KEY)
    return rebuild


class _LatestPartitions:
    """The instance as the stale-status resolver reads it, knowing each partitioned asset's latest materialisation
    per partition (one query per asset). The resolver asks, for every partition of a partitioned upstream asset,
    for a materialisation newer than the one a downstream asset was built from: the answer is "none" whenever that
    partition's latest is not newer, without a query per (asset, partition, downstream asset). Other questions are
    read from the instance once each (several downstream assets ask the same one), as the resolver asks them."""

    def __init__(self, instance: dg.DagsterInstance, graph) -> None:
        self._instance = instance
        self._latest = {
            key: instance.get_latest_storage_id_by_partition(key, dg.DagsterEventType.ASSET_MATERIALIZATION)
            for key in graph.materializable_asset_keys
            if graph.get(key).is_partitioned
        }
        self._answers: dict[tuple, dg.EventLogRecord | None] = {}

    def get_latest_data_version_record(
        self,
        key: dg.AssetKey,
        is_source: bool | None = None,
        partition_key: str | None = None,
        before_cursor: int | None = None,
        after_cursor: int | None = None,
    ) -> dg.EventLogRecord | None:
        if is_source is False and partition_key is not None and key in self._latest and before_cursor is None:
            latest = self._latest[key].get(partition_key)
            if after_cursor is not None and (latest is None or latest <= after_cursor):
                return None
        question = (key, is_source, partition_key, before_cursor, after_cursor)
        if question not in self._answers:
            self._answers[question] = self._instance.get_latest_data_version_record(
                key, is_source, partition_key, before_cursor=before_cursor, after_cursor=after_cursor
            )
        return self._answers[question]

    def __getattr__(self, name: str):
        return getattr(self._instance, name)


def _with_downstream(graph, seeds: set[dg.AssetKey]) -> set[dg.AssetKey]:
    selected, todo = set(), list(seeds)
    while todo:
        key = todo.pop()
        if key in selected:
            continue
        selected.add(key)
        todo += list(graph.get(key).child_keys) + list(graph.get(key).execution_set_asset_keys)
    return selected


def confirm_unchanged(instance: dg.DagsterInstance, run_id: str) -> None:
    """Record that the published warehouse is current as of this check: a materialisation carrying the same data
    version and provenance as the last one (so nothing turns stale), marked `unchanged`."""
    event = instance.get_latest_materialization_event(PUBLISHED_KEY)
    if event is None or event.asset_materialization is None:
        return
    last = event.asset_materialization
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=PUBLISHED_KEY,
            description="checked, unchanged: every source and every model is as when this warehouse was published",
            metadata={**last.metadata, "unchanged": True, "checked_by_run": run_id},
            tags=dict(last.tags or {}),
        )
    )

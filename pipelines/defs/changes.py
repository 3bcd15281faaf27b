"""Change detection in Dagster's own terms: which assets a refresh must rebuild, and "checked, unchanged".

Download assets carry data version = file sha256 and every other asset a code version, so Dagster's staleness
says what changed; `bilatrus run` and the `build_stale_assets` sensor both rebuild exactly that, plus downstream.
"""

from __future__ import annotations

from datetime import UTC, datetime

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

    view = AssetGraphView(
        temporal_context=TemporalContext(effective_dt=datetime.now(UTC), last_event_id=None),
        instance=instance,
        asset_graph=graph,
    )
    resolver = CachingStaleStatusResolver(instance, graph, view)
    keys = graph.materializable_asset_keys - DOWNLOAD_KEYS
    resolver.instance_queryer.prefetch_asset_records(graph.get_all_asset_keys())  # one query, not one per asset
    seeds = set()
    for key in keys:
        partitions = programmes if graph.get(key).is_partitioned else [None]
        if any(resolver.get_status(key, p) in (StaleStatus.STALE, StaleStatus.MISSING) for p in partitions):
            seeds.add(key)
    if resolver.get_current_data_version(DASHBOARD_KEY) != dg.DataVersion(dashboard_version(settings)):
        seeds.add(DASHBOARD_KEY)
    return _with_downstream(graph, seeds)


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

"""The process's Great Expectations context: imported lazily, created once, ephemeral (no gx/ folder).

Owns the GX import (seconds: only modules that validate call it), the lock every GX call of the quality package
takes (GX's context is not thread-safe), and the pandas data source whose dataframe assets receive the batches
DuckDB hands to GX (one asset per table and batch kind, each with a whole-dataframe batch definition).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext

DATASOURCE = "bilatrus_duckdb"
GX_LOCK = threading.RLock()
_CONTEXT: AbstractDataContext | None = None
_BATCH_DEFINITIONS: dict[str, Any] = {}


def gx_context() -> AbstractDataContext:
    """The process's GX context: ephemeral (no gx/ folder), progress bars and analytics off."""
    global _CONTEXT
    with GX_LOCK:
        if _CONTEXT is None:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            context.data_sources.add_pandas(DATASOURCE)
            _CONTEXT = context
        return _CONTEXT


def batch_definition(asset_name: str) -> Any:
    """The whole-dataframe batch definition of one dataframe asset (created on first use)."""
    with GX_LOCK:
        if asset_name not in _BATCH_DEFINITIONS:
            datasource = gx_context().data_sources.get(DATASOURCE)
            asset = datasource.add_dataframe_asset(asset_name)
            _BATCH_DEFINITIONS[asset_name] = asset.add_batch_definition_whole_dataframe("whole")
        return _BATCH_DEFINITIONS[asset_name]

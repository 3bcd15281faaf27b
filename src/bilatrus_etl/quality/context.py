"""The process's Great Expectations context: imported lazily, created once, ephemeral (no gx/ folder).

Owns the GX import (seconds: only modules that validate call it), the lock every GX call of the quality package
takes (GX's context is not thread-safe), the pandas data source whose dataframe assets receive the batches
DuckDB hands to GX (one asset per table and batch kind, each with a whole-dataframe batch definition), and the
checkpoints that validate them: `checkpoint` adds (or updates) in the context the suite, one
`ValidationDefinition` (suite + batch definition) and a `Checkpoint` holding it with its actions, in GX's own
terms; `Checkpoint.run(batch_parameters={"dataframe": frame})` then validates the frame.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bilatrus_etl.imports import LARGE_IMPORTS

if TYPE_CHECKING:
    from great_expectations import Checkpoint
    from great_expectations.data_context import AbstractDataContext

DATASOURCE = "bilatrus_duckdb"
# The batches validate_table hands GX for a table: a zero-row frame of every column, and the rows rules need
SCHEMA_BATCH = "schema"
ROWS_BATCH = "rows"
GX_LOCK = threading.RLock()
_CONTEXT: AbstractDataContext | None = None
_BATCH_DEFINITIONS: dict[str, Any] = {}
_PREWARM: threading.Thread | None = None
_PREWARM_LOCK = threading.Lock()


def gx_context() -> AbstractDataContext:
    """The process's GX context: ephemeral (no gx/ folder), progress bars and analytics off."""
    global _CONTEXT
    with GX_LOCK:
        if _CONTEXT is None:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            with LARGE_IMPORTS:  # the context's creation imports more of GX
                import great_expectations as gx
                from great_expectations.data_context.types.base import ProgressBarsConfig

                context = gx.get_context(mode="ephemeral")
                context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
                from great_expectations.datasource.fluent import PandasDatasource

                declared = PandasDatasource.parse_obj({"name": DATASOURCE, "assets": _declared_assets()})
                context.data_sources.add_pandas(datasource=declared)
            _CONTEXT = context
        return _CONTEXT


def prewarm() -> None:
    """Start importing GX and creating the context in a background thread (once per process), so that the seconds
    the import takes overlap with work that does not need GX and releases the GIL (DuckDB steps: staging, SQL
    models). The first validation then waits on GX_LOCK for what is left. An error is left for that validation to
    raise and report. Called from such a step, not before a run starts: the import holds the GIL most of the time,
    so it would slow down everything a run does before its first step."""
    global _PREWARM
    with _PREWARM_LOCK:
        if _CONTEXT is None and _PREWARM is None:
            # SQLAlchemy's ORM first, on this thread (about 0.1 s): GX imports it, and Dagster's storage, which uses
            # SQLAlchemy on the steps' threads, reaches into it lazily; while a background thread was still
            # initialising it, a step saw it half-made ("partially initialized module 'sqlalchemy.orm.exc' has no
            # attribute 'UnmappedClassError'") and failed
            import sqlalchemy.orm  # noqa: F401

            _PREWARM = threading.Thread(target=_prewarm, name="gx-prewarm", daemon=True)
            _PREWARM.start()


def importing() -> bool:
    """Whether GX is being imported in the background (`prewarm`) and is not ready yet: a validation started now
    would wait for it."""
    prewarming = _PREWARM
    return _CONTEXT is None and prewarming is not None and prewarming.is_alive()


def _prewarm() -> None:
    """The context, its data source declaring every suite's dataframe assets (`_declared_assets`)."""
    try:
        gx_context()
    except Exception:  # noqa: S110 - the validation that needs the context raises the same error, reported there
        pass


WHOLE = "whole"  # the batch definition of a dataframe asset: the whole frame


def _declared_assets() -> list[dict[str, Any]]:
    """The dataframe asset of each suite's batches with its whole-dataframe batch definition, in GX's configuration
    shape: the data source is added with all of them at once. GX saves the context's configuration each time an
    asset or a batch definition is added one by one (0.38 s for the 58 of 29 suites, holding the GIL while the
    first validations wait; 0.01 s declared at once)."""
    from bilatrus_etl.quality.suites import list_suites  # suites imports this module

    return [
        {"name": asset_name(table, batch), "type": "dataframe", "batch_definitions": [{"name": WHOLE}]}
        for table in list_suites()
        for batch in (SCHEMA_BATCH, ROWS_BATCH)
    ]


def asset_name(table: str, batch: str) -> str:
    """The dataframe asset that receives one batch of a table."""
    return f"{table}:{batch}"


def batch_definition(asset_name: str) -> Any:
    """The whole-dataframe batch definition of one dataframe asset: declared with the data source for every suite
    (`_declared_assets`), added on first use for another (a suite folder of its own)."""
    with GX_LOCK:
        if asset_name not in _BATCH_DEFINITIONS:
            datasource: Any = gx_context().data_sources.get(DATASOURCE)  # a pandas datasource
            try:  # every asset is made here with its batch definition: no asset lacks one
                definition = datasource.get_asset(asset_name).get_batch_definition(WHOLE)
            except LookupError:
                definition = datasource.add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe(WHOLE)
            _BATCH_DEFINITIONS[asset_name] = definition
        return _BATCH_DEFINITIONS[asset_name]


def checkpoint(
    name: str,
    suite_name: str,
    expectations: Sequence[Any],
    asset_name: str,
    *,
    actions: Sequence[Any] = (),
    result_format: dict[str, Any] | None = None,
) -> Checkpoint:
    """The checkpoint `name`: one validation definition of these expectations (a suite named `suite_name`, the
    table's, so its Data Docs pages sit under the table) on the batch definition of dataframe asset
    `asset_name`, with `actions`. Suite, validation definition and checkpoint are added to the context, or
    updated when they exist (the expectations of a batch depend on the run: its scope, the rules SQL took)."""
    import great_expectations as gx

    with GX_LOCK:
        context = gx_context()
        suite = context.suites.add_or_update(gx.ExpectationSuite(name=suite_name, expectations=list(expectations)))
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch_definition(asset_name), suite=suite)
        )
        return context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=name,
                validation_definitions=[definition],
                actions=list(actions),
                result_format=result_format or "SUMMARY",
            )
        )

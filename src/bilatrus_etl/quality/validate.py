"""Validating one DuckDB table with its suite: the SQL aggregates, the GX batches, one combined result.

`validate_table` loads the suite (suites.py), evaluates the row-level rules sql_checks translates as aggregates
in DuckDB over the whole table (GX semantics and result shape: validating scales with the warehouse, not with
its rows), and hands GX the rest on bounded pandas batches read through Arrow (GX's SQL datasource does not
work on DuckDB 2):
- the *schema* batch (zero rows, every column) for table-shape expectations such as
  `expect_table_columns_to_match_set` with exact_match (schema drift): a renamed column is named;
- the *rows* batch, only for rules sql_checks does not translate and only the columns they refer to (wide text
  columns no rule reads never leave DuckDB); DECIMAL columns arrive as DOUBLE;
and runs the table's plain SQL checks for what GX has no expectation for (foreign keys, rows per programme,
column types: table_checks.py, sql/checks/<table>__<check>.sql), each reported as its own check.
Each batch is validated by its own GX Checkpoint, `<table>.<batch>` (context.checkpoint: one
ValidationDefinition of the batch's expectations on the batch definition of its dataframe asset), run with
`checkpoint.run(batch_parameters={"dataframe": frame})`: GX gives every validation definition of a checkpoint
the same batch parameters, and each batch of a table is a different frame, hence a checkpoint per table and
batch. The results are read from the CheckpointResult (`run_results`: ExpectationSuiteValidationResult per
validation) and joined with the SQL results into one ValidationOutcome (report.py). With `data_docs_dir`, the
checkpoints store their results in that folder's site and GX's UpdateDataDocsAction builds the pages (docs.py);
the SQL results are not on those pages (a checkpoint stores and shows what its validation definitions
computed, and adding to its stored result would mean reaching into GX): they are in the outcome,
meta_validation_runs and the Dagster check metadata.
A failure GX raises is a failed check, not a crash of the step.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from bilatrus_etl.quality import offline_docs, sql_checks
from bilatrus_etl.quality.checks import PROGRAMME_COLUMN, Batch, library_failure, read_frame, select_list
from bilatrus_etl.quality.context import ROWS_BATCH, SCHEMA_BATCH, asset_name
from bilatrus_etl.quality.context import checkpoint as context_checkpoint
from bilatrus_etl.quality.docs import (
    docs_action,
    forget_results,
    make_room,
    result_page,
    results_store,
)
from bilatrus_etl.quality.report import Severity, ValidationOutcome, describe_failure
from bilatrus_etl.quality.sql_checks import literal, quote, quote_name, table_columns
from bilatrus_etl.quality.suites import load_suite, parameters_used, resolved, suite_parameter
from bilatrus_etl.quality.table_checks import run_checks

# BASIC: counts, percentages and the first unexpected values (deduplicated to report.SAMPLE_SIZE); SUMMARY
# would add value counts and row indexes nobody reads.
RESULT_FORMAT: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": 100}
# Table-shape expectations: evaluated on a zero-row frame holding every column of the table.
SCHEMA_EXPECTATIONS = frozenset(
    {
        "expect_table_columns_to_match_set",
        "expect_table_columns_to_match_ordered_list",
        "expect_column_to_exist",
        "expect_table_column_count_to_equal",
        "expect_table_column_count_to_be_between",
    }
)
_COLUMN_KWARGS = ("column", "column_A", "column_B")
_LIST_COLUMN_KWARGS = ("column_list",)


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    data_docs_dir: Path | str | None = None,
    programmes: Sequence[str] | None = None,
    run_name: str | None = None,
    expectations_dir: Path | None = None,
    docs_policy: str = "always",
    engine: str = "sql",
    checks_dir: Path | None = None,
) -> ValidationOutcome:
    """Validate one DuckDB table with its suite, expectations/<table>.json (or in `expectations_dir`).

    programmes: restrict the rows to these framework programmes (when the table has the programme
        column) and require each of them in the per-programme row-count bounds (0 rows fails).
    checks_dir: the folder of the table's SQL checks, <table>__<check>.sql (default sql/checks; table_checks.py).
    data_docs_dir: when given, the result is stored there and GX Data Docs rebuilt; index.html is returned.
    docs_policy: when to rebuild the Data Docs site: "always", "on_failure" (a pipeline that rebuilds the site
        once at its end with build_data_docs, but wants a failing table's page at once), or "never".
    run_name: shown in the Data Docs (e.g. the Dagster run id).
    engine: "sql" (default) evaluates the row-level rules sql_checks can translate as aggregates in DuckDB over
        the whole table (GX semantics, results shaped as GX's, in the same Data Docs) and gives GX only the
        rest; "gx" gives every rule to GX on pandas batches (the reference the SQL path is tested against).
    """
    started_at = datetime.now(UTC)
    start = time.perf_counter()
    timings: dict[str, float] = {}
    suite_obj = load_suite(table, expectations_dir=expectations_dir)
    timings["load_s"] = time.perf_counter() - start  # includes the GX import on a process's first call
    scope = tuple(programmes) if programmes else None

    def finish(
        failures: list[dict[str, Any]],
        evaluated: int,
        row_count: int | None,
        docs: tuple[Path | None, Path | None],
        docs_error: str | None = None,
    ) -> ValidationOutcome:
        worst: Severity | None = None
        if any(f["severity"] == "error" for f in failures):
            worst = "error"
        elif failures:
            worst = "warn"
        return ValidationOutcome(
            table=table,
            suite=suite_obj.name,
            success=not failures,
            severity=worst,
            failures=failures,
            evaluated=evaluated,
            duration_s=time.perf_counter() - start,
            started_at=started_at,
            row_count=row_count,
            programmes=scope,
            data_docs_path=docs[0],
            data_docs_page=docs[1],
            data_docs_error=docs_error,
            timings=timings,
        )

    columns = table_columns(con, table)
    if columns is None:
        message = f"table {table!r} does not exist in the DuckDB database: materialise its asset before checking it."
        return finish([library_failure("table_exists", None, "error", message)], 1, None, (None, None))

    where = ""
    if scope and PROGRAMME_COLUMN in columns:
        where = f" WHERE {quote(PROGRAMME_COLUMN)} IN ({', '.join(literal(p) for p in scope)})"

    used = parameters_used([e.configuration.kwargs for e in suite_obj.expectations])
    parameters = {name: suite_parameter(name) for name in used}
    sql_start = time.perf_counter()
    sql_results: list[Any] = []
    gx_expectations = list(suite_obj.expectations)
    if engine == "sql":
        sql_results, gx_expectations = _sql_results(con, table, columns, gx_expectations, where, parameters)
    timings["sql_s"] = time.perf_counter() - sql_start

    fetch_start = time.perf_counter()
    library_failures: list[dict[str, Any]] = []
    batches = _table_batches(con, table, columns, gx_expectations, where)
    row_count = int(con.execute(f"SELECT count(*) FROM {quote_name(table)}{where}").fetchall()[0][0])
    timings["fetch_s"] = time.perf_counter() - fetch_start
    checks_start = time.perf_counter()
    check_failures, checks_run = run_checks(con, table, scope, checks_dir)
    timings["checks_s"] = time.perf_counter() - checks_start

    gx_start = time.perf_counter()
    results: list[Any] = list(sql_results)
    docs_dir = Path(data_docs_dir) if data_docs_dir is not None else None
    docs_error: str | None = None
    runs: list[Any] = []  # the CheckpointResult of each batch
    with results_store(docs_dir) as site_name:
        if docs_dir is not None:
            make_room(docs_dir, suite_obj.name)
        from great_expectations.core.run_identifier import RunIdentifier

        run_id = RunIdentifier(run_name=run_name or "bilatrus", run_time=started_at)
        actions = [docs_action(site_name)] if site_name is not None and docs_policy == "always" else []
        for batch in batches:
            if not batch.expectations:
                continue
            run, error = _run_checkpoint(table, suite_obj.name, batch, actions, parameters, run_id)
            if run is None:
                message = (
                    f"{table}: Great Expectations could not validate the {batch.label!r} batch "
                    f"({len(batch.expectations)} expectations): {error}"
                )
                library_failures.append(library_failure("gx_validation", None, "error", message))
                continue
            if error is not None:  # validated again without the Data Docs action
                docs_error = docs_error or f"Data Docs not written to {docs_dir}: {error}"
            runs.append(run)
            for validation in run.run_results.values():
                for result in validation.results:
                    result.expectation_config.meta = {**(result.expectation_config.meta or {}), "batch": batch.label}
                results += validation.results
        timings["gx_s"] = time.perf_counter() - gx_start

        failures = library_failures + check_failures + [describe_failure(table, r) for r in results if not r.success]
        docs: tuple[Path | None, Path | None] = (None, None)
        keys = [key for run in runs for key in run.run_results]
        if docs_dir is None:
            forget_results(keys)
        else:
            docs_start = time.perf_counter()
            try:
                if docs_policy == "on_failure" and failures:  # the pipeline wants a failing table's pages at once
                    for run in runs:
                        docs_action(str(site_name)).run(run)
                if docs_policy == "always" or (docs_policy == "on_failure" and failures):
                    offline_docs.make_offline(docs_dir)
                    docs = (docs_dir / "index.html", _first_page(docs_dir, runs))
                else:  # stored; the site is rebuilt once by docs.build_data_docs()
                    docs = (docs_dir / "index.html", None)
            except Exception as err:  # the docs are a report: failing to write them must not fail the check
                docs_error = f"Data Docs not written to {docs_dir}: {type(err).__name__}: {err}"
            timings["docs_s"] = time.perf_counter() - docs_start
    return finish(failures, len(results) + len(library_failures) + checks_run, row_count, docs, docs_error)


def _run_checkpoint(
    table: str, suite_name: str, batch: Batch, actions: list[Any], parameters: Mapping[str, Any], run_id: Any
) -> tuple[Any | None, str | None]:
    """(CheckpointResult, None) of the checkpoint `<table>.<batch>` run on the batch's frame; when its Data Docs
    action fails, the run again without actions and the error; (None, error) when GX cannot validate at all."""
    error = None
    for with_actions in [actions, []] if actions else [[]]:
        try:
            checkpoint = context_checkpoint(
                f"{table}.{batch.label}",
                suite_name,
                batch.expectations,
                asset_name(table, batch.label),
                actions=with_actions,
                result_format=RESULT_FORMAT,
            )
            run = checkpoint.run(
                batch_parameters={"dataframe": batch.frame}, expectation_parameters=dict(parameters), run_id=run_id
            )
            return run, error
        except Exception as err:  # a GX failure must read as a failed check, not as a crash of the step
            error = f"{type(err).__name__}: {err}"
    return None, error


def _first_page(docs_dir: Path, runs: list[Any]) -> Path | None:
    """The Data Docs page of the table's first failing batch (else its first batch)."""
    keyed = [(key, result) for run in runs for key, result in run.run_results.items()]
    keyed.sort(key=lambda item: item[1].success)
    return result_page(docs_dir, keyed[0][0]) if keyed else None


def _sql_results(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Mapping[str, str],
    expectations: list[Any],
    where: str,
    parameters: Mapping[str, Any],
) -> tuple[list[Any], list[Any]]:
    """(GX-shaped results of the rules evaluated in SQL, the expectations left to GX)."""
    from great_expectations.core.expectation_validation_result import ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    translated, rest = [], []
    for expectation in expectations:
        config = expectation.configuration
        check, kwargs = None, resolved(config.kwargs, parameters)
        if config.type not in SCHEMA_EXPECTATIONS:
            check = sql_checks.translate(config.type, kwargs, columns, table, where)
        if check is None:
            rest.append(expectation)
        else:
            translated.append((config, kwargs, check))
    try:
        outcomes = sql_checks.evaluate_many(con, [check for _, _, check in translated])
    except duckdb.Error:  # e.g. a view without rowid: GX validates every rule on a batch instead
        return [], list(expectations)
    results = []
    for (config, kwargs, _), (success, result) in zip(translated, outcomes, strict=True):
        evaluated = ExpectationConfiguration(
            type=config.type, kwargs=kwargs, severity=config.severity, meta={**(config.meta or {}), "batch": "sql"}
        )
        results.append(ExpectationValidationResult(success=success, expectation_config=evaluated, result=result))
    return results, rest


def _table_batches(
    con: duckdb.DuckDBPyConnection, table: str, columns: Mapping[str, str], expectations: list[Any], where: str
) -> list[Batch]:
    schema_expectations: list[Any] = []
    row_expectations: list[Any] = []
    for expectation in expectations:
        (schema_expectations if expectation.expectation_type in SCHEMA_EXPECTATIONS else row_expectations).append(
            expectation
        )
    batches: list[Batch] = []
    if schema_expectations:
        frame = read_frame(con, f"SELECT {select_list(columns, list(columns))} FROM {quote_name(table)} LIMIT 0")
        batches.append(Batch(SCHEMA_BATCH, frame, schema_expectations))
    if row_expectations:
        wanted = []
        for expectation in row_expectations:
            wanted += [c for c in _referenced_columns(expectation) if c in columns and c not in wanted]
        # A missing column is left out: GX then reports it as missing, naming it.
        select = select_list(columns, wanted or [next(iter(columns))])
        frame = read_frame(con, f"SELECT {select} FROM {quote_name(table)}{where}")
        batches.append(Batch(ROWS_BATCH, frame, row_expectations))
    return batches


def _referenced_columns(expectation: Any) -> list[str]:
    config = expectation.configuration
    names: list[str] = []
    for key in _COLUMN_KWARGS:
        if isinstance(config.kwargs.get(key), str):
            names.append(config.kwargs[key])
    for key in _LIST_COLUMN_KWARGS:
        names += [c for c in config.kwargs.get(key) or [] if isinstance(c, str)]
    return names

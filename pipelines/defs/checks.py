"""Great Expectations suites (expectations/*.json) and, beside them, the tables' SQL checks (sql/checks/), as
asset checks on the assets that write their tables: `gx_<table>` and `sql_<check>`, from one validation.

A failed expectation of severity error blocks everything downstream, the publish included; warn-level
expectations only warn. The library does the validating; this module only reports it to Dagster.
"""

from collections.abc import Sequence
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl.quality.reconcile import reconcile
from bilatrus_etl.quality.report import ValidationOutcome
from bilatrus_etl.quality.steps import validate
from bilatrus_etl.quality.suites import list_suites
from bilatrus_etl.quality.table_checks import SQL_CHECK, check_files, check_name, tables_read
from pipelines.defs.resources import BilatrusConfig
from pipelines.defs.tables import table_asset_key
from pipelines.executor import AFTER_TAG, GX_IMPORT


def _check_result(
    spec_name: str, outcome: ValidationOutcome, failures: list[dict], description: str, **metadata: Any
) -> dg.AssetCheckResult:
    """One check's result from its share of the table's failures: it fails when any failed, blocks when an
    error-level one did."""
    blocking_failed = any(f["severity"] == "error" for f in failures)
    return dg.AssetCheckResult(
        check_name=spec_name,
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR if blocking_failed else dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "failing_expectations": dg.MetadataValue.json(failures),
            "duration_s": dg.MetadataValue.float(round(outcome.duration_s, 3)),
            **metadata,
        },
    )


def _describe(failures: list[dict]) -> str:
    return " ".join(f"[{f['severity']}] {f['message']}" for f in failures)


def _suite_result(table: str, outcome: ValidationOutcome) -> dg.AssetCheckResult:
    failures = [f for f in outcome.failures if f.get("batch") != SQL_CHECK]
    evaluated = outcome.evaluated - len(check_files(table))
    description = _describe(failures) or f"{table}: all {evaluated} expectations of the suite passed."
    if failures and outcome.data_docs_path:
        description += f" Data Docs: {outcome.data_docs_page or outcome.data_docs_path}"
    return _check_result(
        f"gx_{table}",
        outcome,
        failures,
        description,
        evaluated_expectations=evaluated,
        data_docs=dg.MetadataValue.path(str(outcome.data_docs_path or "")),
    )


def _sql_result(name: str, outcome: ValidationOutcome) -> dg.AssetCheckResult:
    failures = [f for f in outcome.failures if f.get("batch") == SQL_CHECK and f["expectation"] == name]
    description = _describe(failures) or f"{outcome.table}: sql/checks/{outcome.table}__{name}.sql found nothing wrong."
    return _check_result(f"sql_{name}", outcome, failures, description)


def _table_checks(
    table: str, asset_key: dg.AssetKey, written_with: frozenset[dg.AssetKey] = frozenset()
) -> dg.AssetChecksDefinition:
    """The table's suite (`gx_<table>`) and each of its SQL checks (`sql_<check>`), reported as their own
    blocking checks from one validation of the table. A SQL check reading other tables (the parent of a foreign
    key) depends on them too, unless the step that writes the table writes them (`written_with`)."""
    files = check_files(table)
    sql_checks = [check_name(path) for path in files]
    specs = [
        dg.AssetCheckSpec(
            f"gx_{table}",
            asset=asset_key,
            blocking=True,
            description=f"Great Expectations suite expectations/{table}.json on table {table}.",
        ),
        *(
            dg.AssetCheckSpec(
                f"sql_{check_name(path)}",
                asset=asset_key,
                blocking=True,
                # the parent tables of its foreign keys: the check waits for them as for its own table
                additional_deps=[
                    key
                    for parent in tables_read(path)
                    if (key := table_asset_key(parent)) is not None and key not in written_with
                ],
                description=f"SQL check sql/checks/{path.name} on table {table} (what GX cannot express).",
            )
            for path in files
        ),
    ]

    @dg.multi_asset_check(specs=specs, name=f"validate_{table}", op_tags={AFTER_TAG: GX_IMPORT})
    def _check(context: dg.AssetCheckExecutionContext, bilatrus: BilatrusConfig, duckdb: DuckDBResource):
        with duckdb.get_connection() as con:
            outcome = validate(con, bilatrus.settings(), table, run_id=context.run.run_id)
        yield _suite_result(table, outcome)
        for name in sql_checks:
            yield _sql_result(name, outcome)

    return _check


@dg.asset_check(
    asset=dg.AssetKey(["staging", "load_audit"]),
    name="reconciliation",
    blocking=True,
    description="Every source file reconciles: raw rows = staged rows + quarantined rows.",
)
def reconciliation(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        problems = reconcile(con)
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description="all files reconcile" if not problems else f"{len(problems)} file(s) do not reconcile",
        metadata={"mismatches": dg.MetadataValue.json(problems)},
    )


def suite_checks(assets: Sequence[dg.AssetsDefinition] = ()) -> list[dg.AssetChecksDefinition]:
    """The checks of every table with a suite; `assets` tells which tables one step writes together."""
    written_with = {key: frozenset(a.keys) for a in assets for key in a.keys}
    checks = []
    for table in list_suites():
        key = table_asset_key(table)
        if key is not None:
            checks.append(_table_checks(table, key, written_with.get(key, frozenset())))
    return checks + [reconciliation]

"""Great Expectations suites (expectations/*.json), with the table's SQL checks (sql/checks/), as asset checks
on the assets that write their tables.

A failed expectation of severity error blocks everything downstream, the publish included; warn-level
expectations only warn. The library does the validating; this module only reports it to Dagster.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl.quality.reconcile import reconcile
from bilatrus_etl.quality.report import ValidationOutcome
from bilatrus_etl.quality.steps import validate
from bilatrus_etl.quality.suites import list_suites
from bilatrus_etl.quality.table_checks import SQL_CHECK, check_files, check_name
from pipelines.defs.resources import BilatrusConfig
from pipelines.defs.tables import table_asset_key


def _result(outcome: ValidationOutcome) -> dg.AssetCheckResult:
    failed_sql_checks = {f["expectation"] for f in outcome.failures if f.get("batch") == SQL_CHECK}
    sql_checks = {
        check_name(path): "failed" if check_name(path) in failed_sql_checks else "passed"
        for path in check_files(outcome.table)
    }
    blocking_failed = not outcome.passed_errors
    severity = dg.AssetCheckSeverity.ERROR if blocking_failed else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=severity,
        description=outcome.summary(),
        metadata={
            "evaluated_expectations": outcome.evaluated,
            "failing_expectations": dg.MetadataValue.json(outcome.failures),
            "sql_checks": dg.MetadataValue.json(sql_checks),
            "duration_s": dg.MetadataValue.float(round(outcome.duration_s, 3)),
            "data_docs": dg.MetadataValue.path(str(outcome.data_docs_path or "")),
        },
    )


def _suite_check(table: str, asset_key: dg.AssetKey) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset_key,
        name=f"gx_{table}",
        blocking=True,
        description=f"Great Expectations suite expectations/{table}.json and SQL checks sql/checks/{table}__*.sql "
        f"on table {table}.",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, bilatrus: BilatrusConfig, duckdb: DuckDBResource
    ) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            outcome = validate(con, bilatrus.settings(), table, run_id=context.run.run_id)
        return _result(outcome)

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


def suite_checks() -> list[dg.AssetChecksDefinition]:
    checks = []
    for table in list_suites():
        key = table_asset_key(table)
        if key is not None:
            checks.append(_suite_check(table, key))
    return checks + [reconciliation]

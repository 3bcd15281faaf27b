"""Reading validation results: the ValidationOutcome of one table, a sentence per failure, the run log.

GX's results (ExpectationValidationResult: expectation_config, success, result, exception_info) and the
GX-shaped results of sql_checks become one dict per failing expectation: expectation, column, severity,
unexpected_count, unexpected_percent, sample (at most SAMPLE_SIZE distinct bad values, plain JSON), message,
batch. `record_validation_run` appends one row per validation to `meta_validation_runs`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import duckdb

from bilatrus_etl.quality.sql_checks import quote, table_columns
from bilatrus_etl.quality.suites import expectation_severity

Severity = Literal["error", "warn"]
SAMPLE_SIZE = 10
VALIDATION_RUNS_TABLE = "meta_validation_runs"


@dataclass(frozen=True)
class ValidationOutcome:
    """The result of validating one table with its suite.

    `failures`: one dict per failing expectation: expectation, column, severity, unexpected_count,
    unexpected_percent, sample (at most 10 distinct bad values), message, batch.
    `success` is True only when nothing failed; `passed_errors` when no blocking (error) rule failed.
    """

    table: str
    suite: str
    success: bool
    severity: Severity | None
    failures: list[dict[str, Any]]
    evaluated: int
    duration_s: float
    started_at: datetime
    row_count: int | None = None
    programmes: tuple[str, ...] | None = None
    data_docs_path: Path | None = None
    data_docs_page: Path | None = None
    data_docs_error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [f for f in self.failures if f["severity"] == "error"]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return [f for f in self.failures if f["severity"] == "warn"]

    @property
    def passed_errors(self) -> bool:
        """True when no blocking rule failed (warnings allowed): the publish may go on."""
        return not self.errors

    def summary(self) -> str:
        """One paragraph for a person: what failed, where, with examples."""
        scope = f" ({', '.join(self.programmes)})" if self.programmes else ""
        if self.success:
            return f"{self.table}{scope}: all {self.evaluated} expectations of suite {self.suite!r} passed."
        parts = [f"{self.table}{scope}: {len(self.errors)} blocking failure(s), {len(self.warnings)} warning(s)"]
        parts += [f"[{f['severity']}] {f['message']}" for f in self.failures]
        if self.data_docs_path:
            parts.append(f"Data Docs: {self.data_docs_page or self.data_docs_path}")
        if self.data_docs_error:
            parts.append(self.data_docs_error)
        return "\n".join(parts)


# --------------------------------------------------------------------------------------------------
# Failures in words
# --------------------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Plain JSON values for samples (numpy scalars, timestamps, decimals, tuples, NaN/NaT -> None)."""
    import pandas as pd

    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return jsonable(item())
        except (TypeError, ValueError):
            pass
    return str(value)


def _sample(result: Mapping[str, Any]) -> list[Any]:
    """Up to SAMPLE_SIZE distinct unexpected values, in the order GX found them."""
    sample: list[Any] = []
    seen: set[str] = set()
    for value in result.get("partial_unexpected_list") or []:
        plain = jsonable(value)
        key = json.dumps(plain, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            sample.append(plain)
        if len(sample) == SAMPLE_SIZE:
            break
    return sample


def _exception_message(result: Any) -> str | None:
    info = result.exception_info or {}
    if info.get("raised_exception") and info.get("exception_message"):
        return str(info["exception_message"])
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def describe_failure(table: str, result: Any) -> dict[str, Any]:
    config = result.expectation_config
    kwargs, meta = dict(config.kwargs), dict(config.meta or {})
    details: dict[str, Any] = dict(result.result or {})
    type_ = config.type
    column = _failure_column(kwargs, meta)
    failure: dict[str, Any] = {
        "expectation": type_,
        "column": column,
        "severity": expectation_severity({"severity": config.severity}),
        "unexpected_count": details.get("unexpected_count"),
        "unexpected_percent": _round(details.get("unexpected_percent")),
        "sample": _sample(details),
        "message": "",
        "batch": meta.get("batch"),
    }
    if kwargs.get("column_A") and kwargs.get("column_B"):
        failure["sample"] = [
            {kwargs["column_A"]: v[0], kwargs["column_B"]: v[1]} if isinstance(v, list) and len(v) == 2 else v
            for v in failure["sample"]
        ]
    error = _exception_message(result)
    if error:
        missing = re.search(r'column "([^"]+)"[^.]*does not exist', error)
        if missing:
            failure["message"] = (
                f"{table}: column {missing.group(1)!r} is missing (renamed or dropped?); {type_} on it could not run."
            )
        else:
            failure["message"] = f"{table}: {type_} on {column or 'the table'} raised an error: {error}"
        return failure
    if type_ == "expect_table_columns_to_match_set" or type_ == "expect_table_columns_to_match_ordered_list":
        mismatched = (details.get("details") or {}).get("mismatched") or {}
        if isinstance(mismatched, dict):
            missing_cols = sorted(mismatched.get("missing") or [])
            extra_cols = sorted(mismatched.get("unexpected") or [])
        else:  # ordered list: a list of {expected, found} per position
            missing_cols, extra_cols = [], []
        failure["missing_columns"], failure["unexpected_columns"] = missing_cols, extra_cols
        failure["sample"] = missing_cols + extra_cols
        parts = []
        if missing_cols:
            parts.append(f"missing column(s) {', '.join(missing_cols)}")
        if extra_cols:
            parts.append(f"unexpected column(s) {', '.join(extra_cols)}")
        observed = details.get("observed_value")
        failure["message"] = (
            f"{table}: schema drift: {'; '.join(parts) or 'columns differ'} "
            f"(found: {', '.join(map(str, observed or []))})."
        )
    elif "observed_value" in details and details.get("unexpected_count") is None:
        observed = jsonable(details.get("observed_value"))
        failure["sample"] = [observed]
        failure["message"] = f"{table}: {type_} failed: observed {observed}, expected {_describe_kwargs(kwargs)}."
    else:
        failure["message"] = _row_message(table, type_, kwargs, failure)
    return failure


def _row_message(table: str, type_: str, kwargs: Mapping[str, Any], failure: dict[str, Any]) -> str:
    """A sentence for a failing row-level (map) expectation."""
    count, percent, sample, column = (
        failure["unexpected_count"],
        failure["unexpected_percent"],
        failure["sample"],
        failure["column"],
    )
    rows = f"{count} row(s) ({percent}%)"
    mostly = kwargs.get("mostly")
    tolerance = f" (more than the {(1 - float(mostly)) * 100:.4g}% tolerated)" if mostly not in (None, 1, 1.0) else ""
    if type_ == "expect_column_values_to_not_be_null":
        return f"{table}: {rows} have NULL {column}{tolerance}."
    if type_ in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        allowed = kwargs.get("value_set") or []
        shown = allowed if len(allowed) <= 12 else f"a set of {len(allowed)} values"
        verb = "outside" if type_.endswith("to_be_in_set") else "inside the forbidden"
        return f"{table}: {rows} have {column} {verb} {shown}{tolerance}; e.g. {sample}."
    if type_ == "expect_column_values_to_be_between":
        return f"{table}: {rows} have {column} {_range_text(kwargs)}{tolerance}; e.g. {sample}."
    if type_ in (
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_be_unique",
        "expect_select_column_values_to_be_unique_within_record",
    ):
        return f"{table}: {rows} share a duplicate ({column}) key; e.g. {sample}."
    if type_ == "expect_column_pair_values_a_to_be_greater_than_b":
        op = ">=" if kwargs.get("or_equal") else ">"
        return (
            f"{table}: {rows} break {kwargs.get('column_A')} {op} {kwargs.get('column_B')}{tolerance}; e.g. {sample}."
        )
    where = f"column {column}" if column else "the table"
    return f"{table}: {rows} of {where} fail {type_} ({_describe_kwargs(kwargs)}); e.g. {sample}."


def _failure_column(kwargs: Mapping[str, Any], meta: Mapping[str, Any]) -> str | None:
    if isinstance(kwargs.get("column"), str):
        return kwargs["column"]
    if kwargs.get("column_A") and kwargs.get("column_B"):
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    if kwargs.get("column_list"):
        return ", ".join(kwargs["column_list"])
    return None


def _describe_kwargs(kwargs: Mapping[str, Any]) -> str:
    shown = []
    for key, value in kwargs.items():
        if key in {"batch_id", "column", "column_A", "column_B", "column_list", "result_format"}:
            continue
        if isinstance(value, list) and len(value) > 12:
            value = f"[{len(value)} values]"
        shown.append(f"{key}={value}")
    return ", ".join(shown) or "no parameters"


def _range_text(kwargs: Mapping[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if high is None:
        return f"below {_bound(low)}"
    if low is None:
        return f"above {_bound(high)}"
    return f"outside [{_bound(low)}, {_bound(high)}]"


def _bound(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


# --------------------------------------------------------------------------------------------------
# Run log
# --------------------------------------------------------------------------------------------------


VALIDATION_RUN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR"),
    ("table", "VARCHAR"),
    ("suite", "VARCHAR"),
    ("started_at", "TIMESTAMPTZ"),
    ("duration_s", "DOUBLE"),
    ("success", "BOOLEAN"),
    ("n_failed", "INTEGER"),
    ("n_errors", "INTEGER"),
    ("n_warnings", "INTEGER"),
    ("n_evaluated", "INTEGER"),
    ("row_count", "BIGINT"),
    ("programmes", "VARCHAR"),
    ("load_s", "DOUBLE"),
    ("fetch_s", "DOUBLE"),
    ("gx_s", "DOUBLE"),
    ("docs_s", "DOUBLE"),
    ("data_docs_path", "VARCHAR"),
)


def record_validation_run(
    con: duckdb.DuckDBPyConnection, outcome: ValidationOutcome, *, run_id: str | None = None
) -> None:
    """Append one row to `meta_validation_runs` (created, or given missing columns, as needed).

    duration_s is the whole validate_table call; load_s holds the GX import on a process's first call,
    fetch_s the DuckDB reads, gx_s the validation proper, docs_s the Data Docs build. The column `table` is
    a reserved word in SQL: quote it (`SELECT "table", duration_s FROM meta_validation_runs`).
    """
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {VALIDATION_RUNS_TABLE} ("
        + ", ".join(f"{quote(name)} {type_}" for name, type_ in VALIDATION_RUN_COLUMNS)
        + ")"
    )
    present = table_columns(con, VALIDATION_RUNS_TABLE) or {}
    for name, type_ in VALIDATION_RUN_COLUMNS:
        if name not in present:  # a table an earlier version created
            con.execute(f"ALTER TABLE {VALIDATION_RUNS_TABLE} ADD COLUMN IF NOT EXISTS {quote(name)} {type_}")
    values: dict[str, Any] = {
        "run_id": run_id,
        "table": outcome.table,
        "suite": outcome.suite,
        "started_at": outcome.started_at,
        "duration_s": outcome.duration_s,
        "success": outcome.success,
        "n_failed": len(outcome.failures),
        "n_errors": len(outcome.errors),
        "n_warnings": len(outcome.warnings),
        "n_evaluated": outcome.evaluated,
        "row_count": outcome.row_count,
        "programmes": ",".join(outcome.programmes) if outcome.programmes else None,
        "load_s": outcome.timings.get("load_s"),
        "fetch_s": outcome.timings.get("fetch_s"),
        "gx_s": outcome.timings.get("gx_s"),
        "docs_s": outcome.timings.get("docs_s"),
        "data_docs_path": str(outcome.data_docs_path) if outcome.data_docs_path else None,
    }
    names = ", ".join(quote(name) for name in values)
    marks = ", ".join("?" for _ in values)
    con.execute(f"INSERT INTO {VALIDATION_RUNS_TABLE} ({names}) VALUES ({marks})", list(values.values()))

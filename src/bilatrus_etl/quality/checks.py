"""The checks GX has no expectation for, declared in a suite's `meta`, as GX expectations on frames DuckDB computes.

GX's SQL datasource does not work on DuckDB 2: the quality package hands GX pandas batches read from DuckDB
(through Arrow). This module owns those batches and the derived ones, each validated with an ordinary GX
expectation so their results join the suite's in one validation result and the Data Docs:
- `foreign_keys`: [{"column": "org_key", "references": "dim_organization.org_key", "severity": ...}]
  (or "columns": [...] with "references": "table(col, ...)"). DuckDB left-joins the child rows to the distinct
  parent keys; the frame holds the child key where it has no parent and NULL where it resolves, validated with
  `expect_column_values_to_be_null`, so the unexpected values are the orphan keys. One column leaves DuckDB and
  no value_set of every parent key lands in the suite, the results or the Data Docs: this scales to the full
  fact table (500k rows).
- `row_count_by_programme`: {"column": "framework_programme", "bounds": {"FP7": [min, max], ...}}. DuckDB counts
  rows per programme; a one-row frame with a column `n_rows[<programme>]` per programme is validated with
  `expect_column_values_to_be_between`. Programmes checked: those passed to `validate_table(programmes=...)`
  (one with no rows counts 0 and fails), else those present.
- `column_types`: {"types": {"start_date": "DATE", ...}} compares DuckDB's declared types (dates that did not
  parse leave a VARCHAR column): one-row frame `type[<column>]`, `expect_column_values_to_be_in_set`.
A check that cannot run (missing column, missing parent table) is a failure of the check, not a crash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from bilatrus_etl.quality.sql_checks import quote, quote_name, table_columns
from bilatrus_etl.quality.suites import GX_SEVERITY, parse_foreign_key

if TYPE_CHECKING:
    import pandas as pd

PROGRAMME_COLUMN = "framework_programme"


@dataclass
class Batch:
    """One pandas frame and the GX expectations validated on it; `label` names it in results and Data Docs."""

    label: str
    frame: pd.DataFrame
    expectations: list[Any]


def read_frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """A query's result as a pandas DataFrame, through Arrow (about 3x faster than `.df()` on text columns).

    DECIMAL and HUGEINT columns must be cast to DOUBLE by the caller (see `select_list`): Arrow would hand
    them to pandas as Python objects. Dates arrive as datetime64.
    """
    return con.sql(sql).to_arrow_table().to_pandas(date_as_object=False)


def select_list(columns: Mapping[str, str], names: Sequence[str]) -> str:
    """SELECT items for `names`, DECIMAL/HUGEINT cast to DOUBLE (checks compare values, not their scale)."""
    items = []
    for name in names:
        type_ = columns.get(name, "").upper()
        if type_.startswith("DECIMAL") or type_ in ("HUGEINT", "UHUGEINT"):
            items.append(f"CAST({quote(name)} AS DOUBLE) AS {quote(name)}")
        else:
            items.append(quote(name))
    return ", ".join(items)


def make_expectation(type_: str, kwargs: dict[str, Any], meta: dict[str, Any]) -> Any:
    """A GX Expectation with the library's severity in meta and GX's own severity field."""
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    severity = meta.get("severity", "error")
    return ExpectationConfiguration(
        type=type_, kwargs=kwargs, meta={**meta, "severity": severity}, severity=GX_SEVERITY[severity]
    ).to_domain_obj()


def library_failure(check: str, column: str | None, severity: str, message: str) -> dict[str, Any]:
    """A failure found before GX could run (missing table, missing parent table, ...)."""
    return {
        "expectation": check,
        "column": column,
        "severity": severity,
        "unexpected_count": None,
        "unexpected_percent": None,
        "sample": [],
        "message": message,
        "batch": "library",
    }


def row_count_batch(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Mapping[str, str],
    spec: Mapping[str, Any],
    scope: tuple[str, ...] | None,
    library_failures: list[dict[str, Any]],
) -> list[Batch]:
    """The one-row frame of row counts per programme and their bounds (`meta.row_count_by_programme`)."""
    import pandas as pd

    column = spec.get("column", PROGRAMME_COLUMN)
    severity = spec.get("severity", "error")
    bounds = {str(k): list(v) for k, v in (spec.get("bounds") or {}).items()}
    if column not in columns:
        message = f"{table}: cannot count rows per programme: column {column!r} is missing."
        library_failures.append(library_failure("row_count_by_programme", column, severity, message))
        return []
    counts = dict(con.execute(f"SELECT {quote(column)}, count(*) FROM {quote_name(table)} GROUP BY ALL").fetchall())
    checked = list(scope) if scope else [p for p in bounds if p in counts]
    expectations, values = [], {}
    for programme in checked:
        given = list(bounds.get(programme) or [])
        low, high = (given + [None, None])[:2]
        if low is None and high is None:
            low = 1  # a programme asked for but without bounds must at least have rows
        name = f"n_rows[{programme}]"
        values[name] = [int(counts.get(programme, 0))]
        expectations.append(
            make_expectation(
                "expect_column_values_to_be_between",
                {"column": name, "min_value": low, "max_value": high},
                {"severity": severity, "check": "row_count_by_programme", "programme": programme, "table": table},
            )
        )
    if not expectations:
        return []
    return [Batch("row_counts", pd.DataFrame(values), expectations)]


def foreign_key_batch(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Mapping[str, str],
    fk: Mapping[str, Any],
    where: str,
    library_failures: list[dict[str, Any]],
) -> list[Batch]:
    """The orphan keys of one `meta.foreign_keys` entry (NULL where the key resolves)."""
    child_columns, parent, ref_columns = parse_foreign_key(fk, f"suite {table}")
    severity = fk.get("severity", "error")
    label = f"{', '.join(child_columns)} -> {parent}({', '.join(ref_columns)})"
    missing = [c for c in child_columns if c not in columns]
    if missing:
        message = f"{table}: cannot check foreign key {label}: column(s) {', '.join(missing)} missing from {table}."
        library_failures.append(library_failure("foreign_key", ", ".join(child_columns), severity, message))
        return []
    parent_columns = table_columns(con, parent)
    if parent_columns is None or any(c not in parent_columns for c in ref_columns):
        message = f"{table}: cannot check foreign key {label}: {parent}({', '.join(ref_columns)}) does not exist."
        library_failures.append(library_failure("foreign_key", ", ".join(child_columns), severity, message))
        return []
    if len(child_columns) == 1:
        value = f"c.{quote(child_columns[0])}"
    else:
        value = "concat_ws(' / ', " + ", ".join(f"c.{quote(c)}::VARCHAR" for c in child_columns) + ")"
    not_null = " AND ".join(f"{quote(c)} IS NOT NULL" for c in child_columns)
    child_filter = f"{where} AND {not_null}" if where else f" WHERE {not_null}"
    join = " AND ".join(f"c.{quote(c)} = p.{quote(r)}" for c, r in zip(child_columns, ref_columns, strict=True))
    frame_column = f"orphan {label}"
    sql = (
        f"SELECT CASE WHEN p.{quote(ref_columns[0])} IS NULL THEN {value} END AS {quote(frame_column)} "
        f"FROM (SELECT {', '.join(quote(c) for c in child_columns)} FROM {quote_name(table)}{child_filter}) c "
        f"LEFT JOIN (SELECT DISTINCT {', '.join(quote(r) for r in ref_columns)} FROM {quote_name(parent)}) p ON {join}"
    )
    try:
        orphans = read_frame(con, sql)
    except duckdb.Error as err:  # e.g. key types that cannot be compared
        message = f"{table}: cannot check foreign key {label}: DuckDB failed: {err}"
        library_failures.append(library_failure("foreign_key", ", ".join(child_columns), severity, message))
        return []
    expectation = make_expectation(
        "expect_column_values_to_be_null",
        {"column": frame_column},
        {
            "severity": severity,
            "check": "foreign_key",
            "table": table,
            "columns": child_columns,
            "references": f"{parent}({', '.join(ref_columns)})",
            "notes": f"rows of {table} whose {', '.join(child_columns)} has no match in {parent}",
        },
    )
    return [Batch(f"foreign_key {', '.join(child_columns)}", orphans, [expectation])]


def column_type_batch(columns: Mapping[str, str], spec: Mapping[str, Any]) -> list[Batch]:
    """The one-row frame of DuckDB's declared column types against `meta.column_types`."""
    import pandas as pd

    severity = spec.get("severity", "error")
    values: dict[str, list[Any]] = {}
    expectations = []
    for column, expected in (spec.get("types") or {}).items():
        allowed = [expected] if isinstance(expected, str) else list(expected)
        name = f"type[{column}]"
        values[name] = [columns.get(column)]
        expectations.append(
            make_expectation(
                "expect_column_values_to_be_in_set",
                {"column": name, "value_set": allowed},
                {"severity": severity, "check": "column_type", "column": column},
            )
        )
    if not expectations:
        return []
    types = pd.DataFrame(values).astype(object)
    return [Batch("column_types", types, expectations)]


# --------------------------------------------------------------------------------------------------
# Reading GX results
# --------------------------------------------------------------------------------------------------

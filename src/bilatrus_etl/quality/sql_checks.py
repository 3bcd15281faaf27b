"""Row-level expectations of the suites evaluated as SQL aggregates in DuckDB, with Great Expectations' semantics.

A whole large table never becomes a pandas batch for a rule SQL can count: `validate.validate_table` hands each
row-level expectation of a suite (expectations/*.json stay the source of truth) to `translate`, which returns the
SQL that counts its rows and fetches the first unexpected values, or None when the rule (or the column's type)
is not one of those below; GX then validates it on a batch as before. `evaluate` runs the SQL and returns the
`result` dict GX's map expectations return (element_count, unexpected_count, unexpected_percent,
partial_unexpected_list, ...), with GX's success rule (`mostly` over the rows considered; vacuously true with no
rows), so that quality.report words failures and writes Data Docs from them exactly as from GX's own results.

Translated (with GX's own treatment of missing values):
- expect_column_values_to_not_be_null: NULL (and NaN) rows are unexpected; percentages over every row;
- expect_column_values_to_be_between (numeric columns; min/max, strict_min/strict_max), _to_be_in_set,
  _to_not_be_in_set, _to_match_regex, _to_be_unique: over the non-missing rows (every copy of a repeated value
  is unexpected, as in GX);
- expect_compound_columns_to_be_unique (ignore_row_if all_values_are_missing, any_value_is_missing or never)
  and expect_column_pair_values_a_to_be_greater_than_b (or_equal; ignore_row_if both_values_are_missing,
  either_value_is_missing or neither): samples are the rows' values, in table order.

It also holds the quality package's SQL helpers (quote, quote_name, literal, table_columns).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

PARTIAL_UNEXPECTED_COUNT = 100
NUMERIC_PREFIXES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "REAL",
)
FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


@dataclass(frozen=True)
class SqlCheck:
    """One expectation as SQL: `source` is a FROM item (aliased t), `considered` the rows GX considers (after
    missing values are set aside), `unexpected` the failing ones among them, `sample` the values shown."""

    source: str
    considered: str
    unexpected: str
    sample: str
    sample_columns: tuple[str, ...]
    shape: str = "value"  # "value", "pair" ([a, b]) or "record" ({column: value})
    percent_of_all_rows: bool = False  # not_be_null: GX reports percentages over every row
    mostly: float = 1.0
    parameters: list[Any] = field(default_factory=list)
    order: str = "_row_order"
    key: str | None = None  # uniqueness rules: the key whose repeated values are unexpected
    sample_source: str | None = None  # uniqueness rules: `source` with `_copies` per row, for the sample


def quote(name: str) -> str:
    """A SQL identifier (column or table name) in double quotes; the one quoting helper of the quality package."""
    return '"' + name.replace('"', '""') + '"'


def quote_name(name: str) -> str:
    """A possibly qualified table name (`schema.table`), each part quoted."""
    return ".".join(quote(part) for part in name.split("."))


def literal(value: Any) -> str:
    """A SQL literal for a string, boolean or number; the one literal helper of the quality package."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(float(value))


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str] | None:
    """Column name -> DuckDB type, in table order; None when the table (or view) does not exist."""
    try:
        rows = con.execute(f"DESCRIBE {quote_name(table)}").fetchall()
    except duckdb.CatalogException:
        return None
    return {str(row[0]): str(row[1]) for row in rows}


def _is_numeric(sql_type: str) -> bool:
    return sql_type.upper().startswith(NUMERIC_PREFIXES)


def _value(column: str, sql_type: str) -> str:
    """The column as GX's batch sees it: DECIMAL and HUGEINT as DOUBLE."""
    upper = sql_type.upper()
    if upper.startswith("DECIMAL") or upper in ("HUGEINT", "UHUGEINT"):
        return f"CAST({quote(column)} AS DOUBLE)"
    return quote(column)


def _missing(column: str, sql_type: str) -> str:
    """Missing as pandas sees it: NULL, and NaN in floating-point columns."""
    if sql_type.upper() in FLOAT_TYPES:
        return f"({quote(column)} IS NULL OR isnan({quote(column)}))"
    return f"({quote(column)} IS NULL)"


def _set_matches(value_set: Any, sql_type: str) -> bool:
    """A value set SQL compares like pandas: strings on text columns, booleans on BOOLEAN, numbers on numbers."""
    if not isinstance(value_set, list) or not value_set:
        return False
    upper = sql_type.upper()
    if all(isinstance(v, bool) for v in value_set):
        return upper == "BOOLEAN"
    if all(isinstance(v, str) for v in value_set):
        return upper == "VARCHAR"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value_set):
        return _is_numeric(upper)
    return False


def _repeated(table: str, where: str, key: str, considered: str) -> str:
    """The table with `_copies`: how many considered rows share this row's key (NULLs equal, as in pandas)."""
    return (
        f"(SELECT *, rowid AS _row_order, CASE WHEN {considered} THEN count(*) OVER "
        f"(PARTITION BY {key}, ({considered})) END AS _copies FROM {table}{where})"
    )


def translate(
    type_: str, kwargs: Mapping[str, Any], columns: Mapping[str, str], table: str, where: str
) -> SqlCheck | None:
    """The SQL for one expectation (kwargs with suite parameters resolved), or None to leave it to GX.

    `where` restricts the table (' WHERE framework_programme IN (...)' or '')."""
    source = f"(SELECT *, rowid AS _row_order FROM {quote(table)}{where})"
    mostly_value = kwargs.get("mostly")
    mostly = 1.0 if mostly_value is None else float(mostly_value)
    column = kwargs.get("column")
    if isinstance(column, str):
        if column not in columns:
            return None  # GX names the missing column
        sql_type = columns[column]
        value, missing = _value(column, sql_type), _missing(column, sql_type)
        present = f"NOT {missing}"
        if type_ == "expect_column_values_to_not_be_null":
            return SqlCheck(source, "true", missing, value, (column,), percent_of_all_rows=True, mostly=mostly)
        if type_ == "expect_column_values_to_be_between":
            low, high = kwargs.get("min_value"), kwargs.get("max_value")
            bounds = [b for b in (low, high) if b is not None]
            if (
                not _is_numeric(sql_type)
                or not bounds
                or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
            ):
                return None
            inside = []
            if low is not None:
                inside.append(f"{value} {'>' if kwargs.get('strict_min') else '>='} {float(low)!r}")
            if high is not None:
                inside.append(f"{value} {'<' if kwargs.get('strict_max') else '<='} {float(high)!r}")
            return SqlCheck(source, present, f"NOT ({' AND '.join(inside)})", value, (column,), mostly=mostly)
        if type_ in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
            value_set = kwargs.get("value_set")
            if value_set is None or not _set_matches(value_set, sql_type):
                return None
            # IN a subquery over the list of literals: DuckDB plans a hash (mark) join. A plain IN list inside an
            # aggregate's FILTER is compared value by value per row (30 times slower with 250 country codes).
            contained = f"{quote(column)} IN (SELECT unnest([{', '.join(literal(v) for v in value_set)}]))"
            unexpected = contained if type_ == "expect_column_values_to_not_be_in_set" else f"NOT {contained}"
            return SqlCheck(source, present, unexpected, value, (column,), mostly=mostly)
        if type_ == "expect_column_values_to_match_regex":
            if sql_type.upper() != "VARCHAR" or not isinstance(kwargs.get("regex"), str):
                return None
            return SqlCheck(
                source,
                present,
                f"NOT regexp_matches({quote(column)}, ?)",
                value,
                (column,),
                mostly=mostly,
                parameters=[kwargs["regex"]],
            )
        if type_ == "expect_column_values_to_be_unique":
            return SqlCheck(
                source,
                present,
                "_copies > 1",
                value,
                (column,),
                mostly=mostly,
                key=quote(column),
                sample_source=_repeated(quote(table), where, quote(column), present),
            )
        return None
    if type_ == "expect_compound_columns_to_be_unique":
        names = kwargs.get("column_list")
        if not isinstance(names, list) or not names or any(n not in columns for n in names):
            return None
        ignore = kwargs.get("ignore_row_if") or "all_values_are_missing"
        missing_each = [_missing(n, columns[n]) for n in names]
        considered = {
            "all_values_are_missing": f"NOT ({' AND '.join(missing_each)})",
            "any_value_is_missing": f"NOT ({' OR '.join(missing_each)})",
            "never": "true",
        }.get(ignore)
        if considered is None:
            return None
        key = ", ".join(quote(n) for n in names)
        select = ", ".join(_value(n, columns[n]) for n in names)
        return SqlCheck(
            source,
            considered,
            "_copies > 1",
            select,
            tuple(names),
            shape="record",
            mostly=mostly,
            key=key,
            sample_source=_repeated(quote(table), where, key, considered),
        )
    if type_ == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kwargs.get("column_A"), kwargs.get("column_B")
        if not (isinstance(a, str) and isinstance(b, str) and a in columns and b in columns):
            return None
        ignore = kwargs.get("ignore_row_if") or "both_values_are_missing"
        miss_a, miss_b = _missing(a, columns[a]), _missing(b, columns[b])
        considered = {
            "both_values_are_missing": f"NOT ({miss_a} AND {miss_b})",
            "either_value_is_missing": f"NOT ({miss_a} OR {miss_b})",
            "neither": "true",
        }.get(ignore)
        if considered is None:
            return None
        op = ">=" if kwargs.get("or_equal") else ">"
        unexpected = f"NOT coalesce({quote(a)} {op} {quote(b)}, false)"
        select = f"{_value(a, columns[a])}, {_value(b, columns[b])}"
        return SqlCheck(source, considered, unexpected, select, (a, b), shape="pair", mostly=mostly)
    return None


def evaluate(con: duckdb.DuckDBPyConnection, check: SqlCheck) -> tuple[bool, dict[str, Any]]:
    """(success, GX-shaped `result` dict) of one translated expectation."""
    return evaluate_many(con, [check])[0]


def evaluate_many(con: duckdb.DuckDBPyConnection, checks: list[SqlCheck]) -> list[tuple[bool, dict[str, Any]]]:
    """(success, GX-shaped `result` dict) of each check: the counts of every check over the same source in one
    aggregate (one scan of the table for all its plain rules), then the first unexpected rows of the failing
    ones, in table order."""
    counts: dict[int, tuple[int, int, int]] = {}
    by_source: dict[str, list[int]] = {}
    for index, check in enumerate(checks):
        by_source.setdefault(check.source, []).append(index)
    for source, indexes in by_source.items():
        items, parameters = [], []
        for index in indexes:
            check = checks[index]
            unexpected = "0" if check.key else f"count(*) FILTER (WHERE ({check.considered}) AND ({check.unexpected}))"
            items += [f"count(*) FILTER (WHERE {check.considered})", unexpected]
            parameters += [] if check.key else check.parameters
        row = con.execute(f"SELECT count(*), {', '.join(items)} FROM {source} AS t", parameters).fetchall()[0]
        for position, index in enumerate(indexes):
            counts[index] = (row[0], row[1 + 2 * position], row[2 + 2 * position])
    for index, check in enumerate(checks):
        if check.key:  # rows sharing a key with another row: a hash aggregate, no window over the table
            repeated = con.execute(
                f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {check.source} AS t "
                f"WHERE {check.considered} GROUP BY {check.key} HAVING count(*) > 1)"
            ).fetchall()[0][0]
            counts[index] = (counts[index][0], counts[index][1], int(repeated))
    return [_result(con, check, *counts[index]) for index, check in enumerate(checks)]


def _result(
    con: duckdb.DuckDBPyConnection, check: SqlCheck, element_count: int, considered: int, unexpected: int
) -> tuple[bool, dict[str, Any]]:
    sample: list[Any] = []
    if unexpected:
        query = (
            f"SELECT {check.sample} FROM {check.sample_source or check.source} AS t WHERE ({check.considered}) AND "
            f"({check.unexpected}) ORDER BY {check.order} LIMIT {PARTIAL_UNEXPECTED_COUNT}"
        )
        rows = con.execute(query, check.parameters).fetchall()
        if check.shape == "pair":
            sample = [list(row) for row in rows]
        elif check.shape == "record":
            sample = [dict(zip(check.sample_columns, row, strict=True)) for row in rows]
        else:
            sample = [row[0] for row in rows]
    if check.percent_of_all_rows:
        success = element_count == 0 or (element_count - unexpected) / element_count >= check.mostly
        return success, {
            "element_count": element_count,
            "unexpected_count": unexpected,
            "unexpected_percent": unexpected / element_count * 100 if element_count else None,
            "partial_unexpected_list": sample,
        }
    success = considered == 0 or (considered - unexpected) / considered >= check.mostly
    missing = element_count - considered
    percent = unexpected / considered * 100 if considered else None
    return success, {
        "element_count": element_count,
        "unexpected_count": unexpected,
        "unexpected_percent": percent,
        "partial_unexpected_list": sample,
        "missing_count": missing,
        "missing_percent": missing / element_count * 100 if element_count else None,
        "unexpected_percent_total": unexpected / element_count * 100 if element_count else None,
        "unexpected_percent_nonmissing": percent,
    }

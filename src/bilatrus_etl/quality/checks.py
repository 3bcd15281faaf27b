"""The pandas batches Great Expectations validates, read from DuckDB, and failures found outside GX's results.

GX's SQL datasource does not work on DuckDB 2: the quality package hands GX pandas batches read from DuckDB
through Arrow (`read_frame`, `select_list`: DECIMAL/HUGEINT as DOUBLE), each a `Batch` (label, frame,
expectations) validated by its own checkpoint (validate.py). `library_failure` words a failure GX did not report
(a missing table, a batch GX could not validate, an SQL check of table_checks.py) like report.describe_failure
words GX's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from bilatrus_etl.quality.sql_checks import quote

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


def library_failure(
    check: str, column: str | None, severity: str, message: str, batch: str = "library"
) -> dict[str, Any]:
    """A failure found outside GX's results (a missing table, a batch GX could not validate, an SQL check)."""
    return {
        "expectation": check,
        "column": column,
        "severity": severity,
        "unexpected_count": None,
        "unexpected_percent": None,
        "sample": [],
        "message": message,
        "batch": batch,
    }

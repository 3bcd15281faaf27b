"""Reconciliation: every source file's rows add up, raw = staged + quarantined, and the tables still hold them.

Reads `load_audit` (one row per dataset, programme, file and target table), the staged tables and `quarantine`.
It runs as its own Dagster asset check (`reconciliation`) beside the load_audit suite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from bilatrus_etl.quality.sql_checks import quote, quote_name, table_columns

AUDIT_KEYS: tuple[str, ...] = ("dataset", "framework_programme", "source_file", "target_table")


def reconcile(
    con: duckdb.DuckDBPyConnection,
    *,
    audit_table: str = "load_audit",
    quarantine_table: str = "quarantine",
    staged_tables: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Every source file whose rows do not add up; an empty list when all reconcile.

    `load_audit` has one row per dataset, framework_programme, source_file (and target_table, when it has
    that column) with raw_rows, staged_rows and quarantined_rows. Checks, per audit row:
    - "audit": raw_rows = staged_rows + quarantined_rows;
    - "staged": staged_rows equals the rows the target table actually holds for that file now (matched on
      the audit's key columns the table has), which catches rows lost after the audit was written. The
      tables are the audit's target_table values; without that column, pass `staged_tables` (their counts
      are summed per file);
    - "quarantine": quarantined_rows equals the rows the quarantine table holds for that file (and table).
    Each problem: kind, the audit's keys, raw/staged/quarantined counts, difference, message.
    """
    audit_columns = table_columns(con, audit_table)
    if audit_columns is None:
        return [
            {
                "kind": "audit",
                "dataset": None,
                "framework_programme": None,
                "source_file": None,
                "difference": None,
                "message": f"table {audit_table!r} does not exist: staging must write it before reconciliation.",
            }
        ]
    keys = [c for c in AUDIT_KEYS if c in audit_columns]
    rows = con.execute(
        f"SELECT {', '.join(quote(k) for k in keys)}, sum(raw_rows), sum(staged_rows), sum(quarantined_rows) "
        f"FROM {quote_name(audit_table)} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    has_target = "target_table" in keys
    data_keys = [k for k in keys if k != "target_table"]
    quarantine_keys = [k for k in keys if k in (table_columns(con, quarantine_table) or {})]
    quarantined = _counts(con, quarantine_table, quarantine_keys) if "source_file" in quarantine_keys else None
    staged_counts: dict[str, tuple[list[str], dict[tuple[Any, ...], int]]] = {}
    targets = sorted({row[keys.index("target_table")] for row in rows} - {None}) if has_target else []
    for table in targets:
        table_keys = [k for k in data_keys if k in (table_columns(con, table) or {})]
        if "source_file" in table_keys:
            staged_counts[table] = (table_keys, _counts(con, table, table_keys))
    summed: dict[tuple[Any, ...], int] | None = None
    if not has_target and staged_tables:
        summed = {}
        for table in staged_tables:
            if "source_file" in (table_columns(con, table) or {}):
                for key, n in _counts(con, table, ["source_file"]).items():
                    summed[key] = summed.get(key, 0) + n

    problems: list[dict[str, Any]] = []
    for row in rows:
        record = dict(zip(keys, row[: len(keys)], strict=True))
        raw, staged_rows, quarantined_rows = row[len(keys) :]
        target = record.get("target_table")
        where = (
            f"{record.get('dataset')} ({record.get('framework_programme') or 'no programme'}) file "
            f"{record.get('source_file')}" + (f" -> {target}" if target else "")
        )
        base = {
            **{k: None for k in AUDIT_KEYS},
            **record,
            "raw_rows": raw,
            "staged_rows": staged_rows,
            "quarantined_rows": quarantined_rows,
        }
        if None in (raw, staged_rows, quarantined_rows):
            problems.append(
                {
                    **base,
                    "kind": "audit",
                    "difference": None,
                    "message": f"{where}: {audit_table} has a missing count (raw {raw}, staged {staged_rows}, "
                    f"quarantined {quarantined_rows}); staging must record all three.",
                }
            )
            continue
        raw, staged_rows, quarantined_rows = int(raw), int(staged_rows), int(quarantined_rows)
        difference = raw - staged_rows - quarantined_rows
        if difference:
            what = f"{difference} row(s) lost" if difference > 0 else f"{-difference} row(s) more than were read"
            problems.append(
                {
                    **base,
                    "kind": "audit",
                    "difference": difference,
                    "message": f"{where}: raw {raw} rows but staged {staged_rows} + quarantined "
                    f"{quarantined_rows} = {staged_rows + quarantined_rows}: {what}. "
                    "Every raw row must be staged or quarantined with a reason.",
                }
            )
        actual: int | None = None
        holders = ""
        if target in staged_counts:
            table_keys, counts = staged_counts[target]
            actual, holders = counts.get(tuple(record[k] for k in table_keys), 0), f"{target} holds"
        elif summed is not None:
            actual, holders = summed.get((record.get("source_file"),), 0), f"{', '.join(staged_tables)} hold"
        if actual is not None and actual != staged_rows:
            gap = staged_rows - actual
            lost = f": {gap} row(s) lost after the audit was written" if gap > 0 else ""
            problems.append(
                {
                    **base,
                    "kind": "staged",
                    "difference": gap,
                    "message": f"{where}: {audit_table} says {staged_rows} staged row(s) but {holders} "
                    f"{actual}{lost}. Re-run staging for this programme.",
                }
            )
        if quarantined is not None:
            in_quarantine = quarantined.get(tuple(record[k] for k in quarantine_keys), 0)
            if in_quarantine != quarantined_rows:
                problems.append(
                    {
                        **base,
                        "kind": "quarantine",
                        "difference": quarantined_rows - in_quarantine,
                        "message": f"{where}: {audit_table} says {quarantined_rows} quarantined row(s) but "
                        f"{quarantine_table} holds {in_quarantine} for this file.",
                    }
                )
    return problems


def _counts(con: duckdb.DuckDBPyConnection, table: str, keys: Sequence[str]) -> dict[tuple[Any, ...], int]:
    """Row counts of `table` grouped by `keys` (NULL keys kept as None)."""
    select = ", ".join(quote(k) for k in keys)
    rows = con.execute(f"SELECT {select}, count(*) FROM {quote_name(table)} GROUP BY ALL").fetchall()
    return {tuple(row[:-1]): int(row[-1]) for row in rows}

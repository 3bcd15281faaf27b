"""The checks Great Expectations has no expectation for, as plain SQL asset checks beside the suites.

Foreign keys, rows per framework programme and DuckDB's declared column types are SQL files,
sql/checks/<table>__<check>.sql, each returning one row per failure with the columns `column`, `severity` ("error"
or "warn"; any other word counts as error), `unexpected_count`, `unexpected_percent`, `sample` (a list) and
`message`; no row means the check passes. A file reading `$programmes` gets the programmes the validation is
restricted to (VARCHAR[], empty for all). `run_checks` runs the files of one table; each is reported as its own
check, named by the part of its file name after `__` (e.g. `foreign_key_project`), in the ValidationOutcome beside
the suite's results. A check that cannot run (a missing column or parent table) is a failure naming the file and
DuckDB's error, not a crash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from bilatrus_etl.quality.checks import library_failure
from bilatrus_etl.quality.report import jsonable
from bilatrus_etl.quality.suites import SEVERITIES
from bilatrus_etl.resources import SQL_DIR

CHECKS_DIR = SQL_DIR / "checks"
MACROS_FILE = CHECKS_DIR / "macros.sql"  # the table macros the check files call (not a check itself)
SQL_CHECK = "sql_check"  # the `batch` of their failures
COLUMNS = ("column", "severity", "unexpected_count", "unexpected_percent", "sample", "message")


def check_files(table: str, checks_dir: Path | None = None) -> list[Path]:
    """The SQL check files of one table, by name."""
    return sorted((checks_dir or CHECKS_DIR).glob(f"{table}__*.sql"))


# check_foreign_key(child, child_columns, parent, ...) in a check file (sql/checks/macros.sql): the parent table
_FOREIGN_KEY_PARENT = re.compile(
    r"check_foreign_key\(\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*,\s*\[[^\]]*\]\s*,\s*'([A-Za-z_][A-Za-z0-9_]*)'"
)


def tables_read(path: Path) -> list[str]:
    """The other tables a check file reads: the parent tables of its foreign keys. The check must run after they
    are built (the pipeline declares them as the check's dependencies), not only after its own table."""
    sql = path.read_text(encoding="utf-8")
    child = path.stem.split("__", 1)[0]
    return sorted({parent for _, parent in _FOREIGN_KEY_PARENT.findall(sql) if parent != child})


def check_name(path: Path) -> str:
    """`foreign_key_project` for dim_x__foreign_key_project.sql."""
    return path.stem.split("__", 1)[1]


def run_checks(
    con: duckdb.DuckDBPyConnection,
    table: str,
    programmes: Sequence[str] | None = None,
    checks_dir: Path | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """(the failures of the table's SQL checks, how many checks ran)."""
    files = check_files(table, checks_dir)
    failures: list[dict[str, Any]] = []
    if files:
        con.execute(MACROS_FILE.read_text(encoding="utf-8"))
    for path in files:
        name, sql = check_name(path), path.read_text(encoding="utf-8")
        parameters = {"programmes": list(programmes or [])} if "$programmes" in sql else None
        try:
            cursor = con.execute(sql, parameters)
            names = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
            missing = [c for c in COLUMNS if c not in names]
            if missing:
                raise ValueError(f"it must return the columns {', '.join(COLUMNS)}; {', '.join(missing)} missing")
        except (duckdb.Error, ValueError) as err:
            message = f"{table}: check {path.name} cannot run: {err}"
            failures.append(library_failure(name, None, "error", message, SQL_CHECK))
            continue
        for row in rows:
            values = dict(zip(names, row, strict=True))
            severity, message = str(values["severity"]), str(values["message"])
            if severity not in SEVERITIES:  # a misspelt severity must not turn an error into a mere warning
                message += f" (check {path.name} gave severity {severity!r}, not one of {SEVERITIES}: counted as error)"
                severity = "error"
            failures.append(
                {
                    **library_failure(name, values["column"], severity, message, SQL_CHECK),
                    "unexpected_count": values["unexpected_count"],
                    "unexpected_percent": values["unexpected_percent"],
                    "sample": jsonable(list(values["sample"] or [])),
                }
            )
    return failures, len(files)

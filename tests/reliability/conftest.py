"""The reliability suite: faults an unattended service meets, each recorded as one row of a table.

Every test here calls `fault(...)` once per case with what was expected and what happened; `make reliability`
prints the table (fault, expected outcome, outcome, rows lost). Tests still assert: the table is a report,
the assertions are the contract. Everything runs on loopback, bounded in time and loop counts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import pytest

FAULTS_FILE_ENV = "BILATRUS_FAULTS_FILE"


def _write(row: dict) -> None:
    target = os.environ.get(FAULTS_FILE_ENV)
    if not target:
        return
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row, sort_keys=True) + "\n")


@pytest.fixture
def fault(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Record one case: fault(name, expected=..., outcome=..., rows_lost=0, ok=True)."""

    def record(name: str, *, expected: str, outcome: str, rows_lost: int = 0, ok: bool = True) -> None:
        _write(
            {
                "test": request.node.nodeid,
                "fault": name,
                "expected": expected,
                "outcome": outcome,
                "rows_lost": int(rows_lost),
                "ok": bool(ok),
            }
        )

    return record

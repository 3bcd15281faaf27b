"""Print the reliability table from the rows the suite recorded (used by `make reliability`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: str) -> int:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        print("no reliability case was recorded")
        return 1
    headers = ("fault", "expected outcome", "outcome", "rows lost", "as designed")
    table = [(r["fault"], r["expected"], r["outcome"], str(r["rows_lost"]), "yes" if r["ok"] else "NO") for r in rows]
    widths = [min(60, max(len(h), *(len(row[i]) for row in table))) for i, h in enumerate(headers)]

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(cell[:w].ljust(w) for cell, w in zip(cells, widths, strict=True))

    print(line(headers))
    print("-+-".join("-" * w for w in widths))
    for row in table:
        print(line(row))
    lost = sum(r["rows_lost"] for r in rows)
    failed = sum(not r["ok"] for r in rows)
    print(f"\n{len(rows)} cases, {lost} rows lost, {failed} not as designed")
    return 0 if lost == 0 and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

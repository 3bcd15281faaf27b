"""Checksums of the published tables, to prove that a refactoring kept every number.

    python scripts/mart_checksums.py WAREHOUSE.duckdb --output before.json
    python scripts/mart_checksums.py WAREHOUSE.duckdb --output after.json
    python scripts/mart_checksums.py --compare before.json after.json

Each mart (mart_*) and core table (dim_*, fact_*) of the warehouse's main schema is exported as Parquet with its rows
in a fixed order (ORDER BY ALL) and its file hashed with sha256, together with its row count and column list. The
comparison prints one line per table (same / DIFFERENT / only before / only after) and exits 1 when any differs.
Only DuckDB is imported, so the script measures the project from outside.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import duckdb

PREFIXES = ("mart_", "dim_", "fact_")


def checksums(warehouse: Path) -> dict[str, dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name"
            ).fetchall()
            if row[0].startswith(PREFIXES)
        ]
        out: dict[str, dict] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for table in tables:
                target = Path(tmp) / f"{table}.parquet"
                con.execute(f"COPY (SELECT * FROM \"{table}\" ORDER BY ALL) TO '{target}' (FORMAT parquet)")
                columns = [row[0] for row in con.execute(f'DESCRIBE "{table}"').fetchall()]
                rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                out[table] = {
                    "rows": rows,
                    "columns": columns,
                    "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
                }
        return out
    finally:
        con.close()


def compare(before: dict[str, dict], after: dict[str, dict]) -> int:
    differing = 0
    for table in sorted(set(before) | set(after)):
        if table not in after:
            print(f"{table:40s} only before")
            differing += 1
        elif table not in before:
            print(f"{table:40s} only after")
            differing += 1
        elif before[table] == after[table]:
            print(f"{table:40s} same ({after[table]['rows']} rows)")
        else:
            b, a = before[table], after[table]
            detail = []
            if b["rows"] != a["rows"]:
                detail.append(f"rows {b['rows']} -> {a['rows']}")
            if b["columns"] != a["columns"]:
                detail.append(f"columns {b['columns']} -> {a['columns']}")
            print(f"{table:40s} DIFFERENT {'; '.join(detail) or 'values'}")
            differing += 1
    print(f"{len(set(before) | set(after))} tables, {differing} different")
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", nargs="?", type=Path)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args(argv)
    if args.compare:
        before, after = (json.loads(p.read_text()) for p in args.compare)
        return compare(before, after)
    if args.warehouse is None:
        parser.error("give a warehouse file, or --compare BEFORE AFTER")
    result = checksums(args.warehouse)
    text = json.dumps(result, indent=1, sort_keys=True)
    if args.output:
        args.output.write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

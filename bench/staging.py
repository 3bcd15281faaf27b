"""The staging step alone: `staging.stage_programmes` on a mirror's unzipped files, timed, into a fresh build file.

    python -m bench.staging INPUTS_DIR DB [--statements N]

INPUTS_DIR holds the `inputs.json` of `bench.inputs.extract_inputs` (the mirror's files, unzipped). DB is created
afresh as the pipeline creates its build file (`publish.create_build_file`: DuckDB storage v1.0.0); the cordisref
tables are staged first, untimed. Prints the wall and CPU seconds of `stage_programmes` and the CHECKPOINT after it
(CPU of the whole process, DuckDB's threads included: steadier than wall time on a shared machine), the process's
peak memory and the load average,
the counts of each programme, and with `--statements N` the N statements that took the most CPU.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path
from typing import Any, cast

import duckdb

from bench.inputs import read_inputs
from bilatrus_etl.ingest import staging
from bilatrus_etl.warehouse.publish import create_build_file


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class TimedConnection:
    """A DuckDB connection that records the CPU seconds of each `execute` (statement text shortened)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.log: list[tuple[float, str]] = []

    def execute(self, sql: str, *args: Any) -> duckdb.DuckDBPyConnection:
        start = cpu_seconds()
        result = self.con.execute(sql, *args)
        self.log.append((cpu_seconds() - start, " ".join(sql.split())[:140]))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def programme_files(inputs_dir: Path) -> list[staging.ProgrammeFiles]:
    """The programmes' files named and keyed as the pipeline names them."""
    by_programme: dict[str, tuple[dict[str, Path], dict[str, str], dict[str, str]]] = {}
    for file in read_inputs(inputs_dir / "inputs.json").programme_files():
        paths, names, datasets = by_programme.setdefault(str(file.programme), ({}, {}, {}))
        paths[file.role], names[file.role], datasets[file.role] = Path(file.path), file.source_file, file.dataset
    return [staging.ProgrammeFiles(p, *files) for p, files in by_programme.items()]


def stage(inputs_dir: Path, db: Path, statements: int = 0) -> dict[str, staging.StageReport]:
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    create_build_file(db)
    con = duckdb.connect(str(db))
    reference = {f.dataset: Path(f.path) for f in read_inputs(inputs_dir / "inputs.json").reference_files()}
    staging.stage_reference(con, reference)
    con.execute("CHECKPOINT")
    timed = TimedConnection(con)
    wall, cpu = time.perf_counter(), cpu_seconds()
    target = cast(duckdb.DuckDBPyConnection, timed) if statements else con
    reports = staging.stage_programmes(target, programme_files(inputs_dir))
    con.execute("CHECKPOINT")
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    con.close()
    print(f"stage_programmes: {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:.0f} MB, load {os.getloadavg()[0]:.1f}")
    for programme, report in reports.items():
        print(f"  {programme}: {report.raw_rows:,} raw = {report.staged_rows:,} staged + {report.quarantined_rows:,}")
    for seconds, sql in sorted(timed.log, reverse=True)[:statements]:
        print(f"  {seconds:7.3f} s CPU  {sql}")
    return reports


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs_dir", type=Path, help="folder with inputs.json (bench.inputs.extract_inputs)")
    parser.add_argument("db", type=Path, help="DuckDB file to create afresh")
    parser.add_argument("--statements", type=int, default=0, help="print the N statements that took most CPU")
    args = parser.parse_args(argv)
    stage(args.inputs_dir, args.db, args.statements)


if __name__ == "__main__":
    main()

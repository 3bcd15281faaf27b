"""The staging step alone: `staging.stage_programmes` on a mirror's unzipped files, timed, into a fresh build file.

    python -m bench.staging INPUTS_DIR DB [--statements N]

    python -m bench.staging INPUTS_DIR DB --phases

INPUTS_DIR holds the `inputs.json` of `bench.inputs.extract_inputs` (the mirror's files, unzipped). DB is created
afresh as the pipeline creates its build file (`publish.create_build_file`: DuckDB storage v1.0.0); the cordisref
tables are staged first, untimed. Prints the wall and CPU seconds of `stage_programmes` and the CHECKPOINT after it
(CPU of the whole process, DuckDB's threads included: steadier than wall time on a shared machine), the process's
peak memory and the load average,
the counts of each programme, with `--statements N` the N statements that took the most CPU, and with `--phases`
the wall and CPU seconds of each phase of the step (`phase_of`: the landing's reads, its rejects and line numbers,
its commit with the checkpoint DuckDB runs then, each staging model) and the cores it kept busy (CPU / wall: on a
2-core machine a phase near 1 core runs on one thread; on a loaded machine every phase shows less).
"""

from __future__ import annotations

import argparse
import os
import re
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
    """A DuckDB connection that records the CPU seconds of each `execute` (statement text shortened), and the wall
    and CPU seconds of each phase of the step (`phase_of`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.log: list[tuple[float, str]] = []
        self.phases: dict[str, tuple[float, float]] = {}
        self.phase = SETUP_PHASE

    def execute(self, sql: str, *args: Any) -> duckdb.DuckDBPyConnection:
        self.phase = phase_of(sql, self.phase)
        start, wall = cpu_seconds(), time.perf_counter()
        result = self.con.execute(sql, *args)
        cpu, wall = cpu_seconds() - start, time.perf_counter() - wall
        self.log.append((cpu, " ".join(sql.split())[:140]))
        spent = self.phases.get(self.phase, (0.0, 0.0))
        self.phases[self.phase] = (spent[0] + wall, spent[1] + cpu)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


SETUP_PHASE = "setup: landing tables, SQL functions, code maps"
_PHASE_STARTS: tuple[tuple[str, str], ...] = (
    (r"DELETE FROM land_", "land: delete the replaced slices"),
    (r"INSERT INTO (land_\w+) BY NAME \(", "land: read the files into {0}"),
    (r"SELECT count\(\*\) FILTER|CREATE TEMP TABLE _rejects_|UPDATE land_", "land: rejects and line numbers"),
    (r"INSERT INTO land_rejects", "land: rejects and line numbers"),
    (r"SELECT dataset, framework_programme, source_file, target_table, raw_rows", "report: read load_audit"),
)


def phase_of(sql: str, current: str) -> str:
    """The phase of `stage_programmes` a statement belongs to: the phase it starts, else the current one (a model's
    descriptions and row count go with the model); the landing's COMMIT, which runs DuckDB's checkpoint of the
    landed rows, is a phase of its own."""
    text = " ".join(sql.split())
    if text == "COMMIT" and current.startswith("land:"):
        return "land: commit (and the checkpoint it runs)"
    model = re.match(r"CREATE OR REPLACE (?:TEMP )?TABLE (\w+) AS", text)
    if model:
        return f"model {model[1]}" if model[1] in staging.PROGRAMME_MODELS else SETUP_PHASE
    for pattern, name in _PHASE_STARTS:
        match = re.match(pattern, text)
        if match:
            return name.format(*match.groups())
    return current


def programme_files(inputs_dir: Path) -> list[staging.ProgrammeFiles]:
    """The programmes' files named and keyed as the pipeline names them."""
    by_programme: dict[str, tuple[dict[str, Path], dict[str, str], dict[str, str]]] = {}
    for file in read_inputs(inputs_dir / "inputs.json").programme_files():
        paths, names, datasets = by_programme.setdefault(str(file.programme), ({}, {}, {}))
        paths[file.role], names[file.role], datasets[file.role] = Path(file.path), file.source_file, file.dataset
    return [staging.ProgrammeFiles(p, *files) for p, files in by_programme.items()]


def stage(inputs_dir: Path, db: Path, statements: int = 0, phases: bool = False) -> dict[str, staging.StageReport]:
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    create_build_file(db)
    con = duckdb.connect(str(db))
    reference = {f.dataset: Path(f.path) for f in read_inputs(inputs_dir / "inputs.json").reference_files()}
    staging.stage_reference(con, reference)
    con.execute("CHECKPOINT")
    timed = TimedConnection(con)
    wall, cpu = time.perf_counter(), cpu_seconds()
    target = cast(duckdb.DuckDBPyConnection, timed) if statements or phases else con
    reports = staging.stage_programmes(target, programme_files(inputs_dir))
    step_wall = time.perf_counter() - wall
    timed.phase = "CHECKPOINT after the step"
    timed.execute("CHECKPOINT")
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    con.close()
    print(f"stage_programmes: {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:.0f} MB, load {os.getloadavg()[0]:.1f}")
    for programme, report in reports.items():
        print(f"  {programme}: {report.raw_rows:,} raw = {report.staged_rows:,} staged + {report.quarantined_rows:,}")
    for seconds, sql in sorted(timed.log, reverse=True)[:statements]:
        print(f"  {seconds:7.3f} s CPU  {sql}")
    if phases:
        print("  phases (wall, CPU, cores busy):")
        for name, (phase_wall, phase_cpu) in timed.phases.items():
            print(
                f"  {phase_wall:7.2f} s wall {phase_cpu:7.2f} s cpu {phase_cpu / max(phase_wall, 1e-9):5.2f} cores  {name}"
            )
        outside = step_wall - sum(w for name, (w, _) in timed.phases.items() if not name.startswith("CHECKPOINT"))
        print(f"  {outside:7.2f} s wall outside DuckDB statements (Python: headers, mapping, reports)")
    return reports


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs_dir", type=Path, help="folder with inputs.json (bench.inputs.extract_inputs)")
    parser.add_argument("db", type=Path, help="DuckDB file to create afresh")
    parser.add_argument("--statements", type=int, default=0, help="print the N statements that took most CPU")
    parser.add_argument("--phases", action="store_true", help="print the wall and CPU seconds of each phase")
    args = parser.parse_args(argv)
    stage(args.inputs_dir, args.db, args.statements, args.phases)


if __name__ == "__main__":
    main()

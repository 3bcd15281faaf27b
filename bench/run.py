"""`make bench`: the pipeline end to end against the DuckDB floor and a pandas notebook, at several sizes.

    python -m bench.run [--sizes 1,4] [--keep] [--only a,b,c,d,e] [--repeat 3] [--seed 42] [--work bench/work]

At each size (1 = full scale of the real CORDIS files, 4 = four times) it measures, each in a subprocess
(wall time, peak resident memory of the process tree):
  a. a full refresh through the real CLI (`bilatrus run --mirror http://127.0.0.1:PORT/`, fresh data dir and
     DAGSTER_HOME), with the share of Great Expectations validation (meta_validation_runs.duration_s) and
     Dagster's per-step timings;
  b. a no-op refresh: the same command again, nothing changed upstream (size 1 only);
  c. the project's SQL alone: one DuckDB SQL script built from the project's SQL models (bench/floor.py),
     reading the mirror's files from disk (archives unzipped beforehand, timed apart, not included in c);
  d. a pandas script computing the same six marts (bench/pandas_baseline.py), reading the same files;
  e. the lean DuckDB floor: a short independent DuckDB script computing the core indicators from the same
     files (bench/lean.py); its figures are compared with the marts of a and c.
a, b, d and e, the measurements the targets compare, are the medians of --repeat runs (default 3: a machine
shared with others varies by a tenth and more from one minute to the next, and by half within an hour); a, e and d
run in rounds (a, e, d, then again), so that their medians cover the same minutes, and the ratios of each round are
printed beside the ratios of the medians. c, reported beside them, is one run, after the rounds.
results.json keeps every run's time. It prints a table per size (a/e, a/d, c/e and peak memory), the issue's targets with PASS/MISS and the excess,
and writes bench/results.json. Mirrors are generated
once under --work and reused (same generator version, scale and seed give the same bytes); at every size the ROR
dump has the real dump's size (bilatrus_etl_synthetic.ror.FULL_ROR_RECORDS records of every country, 200+ MB of JSON).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from bench import compare
from bench.floor import write_script
from bench.inputs import extract_inputs
from bench.measure import Measurement, load_average, median_of, run_measured
from bench.server import MirrorServer
from bilatrus_etl.warehouse.versions import code_fingerprint
from bilatrus_etl_synthetic.layout import GENERATOR_VERSION, MANIFEST_FILE
from bilatrus_etl_synthetic.mirror import write_mirror
from bilatrus_etl_synthetic.ror import FULL_ROR_RECORDS

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results.json"
PYTHON = Path(sys.executable)
BILATRUS = PYTHON.parent / "bilatrus"
TIMEOUT_S = 4 * 3600
NOOP_MESSAGE = "unchanged since the last publish"
NOOP_ATTEMPTS = 3
CLEARED_ENV = ("BILATRUS_MIRROR", "BILATRUS_BUILD_DB", "BILATRUS_WAREHOUSE", "BILATRUS_DATA_DIR", "DAGSTER_HOME")
COMPARISON_NOTES = {
    "floor vs pipeline": "expected where institutions count: the pipeline groups organisation keys into ROR-matched "
    "institutions, the floor has no institution_link",
    "floor vs pandas": "expected on mirrors with malformed lines: pd.read_csv keeps the padded and stray-quote lines "
    "that DuckDB's strict reader rejects; identical on clean files (bench/README.md)",
    "lean vs project SQL": "the lean script reads the documented formats only (no dashboard files, fewer "
    "cleaning rules); identical on the generated mirrors' files is expected",
    "lean vs pipeline": "expected for institutions: the pipeline groups organisation keys into ROR-matched "
    "institutions, the lean script does not",
}
STEP_GROUPS = (  # (group, test on the step key), first match wins
    # checks: validate_<table> (the suite and its SQL checks, one multi-asset check), and the reconciliation
    ("validation", lambda k: k.startswith("validate_") or "_gx_" in k or k.endswith("_reconciliation")),
    ("download", lambda k: k.startswith("raw__")),
    ("staging", lambda k: k.startswith(("stg_", "staging__"))),
    ("institutions (ROR)", lambda k: k in {"core__dim_ror_institution", "core__institution_link"}),
    ("network", lambda k: k == "marts__mart_collaboration_network"),
    ("core SQL", lambda k: k.startswith("core__")),
    ("marts SQL", lambda k: k.startswith("marts__")),
    ("publish and report", lambda k: k.startswith("warehouse__")),  # the report is rendered in the publish's step
    ("report", lambda k: k.startswith("reports__")),  # a run of an earlier version: the report had its own step
)


@dataclass
class Target:
    name: str
    value: float | None
    limit: float
    unit: str = ""

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "n/a"
        return "PASS" if self.value <= self.limit else "MISS"

    def line(self) -> str:
        if self.value is None:
            return f"  n/a   {self.name}: not measured"
        value = f"{self.value:.2f}{self.unit}"
        limit = f"{self.limit:g}{self.unit}"
        miss = (
            ""
            if self.verdict == "PASS"
            else f"  (over by {self.value - self.limit:.2f}{self.unit}, {self.value / self.limit:.2f}x the target)"
        )
        return f"  {self.verdict}  {self.name}: {value} <= {limit}{miss}"


@dataclass
class SizeResult:
    scale: float
    mirror: str = ""
    generate_s: float | None = None
    measurements: dict[str, Measurement] = field(default_factory=dict)
    validation_s: float | None = None
    validation_checks_s: float | None = None
    pipeline_error: str | None = None
    noop_attempts: int = 0
    noop_confirmed: bool | None = None
    code_changed_during_a: bool | None = None
    steps_total_s: float | None = None  # the steps' durations summed (more than the time they took when they overlap)
    steps_busy_s: float | None = None  # time with at least one step running
    run_s: float | None = None
    step_groups: dict[str, float] = field(default_factory=dict)
    slowest_steps: list[tuple[str, float]] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)
    extract_s: float | None = None
    pandas_phases: dict[str, float] = field(default_factory=dict)
    comparisons: dict[str, list[str]] = field(default_factory=dict)
    participations: int | None = None
    startup_s: float | None = None  # a: from launching the CLI to the start of the Dagster run's first step
    refresh_startups_s: list[float] = field(default_factory=list)  # the same for each run of a
    noop_startups_s: list[float] = field(default_factory=list)  # the same for each no-op run (b)
    rounds: list[dict[str, float]] = field(default_factory=list)  # wall s of a, d and e in each round

    def paired(self, top: str, bottom: str) -> list[float]:
        """top/bottom within each round that measured both (their minutes of the machine the closest)."""
        return [r[top] / r[bottom] for r in self.rounds if r.get(top) and r.get(bottom)]

    def wall(self, key: str) -> float | None:
        m = self.measurements.get(key)
        return m.wall_s if m and m.returncode == 0 else None

    def peak(self, key: str) -> float | None:
        m = self.measurements.get(key)
        return m.peak_rss_mb if m and m.returncode == 0 else None

    def ratio(self, top: str, bottom: str, peak: bool = False) -> float | None:
        a, b = (self.peak(top), self.peak(bottom)) if peak else (self.wall(top), self.wall(bottom))
        return a / b if a is not None and b else None

    def validation_share(self) -> float | None:
        a = self.wall("a")
        return self.validation_s / a if a and self.validation_s is not None else None

    def as_dict(self) -> dict:
        return {
            "scale": self.scale,
            "mirror": self.mirror,
            "generate_s": self.generate_s,
            "participations": self.participations,
            "measurements": {k: m.as_dict() for k, m in self.measurements.items()},
            "ratios": {
                "a/c": self.ratio("a", "c"),
                "a/d": self.ratio("a", "d"),
                "a/e": self.ratio("a", "e"),
                "c/e": self.ratio("c", "e"),
                "peak a/c": self.ratio("a", "c", peak=True),
                "peak a/d": self.ratio("a", "d", peak=True),
                "peak a/e": self.ratio("a", "e", peak=True),
                "validation share of a": self.validation_share(),
            },
            "rounds": self.rounds,
            "paired_ratios": {"a/d": self.paired("a", "d"), "a/e": self.paired("a", "e")},
            "validation_s": self.validation_s,
            "validation_check_steps_s": self.validation_checks_s,
            "pipeline_error": self.pipeline_error,
            "noop_attempts": self.noop_attempts,
            "noop_confirmed": self.noop_confirmed,
            "code_changed_during_a": self.code_changed_during_a,
            "dagster_run_s": self.run_s,
            "steps_total_s": self.steps_total_s,
            "steps_busy_s": self.steps_busy_s,
            "step_groups_s": self.step_groups,
            "slowest_steps": self.slowest_steps,
            "steps": self.steps,
            "extract_s": self.extract_s,
            "pandas_phases_s": self.pandas_phases,
            "comparisons": self.comparisons,
            "startup_s": self.startup_s,
            "refresh_startups_s": self.refresh_startups_s,
            "noop_startups_s": self.noop_startups_s,
            "first_step_median_s": self.first_step_median(),
        }

    def first_step_median(self) -> float | None:
        """Item 6's figure: the median, over every `bilatrus run` measured (each a on a fresh data folder, each b on
        the folder of the median a), of the seconds from launching the CLI to the first step of its first Dagster
        run."""
        refreshes = self.refresh_startups_s or ([self.startup_s] if self.startup_s is not None else [])
        starts = refreshes + self.noop_startups_s
        return round(statistics.median(starts), 2) if starts else None


# ------------------------------------------------------------------------------------------ inputs


def ensure_mirror(work: Path, scale: float, seed: int) -> tuple[Path, float | None]:
    """The generated mirror of this size (reused when its manifest says it is the same); generation time."""
    folder = work / "mirrors" / f"scale-{scale:g}-seed-{seed}"
    manifest = folder / MANIFEST_FILE
    if manifest.exists():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if (data.get("scale"), data.get("seed"), data.get("generator_version"), data.get("ror_records")) == (
            scale,
            seed,
            GENERATOR_VERSION,
            FULL_ROR_RECORDS,
        ):
            return folder, None
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    print(f"  generating the scale {scale:g} mirror in {folder} ...", flush=True)
    write_mirror(folder, scale=scale, seed=seed, ror_records=FULL_ROR_RECORDS)
    return folder, round(time.perf_counter() - started, 1)


def manifest_participations(mirror: Path) -> int | None:
    try:
        expected = json.loads((mirror / MANIFEST_FILE).read_text(encoding="utf-8"))["expected"]
        return sum(int(p["participations"]) for p in expected.values())
    except (OSError, KeyError, ValueError):
        return None


# ---------------------------------------------------------------------------------------- pipeline


def pipeline_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env.update(
        BILATRUS_DATA_DIR=str(data_dir), DAGSTER_HOME=str(data_dir / "dagster"), NO_COLOR="1", PYTHONWARNINGS="ignore"
    )
    return env


def run_pipeline(label: str, url: str, data_dir: Path, log: Path) -> Measurement:
    command = [str(BILATRUS), "run", "--mirror", url]
    return run_measured(label, command, env=pipeline_env(data_dir), cwd=PROJECT_ROOT, log=log, timeout=TIMEOUT_S)


def failure_lines(log: Path) -> str:
    """The CLI's error lines (they start with a cross), else the tail of the log."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("✗")), None)
    picked = lines[start : start + 25] if start is not None else lines[-25:]
    return "\n".join(picked)


def validation_seconds(data_dir: Path, since: float) -> float | None:
    """Sum of meta_validation_runs.duration_s of validations started after `since` (epoch seconds), from the
    published warehouse (else the build file). The table keeps every run's rows."""
    for path in (data_dir / "warehouse" / "bilatrus.duckdb", data_dir / "warehouse" / "build.duckdb"):
        if not path.exists():
            continue
        try:
            con = duckdb.connect(str(path), read_only=True)
            try:
                return float(
                    con.execute(
                        "SELECT coalesce(sum(duration_s), 0) FROM meta_validation_runs WHERE started_at >= to_timestamp(?)",
                        [since],
                    ).fetchall()[0][0]
                )
            finally:
                con.close()
        except duckdb.Error:
            continue
    return None


def dagster_runs(dagster_home: Path) -> list[dict]:
    """Runs and step statistics of the instance (bench.steps, in a subprocess: Dagster stays out of here)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [str(PYTHON), "-m", "bench.steps", str(dagster_home)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=600,
    )
    if done.returncode != 0:
        print(f"  (no Dagster step statistics: {done.stderr.strip().splitlines()[-1:]})")
        return []
    return json.loads(done.stdout)


def step_group(step_key: str) -> str:
    return next((name for name, test in STEP_GROUPS if test(step_key)), "other")


def summarise_steps(result: SizeResult, runs: list[dict]) -> None:
    """Step statistics summed over the Dagster runs of one refresh."""
    all_steps = [s for run in runs for s in run.get("steps", [])]
    steps = [s for s in all_steps if s.get("duration_s") is not None]
    result.run_s = round(sum(run.get("duration_s") or 0.0 for run in runs), 3)
    result.steps = all_steps
    result.steps_total_s = round(sum(s["duration_s"] for s in steps), 3)
    result.steps_busy_s = round(busy_s([(s["start"], s["end"]) for s in steps]), 3)
    groups: dict[str, float] = {}
    for step in steps:
        group = step_group(step["step"])
        groups[group] = round(groups.get(group, 0.0) + step["duration_s"], 3)
    result.step_groups = dict(sorted(groups.items(), key=lambda kv: -kv[1]))
    result.validation_checks_s = groups.get("validation")
    result.slowest_steps = [(s["step"], s["duration_s"]) for s in sorted(steps, key=lambda s: -s["duration_s"])[:12]]


def busy_s(intervals: list[tuple[float, float]]) -> float:
    """Seconds covered by at least one of the (start, end) intervals (steps run side by side on the executor's
    threads, so their durations overlap)."""
    total, reached = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reached:
            total += end - max(start, reached)
            reached = end
    return total


def was_noop(log: Path) -> bool:
    """The CLI says so when every source and the code are unchanged since the last publish."""
    return NOOP_MESSAGE in log.read_text(encoding="utf-8", errors="replace") if log.exists() else False


def measure_noop(result: SizeResult, url: str, data_dir: Path, logs: Path, repeat: int) -> None:
    """(b): the same refresh again, the median of `repeat` no-op runs. Other engineers editing sql/, expectations/ or
    src/bilatrus_etl/reference between (a) and (b) change the code fingerprint and so (rightly) trigger a rebuild:
    then (b) is run again (up to NOOP_ATTEMPTS times) until it is a no-op."""
    for attempt in range(1, NOOP_ATTEMPTS + 1):
        print(f"  (b) no-op refresh, attempt {attempt} (load {load_average():.2f}) ...", flush=True)
        log = logs / f"b-noop-{attempt}.log"
        launched = time.time()
        first = run_pipeline("b: no-op refresh", url, data_dir, log)
        result.measurements["b"] = first
        result.noop_attempts, result.noop_confirmed = attempt, was_noop(log)
        if first.returncode != 0:
            return
        if result.noop_confirmed:
            result.noop_startups_s = [s for s in [first_step_after(data_dir, launched)] if s is not None]
            runs = [first]
            for n in range(2, repeat + 1):
                launched = time.time()
                runs.append(run_pipeline("b: no-op refresh", url, data_dir, logs / f"b-noop-{attempt}-{n}.log"))
                result.noop_startups_s += [s for s in [first_step_after(data_dir, launched)] if s is not None]
            result.measurements["b"] = median_of(runs)
            return
        print(
            "  (b) rebuilt instead of ending early: the project's SQL, suites or reference tables changed "
            "since (a) (code fingerprint); measuring again"
        )


def first_step_s(runs: list[dict], launched: float) -> float | None:
    """Seconds from `launched` (a `bilatrus run` started) to the first step of the first of `runs` it made."""
    made = [r for r in runs if (r.get("start") or 0) >= launched]
    starts = [s["start"] for s in (made[0].get("steps", []) if made else []) if s.get("start")]
    return round(min(starts) - launched, 2) if starts else None


def first_step_after(data_dir: Path, launched: float) -> float | None:
    """`first_step_s` of the runs on the instance of `data_dir`."""
    return first_step_s(dagster_runs(data_dir / "dagster"), launched)


@dataclass
class Refresh:
    """One measured (a): its measurement, data dir, launch time (epoch s), Dagster runs and validation seconds."""

    measurement: Measurement
    data_dir: Path
    started: float
    runs: list[dict]
    validation_s: float | None = None


def run_refresh(result: SizeResult, url: str, folder: Path, n: int, repeat: int, *, whole: bool) -> Refresh:
    """The `n`th full refresh (a), on a fresh data dir. Its figures are read at once; then, unless it is kept
    `whole` (the no-op runs (b) need the median run's), the data dir is cut down to its published warehouse (the
    marts compared after the rounds): at 4x a data dir holds several GB, and the rounds keep every a's until the
    median is known."""
    data_dir = folder / ("pipeline-data" if n == 1 else f"pipeline-data-{n}")
    print(f"  (a) full refresh {n} of {repeat} from {url} (load {load_average():.2f}) ...", flush=True)
    fingerprint, started = code_fingerprint(), time.time()
    log = folder / "logs" / ("a-full-refresh.log" if n == 1 else f"a-full-refresh-{n}.log")
    a = run_pipeline("a: pipeline full refresh", url, data_dir, log)
    result.code_changed_during_a = bool(result.code_changed_during_a) or code_fingerprint() != fingerprint
    # every Dagster run of this (a): `bilatrus run` launches the downloads, then what they made stale
    runs = dagster_runs(data_dir / "dagster")
    if (startup := first_step_s(runs, started)) is not None:
        result.refresh_startups_s.append(startup)
    refresh = Refresh(a, data_dir, started, runs, validation_seconds(data_dir, started))
    if not whole:
        keep_only(data_dir, Path("warehouse") / "bilatrus.duckdb")
    return refresh


def keep_only(folder: Path, kept: Path) -> None:
    """Remove everything in `folder` but the file `kept` (relative to it)."""
    for path in folder.iterdir():
        if path.name != kept.parts[0]:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        elif len(kept.parts) > 1 and path.is_dir():
            keep_only(path, Path(*kept.parts[1:]))


def finish_pipeline(
    result: SizeResult, refreshes: list[Refresh], url: str, folder: Path, only: set[str], repeat: int
) -> Path:
    """(a) is the median of `refreshes` (each on a fresh data dir) and, at full scale, (b) is measured on the data
    dir of the median run; returns that data dir. The step statistics and the validation share are the median
    run's; the other runs' data dirs are removed (several GB at 4x)."""
    a = median_of([r.measurement for r in refreshes])
    result.measurements["a"] = a
    median = next(r for r in refreshes if r.measurement.log == a.log)
    for other in refreshes:
        if other.data_dir != median.data_dir:
            shutil.rmtree(other.data_dir, ignore_errors=True)
    if a.returncode != 0:
        result.pipeline_error = failure_lines(Path(a.log or ""))
        print(f"  (a) FAILED (exit {a.returncode}):\n{result.pipeline_error}")
    result.validation_s = median.validation_s
    if median.runs:
        summarise_steps(result, median.runs)
        result.startup_s = first_step_s(median.runs, median.started)
    if "b" in only and result.scale == 1 and a.returncode == 0:
        measure_noop(result, url, median.data_dir, folder / "logs", repeat)
    return median.data_dir


# --------------------------------------------------------------------------------------- baselines


def prepare_inputs(result: SizeResult, mirror: Path, folder: Path) -> Path:
    started = time.perf_counter()
    inputs = extract_inputs(mirror, folder / "inputs")
    result.extract_s = round(time.perf_counter() - started, 2)
    write_script(inputs, folder / "floor.sql")
    return folder / "inputs" / "inputs.json"


def measure_floor(result: SizeResult, folder: Path) -> Path:
    database = folder / "floor.duckdb"
    print(f"  (c) the project's SQL alone: DuckDB script (load {load_average():.2f}) ...", flush=True)
    command = [str(PYTHON), "-m", "bench.floor", str(folder / "floor.sql"), str(database)]
    result.measurements["c"] = run_measured(
        "c: the project's SQL alone", command, cwd=PROJECT_ROOT, log=folder / "logs" / "c-floor.log", timeout=TIMEOUT_S
    )
    return database


def run_lean(inputs_json: Path, folder: Path, n: int) -> Measurement:
    """The `n`th run of (e); each writes the same figures to lean-figures.json."""
    print(f"  (e) lean DuckDB floor, run {n} (load {load_average():.2f}) ...", flush=True)
    command = [str(PYTHON), "-m", "bench.lean", str(inputs_json), "--out", str(folder / "lean-figures.json")]
    log = folder / "logs" / f"e-lean-{n}.log"
    return run_measured("e: lean DuckDB floor", command, cwd=PROJECT_ROOT, log=log, timeout=TIMEOUT_S)


def run_pandas(inputs_json: Path, folder: Path, n: int) -> Measurement:
    """The `n`th run of (d); each writes the same marts to pandas-marts/."""
    print(f"  (d) pandas script, run {n} (load {load_average():.2f}) ...", flush=True)
    command = [str(PYTHON), "-m", "bench.pandas_baseline", str(inputs_json), str(folder / "pandas-marts")]
    log = folder / "logs" / ("d-pandas.log" if n == 1 else f"d-pandas-{n}.log")
    return run_measured("d: pandas script", command, cwd=PROJECT_ROOT, log=log, timeout=TIMEOUT_S)


def finish_pandas(result: SizeResult, runs: list[Measurement]) -> None:
    """(d) is the median of `runs`; its phases are the median run's."""
    result.measurements["d"] = median_of(runs)
    with contextlib.suppress(OSError, ValueError, KeyError, IndexError, TypeError):
        log_text = Path(result.measurements["d"].log or "").read_text(encoding="utf-8")
        result.pandas_phases = json.loads(log_text.strip().splitlines()[-1])["timings"]


def record_comparisons(
    result: SizeResult,
    pipeline_db: Path | None,
    floor_db: Path | None,
    pandas_out: Path | None,
    lean_out: Path | None = None,
) -> None:
    if floor_db and floor_db.exists() and pipeline_db and pipeline_db.exists():
        diffs = compare.compare_builds(floor_db, pipeline_db, compare.mart_tables(floor_db))
        result.comparisons["floor vs pipeline"] = [str(d) for d in diffs]
    if floor_db and floor_db.exists() and pandas_out and pandas_out.exists():
        diffs = compare.compare_builds(floor_db, pandas_out, compare.PANDAS_MARTS)
        result.comparisons["floor vs pandas"] = [str(d) for d in diffs]
    if lean_out and lean_out.exists():
        figures = json.loads(lean_out.read_text(encoding="utf-8"))
        for title, database in (("lean vs project SQL", floor_db), ("lean vs pipeline", pipeline_db)):
            if database and database.exists():
                result.comparisons[title] = compare.compare_figures(figures, compare.figures_of_marts(database))


def comparison_summary(lines: list[str]) -> str:
    """'7 of 10 marts same; differing: ...' from compare's one line per mart."""
    same = [line.split(":")[0] for line in lines if ": same (" in line]
    other = [line for line in lines if ": same (" not in line]
    text = f"{len(same)} of {len(lines)} the same"
    return text + ("; differing: " + "; ".join(other) if other else "")


# ------------------------------------------------------------------------------------------ report


def size_targets(result: SizeResult) -> list[Target]:
    """The issue's targets: full scale a <= 1.5 d and a/e <= 10; 4x a <= 0.75 d, a/e <= 6, peak a <= peak d;
    no-op refresh <= 3 s; validation under 10 % of a at 4x; the first step within 2 s of launching the CLI (the
    median over a and the b runs: `SizeResult.first_step_median`)."""
    scale = f"x{result.scale:g}"
    targets: list[Target] = []
    if result.scale == 1:
        targets.append(Target(f"{scale} a/d (pipeline / pandas)", result.ratio("a", "d"), 1.5))
        targets.append(Target(f"{scale} a/e (pipeline / lean DuckDB)", result.ratio("a", "e"), 10))
    elif result.scale == 4:
        targets.append(Target(f"{scale} a/d (pipeline / pandas)", result.ratio("a", "d"), 0.75))
        targets.append(Target(f"{scale} a/e (pipeline / lean DuckDB)", result.ratio("a", "e"), 6))
        targets.append(Target(f"{scale} peak memory a/d", result.ratio("a", "d", peak=True), 1))
        share = result.validation_share()
        targets.append(Target(f"{scale} validation share of a", None if share is None else share * 100, 10, " %"))
    if "b" in result.measurements or result.scale == 1:
        targets.append(Target(f"{scale} no-op refresh", result.wall("b"), 3, " s"))
    if "a" in result.measurements:
        targets.append(
            Target(f"{scale} first step after launch (median of a and b)", result.first_step_median(), 2, " s")
        )
    return targets


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_size(result: SizeResult) -> None:
    print()
    rows = f", {result.participations:,} participations" if result.participations else ""
    print(f"== scale {result.scale:g}{rows} ({result.mirror})")
    print(f"   {'measurement':44} {'wall s':>9} {'peak MB':>9} {'exit':>5} {'load':>11}")
    names = {
        "a": "a  pipeline full refresh (CLI, loopback HTTP)",
        "b": "b  no-op refresh",
        "c": "c  the project's SQL alone (DuckDB)",
        "d": "d  pandas script (6 marts)",
        "e": "e  lean DuckDB floor (core indicators)",
    }
    for key, label in names.items():
        m = result.measurements.get(key)
        if m is None:
            print(f"   {label:44} {'-':>9} {'-':>9}")
            continue
        load = f"{m.load_before:.1f}->{m.load_after:.1f}"
        runs = f"  median of {', '.join(f'{w:.1f}' for w in m.runs_s)}" if len(m.runs_s) > 1 else ""
        print(f"   {label:44} {m.wall_s:9.1f} {m.peak_rss_mb:9.0f} {m.returncode:5d} {load:>11}{runs}")
    share = result.validation_share()
    print(
        f"   a/e = {_fmt(result.ratio('a', 'e'), 2)}   a/d = {_fmt(result.ratio('a', 'd'), 2)}   "
        f"c/e = {_fmt(result.ratio('c', 'e'), 2)}   a/c = {_fmt(result.ratio('a', 'c'), 2)}"
    )
    for top, bottom in (("a", "d"), ("a", "e")):
        if len(paired := result.paired(top, bottom)) > 1:
            each = ", ".join(f"{r:.2f}" for r in paired)
            print(f"   {top}/{bottom} round by round: {each} (median {statistics.median(paired):.2f})")
    print(
        f"   peak memory MB: a {_fmt(result.peak('a'), 0)}, c {_fmt(result.peak('c'), 0)}, "
        f"d {_fmt(result.peak('d'), 0)}, e {_fmt(result.peak('e'), 0)}   "
        f"validation = {_fmt(result.validation_s)} s = {_fmt(None if share is None else share * 100)} % of a"
    )
    if result.extract_s is not None:
        print(f"   (unzipping the archives for c and d, not in their times: {result.extract_s:.1f} s)")
    if result.step_groups:
        groups = ", ".join(f"{k} {v:.1f}" for k, v in result.step_groups.items())
        overhead = (result.wall("a") or 0) - (result.run_s or 0)
        between = (result.run_s or 0) - (result.steps_busy_s or 0)
        print(f"   a by Dagster step group (s, steps side by side counted each): {groups}")
        print(
            f"   a = Dagster runs {_fmt(result.run_s)} s (a step running {_fmt(result.steps_busy_s)} s, no step "
            f"{between:.1f} s; the steps' own times add up to {_fmt(result.steps_total_s)} s) + CLI start-up and "
            f"summary {overhead:.1f} s"
        )
        print("   slowest steps: " + ", ".join(f"{k} {v:.1f}" for k, v in result.slowest_steps[:8]))
        noop = ", ".join(f"{s:.2f}" for s in result.noop_startups_s)
        print(
            f"   first step after the CLI was launched: a {_fmt(result.startup_s, 2)} s (fresh data folder)"
            + (f", b {noop} s" if noop else "")
        )
    if result.pandas_phases:
        print("   d phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in result.pandas_phases.items()))
    for title, lines in result.comparisons.items():
        print(f"   {title}: {comparison_summary(lines)}")
        if any(": same (" not in line for line in lines):
            print(f"     ({COMPARISON_NOTES[title]})")
    if result.noop_attempts > 1 or result.noop_confirmed is False:
        state = "a real no-op" if result.noop_confirmed else "NOT a no-op (rebuilt)"
        print(f"   (b) took {result.noop_attempts} attempt(s); the last was {state}")
    if result.code_changed_during_a:
        print("   note: the project's SQL/suites/reference changed while (a) ran (other engineers at work)")
    if result.pipeline_error:
        print("   pipeline error:\n" + "\n".join("     " + line for line in result.pipeline_error.splitlines()))


def machine() -> dict[str, object]:
    info: dict[str, object] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "load_at_start": load_average(),
    }
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="ascii").splitlines()
        info["mem_total_mb"] = int(meminfo[0].split()[1]) // 1024
    except (OSError, IndexError, ValueError):
        pass
    return info


def write_results(results: list[SizeResult], targets: list[Target], info: dict[str, object], started: str) -> None:
    payload = {
        "started_at": started,
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": info,
        "sizes": {f"{r.scale:g}": r.as_dict() for r in results},
        "targets": [
            {"name": t.name, "value": t.value, "limit": t.limit, "unit": t.unit.strip(), "verdict": t.verdict}
            for t in targets
        ],
    }
    RESULTS.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")


# -------------------------------------------------------------------------------------------- main


def bench_size(
    scale: float, seed: int, work: Path, run_dir: Path, only: set[str], keep: bool, repeat: int = 1
) -> SizeResult:
    """Every measurement of one size. a, e and d run in rounds (a, e, d; again `repeat` times), so that each of
    their medians is taken over the same minutes of the machine: run one after the other, a slower quarter of an
    hour falling on one of them alone would tilt the ratios. c runs once, after the rounds."""
    result = SizeResult(scale)
    mirror, result.generate_s = ensure_mirror(work, scale, seed)
    result.mirror, result.participations = str(mirror), manifest_participations(mirror)
    folder = run_dir / f"scale-{scale:g}"
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    pipeline_db = floor_db = pandas_out = lean_out = None
    inputs_json = prepare_inputs(result, mirror, folder) if only & {"c", "d", "e"} else None
    refreshes: list[Refresh] = []
    lean_runs: list[Measurement] = []
    pandas_runs: list[Measurement] = []
    whole = keep or ("b" in only and scale == 1)  # the no-op runs (b) need the median a's whole data dir
    with MirrorServer(mirror) as server:
        for n in range(1, repeat + 1):
            walls: dict[str, float] = {}  # this round's
            if only & {"a", "b"} and not any(r.measurement.returncode for r in refreshes):
                refreshes.append(run_refresh(result, server.url, folder, n, repeat, whole=whole))
                walls["a"] = refreshes[-1].measurement.wall_s
            if "e" in only and inputs_json is not None:
                lean_runs.append(run_lean(inputs_json, folder, n))
                walls["e"] = lean_runs[-1].wall_s
            if "d" in only and inputs_json is not None and not any(m.returncode for m in pandas_runs):
                pandas_runs.append(run_pandas(inputs_json, folder, n))
                walls["d"] = pandas_runs[-1].wall_s
            result.rounds.append(walls)
        if refreshes:
            pipeline_db = (
                finish_pipeline(result, refreshes, server.url, folder, only, repeat) / "warehouse" / "bilatrus.duckdb"
            )
    if lean_runs:
        result.measurements["e"] = median_of(lean_runs)
        lean_out = folder / "lean-figures.json"
    if pandas_runs:
        finish_pandas(result, pandas_runs)
        pandas_out = folder / "pandas-marts"
    if "c" in only and inputs_json is not None:
        floor_db = measure_floor(result, folder)
    record_comparisons(result, pipeline_db, floor_db, pandas_out, lean_out)
    if not keep:
        remove_outputs(folder)
    return result


def remove_outputs(folder: Path) -> None:
    """Everything but the logs and the floor script."""
    for path in [*folder.glob("pipeline-data*"), folder / "inputs", folder / "pandas-marts"]:
        shutil.rmtree(path, ignore_errors=True)
    (folder / "floor.duckdb").unlink(missing_ok=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4", help="scales to run, comma-separated (default 1,4)")
    parser.add_argument("--only", default="a,b,c,d,e", help="measurements to take, from a,b,c,d,e (default all)")
    parser.add_argument("--keep", action="store_true", help="keep data dirs, extracted files and outputs")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of a, b, d and e, of which the median counts (default 3)"
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--work", type=Path, default=BENCH_DIR / "work", help="mirrors and runs (git-ignored)")
    args = parser.parse_args(argv)
    args.sizes = [float(s) for s in args.sizes.split(",") if s.strip()]
    args.only = {s.strip().lower() for s in args.only.split(",") if s.strip()}
    unknown = args.only - {"a", "b", "c", "d", "e"}
    if unknown:
        parser.error(f"--only takes a,b,c,d,e; got {', '.join(sorted(unknown))}")
    if args.repeat < 1:
        parser.error("--repeat takes a number of runs, 1 or more")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC).isoformat()
    info = machine()
    run_dir = args.work / "runs" / datetime.now().strftime("%Y%m%d-%H%M%S")
    print(
        f"bilatrus-etl benchmark: sizes {', '.join(f'{s:g}' for s in args.sizes)}; measurements "
        f"{','.join(sorted(args.only))}; {info['cpus']} CPUs, load {info['load_at_start']:.2f}; work in {run_dir}"
    )
    results: list[SizeResult] = []
    targets: list[Target] = []
    for scale in args.sizes:
        print(f"-- scale {scale:g}", flush=True)
        result = bench_size(scale, args.seed, args.work, run_dir, args.only, args.keep, args.repeat)
        results.append(result)
        targets += size_targets(result)
        print_size(result)
        write_results(results, targets, info, started)
    print("\nTargets (2-core machine; see bench/README.md):")
    for target in targets:
        print(target.line())
    print(f"\nwrote {RESULTS.relative_to(PROJECT_ROOT)}; logs in {run_dir}")
    failed = any(m.returncode != 0 for r in results for m in r.measurements.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

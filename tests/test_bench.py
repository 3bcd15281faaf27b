"""The benchmark's helpers on a tiny mirror: the floor and the pandas script compute the same marts.

Fast (a scale of 0.002, under a few seconds) and never about time: timings belong in `make bench`.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest

from bench import compare, floor, lean
from bench import staging as staging_profile
from bench.inputs import extract_inputs, read_inputs
from bench.measure import Measurement, median_of, run_measured
from bench.pandas_baseline import compute_marts, write_marts
from bench.run import SizeResult, Target, busy_s, keep_only, remove_outputs, size_targets, step_group
from bench.server import MirrorServer
from bilatrus_etl.ingest import catalog, staging
from bilatrus_etl.warehouse.models import load_models
from bilatrus_etl_synthetic.layout import MANIFEST_FILE
from bilatrus_etl_synthetic.mirror import write_mirror

SCALE = 0.002


@pytest.fixture(scope="module")
def clean_mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny mirror without malformed lines (the pandas reader keeps stray-quote lines DuckDB rejects)."""
    folder = tmp_path_factory.mktemp("mirror")
    write_mirror(folder, scale=SCALE, seed=3, malformed_lines=0)
    return folder


@pytest.fixture(scope="module")
def builds(clean_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("bench")
    inputs = extract_inputs(clean_mirror, work / "inputs")
    script = floor.write_script(inputs, work / "floor.sql")
    floor.run_script(script, work / "floor.duckdb")
    marts, _ = compute_marts(json.loads((work / "inputs" / "inputs.json").read_text(encoding="utf-8")))
    write_marts(marts, work / "pandas")
    return {"inputs": work / "inputs", "script": script, "floor": work / "floor.duckdb", "pandas": work / "pandas"}


def test_inputs_name_files_as_the_pipeline_does(builds: dict[str, Path]) -> None:
    inputs = read_inputs(builds["inputs"] / "inputs.json")
    programme = {(f.programme, f.role): f for f in inputs.programme_files()}
    assert set(programme) == {(p, r) for p in ("FP6", "FP7", "H2020", "HE") for r in ("projects", "organizations")}
    assert programme[("FP6", "projects")].source_format == "legacy_csv"
    assert programme[("H2020", "organizations")].source_file == "cordis-h2020projects-csv.zip!organization.csv"
    assert {f.role for f in inputs.reference_files()} >= {"countries", "activity_types"}


def test_floor_script_builds_every_mart_from_the_project_sql(builds: dict[str, Path]) -> None:
    models = load_models()
    text = builds["script"].read_text(encoding="utf-8")
    for name in floor.mart_names(models):
        assert f"CREATE OR REPLACE TABLE {name} AS" in text
    assert "CREATE OR REPLACE TABLE quarantine AS" not in text  # no mart needs it
    assert "institution_link" in text and "CREATE OR REPLACE MACRO clean_money" in text
    assert set(floor.mart_names(models)) <= set(compare.mart_tables(builds["floor"]))


def test_floor_keeps_every_valid_record(clean_mirror: Path, builds: dict[str, Path]) -> None:
    expected = json.loads((clean_mirror / MANIFEST_FILE).read_text(encoding="utf-8"))["expected"]
    con = duckdb.connect(str(builds["floor"]), read_only=True)
    try:
        rows = con.execute("SELECT framework_programme, count(*) FROM stg_participation GROUP BY ALL").fetchall()
        counts = dict(rows)
    finally:
        con.close()
    assert counts == {p: e["participations"] for p, e in expected.items()}


def test_floor_and_pandas_compute_the_same_marts(builds: dict[str, Path]) -> None:
    diffs = compare.compare_builds(builds["floor"], builds["pandas"], compare.PANDAS_MARTS)
    assert [str(d) for d in diffs if not d.same] == []
    assert all(d.left_rows > 0 for d in diffs if d.mart != "mart_regions")


def test_lean_script_gives_the_marts_figures(builds: dict[str, Path]) -> None:
    """(e) reads the files with DuckDB alone and computes the core indicators: the same as the marts."""
    figures = lean.compute(json.loads((builds["inputs"] / "inputs.json").read_text(encoding="utf-8")))
    from_marts = compare.figures_of_marts(builds["floor"])
    assert compare.compare_figures(figures, from_marts) == [
        f"{name}: same ({len(from_marts[name])} rows)" for name in compare.FIGURES_OF_MARTS
    ]
    assert all(from_marts[name] for name in compare.FIGURES_OF_MARTS)
    with duckdb.connect(str(builds["floor"]), read_only=True) as con:
        ru = con.execute(
            "SELECT count(*), sum(ec_contribution) FROM fact_participation WHERE country_code = 'RU'"
        ).fetchall()[0]
    by_year = figures["country_participation"]
    assert sum(row[2] for row in by_year) == ru[0]
    assert abs(sum(row[6] or 0 for row in by_year) - float(ru[1])) < 0.01


def test_staging_profile_stages_every_programme(builds: dict[str, Path], tmp_path: Path, capsys) -> None:
    reports = staging_profile.stage(builds["inputs"], tmp_path / "staging.duckdb", statements=3, phases=True)
    assert set(reports) == {"FP6", "FP7", "H2020", "HE"}
    assert all(r.reconciled and r.staged_rows > 0 for r in reports.values())
    out = capsys.readouterr().out
    assert "stage_programmes:" in out and out.count("s CPU  ") == 3
    phases = [line.split(" cores  ")[1] for line in out.splitlines() if " cores  " in line]
    for phase in (
        "land: read the files into land_project",
        "land: read the files into land_participation",
        "land: commit (and the checkpoint it runs)",
        *(f"model {name}" for name in staging.PROGRAMME_MODELS),
        "CHECKPOINT after the step",
    ):
        assert phase in phases


def test_staging_profile_tells_the_phase_of_a_statement() -> None:
    phase_of, setup = staging_profile.phase_of, staging_profile.SETUP_PHASE
    assert phase_of("CREATE OR REPLACE TABLE ref_role (role_key VARCHAR)", setup) == setup
    assert phase_of("DELETE FROM land_project WHERE framework_programme = 'FP6'", setup) == (
        "land: delete the replaced slices"
    )
    reading = phase_of("INSERT INTO land_participation BY NAME (SELECT c1 AS project_id FROM x)", setup)
    assert reading == "land: read the files into land_participation"
    assert phase_of("UPDATE land_participation SET source_line = 1", reading) == "land: rejects and line numbers"
    assert phase_of("COMMIT", reading) == "land: commit (and the checkpoint it runs)"
    model = phase_of("CREATE OR REPLACE TEMP TABLE stg_project_screened AS\nSELECT 1", "land: commit")
    assert model == "model stg_project_screened"
    assert phase_of("COMMENT ON TABLE stg_project_screened IS 'x'", model) == model
    assert phase_of("COMMIT", model) == model


def test_floor_explains_a_model_with_duckdb(builds: dict[str, Path]) -> None:
    plan = floor.explain_models(builds["floor"], ["mart_institutions"])[0]
    assert plan.startswith("== mart_institutions") and "fact_participation" in plan and "dim_institution" in plan


def test_compare_figures_names_a_difference() -> None:
    left = {name: [] for name in compare.FIGURES_OF_MARTS} | {"theme_profile": [["FP7", "T1", 3, 10]]}
    right = {name: [] for name in compare.FIGURES_OF_MARTS} | {"theme_profile": [["FP7", "T1", 4, 10]]}
    lines = compare.compare_figures(left, right)
    assert "theme_profile: 1 vs 1 rows, 1 differing; first: ['FP7', 'T1', 3, 10] vs ['FP7', 'T1', 4, 10]" in lines


def test_compare_reports_a_changed_number(builds: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "floor.duckdb"
    copy.write_bytes(builds["floor"].read_bytes())
    con = duckdb.connect(str(copy))
    try:
        con.execute(
            "UPDATE mart_theme_profile SET all_participations = all_participations + 1 "
            "WHERE rowid = (SELECT min(rowid) FROM mart_theme_profile)"
        )
    finally:
        con.close()
    diff = compare.compare_builds(builds["floor"], copy, ["mart_theme_profile"])[0]
    assert not diff.same and diff.cell_mismatches == {"all_participations": 1}


def test_server_serves_catalog_names_with_etags(clean_mirror: Path) -> None:
    ror = catalog.load_catalog()["ror_dump"]
    with MirrorServer(clean_mirror) as server:
        with urllib.request.urlopen(server.url + ror.file_name, timeout=10) as answer:
            etag = answer.headers["ETag"]
            assert answer.read(4) == b"PK\x03\x04"
        request = urllib.request.Request(server.url + ror.file_name, headers={"If-None-Match": etag})
        with pytest.raises(urllib.error.HTTPError) as not_modified:
            urllib.request.urlopen(request, timeout=10)
        assert not_modified.value.code == 304


def test_measure_reports_exit_code_and_memory(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import time; x = b'x' * (80 * 2**20); time.sleep(0.3); print('ok')"]
    measured = run_measured("probe", command, log=tmp_path / "probe.log")
    assert measured.returncode == 0 and (tmp_path / "probe.log").read_text().strip() == "ok"
    assert measured.peak_rss_mb >= 60


def test_targets_and_step_groups() -> None:
    assert Target("a/c", 2.5, 3).verdict == "PASS" and Target("a/c", 3.5, 3).verdict == "MISS"
    assert Target("no-op", None, 10).verdict == "n/a"
    assert step_group("core__fact_participation_gx_fact_participation") == "validation"
    assert step_group("staging__load_audit_reconciliation") == "validation"
    assert step_group("stg_programme") == "staging" and step_group("raw__cordisref") == "download"
    assert step_group("marts__mart_regions") == "marts SQL"


def test_busy_time_counts_overlapping_steps_once() -> None:
    # steps side by side (0-4 and 1-3), one after a gap (5-6), one touching it (6-8)
    assert busy_s([(1.0, 3.0), (0.0, 4.0), (5.0, 6.0), (6.0, 8.0)]) == 7.0
    assert busy_s([]) == 0.0


def test_median_of_repeated_runs_keeps_every_time_and_never_hides_a_failure() -> None:
    def run(wall: float, code: int = 0) -> Measurement:
        return Measurement("e", wall, 100.0 + wall, code, 0.5, 0.5)

    median = median_of([run(3.0), run(1.0), run(2.0)])
    assert (median.wall_s, median.peak_rss_mb, median.runs_s) == (2.0, 102.0, [3.0, 1.0, 2.0])
    assert median_of([run(4.0), run(2.0)]).wall_s == 2.0  # the lower middle of an even count
    assert median_of([run(1.0), run(5.0, code=1), run(2.0)]).returncode == 1


def test_first_step_target_is_the_median_of_every_run_measured() -> None:
    result = SizeResult(scale=1.0, startup_s=3.04, noop_startups_s=[1.8, 1.9, 2.1])
    result.measurements["a"] = Measurement("a", 50.0, 800.0, 0, 0.5, 0.5)
    assert result.first_step_median() == 2.0  # median of 3.04, 1.8, 1.9, 2.1
    target = next(t for t in size_targets(result) if "first step" in t.name)
    assert (target.value, target.limit, target.verdict) == (2.0, 2, "PASS")
    assert SizeResult(scale=4.0, startup_s=2.21).first_step_median() == 2.21  # a alone at 4x
    assert SizeResult(scale=4.0).first_step_median() is None


def test_rounds_give_each_rounds_ratios_beside_the_ratios_of_the_medians() -> None:
    result = SizeResult(scale=4.0, rounds=[{"a": 60.0, "d": 80.0, "e": 15.0}, {"a": 90.0, "d": 100.0}, {"a": 70.0}])
    assert result.paired("a", "d") == [0.75, 0.9]  # the third round has no d: not paired
    assert result.paired("a", "e") == [4.0]
    saved = result.as_dict()
    assert saved["rounds"][1] == {"a": 90.0, "d": 100.0}
    assert saved["paired_ratios"] == {"a/d": [0.75, 0.9], "a/e": [4.0]}


def test_a_measured_refresh_keeps_only_its_published_warehouse_and_the_end_removes_every_data_dir(tmp_path) -> None:
    data = tmp_path / "pipeline-data-2"
    for name in ("warehouse/bilatrus.duckdb", "warehouse/build.duckdb", "raw/x.zip", "dagster/runs.db", "top.txt"):
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_text(name)
    keep_only(data, Path("warehouse") / "bilatrus.duckdb")
    assert sorted(str(p.relative_to(data)) for p in data.rglob("*")) == ["warehouse", "warehouse/bilatrus.duckdb"]
    assert (data / "warehouse" / "bilatrus.duckdb").read_text() == "warehouse/bilatrus.duckdb"
    (tmp_path / "pipeline-data").mkdir()
    (tmp_path / "logs").mkdir()
    remove_outputs(tmp_path)  # the median run's folder too, whichever round it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs"]

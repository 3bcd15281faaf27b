"""Quality library: every kind of rule fails on a crafted bad input and passes on good input.

Inputs are built by hand in an in-memory DuckDB. GX is imported once per process (the library caches its
context), so the first test pays ~5 s and the rest well under a second each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.quality import docs as data_docs
from bilatrus_etl.quality.reconcile import reconcile
from bilatrus_etl.quality.report import ValidationOutcome, record_validation_run
from bilatrus_etl.quality.suites import list_suites, load_suite, suite_parameter
from bilatrus_etl.quality.table_checks import CHECKS_DIR
from bilatrus_etl.quality.validate import validate_table

STG_PROJECT = """
CREATE OR REPLACE TABLE stg_project AS
SELECT * FROM (VALUES
    ('FP7', '1001', 'ALPHA', 'Alpha project', 'FP7-ICT', 'ICT-1', 'CP', DATE '2008-01-01', DATE '2010-12-31',
     1000.00::DECIMAL(18,2), 800.00::DECIMAL(18,2), 'fp7/project.csv', 2::BIGINT),
    ('FP7', '1002', 'BETA', 'Beta project', 'FP7-ICT', 'ICT-2', 'CP', DATE '2009-01-01', DATE '2009-01-01',
     500.00, 400.00, 'fp7/project.csv', 3),
    ('H2020', '2001', 'GAMMA', 'Gamma project', 'H2020-EU.1.1.', 'ERC-2015', 'ERC-STG', DATE '2016-01-01',
     DATE '2020-12-31', 1500000.00, 1500000.00, 'h2020/project.csv', 2),
    ('H2020', '2002', 'DELTA', 'Delta project', 'H2020-EU.3.1.', 'SC1-1', 'RIA', DATE '2017-03-01',
     DATE '2019-02-28', 0.00, 0.00,
     'h2020/project.csv', 3)
) AS t(framework_programme, project_id, acronym, title, programme_code, topic, funding_scheme, start_date,
       end_date, total_cost, ec_max_contribution, source_file, source_line)
"""

STG_PARTICIPATION = """
CREATE OR REPLACE TABLE stg_participation AS
SELECT * FROM (VALUES
    ('FP7', '1001', '999000001', '999000001', 'Moscow State University', 'MSU', 'HES', 'RU', 'RU', 'Moscow',
     'coordinator', 300.00::DECIMAL(18,2), 'fp7/organization.csv', 2::BIGINT),
    ('FP7', '1001', '999000002', '999000002', 'Fraunhofer', 'FhG', 'REC', 'DE', 'DE', 'Munich', 'participant',
     500.00, 'fp7/organization.csv', 3),
    ('FP7', '1002', '999000003', '999000003', 'Athens Lab', NULL, 'PRC', 'GR', 'EL', 'Athens', 'coordinator',
     400.00, 'fp7/organization.csv', 4),
    ('H2020', '2001', '999000002', '999000002', 'Fraunhofer', 'FhG', 'REC', 'DE', 'DE', 'Munich', 'coordinator',
     1500000.00, 'h2020/organization.csv', 2),
    ('H2020', '2002', 'name:acme|GB', NULL, 'Acme Ltd', NULL, NULL, 'GB', 'UK', 'London', 'third party', NULL,
     'h2020/organization.csv', 3),
    ('H2020', '2002', '999000004', '999000004', 'Kosovo Institute', NULL, 'PUB', 'XK', 'XK', 'Pristina',
     'participant', 0.00, 'h2020/organization.csv', 4)
) AS t(framework_programme, project_id, org_key, pic, name, short_name, activity_type, country,
       country_code_source, city, role, ec_contribution, source_file, source_line)
"""

CORE = """
CREATE OR REPLACE TABLE dim_project AS
SELECT framework_programme, project_id, acronym, title, programme_code, 'T-' || framework_programme AS theme_code,
       'Theme' AS theme_name, 'Pillar' AS pillar, topic, funding_scheme,
       CASE WHEN funding_scheme LIKE 'ERC-%' THEN 'single_beneficiary' ELSE 'collaborative' END AS scheme_class,
       funding_scheme LIKE 'ERC-%' AS is_single_beneficiary, start_date, end_date, year(start_date) AS start_year,
       total_cost, ec_max_contribution, 2::BIGINT AS participants, 2::BIGINT AS countries,
       ec_max_contribution::DECIMAL(38,2) AS ec_contribution_participants, true AS in_project_file,
       source_file, source_line
FROM stg_project;
CREATE OR REPLACE TABLE dim_organization AS
SELECT org_key, any_value(pic) AS pic, any_value(name) AS name, any_value(short_name) AS short_name,
       any_value(activity_type) AS activity_type, any_value(country) AS country_code, any_value(city) AS city,
       org_key AS institution_key, any_value(name) AS institution_name, NULL::VARCHAR AS ror_id,
       NULL::VARCHAR AS link_method, NULL::DOUBLE AS link_score, count(*) AS participations,
       string_agg(DISTINCT framework_programme, ', ') AS programmes, 2008::BIGINT AS first_year,
       2016::BIGINT AS last_year
FROM stg_participation GROUP BY org_key;
CREATE OR REPLACE TABLE dim_country AS
SELECT DISTINCT country AS country_code, country AS country_name, NULL::DATE AS eu_member_from,
       NULL::DATE AS eu_member_to, false AS is_eu_member, 'third' AS status_fp6, 'third' AS status_fp7,
       'third' AS status_h2020, 'third' AS status_he, NULL::VARCHAR AS status_changes
FROM stg_participation;
CREATE OR REPLACE TABLE fact_participation AS
SELECT s.framework_programme, s.project_id, s.org_key, s.org_key AS institution_key, s.name,
       s.country AS country_code, 'third' AS country_status, s.city, s.activity_type, s.role,
       s.role = 'coordinator' AS is_coordinator, s.ec_contribution::DECIMAL(38,2) AS ec_contribution,
       CASE WHEN s.ec_contribution > 0 THEN 'funded' ELSE 'unfunded' END AS funding_status,
       count(*) OVER (PARTITION BY s.framework_programme, s.project_id) AS project_participants,
       1.0::DOUBLE / count(*) OVER (PARTITION BY s.framework_programme, s.project_id) AS weight,
       2010::BIGINT AS start_year, 1::BIGINT AS source_rows, s.source_file, s.source_line
FROM stg_participation AS s;
"""

DATASETS = """
ALTER TABLE stg_project ADD COLUMN dataset VARCHAR;
UPDATE stg_project SET dataset = 'cordis_' || lower(framework_programme);
ALTER TABLE stg_participation ADD COLUMN dataset VARCHAR;
UPDATE stg_participation SET dataset = 'cordis_' || lower(framework_programme);
ALTER TABLE stg_project ADD COLUMN value_issues VARCHAR;
ALTER TABLE stg_participation ADD COLUMN value_issues VARCHAR;
"""

# The shape of sql/staging/load_audit.sql and quarantine.sql: one audit row per file and target table.
LOAD_AUDIT = """
CREATE OR REPLACE TABLE load_audit AS
SELECT *, 0::BIGINT AS flagged_rows, 0::BIGINT AS unknown_country_rows,
       CASE WHEN target_table = 'stg_participation' THEN 0.0::DOUBLE END AS unknown_country_share,
       raw_rows = staged_rows + quarantined_rows AS reconciled FROM (VALUES
    ('cordis_fp7', 'FP7', 'fp7/project.csv', 'stg_project', 2::BIGINT, 2::BIGINT, 0::BIGINT),
    ('cordis_fp7', 'FP7', 'fp7/organization.csv', 'stg_participation', 4, 3, 1),
    ('cordis_h2020', 'H2020', 'h2020/project.csv', 'stg_project', 2, 2, 0),
    ('cordis_h2020', 'H2020', 'h2020/organization.csv', 'stg_participation', 3, 3, 0)
) AS t(dataset, framework_programme, source_file, target_table, raw_rows, staged_rows, quarantined_rows);
CREATE OR REPLACE TABLE quarantine AS
SELECT * FROM (VALUES
    ('cordis_fp7', 'FP7', 'fp7/organization.csv', 5::BIGINT, 'malformed line: unterminated quote', '"999;Broken',
     'stg_participation', 'cordis_csv'),
    ('cordisref_countries', NULL, 'cordisref-countries.csv', 9, 'malformed line: too many columns', 'a;b;c;d;e',
     'stg_country', 'cordisref_csv')
) AS t(dataset, framework_programme, source_file, source_line, reason, raw_record, target_table, source_format);
"""


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute(STG_PROJECT)
    connection.execute(STG_PARTICIPATION)
    connection.execute(DATASETS)
    yield connection
    connection.close()


@pytest.fixture
def core(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute(CORE)
    return con


def only_failure(outcome: ValidationOutcome, expectation: str, column: str | None = None) -> dict:
    matches = [
        f for f in outcome.failures if f["expectation"] == expectation and (column is None or f["column"] == column)
    ]
    assert len(matches) == 1, outcome.summary()
    return matches[0]


def write_suite(folder: Path, name: str, expectations: list[dict], meta: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"name": name, "meta": meta or {}, "expectations": expectations}), encoding="utf-8")
    return folder


# --- suites ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list_suites())
def test_every_suite_loads_in_gx(name: str) -> None:
    suite = load_suite(name)
    assert suite.name == name and suite.expectations
    assert all(e.meta["severity"] in ("error", "warn") for e in suite.expectations)


def test_expected_suites_exist() -> None:
    assert {
        "stg_project",
        "stg_participation",
        "quarantine",
        "load_audit",
        "dim_project",
        "dim_organization",
        "dim_country",
        "dim_programme",
        "fact_participation",
    } <= set(list_suites())


def test_unknown_suite_and_bad_severity_are_clear(tmp_path: Path) -> None:
    with pytest.raises(BilatrusError, match="No expectation suite 'nope'"):
        load_suite("nope")
    folder = write_suite(
        tmp_path,
        "t",
        [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}, "meta": {"severity": "fatal"}}],
    )
    with pytest.raises(BilatrusError, match="severity must be one of"):
        load_suite("t", expectations_dir=folder)


def test_iso_parameter_is_pycountry_plus_kosovo() -> None:
    codes = set(suite_parameter("iso3166_alpha2"))
    assert {"RU", "DE", "GR", "GB", "XK"} <= codes and not {"EL", "UK", "XX"} & codes
    assert {"YU", "CS"} <= codes  # former codes kept by old FP6 records
    assert len(codes) >= 249


# --- good input passes ------------------------------------------------------------------------------


def test_good_staging_passes(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("stg_project", "stg_participation"):
        outcome = validate_table(con, table)
        assert outcome.success and outcome.passed_errors, outcome.summary()
        assert outcome.severity is None and outcome.failures == [] and not outcome.warnings
        assert outcome.evaluated >= 10 and outcome.duration_s > 0 and outcome.row_count in (4, 6)


def test_good_core_passes(core: duckdb.DuckDBPyConnection) -> None:
    for table in ("dim_project", "dim_organization", "dim_country", "fact_participation"):
        outcome = validate_table(core, table)
        assert outcome.success, outcome.summary()


def test_good_quarantine_and_audit_pass(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LOAD_AUDIT)
    for table in ("quarantine", "load_audit"):
        outcome = validate_table(con, table)
        assert outcome.success, outcome.summary()


# --- each kind of rule fails on a crafted bad input --------------------------------------------------


def test_null_key_fails(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE stg_participation SET project_id = NULL WHERE source_line = 3 AND framework_programme = 'FP7'")
    outcome = validate_table(con, "stg_participation")
    failure = only_failure(outcome, "expect_column_values_to_not_be_null", "project_id")
    assert failure["unexpected_count"] == 1 and failure["severity"] == "error"
    assert not outcome.passed_errors and outcome.severity == "error"
    assert "NULL project_id" in failure["message"]


def test_duplicate_key_fails(core: duckdb.DuckDBPyConnection) -> None:
    core.execute("INSERT INTO dim_project SELECT * FROM dim_project WHERE project_id = '1002'")
    outcome = validate_table(core, "dim_project")
    failure = only_failure(outcome, "expect_compound_columns_to_be_unique")
    assert failure["unexpected_count"] == 2
    assert failure["sample"] == [{"framework_programme": "FP7", "project_id": "1002"}]
    assert not outcome.passed_errors


def test_duplicate_participation_fails_in_fact(core: duckdb.DuckDBPyConnection) -> None:
    core.execute("INSERT INTO fact_participation SELECT * FROM fact_participation WHERE org_key = '999000003'")
    outcome = validate_table(core, "fact_participation")
    failure = only_failure(outcome, "expect_compound_columns_to_be_unique")
    assert failure["column"] == "framework_programme, project_id, org_key" and not outcome.passed_errors


def test_orphan_foreign_key_fails(core: duckdb.DuckDBPyConnection) -> None:
    core.execute("DELETE FROM dim_project WHERE project_id = '1001'")
    core.execute("DELETE FROM dim_organization WHERE org_key = '999000004'")
    outcome = validate_table(core, "fact_participation")
    project = only_failure(outcome, "foreign_key_project", "framework_programme, project_id")  # sql/checks
    assert project["unexpected_count"] == 2 and project["sample"] == ["FP7 / 1001"]
    assert "no match in dim_project(framework_programme, project_id)" in project["message"]
    org = only_failure(outcome, "foreign_key_organization", "org_key")
    assert org["unexpected_count"] == 1 and org["sample"] == ["999000004"]
    assert not outcome.passed_errors


def test_missing_parent_table_is_a_failure_not_a_crash(core: duckdb.DuckDBPyConnection) -> None:
    core.execute("DROP TABLE dim_country")
    outcome = validate_table(core, "fact_participation")
    failure = only_failure(outcome, "foreign_key_country")
    assert "fact_participation__foreign_key_country.sql cannot run" in failure["message"]
    assert "dim_country does not exist" in failure["message"] and not outcome.passed_errors


def test_country_not_iso_fails(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE stg_participation SET country = 'EL' WHERE country = 'GR'")
    con.execute("UPDATE stg_participation SET country = 'XX' WHERE country = 'GB'")
    outcome = validate_table(con, "stg_participation")
    failure = only_failure(outcome, "expect_column_values_to_be_in_set", "country")
    assert failure["unexpected_count"] == 2 and sorted(failure["sample"]) == ["EL", "XX"]
    assert "a set of" in failure["message"]  # the ISO set is summarised, not printed


def test_role_outside_set_fails(con: duckdb.DuckDBPyConnection) -> None:
    # Staging spells out a source role it cannot map (clean.role_label), by design: the rule warns.
    con.execute("UPDATE stg_participation SET role = 'external expert' WHERE role = 'third party'")
    outcome = validate_table(con, "stg_participation")
    failure = only_failure(outcome, "expect_column_values_to_be_in_set", "role")
    assert failure["sample"] == ["external expert"] and failure["severity"] == "warn"
    assert "role outside [" in failure["message"]


def test_activity_type_outside_set_fails(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE stg_participation SET activity_type = 'UNI' WHERE activity_type = 'HES'")
    outcome = validate_table(con, "stg_participation")
    assert only_failure(outcome, "expect_column_values_to_be_in_set", "activity_type")["sample"] == ["UNI"]


def test_start_after_end_fails(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE stg_project SET start_date = DATE '2011-06-01' WHERE project_id = '1001'")
    outcome = validate_table(con, "stg_project")
    failure = only_failure(outcome, "expect_column_pair_values_a_to_be_greater_than_b")
    assert failure["sample"] == [{"end_date": "2010-12-31", "start_date": "2011-06-01"}]
    assert "end_date >= start_date" in failure["message"] and not outcome.passed_errors


def test_negative_money_fails(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE stg_participation SET ec_contribution = -1.50 WHERE org_key = '999000003'")
    outcome = validate_table(con, "stg_participation")
    failure = only_failure(outcome, "expect_column_values_to_be_between", "ec_contribution")
    assert failure["sample"] == [-1.5] and "below 0" in failure["message"]


def test_weight_outside_unit_interval_fails(core: duckdb.DuckDBPyConnection) -> None:
    core.execute("UPDATE fact_participation SET weight = 0 WHERE org_key = '999000003'")
    core.execute("UPDATE fact_participation SET weight = 1.5 WHERE org_key = '999000004'")
    failure = only_failure(validate_table(core, "fact_participation"), "expect_column_values_to_be_between", "weight")
    assert sorted(failure["sample"]) == [0.0, 1.5]


def test_share_above_one_fails(tmp_path: Path) -> None:
    folder = write_suite(
        tmp_path,
        "mart_share",
        [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "share", "min_value": 0, "max_value": 1},
                "meta": {"severity": "error"},
            },
        ],
    )
    con = duckdb.connect()
    con.execute("CREATE TABLE mart_share AS SELECT * FROM (VALUES ('RU', 0.25), ('DE', 0.75)) t(country, share)")
    assert validate_table(con, "mart_share", expectations_dir=folder).success
    con.execute("UPDATE mart_share SET share = 1.25 WHERE country = 'DE'")
    outcome = validate_table(con, "mart_share", expectations_dir=folder)
    assert only_failure(outcome, "expect_column_values_to_be_between", "share")["sample"] == [1.25]


def test_row_count_out_of_bounds_fails(con: duckdb.DuckDBPyConnection) -> None:
    # A programme asked for but absent counts 0 rows and fails the suite's lower bound (1).
    outcome = validate_table(con, "stg_participation", programmes=["FP7", "HE"])
    failure = only_failure(outcome, "row_count_by_programme", "framework_programme")
    assert failure["sample"] == [0] and failure["message"].startswith("stg_participation: HE has 0 row(s)")
    assert outcome.row_count == 3 and outcome.programmes == ("FP7", "HE")
    assert validate_table(con, "stg_participation", programmes=["H2020"]).success


def test_row_count_above_the_suites_bounds_fails(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    # The bounds come from the table's SQL check: FP7 holds 3 rows, more than 2.
    folder = write_suite(tmp_path, "stg_participation", [])
    check = (CHECKS_DIR / "stg_participation__row_count_by_programme.sql").read_text(encoding="utf-8")
    bounds = "\n".join(
        f"    {{'programme': '{programme}', 'min_rows': 1, 'max_rows': 1000000}},"
        for programme in ("FP6", "FP7", "H2020")
    )
    assert bounds in check
    (folder / "stg_participation__row_count_by_programme.sql").write_text(
        check.replace(
            bounds,
            "    {'programme': 'FP7', 'min_rows': 1, 'max_rows': 2},\n    {'programme': 'H2020', 'min_rows': 1, 'max_rows': 10},",
        ),
        encoding="utf-8",
    )
    outcome = validate_table(con, "stg_participation", expectations_dir=folder, checks_dir=folder)
    failure = only_failure(outcome, "row_count_by_programme", "framework_programme")
    assert "FP7 has 3 row(s), outside the expected bounds [1, 2]" in failure["message"]


def test_sample_holds_at_most_ten_distinct_bad_values(tmp_path: Path) -> None:
    folder = write_suite(
        tmp_path,
        "codes",
        [
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "code", "value_set": ["ok"]}},
        ],
    )
    con = duckdb.connect()
    con.execute("CREATE TABLE codes AS SELECT 'bad' || (i % 15) AS code FROM range(60) t(i)")
    failure = only_failure(validate_table(con, "codes", expectations_dir=folder), "expect_column_values_to_be_in_set")
    assert failure["unexpected_count"] == 60 and failure["severity"] == "error"  # severity defaults to error
    assert len(failure["sample"]) == 10 and len(set(failure["sample"])) == 10


def test_whole_table_row_count_fails(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    folder = write_suite(
        tmp_path,
        "stg_project",
        [
            {
                "type": "expect_table_row_count_to_be_between",
                "kwargs": {"min_value": 10},
                "meta": {"severity": "error"},
            },
        ],
    )
    failure = only_failure(
        validate_table(con, "stg_project", expectations_dir=folder), "expect_table_row_count_to_be_between"
    )
    assert failure["sample"] == [4] and "observed 4" in failure["message"]


def test_renamed_column_fails_naming_it(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE stg_participation RENAME COLUMN country TO country_iso")
    outcome = validate_table(con, "stg_participation")
    drift = only_failure(outcome, "expect_table_columns_to_match_set")
    assert drift["missing_columns"] == ["country"] and drift["unexpected_columns"] == ["country_iso"]
    assert "missing column(s) country" in drift["message"] and "unexpected column(s) country_iso" in drift["message"]
    # Rules on the renamed column report it as missing instead of crashing.
    in_set = only_failure(outcome, "expect_column_values_to_be_in_set", "country")
    assert "column 'country' is missing" in in_set["message"]
    assert not outcome.passed_errors and "country_iso" in outcome.summary()


def test_type_drift_fails(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE stg_project ALTER start_date TYPE VARCHAR")
    outcome = validate_table(con, "stg_project")
    failure = only_failure(outcome, "column_types", "start_date")
    assert failure["sample"] == ["VARCHAR"] and "expected DATE" in failure["message"]


def test_missing_table_fails_clearly(con: duckdb.DuckDBPyConnection) -> None:
    outcome = validate_table(con, "dim_project")
    assert not outcome.passed_errors and "does not exist" in outcome.failures[0]["message"]


# --- severity ---------------------------------------------------------------------------------------


def test_warn_only_failure_does_not_block(con: duckdb.DuckDBPyConnection) -> None:
    # A participation of a project missing from the project file: the foreign key to stg_project is "warn".
    con.execute("UPDATE stg_participation SET project_id = '1003' WHERE org_key = '999000003'")
    outcome = validate_table(con, "stg_participation")
    assert not outcome.success and outcome.passed_errors and outcome.severity == "warn"
    assert outcome.errors == [] and len(outcome.warnings) == 1
    assert outcome.warnings[0]["sample"] == ["FP7 / 1003"]


def test_error_and_warn_together_block(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE stg_participation SET project_id = '1003', ec_contribution = -1 WHERE org_key = '999000003'")
    outcome = validate_table(con, "stg_participation")
    assert outcome.severity == "error" and not outcome.passed_errors
    assert len(outcome.errors) == 1 and len(outcome.warnings) == 1


# --- reconciliation --------------------------------------------------------------------------------


def test_reconciliation_passes_when_counts_add_up(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LOAD_AUDIT)
    assert reconcile(con) == []
    assert validate_table(con, "load_audit").success


def test_reconciliation_catches_a_lost_row_in_the_audit(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LOAD_AUDIT)
    con.execute("""UPDATE load_audit SET raw_rows = 4, reconciled = false
                   WHERE source_file = 'h2020/organization.csv'""")
    (problem,) = reconcile(con)
    assert problem["kind"] == "audit" and problem["difference"] == 1
    assert problem["source_file"] == "h2020/organization.csv" and problem["target_table"] == "stg_participation"
    assert "raw 4 rows but staged 3 + quarantined 0 = 3: 1 row(s) lost" in problem["message"]
    outcome = validate_table(con, "load_audit")  # the suite blocks on it too
    assert only_failure(outcome, "expect_column_values_to_be_in_set", "reconciled")["severity"] == "error"


def test_reconciliation_catches_a_row_lost_after_staging(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LOAD_AUDIT)
    con.execute("DELETE FROM stg_participation WHERE source_file = 'h2020/organization.csv' AND source_line = 4")
    (problem,) = reconcile(con)
    assert problem["kind"] == "staged" and problem["difference"] == 1
    assert "says 3 staged row(s) but stg_participation holds 2: 1 row(s) lost" in problem["message"]


def test_reconciliation_without_target_table_uses_the_given_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LOAD_AUDIT)
    con.execute("""CREATE OR REPLACE TABLE load_audit AS
                   SELECT dataset, framework_programme, source_file, raw_rows, staged_rows, quarantined_rows
                   FROM load_audit WHERE target_table = 'stg_participation'""")
    assert reconcile(con, staged_tables=["stg_participation"]) == []
    con.execute("DELETE FROM stg_participation WHERE source_file = 'fp7/organization.csv' AND source_line = 2")
    (problem,) = reconcile(con, staged_tables=["stg_participation"])
    assert problem["kind"] == "staged" and problem["source_file"] == "fp7/organization.csv"


def test_reconciliation_checks_the_quarantine_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LOAD_AUDIT)
    con.execute("DELETE FROM quarantine WHERE target_table = 'stg_participation'")
    (problem,) = reconcile(con)
    assert problem["kind"] == "quarantine" and "quarantine holds 0" in problem["message"]


# --- Data Docs and the run log -------------------------------------------------------------------------


def test_data_docs_written_and_run_recorded(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    docs = tmp_path / "docs" / "gx"
    con.execute("UPDATE stg_participation SET country = 'XX' WHERE country = 'GB'")
    # engine="gx": the in-set rule on a GX batch, so its failure is on a checkpoint's page (SQL results are not)
    outcome = validate_table(con, "stg_participation", data_docs_dir=docs, run_name="test-run", engine="gx")
    assert outcome.data_docs_path == docs / "index.html" and outcome.data_docs_path.is_file()
    assert outcome.data_docs_page is not None and outcome.data_docs_page.is_file()
    assert "stg_participation" in outcome.data_docs_path.read_text(encoding="utf-8")
    assert "XX" in outcome.data_docs_page.read_text(encoding="utf-8")
    second = validate_table(con, "stg_project", data_docs_dir=docs)
    assert "stg_project" in second.data_docs_path.read_text(encoding="utf-8")
    assert not (Path.cwd() / "gx").exists()

    record_validation_run(con, outcome)
    record_validation_run(con, second)
    rows = con.execute(
        'SELECT "table", suite, duration_s > 0, success, n_failed FROM meta_validation_runs ORDER BY started_at'
    ).fetchall()
    assert rows == [
        ("stg_participation", "stg_participation", True, False, 1),
        ("stg_project", "stg_project", True, True, 0),
    ]
    json.dumps(outcome.failures)  # the asset check's metadata: JSON-serialisable


def test_data_docs_keep_only_the_latest_runs(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data_docs, "DOCS_RUNS_KEPT", 2)
    docs = tmp_path / "gx"
    pages = [validate_table(con, "stg_project", data_docs_dir=docs).data_docs_page for _ in range(3)]
    stored = sorted(p.name for p in (docs / ".results" / "stg_project").rglob("*.json"))
    batches = sorted(set(stored))  # one result per checkpoint (table and batch) and run
    assert batches and all(name.startswith("bilatrus_duckdb-stg_project") for name in batches)
    assert stored == sorted(batches * 2)
    assert not pages[0].exists() and pages[1].exists() and pages[2].exists()


# --- the tables built in Python: institution_link, dim_ror_institution, mart_collaboration_network ------------

PYTHON_TABLES = """
CREATE TABLE institution_link AS SELECT * FROM (VALUES
    ('999000001', '010pmpe69', 'ror:010pmpe69', 'Moscow State University', 'exact', 100.0, '05qrfxd25', 61.5),
    ('999000005', '010pmpe69', 'ror:010pmpe69', 'Moscow State University', 'acronym+city', 95.0, NULL, NULL),
    ('name:ras|RU', NULL, 'name:ras|RU', NULL, 'none', 0.0, '05qrfxd25', 88.0)
) AS t(org_key, ror_id, institution_key, institution_name, method, score, runner_up_ror_id, runner_up_score);
CREATE TABLE dim_ror_institution AS SELECT
    ror_id, display_name, NULL::VARCHAR AS name_en, NULL::VARCHAR AS name_ru, []::VARCHAR[] AS aliases,
    []::VARCHAR[] AS acronyms, []::VARCHAR[] AS labels, ['education']::VARCHAR[] AS types, 'Moscow' AS city,
    lat, 37.6 AS lon, 'RU' AS country_code, status, established, NULL::VARCHAR AS external_ids,
    NULL::VARCHAR AS grid_id, NULL::VARCHAR AS wikidata_id, parent_ror_id, []::VARCHAR[] AS parent_ror_ids,
    []::VARCHAR[] AS child_ror_ids, []::VARCHAR[] AS successor_ror_ids, [] AS related_ror_ids, '2' AS schema_version,
    'ror.json' AS source_file, [{'value': display_name, 'types': ['ror_display'], 'lang': 'en'}] AS names,
    ['Moscow'] AS cities, 'RU' AS focus_country
FROM (VALUES ('010pmpe69', 'Moscow State University', 55.7, 'active', 1755::BIGINT, NULL),
             ('05qrfxd25', 'Russian Academy of Sciences', 55.7, 'active', 1724, NULL),
             ('0ddd1pm35', 'Institute of Physics', 55.7, 'inactive', 1934, '05qrfxd25')
) AS t(ror_id, display_name, lat, status, established, parent_ror_id);
CREATE TABLE mart_collaboration_network AS SELECT * FROM (VALUES
    ('RU', 'ror:010pmpe69', 'Moscow State University', 'RU', true, 2::BIGINT, 3::BIGINT, 1.5::DOUBLE, 1.0::DOUBLE,
     1::BIGINT, 1::BIGINT, 3::BIGINT, 'exact'),
    ('RU', '999000002', 'Fraunhofer', 'DE', false, 1, 2, 1.0, 0.0, 2, 2, 3, 'exact'),
    ('RU', '999000003', 'Athens Lab', 'GR', false, 1, 1, 0.5, 0.0, 2, 2, 3, 'exact')
) AS t(focus_country, institution_key, institution_name, country_code, is_focus_country, degree, weighted_degree,
       weighted_degree_fractional, betweenness, degree_rank, betweenness_rank, component_size, betweenness_method);
"""


@pytest.fixture
def python_tables() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute(PYTHON_TABLES)
    yield connection
    connection.close()


def test_tables_built_in_python_have_suites_that_pass(python_tables: duckdb.DuckDBPyConnection) -> None:
    for table in ("institution_link", "dim_ror_institution", "mart_collaboration_network"):
        outcome = validate_table(python_tables, table)
        assert outcome.success, outcome.summary()
        assert outcome.row_count == 3 and outcome.evaluated >= 10


def test_broken_institution_link_fails(python_tables: duckdb.DuckDBPyConnection) -> None:
    python_tables.execute(
        "UPDATE institution_link SET org_key = '999000001', method = 'guess', score = 120 WHERE org_key = '999000005'"
    )
    outcome = validate_table(python_tables, "institution_link")
    assert only_failure(outcome, "expect_column_values_to_be_unique", "org_key")["unexpected_count"] == 2
    assert only_failure(outcome, "expect_column_values_to_be_in_set", "method")["sample"] == ["guess"]
    assert only_failure(outcome, "expect_column_values_to_be_between", "score")["sample"] == [120.0]
    assert len(outcome.errors) == 3 and not outcome.passed_errors


def test_broken_ror_registry_fails(python_tables: duckdb.DuckDBPyConnection) -> None:
    python_tables.execute(
        "UPDATE dim_ror_institution SET ror_id = 'https://ror.org/0ddd1pm35', status = 'closed', "
        "established = 19340 WHERE display_name = 'Institute of Physics'"
    )
    outcome = validate_table(python_tables, "dim_ror_institution")
    assert only_failure(outcome, "expect_column_values_to_match_regex", "ror_id")["sample"] == [
        "https://ror.org/0ddd1pm35"
    ]
    assert only_failure(outcome, "expect_column_values_to_be_in_set", "status")["unexpected_count"] == 1
    established = only_failure(outcome, "expect_column_values_to_be_between", "established")
    assert established["sample"] == [19340] and established["severity"] == "warn"
    assert len(outcome.errors) == 2 and len(outcome.warnings) == 1


def test_broken_collaboration_network_fails(python_tables: duckdb.DuckDBPyConnection) -> None:
    # a node without an edge, and a node whose component is no larger than its degree
    python_tables.execute("UPDATE mart_collaboration_network SET degree = 0 WHERE institution_key = '999000003'")
    python_tables.execute(
        "UPDATE mart_collaboration_network SET component_size = 2 WHERE institution_key = 'ror:010pmpe69'"
    )
    outcome = validate_table(python_tables, "mart_collaboration_network")
    assert only_failure(outcome, "expect_column_values_to_be_between", "degree")["sample"] == [0]
    pairs = {
        f["column"]: f
        for f in outcome.failures
        if f["expectation"] == "expect_column_pair_values_a_to_be_greater_than_b"
    }
    assert pairs["component_size, degree"]["sample"] == [{"component_size": 2, "degree": 2}]
    assert set(pairs) == {"component_size, degree"} and not outcome.passed_errors


def test_tables_built_in_python_are_checked_in_dagster() -> None:
    from pipelines.defs.checks import suite_checks

    keys = {f"{key.asset_key.to_user_string()}:{key.name}" for check in suite_checks() for key in check.check_keys}
    assert {
        "core/institution_link:gx_institution_link",
        "core/dim_ror_institution:gx_dim_ror_institution",
        "marts/mart_collaboration_network:gx_mart_collaboration_network",
    } <= keys
    # one check per suite, one per SQL check file (sql_<check>), and the reconciliation
    assert "staging/load_audit:reconciliation" in keys
    assert "core/fact_participation:sql_foreign_key_project" in keys
    assert len(keys) == len(list_suites()) + len(list(CHECKS_DIR.glob("*__*.sql"))) + 1


def test_a_foreign_key_check_waits_for_its_parent_table_in_the_refresh_job() -> None:
    """The check of fact_participation's countries reads dim_country, which nothing else orders before it: the
    check's step depends on dim_country's step (and its blocking checks). A parent written by the same step as the
    checked table (stg_project beside stg_participation) adds no dependency."""
    from dagster._core.execution.api import create_execution_plan

    from bilatrus_etl.quality.table_checks import tables_read
    from pipelines.definitions import defs

    assert tables_read(CHECKS_DIR / "fact_participation__foreign_key_country.sql") == ["dim_country"]
    assert tables_read(CHECKS_DIR / "fact_participation__row_count_by_programme.sql") == []
    plan = create_execution_plan(defs.resolve_job_def("refresh"))

    def upstream(step_key: str) -> set[str]:
        step = plan.get_step_by_key(step_key)
        return {h.step_key for i in step.step_inputs for h in i.get_step_output_handle_dependencies()}

    assert {"core__dim_country", "core__dim_project", "core__dim_organization"} <= upstream(
        "validate_fact_participation"
    )
    assert upstream("validate_stg_participation") == {"stg_programme"}


# --- SQL checks beside the suites: sql/checks/<table>__<check>.sql ---------------------------------------


def test_every_sql_check_guards_a_table_with_a_suite() -> None:
    tables = {path.name.split("__")[0] for path in CHECKS_DIR.glob("*__*.sql")}
    assert tables == {
        "dim_institution",
        "dim_project",
        "fact_participation",
        "mart_institution_profile",
        "stg_participation",
        "stg_project",
    }
    assert tables <= set(list_suites())


def test_sql_check_of_another_shape_is_a_failure_naming_its_file(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    folder = write_suite(tmp_path, "stg_project", [])
    (folder / "stg_project__odd.sql").write_text("SELECT 1 AS n FROM stg_project", encoding="utf-8")
    outcome = validate_table(con, "stg_project", expectations_dir=folder, checks_dir=folder)
    failure = only_failure(outcome, "odd")
    assert failure["severity"] == "error" and failure["batch"] == "sql_check"
    assert "stg_project__odd.sql cannot run" in failure["message"] and "message" in failure["message"]
    assert outcome.evaluated == 1


def test_orphan_key_outside_the_programmes_asked_for_is_not_checked(core: duckdb.DuckDBPyConnection) -> None:
    core.execute("DELETE FROM dim_organization WHERE org_key = '999000004'")
    programme = core.execute(
        "SELECT framework_programme FROM fact_participation WHERE org_key = '999000004'"
    ).fetchone()[0]
    others = [p for p in ("FP6", "FP7", "H2020", "HE") if p != programme]
    failures = validate_table(core, "fact_participation", programmes=[programme]).failures
    assert [f["sample"] for f in failures if f["expectation"] == "foreign_key_organization"] == [["999000004"]]
    failures = validate_table(core, "fact_participation", programmes=others).failures
    assert not [f for f in failures if f["expectation"] == "foreign_key_organization"]


def test_suite_declaring_checks_in_meta_is_refused(tmp_path: Path) -> None:
    folder = write_suite(tmp_path, "codes", [], meta={"foreign_keys": [{"column": "a", "references": "b.a"}]})
    with pytest.raises(
        BilatrusError, match=r"foreign_keys in its meta: write each as an SQL check, sql/checks/codes__"
    ):
        load_suite("codes", expectations_dir=folder)


def test_sql_check_with_a_misspelt_severity_counts_as_error(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    folder = write_suite(tmp_path, "stg_project", [])
    (folder / "stg_project__typo.sql").write_text(
        "SELECT 'project_id' AS \"column\", 'warning' AS severity, count(*) AS unexpected_count, "
        "NULL AS unexpected_percent, list(project_id ORDER BY project_id)[1:2] AS sample, 'bad' AS message "
        "FROM stg_project",
        encoding="utf-8",
    )
    outcome = validate_table(con, "stg_project", expectations_dir=folder, checks_dir=folder)
    failure = only_failure(outcome, "typo", "project_id")
    assert failure["severity"] == "error" and not outcome.passed_errors
    assert failure["unexpected_count"] == outcome.row_count and len(failure["sample"]) == 2
    assert "gave severity 'warning'" in failure["message"]


PREWARM_PROBE = """
import json
from bilatrus_etl.quality import context
context.prewarm()
context._PREWARM.join()
assets = context.gx_context().data_sources.get(context.DATASOURCE).assets
print(json.dumps(sorted(asset.name for asset in assets)))
"""


def test_the_background_import_makes_the_dataframe_asset_of_every_suites_batches() -> None:
    import subprocess
    import sys

    # a process of its own: the context is made once per process, and this one's may exist already
    done = subprocess.run([sys.executable, "-c", PREWARM_PROBE], capture_output=True, text=True, check=True)
    names = json.loads(done.stdout.strip().splitlines()[-1])
    assert names == sorted(f"{table}:{batch}" for table in list_suites() for batch in ("rows", "schema"))
    assert len(names) == 2 * len(list_suites()) > 40

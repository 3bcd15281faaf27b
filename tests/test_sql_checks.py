"""Row-level rules evaluated as SQL aggregates give exactly Great Expectations' results.

Every rule kind sql_checks translates is validated twice on the same crafted table, once in SQL (the default)
and once by GX on a pandas batch (engine="gx"): the failures (counts, percentages, samples, messages) are equal.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from bilatrus_etl.quality import sql_checks
from bilatrus_etl.quality.report import ValidationOutcome
from bilatrus_etl.quality.validate import validate_table

TABLE = """
CREATE TABLE checked AS SELECT * FROM (VALUES
    ('FP7', '1', 'a', 1.5::DECIMAL(18,2), 0.5::DOUBLE, true, DATE '2010-01-01', DATE '2011-01-01', 'RU'),
    ('FP7', '2', 'b', -2.0, 1.5, false, DATE '2012-01-01', DATE '2011-01-01', 'ru'),
    ('FP7', '2', NULL, NULL, 'NaN'::DOUBLE, NULL, NULL, DATE '2011-01-01', NULL),
    ('H2020', NULL, 'x', 7.0, 0.0, true, DATE '2016-01-01', NULL, 'XX'),
    ('H2020', '5', 'x', 3.0, 1.0, true, DATE '2016-01-01', DATE '2016-01-01', 'DE'),
    ('H2020', NULL, NULL, 4.0, 0.25, true, NULL, NULL, 'EL')
) AS t(framework_programme, project_id, code, money, share, flag, start_date, end_date, country)
"""

RULES = [
    ("expect_column_values_to_not_be_null", {"column": "project_id"}),
    ("expect_column_values_to_not_be_null", {"column": "share"}),
    ("expect_column_values_to_not_be_null", {"column": "code", "mostly": 0.5}),
    ("expect_column_values_to_be_between", {"column": "money", "min_value": 0}),
    ("expect_column_values_to_be_between", {"column": "share", "min_value": 0, "max_value": 1, "strict_min": True}),
    ("expect_column_values_to_be_between", {"column": "money", "min_value": 0, "max_value": 5, "mostly": 0.5}),
    ("expect_column_values_to_be_in_set", {"column": "code", "value_set": ["a", "b"]}),
    ("expect_column_values_to_be_in_set", {"column": "flag", "value_set": [True]}),
    ("expect_column_values_to_be_in_set", {"column": "country", "value_set": {"$PARAMETER": "iso3166_alpha2"}}),
    ("expect_column_values_to_not_be_in_set", {"column": "code", "value_set": ["x"]}),
    ("expect_column_values_to_match_regex", {"column": "country", "regex": "^[A-Z]{2}$"}),
    ("expect_column_values_to_be_unique", {"column": "project_id"}),
    ("expect_column_values_to_be_unique", {"column": "code"}),
    ("expect_compound_columns_to_be_unique", {"column_list": ["framework_programme", "project_id"]}),
    ("expect_compound_columns_to_be_unique", {"column_list": ["project_id", "code"], "ignore_row_if": "never"}),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {
            "column_A": "end_date",
            "column_B": "start_date",
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    ),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "end_date", "column_B": "start_date", "ignore_row_if": "either_value_is_missing"},
    ),
]


def _suite(tmp_path: Path) -> Path:
    expectations = [{"type": t, "kwargs": k, "meta": {"severity": "error"}} for t, k in RULES]
    (tmp_path / "checked.json").write_text(json.dumps({"name": "checked", "expectations": expectations}))
    return tmp_path


def _comparable(outcome: ValidationOutcome) -> list[dict]:
    return sorted(
        ({k: v for k, v in f.items() if k != "batch"} for f in outcome.failures),
        key=lambda f: json.dumps(f, sort_keys=True, default=str),
    )


@pytest.mark.parametrize("programmes", [None, ["FP7"]])
def test_sql_rules_match_great_expectations(tmp_path: Path, programmes: list[str] | None) -> None:
    con = duckdb.connect()
    con.execute(TABLE)
    folder = _suite(tmp_path)
    by_sql = validate_table(con, "checked", expectations_dir=folder, programmes=programmes)
    by_gx = validate_table(con, "checked", expectations_dir=folder, programmes=programmes, engine="gx")
    assert by_sql.evaluated == by_gx.evaluated == len(RULES)
    assert _comparable(by_sql) == _comparable(by_gx)
    assert {f["batch"] for f in by_sql.failures} == {"sql"}
    if programmes is None:  # the hand count of a few of them
        failures = {(f["expectation"], f["column"]): f for f in by_sql.failures}
        assert failures[("expect_column_values_to_not_be_null", "project_id")]["unexpected_count"] == 2
        assert failures[("expect_column_values_to_not_be_null", "share")]["unexpected_count"] == 1  # NaN
        assert failures[("expect_column_values_to_be_unique", "project_id")]["sample"] == ["2"]
        assert failures[("expect_column_values_to_be_between", "money")]["sample"] == [-2.0]
        pairs = [f for f in by_sql.failures if f["expectation"] == "expect_column_pair_values_a_to_be_greater_than_b"]
        or_equal, strict = sorted(pairs, key=lambda f: f["unexpected_count"])
        assert or_equal["sample"] == [{"end_date": "2011-01-01", "start_date": "2012-01-01"}]
        assert strict["sample"] == or_equal["sample"] + [{"end_date": "2016-01-01", "start_date": "2016-01-01"}]
        assert ("expect_column_values_to_not_be_null", "code") not in failures  # mostly 0.5: 4 of 6 present


def test_rules_sql_cannot_express_stay_with_great_expectations() -> None:
    columns = {"d": "DATE", "s": "VARCHAR", "n": "INTEGER"}
    assert (
        sql_checks.translate(
            "expect_column_values_to_be_between", {"column": "d", "min_value": "2000-01-01"}, columns, "t", ""
        )
        is None
    )
    assert (
        sql_checks.translate("expect_column_values_to_be_in_set", {"column": "n", "value_set": ["1"]}, columns, "t", "")
        is None
    )
    assert (
        sql_checks.translate(
            "expect_column_value_lengths_to_be_between", {"column": "s", "min_value": 1}, columns, "t", ""
        )
        is None
    )
    assert sql_checks.translate("expect_column_values_to_not_be_null", {"column": "missing"}, columns, "t", "") is None

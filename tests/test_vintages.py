"""Vintages on small hand-made warehouses: recording, deduplication, querying past vintages, diff, pruning.

Each test builds a tiny build file with the tables the history keeps (fact_participation, dim_project,
dim_organization and three marts), records it as a vintage, changes rows by hand and records again; expected
diffs are written out here by hand.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse.vintages.changes import diff_connection, list_vintages
from bilatrus_etl.warehouse.vintages.history import load
from bilatrus_etl.warehouse.vintages.record import RecordResult, prune, record
from bilatrus_etl.warehouse.vintages.store import HISTORY_DIR_ENV, KEEP_ENV, chain, history_dir, keep_setting

FACT = """CREATE OR REPLACE TABLE fact_participation AS SELECT * FROM (VALUES
    ('FP7', '100', 'P1', 'LOMONOSOV MSU', 'RU', 'coordinator', 1000.00::DECIMAL(18,2)),
    ('FP7', '100', 'P9', 'TU BERLIN', 'DE', 'participant', 500.00::DECIMAL(18,2)),
    ('FP7', '200', 'P2', 'KURCHATOV', 'RU', 'participant', 300.00::DECIMAL(18,2)),
    ('FP7', '300', 'P1', 'LOMONOSOV MSU', 'RU', 'participant', 0.00::DECIMAL(18,2)),
    ('H2020', '400', 'P3', 'ITMO', 'RU', 'partner', NULL::DECIMAL(18,2))
) AS t(framework_programme, project_id, org_key, name, country_code, role, ec_contribution)"""
PROJECTS = """CREATE OR REPLACE TABLE dim_project AS SELECT * FROM (VALUES
    ('FP7', '100', 'ALPHA'), ('FP7', '200', 'BETA'), ('FP7', '300', 'GAMMA'), ('FP7', '500', 'EPSILON'),
    ('H2020', '400', 'DELTA')
) AS t(framework_programme, project_id, acronym)"""
ORGANISATIONS = """CREATE OR REPLACE TABLE dim_organization AS SELECT * FROM (VALUES
    ('P1', 'LOMONOSOV MSU', 'RU', 'MSU'), ('P2', 'KURCHATOV', 'RU', 'KURCHATOV'), ('P3', 'ITMO', 'RU', 'ITMO'),
    ('P9', 'TU BERLIN', 'DE', 'TU BERLIN')
) AS t(org_key, name, country_code, institution_name)"""
COUNTRY = """CREATE OR REPLACE TABLE mart_country_participation AS SELECT * FROM (VALUES
    ('RU', 'FP7', 2010, 2, 2, 1.5, 1, 1, 1, 1300.00::DECIMAL(18,2)),
    ('RU', 'FP7', 2011, 1, 1, 0.5, 0, 1, 0, 0.00::DECIMAL(18,2))
) AS t(focus_country, framework_programme, start_year, projects, participations, participations_fractional,
       funded_participations, unfunded_participations, coordinations, ec_contribution)"""
RANKING = """CREATE OR REPLACE TABLE mart_third_country_ranking AS SELECT * FROM (VALUES
    ('FP7', 1, 'RU', 3, 2.0, 3, 1300.00::DECIMAL(18,2), 0.5, 0.6, 0.7),
    ('FP7', 2, 'CN', 1, 0.5, 1, 10.00::DECIMAL(18,2), 0.1, 0.2, 0.01)
) AS t(framework_programme, rank_participations, country_code, participations, participations_fractional, projects,
       ec_contribution, share_participations, share_projects, share_ec_contribution)"""
PARTNERS = """CREATE OR REPLACE TABLE mart_partner_countries AS SELECT * FROM (VALUES
    ('RU', 'FP7', 'DE', 1, 1, 0.5, 0.40824829046386296)
) AS t(focus_country, framework_programme, partner_country, rank_joint_projects, joint_projects, links_fractional, salton)"""
NOT_KEPT = "CREATE OR REPLACE TABLE stg_participation AS SELECT 1 AS x"


def _build(path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    for sql in (FACT, PROJECTS, ORGANISATIONS, COUNTRY, RANKING, PARTNERS, NOT_KEPT):
        con.execute(sql)
    con.execute("COMMENT ON COLUMN fact_participation.role IS 'role in the project'")
    return con


def _second_month(con: duckdb.DuckDBPyConnection) -> None:
    """By hand: P2 leaves project 200 (its only RU participation: project 200 leaves the RU set), P3 joins project 500
    (a new RU project), P1's EC contribution in 100 is revised 1000 -> 1500, ITMO is renamed."""
    con.execute("DELETE FROM fact_participation WHERE project_id = '200'")
    con.execute(
        "INSERT INTO fact_participation VALUES ('FP7', '500', 'P3', 'ITMO UNIVERSITY', 'RU', 'participant', 250.00)"
    )
    con.execute("UPDATE fact_participation SET ec_contribution = 1500.00 WHERE project_id = '100' AND org_key = 'P1'")
    con.execute("UPDATE fact_participation SET name = 'ITMO UNIVERSITY' WHERE org_key = 'P3'")
    con.execute("UPDATE dim_organization SET name = 'ITMO UNIVERSITY' WHERE org_key = 'P3'")
    con.execute(
        "UPDATE mart_country_participation SET participations = 3, ec_contribution = 1750.00 WHERE start_year = 2010"
    )
    con.execute("UPDATE mart_third_country_ranking SET share_participations = 0.5 + 1e-12 WHERE country_code = 'RU'")


def _settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, mirror=None)


def _record(con, tmp_path, sha: str, **kwargs) -> RecordResult:
    return record(
        con,
        _settings(tmp_path),
        datasets={"cordis_fp7": sha, "ror_dump": "r1"},
        synthetic=False,
        code_fingerprint="code",
        run_id="run-" + sha,
        **kwargs,
    )


def _rows(con, sql: str) -> list[tuple]:
    return sorted(con.execute(sql).fetchall(), key=repr)


def test_same_sources_add_no_vintage_and_past_vintages_query_as_they_were(tmp_path):
    con = _build(tmp_path / "build.duckdb")
    first = _record(con, tmp_path, "a")
    assert first.recorded is not None and first.recorded.seq == 1
    then_fact = _rows(con, "SELECT * FROM fact_participation")
    then_types = con.execute("DESCRIBE fact_participation").fetchall()
    then_ranking = _rows(con, "SELECT * FROM mart_third_country_ranking")

    with pytest.raises(BilatrusError, match="nothing before it"):
        diff_connection(con)
    again = _record(con, tmp_path, "a")  # the same source files: nothing new
    assert again.recorded is None and [v.seq for v in again.vintages] == [1]

    _second_month(con)
    second = _record(con, tmp_path, "b")
    assert second.recorded.seq == 2 and [v.seq for v in second.vintages] == [1, 2]
    third = _record(con, tmp_path, "b")
    assert third.recorded is None
    assert con.execute("SELECT count(*) FROM meta_vintage").fetchall() == [(2,)]
    # only the changed rows were stored again: fact rows 5 + (1 new, 1 revised, 1 renamed) added, 3 removed
    fact = second.recorded.tables["fact_participation"]
    assert (fact["rows"], fact["added"], fact["removed"]) == (5, 3, 3)
    assert "stg_participation" not in second.recorded.tables

    v1 = first.recorded.label
    assert _rows(con, f"SELECT * EXCLUDE (vintage) FROM history_fact_participation WHERE vintage = '{v1}'") == then_fact
    assert (
        _rows(con, f"SELECT * EXCLUDE (vintage) FROM history_mart_third_country_ranking WHERE vintage = '{v1}'")
        == then_ranking
    )
    view_types = con.execute("DESCRIBE SELECT * EXCLUDE (vintage) FROM history_fact_participation").fetchall()
    assert [r[:2] for r in view_types] == [r[:2] for r in then_types]
    v2 = second.recorded.label
    assert _rows(con, f"SELECT * EXCLUDE (vintage) FROM history_fact_participation WHERE vintage = '{v2}'") == _rows(
        con, "SELECT * FROM fact_participation"
    )
    meta = con.execute(
        "SELECT seq, vintage, run_id, is_current, sources[1].dataset, sources[1].sha256 FROM meta_vintage ORDER BY seq"
    ).fetchall()
    assert meta == [(1, v1, "run-a", False, "cordis_fp7", "a"), (2, v2, "run-b", True, "cordis_fp7", "b")]
    comment = con.execute(
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'history_fact_participation' AND column_name = 'role'"
    ).fetchall()
    assert comment == [("role in the project",)]


def test_diff_reports_exactly_the_changes_made(tmp_path):
    con = _build(tmp_path / "build.duckdb")
    _record(con, tmp_path, "a")
    _second_month(con)
    _record(con, tmp_path, "b")
    change = diff_connection(con)
    assert change.focus_country == "RU"
    rows = [
        (
            r["change"],
            r["framework_programme"],
            r["project_id"],
            r["subject"],
            r["name"],
            r["field"],
            r["from_value"],
            r["to_value"],
        )
        for r in change.changes.to_pylist()
        if r["change"] != "table rows changed"
    ]
    assert rows == [
        ("project added", "FP7", "500", None, "EPSILON", None, None, None),
        ("project removed", "FP7", "200", None, "BETA", None, None, None),
        (
            "participation added",
            "FP7",
            "500",
            "P3",
            "ITMO UNIVERSITY",
            "role, ec_contribution",
            None,
            "participant, 250.00",
        ),
        ("participation ended", "FP7", "200", "P2", "KURCHATOV", "role, ec_contribution", "participant, 300.00", None),
        ("participation changed", "FP7", "100", "P1", "LOMONOSOV MSU", "ec_contribution", "1000.00", "1500.00"),
        ("participation changed", "H2020", "400", "P3", "ITMO UNIVERSITY", "name", "ITMO", "ITMO UNIVERSITY"),
        ("institution renamed", None, None, "P3", "ITMO UNIVERSITY", "name", "ITMO", "ITMO UNIVERSITY"),
        # programme totals: 2 + 1 participations -> 3 + 1; EUR 1300 + 0 -> 1750 + 0; the 1e-12 share did not move
        ("figure moved", "FP7", None, "mart_country_participation:total", None, "ec_contribution", "1300", "1750"),
        ("figure moved", "FP7", None, "mart_country_participation:total", None, "participations", "3", "4"),
    ]
    counts = change.counts()
    assert counts["project added"] == 1 and counts["project removed"] == 1
    assert counts["participation added"] == 1 and counts["participation ended"] == 1
    assert counts["participation changed"] == 2 and counts["institution renamed"] == 1 and counts["figure moved"] == 2
    table_rows = {
        (r["subject"], r["field"]): r["to_value"]
        for r in change.changes.to_pylist()
        if r["change"] == "table rows changed"
    }
    assert table_rows[("fact_participation", "rows added")] == "3"
    assert table_rows[("fact_participation", "rows removed")] == "3"
    assert table_rows[("dim_organization", "rows added")] == "1"
    assert ("mart_partner_countries", "rows added") not in table_rows

    as_json = json.loads(change.render("json"))
    assert as_json["from"]["seq"] == 1 and as_json["to"]["seq"] == 2 and as_json["counts"]["participation ended"] == 1
    as_csv = change.render("csv").splitlines()
    assert as_csv[0] == '"change","framework_programme","project_id","subject","name","field","from_value","to_value"'
    assert len(as_csv) == 1 + change.changes.num_rows
    text = change.render("table")
    assert "participation ended (1 row)" in text and "KURCHATOV" in text
    # explicit vintages, by label or number, in either order
    backwards = diff_connection(con, from_vintage="2", to_vintage="1")
    assert [r["project_id"] for r in backwards.changes.to_pylist() if r["change"] == "project added"] == ["200"]
    with pytest.raises(BilatrusError, match="No vintage 'nope'"):
        diff_connection(con, from_vintage="nope")


def test_pruning_keeps_the_current_vintage_and_reads_back_the_same(tmp_path):
    con = _build(tmp_path / "build.duckdb")
    _record(con, tmp_path, "a")
    _second_month(con)
    second = _record(con, tmp_path, "b")
    at_two = _rows(con, f"SELECT * FROM history_fact_participation WHERE vintage = '{second.recorded.label}'")
    con.execute("DELETE FROM fact_participation WHERE org_key = 'P9'")
    third = _record(con, tmp_path, "c")
    history = history_dir(_settings(tmp_path))
    assert [v.seq for v in chain(history)] == [1, 2, 3]

    assert prune(history, 2) == [1]
    assert [(v.seq, v.base) for v in chain(history)] == [(2, True), (3, False)]
    assert sorted(p.name for p in history.iterdir()) == ["v000002.base", "v000003"]
    load(con, history)
    assert _rows(con, f"SELECT * FROM history_fact_participation WHERE vintage = '{second.recorded.label}'") == at_two
    assert con.execute("SELECT seq FROM meta_vintage ORDER BY seq").fetchall() == [(2,), (3,)]

    with pytest.raises(BilatrusError, match="at least one"):
        prune(history, 0)
    result = _record(con, tmp_path, "c", keep=1)  # the setting's way: prune while publishing
    assert result.pruned == [2]
    assert [v.seq for v in result.vintages] == [3]
    assert _rows(
        con, f"SELECT * EXCLUDE (vintage) FROM history_fact_participation WHERE vintage = '{third.recorded.label}'"
    ) == _rows(con, "SELECT * FROM fact_participation")
    # numbers are never reused after a prune
    con.execute("DELETE FROM fact_participation WHERE org_key = 'P3'")
    assert _record(con, tmp_path, "d").recorded.seq == 4


def test_keep_setting_is_validated(monkeypatch):
    monkeypatch.setenv(KEEP_ENV, "0")
    with pytest.raises(BilatrusError, match="BILATRUS_KEEP_VINTAGES"):
        keep_setting()
    monkeypatch.setenv(KEEP_ENV, "12")
    assert keep_setting() == 12
    monkeypatch.setenv(KEEP_ENV, "")
    assert keep_setting() is None


def test_history_works_with_external_access_disabled(tmp_path):
    con = _build(tmp_path / "build.duckdb")
    _record(con, tmp_path, "a")
    con.close()
    sandbox = duckdb.connect(
        str(tmp_path / "build.duckdb"),
        read_only=True,
        config={"enable_external_access": False, "lock_configuration": True},
    )
    assert sandbox.execute("SELECT count(*) FROM history_fact_participation").fetchall() == [(5,)]
    change_free = list_vintages(sandbox)
    assert change_free.column("seq").to_pylist() == [1]
    sandbox.close()


def test_cli_lists_vintages_prints_the_diff_and_prunes(tmp_path, monkeypatch, capsys):
    from pipelines import cli

    con = _build(tmp_path / "build.duckdb")
    _record(con, tmp_path, "a")
    _second_month(con)
    _record(con, tmp_path, "b")
    con.close()
    monkeypatch.setenv("BILATRUS_WAREHOUSE", str(tmp_path / "build.duckdb"))
    monkeypatch.setenv("BILATRUS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv(HISTORY_DIR_ENV, raising=False)
    assert cli.main(["vintages", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(v["seq"], v["is_current"], v["source_files"]) for v in listed] == [(1, False, 2), (2, True, 2)]
    assert cli.main(["diff", "--format", "json"]) == 0
    changes = json.loads(capsys.readouterr().out)
    assert changes["counts"]["participation ended"] == 1 and changes["to"]["seq"] == 2
    assert cli.main(["diff", "--from", "1", "--to", "2"]) == 0
    assert "participation changed (2 rows)" in capsys.readouterr().out
    assert cli.main(["vintages", "--keep", "1", "--format", "csv"]) == 0
    assert [v.seq for v in chain(tmp_path / "history")] == [2]
    assert cli.main(["diff", "--from", "nope"]) == 1


def _org_lines(mirror) -> list[str]:
    import zipfile

    with zipfile.ZipFile(mirror / "cordis-fp7projects-csv.zip") as archive:
        return archive.read("organization.csv").decode("utf-8").splitlines(keepends=True)


def test_revised_demo_mirror_changes_only_the_rows_it_names(synthetic_mirror, tmp_path):
    from bilatrus_etl_synthetic.layout import MANIFEST_FILE
    from bilatrus_etl_synthetic.revise import revise_mirror

    mirror = synthetic_mirror.copy(tmp_path / "mirror")
    manifest = synthetic_mirror.manifest
    before = _org_lines(mirror)
    revision = revise_mirror(mirror)
    after = _org_lines(mirror)
    gone = [line for line in before if line not in after]
    new = [line for line in after if line not in before]
    removed, added, revised = revision["removed"][0], revision["added"][0], revision["revised"][0]
    renamed = revision["renamed"]
    # the removed line, the revised line and the renamed organisation's FP7 lines (the added one is new anyway)
    assert len(gone) == 2 + renamed["lines"]["FP7"] - (1 if added["pic"] == renamed["pic"] else 0) - (
        1 if revised["pic"] == renamed["pic"] else 0
    )
    assert any(f'"{removed["project_id"]}"' in line and f'"{removed["pic"]}"' in line for line in gone)
    assert after[-1].startswith(f'"{added["project_id"]}";') and f'"{added["pic"]}"' in after[-1]
    assert any(f'"{revised["to"]}";"{revised["to"]}"' in line for line in new)
    assert len(after) == len(before)  # one line removed, one added
    # the malformed lines placed on purpose are still there, unchanged
    bad = manifest["malformed"]["cordis-fp7projects-csv.zip/organization.csv"]
    assert all(before[line - 1] in after for line, _ in bad)
    assert renamed["to"].endswith("(RENAMED 1)") and sum(renamed["lines"].values()) >= 1
    again = revise_mirror(mirror)
    assert again["round"] == 2 and again["renamed"]["to"].endswith("(RENAMED 2)")
    recorded = json.loads((mirror / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert [r["round"] for r in recorded["revisions"]] == [1, 2]
    assert (
        recorded["files"]["cordis-fp7projects-csv.zip"]["sha256"]
        != manifest["files"]["cordis-fp7projects-csv.zip"]["sha256"]
    )
    with pytest.raises(ValueError, match="no synthetic mirror"):
        revise_mirror(tmp_path / "empty")

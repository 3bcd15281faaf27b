"""Three monthly mirrors through the whole Dagster graph: two vintages, and a diff that names every change.

The first mirror is a copy of the run's synthetic mirror; the second is the first revised (`revise_mirror`: a Russian
participation removed, one added, one revised, a Russian organisation renamed); the third is identical to the
second. The expected changes are computed here from the organisation files themselves (csv module), not from the
pipeline's SQL.
"""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from pipeline_fixtures import materialized_keys, resources_for

from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse.vintages.changes import diff
from bilatrus_etl.warehouse.vintages.history import load
from bilatrus_etl.warehouse.vintages.record import prune
from bilatrus_etl.warehouse.vintages.store import chain, history_dir
from bilatrus_etl_synthetic.revise import revise_mirror
from pipelines.definitions import defs
from pipelines.defs.partitions import all_programmes_tags

pytestmark = pytest.mark.slow

ORG_FILES = {
    "FP6": ("cordis-fp6organizations.csv", None, "projectReference", "id"),
    "FP7": ("cordis-fp7projects-csv.zip", "organization.csv", "projectID", "organisationID"),
    "H2020": ("cordis-h2020projects-csv.zip", "organization.csv", "projectID", "organisationID"),
    "HE": ("cordis-HORIZONprojects-csv.zip", "organization.csv", "projectID", "organisationID"),
}


def _russian_rows(mirror: Path) -> dict[tuple[str, str, str], dict]:
    """(programme, project_id, PIC) -> first name and summed EC contribution of the Russian rows with a PIC."""
    rows: dict[tuple[str, str, str], dict] = {}
    for programme, (name, member, project_column, pic_column) in ORG_FILES.items():
        if member is None:
            text = (mirror / name).read_text(encoding="utf-8")
        else:
            with zipfile.ZipFile(mirror / name) as archive:
                text = archive.read(member).decode("utf-8")
        for row in csv.DictReader(io.StringIO(text), delimiter=";"):
            if row.get("country") != "RU" or not row.get(pic_column):
                continue
            key = (programme, row[project_column], row[pic_column])
            entry = rows.setdefault(key, {"name": row["name"], "ec": None})
            if row.get("ecContribution"):
                entry["ec"] = (entry["ec"] or Decimal(0)) + Decimal(row["ecContribution"])
    return rows


def _materialize(data_dir: Path, mirror: Path, instance: dg.DagsterInstance):
    """Every asset (the Great Expectations checks are left out: other tests cover them, and they cost time)."""
    result = dg.materialize(
        list(defs.assets),
        resources=resources_for(data_dir, str(mirror)),
        instance=instance,
        tags=all_programmes_tags(),
        raise_on_error=False,
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


def _published_rows(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


def test_three_monthly_mirrors_two_vintages_and_an_exact_diff(synthetic_mirror, tmp_path):
    mirror, data = synthetic_mirror.copy(tmp_path / "mirror"), tmp_path / "data"
    before = _russian_rows(mirror)
    settings = Settings.from_env(mirror=str(mirror), data_dir=data)
    with dg.DagsterInstance.ephemeral() as instance:
        _materialize(data, mirror, instance)
        then_fact = _published_rows(settings, "SELECT * FROM fact_participation")
        then_ranking = _published_rows(settings, "SELECT * FROM mart_third_country_ranking")
        first_label = _published_rows(settings, "SELECT vintage FROM meta_vintage")[0][0]

        revision = revise_mirror(mirror)
        after = _russian_rows(mirror)
        second = _materialize(data, mirror, instance)
        assert "history/vintage_changes" in materialized_keys(second)
        _materialize(data, mirror, instance)  # identical files, everything rebuilt: nothing new to record
        assert [v.seq for v in chain(history_dir(settings))] == [1, 2]

    history = history_dir(settings)
    assert [v.seq for v in chain(history)] == [1, 2]
    assert _published_rows(settings, "SELECT seq, is_current FROM meta_vintage") == [(1, False), (2, True)]
    # the first vintage queries as it did when it was current
    assert (
        _published_rows(
            settings, f"SELECT * EXCLUDE (vintage) FROM history_fact_participation WHERE vintage = '{first_label}'"
        )
        == then_fact
    )
    assert (
        _published_rows(
            settings,
            f"SELECT * EXCLUDE (vintage) FROM history_mart_third_country_ranking WHERE vintage = '{first_label}'",
        )
        == then_ranking
    )

    change = diff(settings.warehouse_path)
    rows = change.changes.to_pylist()

    def keys(kind: str) -> set[tuple]:
        return {(r["framework_programme"], r["project_id"], r["subject"]) for r in rows if r["change"] == kind}

    added, removed = set(after) - set(before), set(before) - set(after)
    assert added == {("FP7", revision["added"][0]["project_id"], revision["added"][0]["pic"])}
    assert removed == {("FP7", revision["removed"][0]["project_id"], revision["removed"][0]["pic"])}
    assert keys("participation added") == added
    assert keys("participation ended") == removed
    expected_changes = set()
    for key in set(before) & set(after):
        if before[key]["name"] != after[key]["name"]:
            expected_changes.add((*key, "name", before[key]["name"], after[key]["name"]))
        if before[key]["ec"] != after[key]["ec"]:
            expected_changes.add((*key, "ec_contribution", f"{before[key]['ec']:.2f}", f"{after[key]['ec']:.2f}"))
    assert len([c for c in expected_changes if c[3] == "ec_contribution"]) == 1
    assert len([c for c in expected_changes if c[3] == "name"]) == sum(revision["renamed"]["lines"].values()) - (
        1 if revision["added"][0]["pic"] == revision["renamed"]["pic"] else 0
    )
    assert {
        (r["framework_programme"], r["project_id"], r["subject"], r["field"], r["from_value"], r["to_value"])
        for r in rows
        if r["change"] == "participation changed"
    } == expected_changes
    renamed = [r for r in rows if r["change"] == "institution renamed" and r["field"] == "name"]
    assert [(r["subject"], r["to_value"]) for r in renamed] == [(revision["renamed"]["pic"], revision["renamed"]["to"])]
    projects = {(p, project) for p, project, _ in before}, {(p, project) for p, project, _ in after}
    assert {(r["framework_programme"], r["project_id"]) for r in rows if r["change"] == "project added"} == projects[
        1
    ] - projects[0]
    assert {(r["framework_programme"], r["project_id"]) for r in rows if r["change"] == "project removed"} == projects[
        0
    ] - projects[1]
    # the FP7 totals moved by the participation added and the one removed (net 0) and the EUR revisions
    moved = {(r["framework_programme"], r["field"]) for r in rows if r["subject"] == "mart_country_participation:total"}
    assert ("FP7", "ec_contribution") in moved
    counts = change.counts()
    assert counts["participation added"] == 1 and counts["participation ended"] == 1
    assert counts["institution renamed"] == 1
    # the history asset's metadata after the second run says the same as the command
    events = [
        e
        for e in second.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "history/vintage_changes"
    ]
    metadata = events[0].step_materialization_data.materialization.metadata
    assert metadata["participation_added"].value == 1 and metadata["participation_ended"].value == 1
    assert metadata["participation_changed"].value == counts["participation changed"]
    assert metadata["to_vintage"].value == change.to_vintage["vintage"]

    # pruning to one keeps the current vintage, which reads back as the current tables
    assert prune(history, 1) == [1]
    con = duckdb.connect()
    load(con, history)
    current_label = con.execute("SELECT vintage FROM meta_vintage").fetchall()
    assert current_label == [(change.to_vintage["vintage"],)]
    now = sorted(con.execute("SELECT * EXCLUDE (vintage) FROM history_fact_participation").fetchall(), key=repr)
    con.close()
    assert now == _published_rows(settings, "SELECT * FROM fact_participation")

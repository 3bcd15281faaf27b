"""Staging: readers + sql/staging models, end to end on real samples and hand-made files.

Expected values were worked out by hand from the files (sums with a separate script over the raw CSV).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from test_readers import (
    LEGACY_ORG_HEADER,
    ORG_HEADER,
    PROJECT_HEADER,
    current_org_rows,
    legacy_files,
    row_of,
    write_csv,
)

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import clean, staging
from bilatrus_etl.warehouse.models import load_models, run_models

H2020_ORG_SAMPLE = "cordis/official-layout/h2020-organization-sample.csv"
REFERENCE_FILES = {
    "cordisref_countries": "cordisref-countries.csv",
    "cordisref_fp7_programmes": "cordisref-FP7programmes.csv",
    "cordisref_h2020_programmes": "cordisref-H2020programmes.csv",
    "cordisref_activity_types": "cordisref-organizationActivityType.csv",
    "cordisref_funding_scheme_categories": "cordisref-projectFundingSchemeCategory.csv",
}


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def h2020_projects(tmp_path: Path, organizations: Path | None = None) -> Path:
    """Two hand-made projects; with `organizations`, also a bare row (id, acronym, title) for every other project
    that file lists, so that no participation is an orphan."""
    others = []
    if organizations is not None:
        with organizations.open(encoding="utf-8-sig", newline="") as handle:
            ids = sorted({row["projectID"]: row["projectAcronym"] for row in csv.DictReader(handle)}.items())
        others = [
            row_of(PROJECT_HEADER, id=pid, acronym=acronym or pid, title=f"Project {pid}")
            for pid, acronym in ids
            if pid not in {"773702", "869580"}
        ]
    return write_csv(
        tmp_path / "project.csv",
        PROJECT_HEADER,
        [
            row_of(
                PROJECT_HEADER,
                id="773702",
                acronym="SINCERE",
                title="Securing the future of European forests",
                startDate="2018-04-01",
                endDate="2022-03-31",
                totalCost="3999998.75",
                ecMaxContribution="3999998,75",
                legalBasis="H2020-EU.3.2.",
                topics="SFS-15-2016-2017",
                fundingScheme="RIA",
                frameworkProgramme="H2020",
            ),
            row_of(
                PROJECT_HEADER,
                id="869580",
                acronym="ArcticHubs",
                title="Global drivers, local consequences",
                startDate="2020-06-01",
                endDate="2024-05-31",
                totalCost="5 999 978,75",
                ecMaxContribution="NA",
                legalBasis="H2020-EU.3.5.",
                fundingScheme="RIA",
            ),
            *others,
        ],
    )


# ----------------------------------------------------------------------------- official programmes


def test_h2020_sample_is_staged_in_the_common_shape(con, shared_file, tmp_path) -> None:
    sample = shared_file(H2020_ORG_SAMPLE)
    files = {"projects": h2020_projects(tmp_path, sample), "organizations": sample}
    names = {
        "projects": "cordis-h2020projects-csv.zip!project.csv",
        "organizations": "cordis-h2020projects-csv.zip!organization.csv",
    }
    report = staging.stage_programme(
        con, "H2020", files, names, datasets={"projects": "cordis_h2020", "organizations": "cordis_h2020"}
    )

    assert [(f.source_file, f.target_table, f.raw_rows, f.staged_rows, f.quarantined_rows) for f in report.files] == [
        ("cordis-h2020projects-csv.zip!organization.csv", "stg_participation", 5153, 5153, 0),
        ("cordis-h2020projects-csv.zip!project.csv", "stg_project", 602, 602, 0),
    ]
    assert report.reconciled
    assert rows(
        con,
        "SELECT count(*), count(DISTINCT project_id), "
        "count(DISTINCT org_key) FILTER (WHERE country = 'RU') FROM stg_participation",
    ) == [(5153, 602, 2)]
    russian = rows(
        con,
        "SELECT project_id, org_key, pic, name, short_name, activity_type, country, "
        "country_code_source, city, role, ec_contribution, source_line FROM stg_participation "
        "WHERE country = 'RU' ORDER BY source_line",
    )
    assert russian == [
        (
            "773702",
            "914462748",
            "914462748",
            "CENTRE FOR FOREST ECOLOGY AND PRODUCTIVITY RUSSIAN ACADEMY OF SCIENCE",
            None,
            "PUB",
            "RU",
            "RU",
            "Moscow",
            "participant",
            Decimal("0.00"),
            1638,
        ),
        (
            "869580",
            "896586036",
            "896586036",
            "FEDERAL STATE BUDGETARY INSTITUTION OF SCIENCE FEDERAL RESEARCH CENTRE "
            "KOLA SCIENCE CENTRE OF THE RUSSIAN ACADEMY OF SCIENCES",
            "KSC RAS",
            "REC",
            "RU",
            "RU",
            "APATITY",
            "participant",
            Decimal("0.00"),
            5087,
        ),
    ]
    countries = dict(
        ((src, iso), n)
        for src, iso, n in rows(
            con,
            "SELECT country_code_source, country, count(*) FROM stg_participation "
            "WHERE country_code_source IN ('UK', 'EL', 'XK', 'GB', 'GR') GROUP BY ALL",
        )
    )
    assert countries == {("UK", "GB"): 433, ("EL", "GR"): 241, ("XK", "XK"): 2}
    assert rows(con, "SELECT count(*) FROM stg_participation WHERE country IS NULL") == [(0,)]
    assert dict(rows(con, "SELECT role, count(*) FROM stg_participation GROUP BY ALL")) == {
        "coordinator": 568,
        "participant": 4030,
        "third party": 392,
        "partner": 160,
        "international partner": 3,
    }
    assert dict(rows(con, "SELECT activity_type, count(*) FROM stg_participation GROUP BY ALL")) == {
        "PRC": 1748,
        "HES": 1427,
        "REC": 1214,
        "OTH": 393,
        "PUB": 371,
    }
    # money: the ecContribution column summed by a separate script (Decimal over the raw CSV) = 1684782425.81
    assert rows(
        con, "SELECT sum(ec_contribution), count(*) FILTER (WHERE ec_contribution IS NULL) FROM stg_participation"
    ) == [(Decimal("1684782425.81"), 163)]
    assert rows(con, "SELECT ec_contribution FROM stg_participation WHERE source_line = 5154") == [
        (Decimal("669259.50"),)
    ]
    assert rows(
        con,
        "SELECT project_id, start_date, end_date, total_cost, ec_max_contribution, programme_code "
        "FROM stg_project WHERE project_id IN ('773702', '869580') ORDER BY project_id",
    ) == [
        (
            "773702",
            dt.date(2018, 4, 1),
            dt.date(2022, 3, 31),
            Decimal("3999998.75"),
            Decimal("3999998.75"),
            "H2020-EU.3.2.",
        ),
        ("869580", dt.date(2020, 6, 1), dt.date(2024, 5, 31), Decimal("5999978.75"), None, "H2020-EU.3.5."),
    ]


def test_legacy_fp6_money_dates_quarantine_and_reconciliation(con, tmp_path) -> None:
    projects, organizations = legacy_files(tmp_path)
    report = staging.stage_programme(
        con,
        "FP6",
        {"projects": projects, "organizations": organizations},
        datasets={"projects": "cordis_fp6_projects", "organizations": "cordis_fp6_organizations"},
    )
    assert rows(
        con,
        "SELECT project_id, acronym, start_date, end_date, total_cost, ec_max_contribution "
        "FROM stg_project ORDER BY project_id",
    ) == [
        ("12345", "RUSNANO", dt.date(2005, 1, 1), dt.date(2007, 12, 31), Decimal("1234567.89"), Decimal("987654.50")),
        ("12346", "GREEK", None, None, None, Decimal("500000.00")),
    ]
    name_key = "name-" + hashlib.md5(b"UNIVERSITE Y|FR").hexdigest()[:16]
    assert rows(
        con,
        "SELECT project_id, org_key, pic, name, country, role, ec_contribution, source_line "
        "FROM stg_participation ORDER BY source_line",
    ) == [
        ("12345", "999999001", "999999001", "UNIVERSITAET X", "DE", "coordinator", Decimal("1234567.89"), 2),
        ("12345", name_key, None, "UNIVERSITE Y", "FR", "participant", Decimal("12345.50"), 4),
        ("12346", "999999003", "999999003", "MOSCOW STATE UNIVERSITY", "RU", "participant", None, 5),
    ]
    (quarantined,) = rows(
        con, "SELECT dataset, framework_programme, source_file, source_line, reason, target_table FROM quarantine"
    )
    assert quarantined[:4] == ("cordis_fp6_organizations", "FP6", "cordis-fp6organizations.csv", 3)
    assert quarantined[4].startswith("malformed line: UNQUOTED VALUE") and quarantined[5] == "stg_participation"
    assert rows(
        con,
        "SELECT source_file, raw_rows, staged_rows, quarantined_rows, reconciled FROM load_audit ORDER BY source_file",
    ) == [
        ("cordis-fp6organizations.csv", 4, 3, 1, True),
        ("cordis-fp6projects.csv", 2, 2, 0, True),
    ]
    assert (report.raw_rows, report.staged_rows, report.quarantined_rows) == (6, 5, 1)


def test_row_level_rules_send_rows_to_quarantine_with_file_and_line(con, tmp_path) -> None:
    good, russian, greek = current_org_rows()
    organizations = write_csv(
        tmp_path / "organization.csv",
        ORG_HEADER,
        [
            good,  # 2 staged
            russian,  # 3 staged
            russian,  # 4 exact duplicate of 3
            row_of(ORG_HEADER, organisationID="999000005", name="NO PROJECT", country="DE", role="participant"),  # 5
            row_of(ORG_HEADER, projectID="200001", country="DE", role="participant"),  # 6 no name, no PIC
            row_of(ORG_HEADER, projectID="200001", organisationID="999000006", country="FR", role="partner"),  # 7 kept
            '"200001";"ARCTIC";"999000007"',  # 8 malformed: 3 fields
            greek,  # 9 staged
        ],
    )
    projects = write_csv(
        tmp_path / "project.csv",
        PROJECT_HEADER,
        [
            row_of(PROJECT_HEADER, id="200001", acronym="ARCTIC", title="Arctic"),
            row_of(PROJECT_HEADER, id="200001", acronym="ARCTIC", title="Arctic, again"),  # 3: same id, other title
            row_of(PROJECT_HEADER, id=" ", acronym="NOID", title="No id"),  # 4: missing id
        ],
    )
    report = staging.stage_programme(
        con,
        "FP7",
        {"project.csv": projects, "organization.csv": organizations},
        {
            "project.csv": "cordis-fp7projects-csv.zip!project.csv",
            "organization.csv": "cordis-fp7projects-csv.zip!organization.csv",
        },
    )

    assert rows(con, "SELECT source_line, role, country FROM stg_participation ORDER BY source_line") == [
        (2, "coordinator", "NO"),
        (3, "participant", "RU"),
        (7, "partner", "FR"),
        (9, "third party", "GR"),
    ]
    quarantined = rows(
        con,
        "SELECT source_file, source_line, regexp_replace(reason, ':.*', '') FROM quarantine "
        "ORDER BY target_table, source_line",
    )
    assert quarantined == [
        ("cordis-fp7projects-csv.zip!organization.csv", 4, "exact duplicate of line 3"),
        ("cordis-fp7projects-csv.zip!organization.csv", 5, "missing project id"),
        ("cordis-fp7projects-csv.zip!organization.csv", 6, "missing organisation name and PIC"),
        ("cordis-fp7projects-csv.zip!organization.csv", 8, "malformed line"),
        ("cordis-fp7projects-csv.zip!project.csv", 3, "duplicate project id 200001 (the first row is kept)"),
        ("cordis-fp7projects-csv.zip!project.csv", 4, "missing project id"),
    ]
    assert rows(con, "SELECT raw_record FROM quarantine WHERE source_line = 8") == [('"200001";"ARCTIC";"999000007"',)]
    assert '"name":"NO PROJECT"' in rows(con, "SELECT raw_record FROM quarantine WHERE source_line = 5")[0][0]
    assert rows(con, "SELECT raw_record FROM quarantine WHERE source_line = 4 AND target_table = 'stg_project'")[0][
        0
    ].startswith('{"project_id":" ","rcn":null,"acronym":"NOID","status":null,"title":"No id"')
    assert [(f.target_table, f.raw_rows, f.staged_rows, f.quarantined_rows) for f in report.files] == [
        ("stg_participation", 8, 4, 4),
        ("stg_project", 3, 1, 2),
    ]
    assert report.reconciled
    assert "organization.csv -> stg_participation: 8 raw = 4 staged + 4 quarantined" in str(report)


def test_each_programme_replaces_only_its_own_slice(con, shared_file, tmp_path) -> None:
    projects, organizations = legacy_files(tmp_path)
    staging.stage_programme(con, "FP6", {"projects": projects, "organizations": organizations})
    h2020 = {
        "projects": h2020_projects(tmp_path, shared_file(H2020_ORG_SAMPLE)),
        "organizations": shared_file(H2020_ORG_SAMPLE),
    }
    staging.stage_programme(con, "H2020", h2020)
    assert dict(rows(con, "SELECT framework_programme, count(*) FROM stg_participation GROUP BY ALL")) == {
        "FP6": 3,
        "H2020": 5153,
    }

    smaller = write_csv(
        tmp_path / "fp6-organizations-v2.csv",
        LEGACY_ORG_HEADER,
        [
            row_of(
                LEGACY_ORG_HEADER,
                projectReference="12345",
                role="coordinator",
                id="999999001",
                name="UNIVERSITAET X",
                country="DE",
            ),
        ],
    )
    staging.stage_programme(con, "FP6", {"projects": projects, "organizations": smaller})
    assert dict(rows(con, "SELECT framework_programme, count(*) FROM stg_participation GROUP BY ALL")) == {
        "FP6": 1,
        "H2020": 5153,
    }
    assert rows(con, "SELECT count(*) FROM land_rejects") == [(0,)]  # the old FP6 malformed line went with its slice
    assert rows(con, "SELECT DISTINCT source_file FROM land_participation WHERE framework_programme = 'FP6'") == [
        ("fp6-organizations-v2.csv",)
    ]


def _current_programme(folder: Path, programme: str, projects: list[str], orgs: list[list[str] | str]) -> dict:
    folder.mkdir()
    project_rows = [row_of(PROJECT_HEADER, id=pid, acronym=f"P{pid}", title=f"Project {pid}") for pid in projects]
    return {
        "projects": write_csv(folder / "project.csv", PROJECT_HEADER, project_rows),
        "organizations": write_csv(folder / "organization.csv", ORG_HEADER, orgs),
        "names": {"projects": f"{programme}.zip!project.csv", "organizations": f"{programme}.zip!organization.csv"},
    }


def _org(project: str, name: str) -> list[str]:
    return row_of(ORG_HEADER, projectID=project, name=name, country="DE", role="participant")


def _programme_files(programme: str, files: dict) -> staging.ProgrammeFiles:
    paths = {role: files[role] for role in ("projects", "organizations")}
    return staging.ProgrammeFiles(programme, paths, files["names"])


# the staged rows of the two organisation files below and their lines (H2020: line 3 malformed; HE: lines 2 and 3)
TWO_FILES_LINES = [("H2020", "A", 2), ("H2020", "B", 4), ("H2020", "C", 5), ("HE", "D", 4), ("HE", "E", 5)]


def test_programmes_staged_together_keep_their_own_lines_and_fail_together(con, tmp_path) -> None:
    malformed = '"1";"2"'
    h2020 = _current_programme(
        tmp_path / "h2020", "H2020", ["101", "102"], [_org("101", "A"), malformed, _org("102", "B"), _org("101", "C")]
    )
    he = _current_programme(tmp_path / "he", "HE", ["201"], [malformed, malformed, _org("201", "D"), _org("201", "E")])
    reports = staging.stage_programmes(con, [_programme_files("H2020", h2020), _programme_files("HE", he)])

    assert (
        rows(con, "SELECT framework_programme, name, source_line FROM stg_participation ORDER BY ALL")
        == TWO_FILES_LINES
    )
    assert rows(con, "SELECT source_file, source_line FROM land_rejects ORDER BY ALL") == [
        ("H2020.zip!organization.csv", 3),
        ("HE.zip!organization.csv", 2),
        ("HE.zip!organization.csv", 3),
    ]
    assert rows(con, "SELECT count(*) FROM land_line_shifts") == [(0,)]  # the renumbering was applied
    counts = {
        p: [(f.source_file, f.raw_rows, f.staged_rows, f.quarantined_rows) for f in r.files] for p, r in reports.items()
    }
    assert counts == {
        "H2020": [("H2020.zip!organization.csv", 4, 3, 1), ("H2020.zip!project.csv", 2, 2, 0)],
        "HE": [("HE.zip!organization.csv", 4, 2, 2), ("HE.zip!project.csv", 1, 1, 0)],
    }

    # one transaction for every programme: a file that cannot be loaded leaves every slice as it was
    h2020_v2 = _current_programme(tmp_path / "h2020-v2", "H2020", ["103"], [_org("103", "F")])
    he_broken = _current_programme(tmp_path / "he-broken", "HE", ["202"], [malformed] * 30)
    before = rows(con, "SELECT * FROM land_participation ORDER BY ALL")
    with pytest.raises(BilatrusError, match=r"HE\.zip!organization\.csv of HE .*: 30 of 30 records are malformed"):
        staging.stage_programmes(con, [_programme_files("H2020", h2020_v2), _programme_files("HE", he_broken)])
    assert rows(con, "SELECT * FROM land_participation ORDER BY ALL") == before
    assert rows(con, "SELECT count(*) FROM land_rejects") == [(3,)]
    assert rows(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary") == [(0,)]


def test_a_landing_interrupted_before_its_lines_are_renumbered_is_renumbered_by_the_staging(
    con, tmp_path, monkeypatch
) -> None:
    from bilatrus_etl.ingest.readers import land

    malformed = '"1";"2"'
    h2020 = _current_programme(
        tmp_path / "h2020", "H2020", ["101", "102"], [_org("101", "A"), malformed, _org("102", "B"), _org("101", "C")]
    )
    he = _current_programme(tmp_path / "he", "HE", ["201"], [malformed, malformed, _org("201", "D"), _org("201", "E")])
    # the load commits, and the process dies before the second transaction renumbers the rows after malformed lines
    monkeypatch.setattr(land, "apply_line_shifts", lambda *args, **kwargs: 0)
    staging.land_programmes(con, [_programme_files("H2020", h2020), _programme_files("HE", he)])
    monkeypatch.undo()
    assert rows(con, "SELECT framework_programme, name, source_line FROM land_participation ORDER BY ALL") == [
        ("H2020", "A", 2),
        ("H2020", "B", 3),  # provisional: line 4 of the file
        ("H2020", "C", 4),
        ("HE", "D", 2),
        ("HE", "E", 3),
    ]
    assert rows(
        con, "SELECT landing_table, source_file, kept_before, rejects_so_far FROM land_line_shifts ORDER BY ALL"
    ) == [
        ("land_participation", "H2020.zip!organization.csv", 1, 1),
        ("land_participation", "HE.zip!organization.csv", 0, 2),
    ]
    staging.stage_landed(con, ["H2020", "HE"])
    assert (
        rows(con, "SELECT framework_programme, name, source_line FROM stg_participation ORDER BY ALL")
        == TWO_FILES_LINES
    )
    assert rows(con, "SELECT max(source_line) FROM land_participation WHERE name = 'E'") == [(5,)]
    assert rows(con, "SELECT count(*) FROM land_line_shifts") == [(0,)]


def test_exact_copies_are_told_by_every_field_and_the_screened_tables_are_not_kept(con, tmp_path) -> None:
    good, russian, _ = current_org_rows()
    contact = dict(zip(ORG_HEADER, russian)) | {"contactForm": "https://example.org/contact"}
    organizations = write_csv(
        tmp_path / "organization.csv",
        ORG_HEADER,
        [
            good,  # 2 staged
            russian,  # 3 staged
            [contact[name] for name in ORG_HEADER],  # 4 differs from 3 only in an unmapped column: staged
            russian,  # 5 exact duplicate of 3
            [contact[name] for name in ORG_HEADER],  # 6 exact duplicate of 4
        ],
    )
    projects = write_csv(
        tmp_path / "project.csv",
        PROJECT_HEADER,
        [
            row_of(PROJECT_HEADER, id="200001", acronym="ARCTIC", title="Arctic"),
        ],
    )
    report = staging.stage_programme(con, "FP7", {"project.csv": projects, "organization.csv": organizations})

    assert rows(con, "SELECT source_line FROM stg_participation ORDER BY 1") == [(2,), (3,), (4,)]
    assert rows(con, "SELECT source_line, reason FROM quarantine ORDER BY 1") == [
        (5, "exact duplicate of line 3"),
        (6, "exact duplicate of line 4"),
    ]
    assert rows(con, "SELECT count(DISTINCT record_hash), count(*) FROM land_participation") == [(3, 5)]
    assert report.reconciled and (report.raw_rows, report.staged_rows, report.quarantined_rows) == (6, 4, 2)
    assert rows(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'stg_%_screened'") == [(0,)]


def test_a_landing_table_keeping_record_hash_as_text_is_converted_and_its_copies_still_found(con, tmp_path) -> None:
    projects, organizations = legacy_files(tmp_path)
    staging.stage_programme(con, "FP6", {"projects": projects, "organizations": organizations})
    hashes = rows(con, "SELECT source_line, record_hash FROM land_participation ORDER BY 1")
    # as an older version kept them: the hash's digits, and before that an md5 of the record (here for line 2)
    con.execute("ALTER TABLE land_participation ALTER record_hash TYPE VARCHAR")
    con.execute("UPDATE land_participation SET record_hash = md5(record_hash) WHERE source_line = 2")
    copy = "INSERT INTO land_participation SELECT * REPLACE (source_line + 10 AS source_line) FROM land_participation"
    con.execute(f"{copy} WHERE source_line = 2")

    staging.ensure_landing_tables(con)
    staging.stage_dashboards(con, [])  # reruns nothing: no Dashboard export was ever landed

    converted = rows(con, "SELECT source_line, record_hash FROM land_participation ORDER BY 1")
    assert rows(con, "SELECT data_type FROM duckdb_columns() WHERE column_name = 'record_hash' LIMIT 1") == [
        ("UBIGINT",)
    ]
    assert converted[1:3] == hashes[1:]  # the digits read back as the same number
    assert converted[0][1] == converted[-1][1] and converted[0][1] != hashes[0][1]  # md5 hashed again, copies alike
    run_models(con, staging.PROGRAMME_MODELS)
    assert rows(con, "SELECT source_line, reason FROM quarantine WHERE reason LIKE 'exact%'") == [
        (12, "exact duplicate of line 2")
    ]


def test_a_failing_file_leaves_the_landing_tables_as_they_were(con, tmp_path) -> None:
    projects, organizations = legacy_files(tmp_path)
    staging.stage_programme(con, "FP6", {"projects": projects, "organizations": organizations})
    broken = write_csv(
        tmp_path / "broken-organizations.csv",
        [("nation" if c == "country" else c) for c in LEGACY_ORG_HEADER],
        [row_of(LEGACY_ORG_HEADER, projectReference="1", name="X", role="participant")],
    )
    with pytest.raises(BilatrusError, match="expected column 'country'.* in broken-organizations.csv of FP6"):
        staging.stage_programme(con, "FP6", {"projects": projects, "organizations": broken})
    assert rows(con, "SELECT count(*) FROM land_participation") == [(3,)]
    assert rows(con, "SELECT count(*) FROM land_project") == [(2,)]
    assert rows(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary") == [(0,)]


def test_a_file_refused_while_reading_rolls_the_whole_slice_back(con, tmp_path) -> None:
    projects, organizations = legacy_files(tmp_path)
    staging.stage_programme(con, "FP6", {"projects": projects, "organizations": organizations})
    before = rows(con, "SELECT * FROM land_project ORDER BY source_line")
    mostly_malformed = tmp_path / "cordis-fp6organizations-changed.csv"
    mostly_malformed.write_text(";".join(LEGACY_ORG_HEADER) + "\n" + '"1";"2"\n' * 30, encoding="utf-8")
    with pytest.raises(BilatrusError, match="30 of 30 records are malformed"):
        staging.stage_programme(con, "FP6", {"projects": projects, "organizations": mostly_malformed})
    assert rows(con, "SELECT * FROM land_project ORDER BY source_line") == before
    assert rows(con, "SELECT count(*) FROM land_participation") == [(3,)]
    assert rows(con, "SELECT count(*) FROM land_rejects") == [(1,)]
    assert rows(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary") == [(0,)]


def test_file_roles_are_checked(con, tmp_path) -> None:
    projects, organizations = legacy_files(tmp_path)
    with pytest.raises(BilatrusError, match="FP6: no organizations file given"):
        staging.stage_programme(con, "FP6", {"projects": projects})
    with pytest.raises(BilatrusError, match="unknown framework programme 'FP8'"):
        staging.stage_programme(con, "FP8", {"projects": projects, "organizations": organizations})
    with pytest.raises(BilatrusError, match="unknown framework programme 'FP9'"):
        staging.stage_dashboard(con, projects, framework_programme="FP9")
    report = staging.stage_programme(
        con,
        "FP6",
        {"cordis-fp6projects.csv": projects, "cordis-fp6organizations.csv": organizations, "euroSciVoc.csv": projects},
    )
    assert report.ignored == ("euroSciVoc.csv",)


def test_a_dashboard_file_given_as_an_official_file_is_refused(con, shared_file, tmp_path) -> None:
    projects, _ = legacy_files(tmp_path)
    with pytest.raises(BilatrusError, match="is a Horizon Dashboard export.*stage_dashboard"):
        staging.stage_programme(
            con, "FP7", {"projects": projects, "organizations": shared_file("cordis/dashboard/cordis-plus-2007.csv")}
        )


# -------------------------------------------------------------------------------------- dashboard


def test_dashboard_exports_are_staged_in_the_same_shape(con, shared_file) -> None:
    first = staging.stage_dashboard(con, shared_file("cordis/dashboard/cordis-plus-2007.csv"))
    second = staging.stage_dashboard(con, shared_file("cordis/dashboard/cordis-plus-2022.csv"))
    assert [(f.target_table, f.raw_rows, f.staged_rows, f.quarantined_rows) for f in first.files] == [
        ("stg_participation", 787, 787, 0),
        ("stg_project", 169, 169, 0),
    ]
    # four lines of the 2022 export repeat an earlier line field for field
    assert [(f.target_table, f.raw_rows, f.staged_rows, f.quarantined_rows) for f in second.files] == [
        ("stg_participation", 2023, 2019, 4),
        ("stg_project", 917, 917, 0),
    ]
    assert rows(con, "SELECT source_line, reason FROM quarantine ORDER BY source_line") == [
        (90, "exact duplicate of line 89"),
        (314, "exact duplicate of line 313"),
        (1333, "exact duplicate of line 1332"),
        (1435, "exact duplicate of line 1434"),
    ]
    assert rows(
        con,
        "SELECT framework_programme, source_file, count(*) FROM stg_participation WHERE country = 'RU' "
        "GROUP BY ALL ORDER BY 1",
    ) == [("FP7", "cordis-plus-2007.csv", 3), ("H2020", "cordis-plus-2022.csv", 1)]
    assert rows(
        con,
        "SELECT org_key, name, role, activity_type, ec_contribution FROM stg_participation "
        "WHERE country = 'RU' AND framework_programme = 'H2020'",
    ) == [
        (
            "999872800",
            "FEDERAL STATE AUTONOMOUS EDUCATIONAL INSTITUTION FOR HIGHER EDUCATION NATIONAL RESEARCH "
            "UNIVERSITY HIGHER SCHOOL OF ECONOMICS",
            "partner",
            "HES",
            None,
        )
    ]
    assert dict(
        rows(
            con,
            "SELECT country_code_source, count(*) FROM stg_participation WHERE country IN ('GB', 'GR') "
            "AND framework_programme = 'FP7' GROUP BY ALL",
        )
    ) == {"UK": 59, "EL": 31}
    assert dict(
        rows(con, "SELECT role, count(*) FROM stg_participation WHERE framework_programme = 'H2020' GROUP BY ALL")
    ) == {"coordinator": 928, "participant": 856, "partner": 168, "third party": 67}
    assert rows(con, "SELECT sum(ec_contribution) FROM stg_participation WHERE project_id = '200239'") == [
        (Decimal("70000.00"),)
    ]  # 16800 + 19700 + 5800 + 13300 + 8200 + 6200, its six participants


def test_official_files_supersede_the_dashboard_for_the_same_project(con, shared_file, tmp_path) -> None:
    staging.stage_dashboard(con, shared_file("cordis/dashboard/cordis-plus-2022.csv"))
    projects = write_csv(
        tmp_path / "project.csv",
        PROJECT_HEADER,
        [row_of(PROJECT_HEADER, id="101022502", acronym="MWER", title="Official title")],
    )
    organizations = write_csv(
        tmp_path / "organization.csv",
        ORG_HEADER,
        [
            row_of(
                ORG_HEADER,
                projectID="101022502",
                organisationID="999886962",
                name="SCUOLA NORMALE SUPERIORE",
                country="IT",
                role="coordinator",
            )
        ],
    )
    staging.stage_programme(con, "H2020", {"projects": projects, "organizations": organizations})

    assert rows(con, "SELECT dataset, name FROM stg_participation WHERE project_id = '101022502'") == [
        ("cordis_h2020", "SCUOLA NORMALE SUPERIORE")
    ]
    assert rows(
        con, "SELECT target_table, count(*) FROM quarantine WHERE reason LIKE 'superseded%' GROUP BY ALL ORDER BY 1"
    ) == [("stg_participation", 3), ("stg_project", 1)]
    assert rows(con, "SELECT title FROM stg_project WHERE project_id = '101022502'") == [("Official title",)]
    assert all(row[0] for row in rows(con, "SELECT reconciled FROM load_audit"))


def test_project_export_xlsx_prefers_titled_rows_over_derived_ones(con, tmp_path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["Project Title", "Project Acronym", "EU Contribution", "Project Nbr"])
    book.active.append(["Titled", "REASON", 42300, 200239])
    path = tmp_path / "fp7-projects.xlsx"
    book.save(path)
    participants = tmp_path / "cordis-plus-mini.csv"
    participants.write_text(
        "project_id,pic,partner_role,legal_name,country_code,ec_contribution,framework_programme,project_acronym\n"
        "200239,999738067,Participant,UNIONCAMERE PIEMONTE,IT,16800,FP7,REASON\n",
        encoding="utf-8",
    )
    staging.stage_dashboard(con, participants)
    staging.stage_dashboard(con, path)
    assert rows(con, "SELECT title, ec_max_contribution, source_file FROM stg_project") == [
        ("Titled", Decimal("42300.00"), "fp7-projects.xlsx")
    ]
    assert rows(con, "SELECT source_file, reason FROM quarantine") == [
        ("cordis-plus-mini.csv", "duplicate project id 200239 (the first row is kept)")
    ]


# -------------------------------------------------------------------------------------- reference


def test_reference_tables_keep_english_and_map_countries(con, shared_data) -> None:
    files = {key: shared_data / "cordis" / "reference" / name for key, name in REFERENCE_FILES.items()}
    report = staging.stage_reference(con, files)
    assert [(f.source_file, f.raw_rows, f.quarantined_rows) for f in report.files] == [
        ("cordisref-countries.csv", 1503, 0),
        ("cordisref-FP7programmes.csv", 6233, 0),
        ("cordisref-H2020programmes.csv", 1223, 0),
        ("cordisref-organizationActivityType.csv", 5, 0),
        ("cordisref-projectFundingSchemeCategory.csv", 187, 0),
    ]
    assert rows(
        con,
        "SELECT cordis_code, iso_code, name, mapping_source, in_cordisref FROM stg_country "
        "WHERE cordis_code IN ('EL', 'UK', 'XK', 'MK', 'RU', 'GR') ORDER BY 1",
    ) == [
        ("EL", "GR", "Greece", "cordisref", True),
        ("GR", "GR", "Greece", "pycountry", False),
        ("MK", "MK", "Former Yugoslav Republic of Macedonia", "pycountry", True),  # cordisref gives no ISO code
        ("RU", "RU", "Russia", "cordisref", True),
        ("UK", "GB", "United Kingdom", "cordisref", True),
        ("XK", "XK", "Kosovo", "exception", True),
    ]
    assert rows(con, "SELECT count(*) FROM stg_country WHERE in_cordisref") == [(251,)]
    assert dict(rows(con, "SELECT cordis_code, iso_code FROM ref_country_code"))["EL"] == "GR"
    # one row per code: 6,090 FP7 codes less one written twice ("Fission-2008-7.0.1" with a trailing space)
    assert dict(rows(con, "SELECT framework_programme, count(*) FROM stg_programme_ref GROUP BY ALL")) == {
        "FP7": 6089,
        "H2020": 1223,
    }
    assert rows(
        con, "SELECT title, short_title, language FROM stg_programme_ref WHERE programme_code = 'FP7-EURATOM'"
    ) == [
        (
            "Multiannual Framework Programme 2007 to 2011 of the European Atomic Energy Community (Euratom) for nuclear "
            "research and training activities",
            "Euratom Framework Programme",
            "en",
        )
    ]
    assert rows(con, "SELECT title FROM stg_programme_ref WHERE programme_code = 'SC5-10c-2015'") == [
        ("An EU support mechanism for evidence-based policy on biodiversity & ecosystems services",)
    ]
    assert rows(con, "SELECT code, title FROM stg_activity_type ORDER BY code") == [
        ("HES", "Higher or Secondary Education Establishments"),
        ("OTH", "Other"),
        ("PRC", "Private for-profit entities (excluding Higher or Secondary Education Establishments)"),
        ("PUB", "Public bodies (excluding Research Organisations and Secondary or Higher Education Establishments)"),
        ("REC", "Research Organisations"),
    ]
    assert rows(con, "SELECT count(*) FROM stg_funding_scheme") == [(187,)]
    assert rows(con, "SELECT title FROM stg_funding_scheme WHERE code = 'MC-IA'") == [
        ("Industry-Academia Partnerships and Pathways (IAPP)",)
    ]


def test_reloading_one_reference_file_replaces_only_its_rows(con, shared_data) -> None:
    reference = shared_data / "cordis" / "reference"
    staging.stage_reference(
        con,
        {
            "cordisref_fp7_programmes": reference / "cordisref-FP7programmes.csv",
            "cordisref_h2020_programmes": reference / "cordisref-H2020programmes.csv",
        },
    )
    staging.stage_reference(con, {"cordisref_h2020_programmes": reference / "cordisref-H2020programmes.csv"})
    assert dict(rows(con, "SELECT framework_programme, count(*) FROM land_ref_programme GROUP BY ALL")) == {
        "FP7": 6233,
        "H2020": 1223,
    }


# ------------------------------------------------------------------------------ clean and models


def test_clean_text_collapses_blanks_and_trims_as_the_regex_does(con) -> None:
    clean.install_functions(con)
    assert con.execute(
        "SELECT clean_text(?), clean_text(?), clean_text(?), clean_text(?), clean_text(?)",
        ["  Moscow\u00a0 State\tUniversity\n", "Lomonosov Moscow State University", "\u3000ИКИ РАН\u2003", " ", "a  b"],
    ).fetchall() == [("Moscow State University", "Lomonosov Moscow State University", "ИКИ РАН", None, "a b")]
    # has_loose_blanks knows every code point trim() strips, at either end of a word (17 of them: Zs)
    assert con.execute(
        """SELECT count(*), count(*) FILTER (WHERE NOT has_loose_blanks(chr(i::INTEGER) || 'a')
                                             OR NOT has_loose_blanks('a' || chr(i::INTEGER)))
        FROM range(1, 65536) AS t(i) WHERE (i < 55296 OR i > 57343) AND trim(chr(i::INTEGER)) = ''"""
    ).fetchall() == [(17, 0)]
    # every text of up to three characters drawn from blanks, trimmed separators and others, alone and inside a
    # word: the shortcut gives what the regex and trim() give
    alphabet = [
        " ",
        "\t",
        "\n",
        "\x0b",
        "\f",
        "\r",
        "\u00a0",
        "\u1680",
        "\u2003",
        "\u3000",
        "\u0301",
        "\u0600",
        "é",
        "a",
    ]
    con.execute("CREATE TEMP TABLE letters AS SELECT unnest(?) AS c", [alphabet])
    texts = """SELECT a.c || b.c || c.c AS s FROM letters a, letters b, letters c
        UNION ALL SELECT a.c || b.c FROM letters a, letters b UNION ALL SELECT c FROM letters UNION ALL SELECT ''"""
    differing = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE clean_text(t) IS DISTINCT FROM squeeze_blanks(t)) FROM (
            SELECT s AS t FROM ({texts}) UNION ALL SELECT 'word' || s || 'word' FROM ({texts})
            UNION ALL SELECT s || 'word' FROM ({texts}) UNION ALL SELECT 'word' || s FROM ({texts}))"""
    ).fetchall()
    assert differing == [(4 * (14**3 + 14**2 + 14 + 1), 0)]


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("1234567,89", True, "1234567.89"),
        ("1.234.567,89", True, "1234567.89"),
        ("1,234,567.89", False, "1234567.89"),
        ("50000.0", False, "50000.00"),
        ("1,234", False, "1234.00"),
        ("1,234", True, "1.23"),
        ("1.234", True, "1234.00"),
        ("1.234", False, "1.23"),
        ("12,5", False, "12.50"),
        ("€ 1 234,50", True, "1234.50"),
        ("1.5E6", False, "1500000.00"),
        ("-12.5", False, "-12.50"),
        ("NA", False, None),
        ("n/a", True, None),
        ("-", False, None),
        ("", False, None),
        ("confidential", True, None),
    ],
)
def test_clean_money(con, text, decimal_comma, expected) -> None:
    clean.install_functions(con)
    value = con.execute("SELECT clean_money(?, ?)", [text, decimal_comma]).fetchall()[0][0]
    assert value == (None if expected is None else Decimal(expected))


def test_money_shortcuts_give_what_the_general_steps_give(con) -> None:
    """money_compact and money_text take a shortcut for plain numbers: on every text of up to four characters
    drawn from digits, marks, signs, blanks, letters and currency, and of five or six drawn from digits and marks,
    with either decimal mark, they equal the general steps."""
    clean.install_functions(con)

    def texts(alphabet: list[str], lengths: range) -> str:
        letters = f"(SELECT unnest({alphabet!r}) AS c)"
        return " UNION ALL ".join(
            f"SELECT {' || '.join(f'c{i}.c' for i in range(n))} AS s FROM {', '.join(f'{letters} c{i}' for i in range(n))}"
            for n in lengths
        )

    wide, long = ["1", "0", ".", ",", "-", "+", " ", "E", "€", "a"], ["1", "0", ".", ","]
    counts = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE money_compact(s) IS DISTINCT FROM money_compact_any(s)
                OR money_text(money_compact(s), comma) IS DISTINCT FROM money_text_any(money_compact_any(s), comma))
        FROM ({texts(wide, range(1, 5))} UNION ALL {texts(long, range(5, 7))}), (SELECT unnest([true, false]) AS comma)"""
    ).fetchall()
    assert counts == [(2 * (sum(10**n for n in range(1, 5)) + 4**5 + 4**6), 0)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-03-10", "2023-03-10"),
        ("2023-03-10 21:15:00", "2023-03-10"),
        ("10/03/2023", "2023-03-10"),
        ("10.03.2023", "2023-03-10"),
        ("2007/06/01", "2007-06-01"),
        ("20070601", "2007-06-01"),
        (" 2022-01-01 ", "2022-01-01"),
        ("NA", None),
        ("2023-02-30", None),
        ("0001-01-01", None),
        ("", None),
    ],
)
def test_clean_date(con, text, expected) -> None:
    clean.install_functions(con)
    value = con.execute("SELECT CAST(clean_date(?) AS VARCHAR)", [text]).fetchall()[0][0]
    assert value == expected


def test_role_and_activity_maps(con) -> None:
    staging.ensure_landing_tables(con)
    mapped = rows(
        con,
        "SELECT s, coalesce(r.role, role_label(s)) FROM (VALUES ('thirdParty'), ('Thirdparty'), "
        "('hostInstitution'), ('associatedPartner'), ('internationalPartner'), ('Coordinator'), "
        "('beneficiary'), ('someNewRole')) v(s) LEFT JOIN ref_role r ON r.role_key = role_key(s) "
        "ORDER BY s",
    )
    assert dict(mapped) == {
        "thirdParty": "third party",
        "Thirdparty": "third party",
        "hostInstitution": "host",
        "associatedPartner": "associated partner",
        "internationalPartner": "international partner",
        "Coordinator": "coordinator",
        "beneficiary": "beneficiary",
        "someNewRole": "some new role",
    }
    activity = rows(
        con,
        "SELECT s, a.activity_type FROM (VALUES ('hes'), ('Research Organisations'), ('XYZ')) v(s) "
        "LEFT JOIN ref_activity_type a ON a.activity_key = activity_key(s) ORDER BY s",
    )
    assert activity == [("Research Organisations", "REC"), ("XYZ", None), ("hes", "HES")]


def test_country_map_without_cordisref_uses_exceptions_and_iso(con) -> None:
    staging.ensure_landing_tables(con)
    codes = dict(rows(con, "SELECT cordis_code, iso_code FROM ref_country_code"))
    assert (codes["EL"], codes["UK"], codes["XK"], codes["GB"], codes["RU"], codes["NA"]) == (
        "GR",
        "GB",
        "XK",
        "GB",
        "RU",
        "NA",
    )
    assert "ZZ" not in codes


def test_every_staging_model_runs_on_empty_landing_tables_and_documents_its_columns(con) -> None:
    staging.ensure_landing_tables(con)
    names = staging.PROGRAMME_MODELS + staging.REFERENCE_MODELS
    run_models(con, names)
    models = load_models()
    for name in names:
        model = models[name]
        assert model.layer == "staging" and model.description
        columns = [row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()]
        assert columns and set(columns) == set(model.column_docs), name
    stg = {row[0]: row[1] for row in con.execute("DESCRIBE stg_participation").fetchall()}
    assert stg["ec_contribution"] == "DECIMAL(18,2)" and stg["source_line"] == "BIGINT"
    project = {row[0]: row[1] for row in con.execute("DESCRIBE stg_project").fetchall()}
    assert project["start_date"] == "DATE" and project["total_cost"] == "DECIMAL(18,2)"


def test_a_rejected_row_leaves_out_only_itself_when_two_files_share_a_name_and_lines(con) -> None:
    """stg_* keep the landed rows that are not among the screened rejects, told apart by dataset, programme, file
    and line: the row of another programme (or of none) at the same line of a file of the same name stays."""
    staging.ensure_landing_tables(con)
    land = "dataset, framework_programme, source_format, source_file, source_line, record_hash"
    con.execute(
        f"""INSERT INTO land_project (project_id, title, {land}) VALUES
        ('100', 'Kept', 'cordis', 'FP7', 'cordis_csv', 'project.csv', 2, 1),
        ('100', 'Same line, no programme', 'cordis', NULL, 'cordis_csv', 'project.csv', 2, 2),
        ('200', 'Kept too', 'cordis', 'H2020', 'cordis_csv', 'project.csv', 2, 3),
        ('200', 'Second row of 200', 'cordis', 'H2020', 'cordis_csv', 'project.csv', 3, 4)"""
    )
    con.execute(
        f"""INSERT INTO land_participation (project_id, pic, country, role, {land}) VALUES
        ('100', '999000001', 'DE', 'coordinator', 'cordis', 'FP7', 'cordis_csv', 'organization.csv', 2, 1),
        ('100', '999000002', 'DE', 'coordinator', 'cordis', NULL, 'cordis_csv', 'organization.csv', 2, 2),
        ('200', '999000003', 'RU', 'coordinator', 'cordis', 'H2020', 'cordis_csv', 'organization.csv', 2, 3),
        ('300', '999000004', 'RU', 'partner', 'cordis', 'H2020', 'cordis_csv', 'organization.csv', 3, 4)"""
    )
    staging._run_models(con, staging.PROGRAMME_MODELS)

    assert rows(con, "SELECT framework_programme, project_id, title, source_line FROM stg_project ORDER BY 1") == [
        ("FP7", "100", "Kept", 2),
        ("H2020", "200", "Kept too", 2),
    ]
    assert rows(con, "SELECT framework_programme, pic, source_line FROM stg_participation ORDER BY 1") == [
        ("FP7", "999000001", 2),
        ("H2020", "999000003", 2),
    ]
    assert rows(con, "SELECT target_table, framework_programme, source_line, reason FROM quarantine ORDER BY ALL") == [
        (
            "stg_participation",
            "H2020",
            3,
            "orphan: project 300 has no row in the staged H2020 projects (absent from the project file)",
        ),
        ("stg_participation", None, 2, "unknown framework programme"),
        ("stg_project", "H2020", 3, "duplicate project id 200 (the first row is kept)"),
        ("stg_project", None, 2, "unknown framework programme"),
    ]
    assert rows(con, "SELECT bool_and(reconciled), sum(raw_rows), sum(staged_rows) FROM load_audit") == [(True, 8, 4)]
    assert rows(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary") == [(0,)]


def test_the_sql_functions_and_named_queries_shape_the_python_steps_code_version(monkeypatch) -> None:
    """A change to sql/functions/clean.sql (which the staging models call) or to a named query a Python step runs
    must make Dagster see the step's code change, as a change to its Python does."""
    from bilatrus_etl.resources import QUERIES_DIR
    from bilatrus_etl.warehouse import versions

    before = versions.python_code_version(["stg_project", "stg_participation"])
    real = versions._file_bytes
    for changed in (clean.FUNCTIONS_FILE, QUERIES_DIR / "write_dim_ror_institution.sql"):
        monkeypatch.setattr(
            versions, "_file_bytes", lambda path, *a, _c=changed: real(path, *a) + (b"--\n" if path == _c else b"")
        )
        assert versions.python_code_version(["stg_project", "stg_participation"]) != before, changed
    monkeypatch.setattr(versions, "_file_bytes", real)
    assert versions.python_code_version(["stg_project", "stg_participation"]) == before


def test_landings_side_by_side_share_the_settings_and_the_models_step_reports_the_same(tmp_path) -> None:
    """The pipeline lands the programmes' files in a step of its own, beside other landings (the reference tables, a
    Dashboard export): two landings on cursors of one database at once both commit; while either runs, DuckDB keeps
    the landing's settings, and the last to end puts back what the first found. The staging models then give what
    `stage_programmes` gives in one call."""
    import threading

    from bilatrus_etl.ingest.readers import land

    h2020 = _current_programme(
        tmp_path / "h2020", "H2020", ["101", "102"], [_org("101", "A"), '"1";"2"', _org("102", "B")]
    )
    he = _current_programme(tmp_path / "he", "HE", ["201"], [_org("201", "D"), _org("201", "E")])
    build = duckdb.connect(str(tmp_path / "build.duckdb"))
    build.execute("SET threads = 2")
    land.create_landing_tables(build)
    inside = threading.Barrier(2, timeout=30)
    seen: list[tuple] = []
    read_all_into = land.read_all_into

    def together(con, reads):  # both landings hold the settings and their transactions here at once
        inside.wait()
        seen.append(
            tuple(
                con.execute(
                    "SELECT current_setting('threads'), current_setting('preserve_insertion_order')"
                ).fetchall()[0]
            )
        )
        inside.wait()
        return read_all_into(con, reads)

    errors: list[BaseException] = []

    def landing(files: staging.ProgrammeFiles) -> None:
        cursor = build.cursor()
        try:
            staging.land_programmes(cursor, [files])
        except BaseException as err:
            errors.append(err)
            inside.abort()
        finally:
            cursor.close()

    land.read_all_into = together
    try:
        threads = [
            threading.Thread(target=landing, args=(_programme_files(p, f),)) for p, f in (("H2020", h2020), ("HE", he))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        land.read_all_into = read_all_into
    assert errors == []
    assert seen == [(1, False), (1, False)]
    assert rows(build, "SELECT current_setting('threads'), current_setting('preserve_insertion_order')") == [(2, True)]
    reports = staging.stage_landed(build, ["H2020", "HE"])

    alone = duckdb.connect()
    expected = staging.stage_programmes(alone, [_programme_files("H2020", h2020), _programme_files("HE", he)])
    assert reports == expected
    for table in ("stg_project", "stg_participation", "quarantine", "load_audit"):
        assert rows(build, f"SELECT * FROM {table} ORDER BY ALL") == rows(alone, f"SELECT * FROM {table} ORDER BY ALL")
    assert [f.quarantined_rows for f in reports["H2020"].files] == [1, 0]

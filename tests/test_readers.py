"""Readers: every real sample in ../shared/data/cordis, and small hand-made files in the official layouts.

Expected values were read off the files by hand (grep / a spreadsheet), not computed by the code under test.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest.readers import cordis_csv, cordisref, dashboard, legacy_csv, raw
from bilatrus_etl.ingest.readers.columns import FileRef, name_key
from bilatrus_etl.ingest.readers.land import LandedFile, commit_landed, create_landing_tables

H2020_ORG_SAMPLE = "cordis/official-layout/h2020-organization-sample.csv"
PROJECT_HEADER = (
    "id;acronym;status;title;startDate;endDate;totalCost;ecMaxContribution;legalBasis;topics;ecSignatureDate;"
    "frameworkProgramme;masterCall;subCall;fundingScheme;nature;objective;contentUpdateDate;rcn;grantDoi"
).split(";")
ORG_HEADER = (
    "projectID;projectAcronym;organisationID;vatNumber;name;shortName;SME;activityType;street;postCode;city;"
    "country;nutsCode;geolocation;organizationURL;contactForm;contentUpdateDate;rcn;order;role;ecContribution;"
    "netEcContribution;totalCost;endOfParticipation;active"
).split(";")
LEGACY_PROJECT_HEADER = (
    "rcn;reference;acronym;status;programme;topics;frameworkProgramme;title;startDate;endDate;projectUrl;"
    "objective;totalCost;ecMaxContribution;call;fundingScheme;coordinator;coordinatorCountry;participants;"
    "participantCountries;subjects"
).split(";")
LEGACY_ORG_HEADER = (
    "projectRcn;projectReference;projectAcronym;role;id;name;shortName;activityType;endOfParticipation;"
    "ecContribution;country;street;city;postCode;organizationUrl;contactType;contactTitle;contactFirstNames;"
    "contactLastNames"
).split(";")


# --------------------------------------------------------------------------------------- helpers


def quoted_line(values: list[str], delimiter: str = ";") -> str:
    return delimiter.join('"' + v.replace('"', '""') + '"' for v in values)


def row_of(header: list[str], **values: str) -> list[str]:
    """A record in `header` order; fields not given are empty."""
    unknown = set(values) - set(header)
    assert not unknown, unknown
    return [values.get(name, "") for name in header]


def write_csv(
    path: Path,
    header: list[str],
    lines: list[list[str] | str],
    delimiter: str = ";",
    bom: bool = False,
    newline: str = "\n",
) -> Path:
    """Header and records fully quoted; a `str` entry is written verbatim (a malformed line)."""
    text = [quoted_line(header, delimiter) if delimiter == "," else delimiter.join(header)]
    text += [line if isinstance(line, str) else quoted_line(line, delimiter) for line in lines]
    path.write_text(("\ufeff" if bom else "") + newline.join(text) + newline, encoding="utf-8")
    return path


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    create_landing_tables(connection)
    yield connection
    connection.close()


def land(con: duckdb.DuckDBPyConnection, *landed: LandedFile) -> None:
    commit_landed(con, landed, [])


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


# ------------------------------------------------------------------------- real sample: H2020 orgs


def test_h2020_organization_sample_lands_every_row_with_a_comma_delimiter(con, shared_file) -> None:
    path = shared_file(H2020_ORG_SAMPLE)
    ref = FileRef("cordis_h2020", "cordis-h2020projects-csv.zip!organization.csv", "H2020")
    landed = cordis_csv.land_file(con, path, "organizations", ref)
    land(con, landed)
    assert (landed.rows, landed.rejected) == (5153, 0)

    assert rows(con, "SELECT count(*), count(DISTINCT project_id) FROM land_participation") == [(5153, 602)]
    assert rows(con, "SELECT min(source_line), max(source_line) FROM land_participation") == [(2, 5154)]
    assert rows(
        con, "SELECT DISTINCT framework_programme, dataset, source_format, source_file FROM land_participation"
    ) == [("H2020", "cordis_h2020", "cordis_csv", "cordis-h2020projects-csv.zip!organization.csv")]
    russian = rows(
        con,
        "SELECT project_id, pic, name, short_name, role, activity_type, city, ec_contribution, net_ec_contribution, "
        "total_cost, source_line FROM land_participation WHERE country = 'RU' ORDER BY source_line",
    )
    assert russian == [
        (
            "773702",
            "914462748",
            "CENTRE FOR FOREST ECOLOGY AND PRODUCTIVITY RUSSIAN ACADEMY OF SCIENCE",
            None,
            "participant",
            "PUB",
            "Moscow",
            "0.0",
            "0.0",
            "40250",
            1638,
        ),
        (
            "869580",
            "896586036",
            "FEDERAL STATE BUDGETARY INSTITUTION OF SCIENCE FEDERAL RESEARCH CENTRE KOLA SCIENCE "
            "CENTRE OF THE RUSSIAN ACADEMY OF SCIENCES",
            "KSC RAS",
            "participant",
            "REC",
            "APATITY",
            "0.0",
            "0.0",
            "265625",
            5087,
        ),
    ]
    first = rows(
        con,
        "SELECT project_id, pic, name, country, role, ec_contribution FROM land_participation WHERE source_line = 2",
    )
    assert first == [("651036", "938119011", "ALTERIX LTD", "UK", "coordinator", "50000.0")]
    # the landing table keeps codes as published: UK and EL, mapped only in staging
    assert rows(
        con,
        "SELECT count(*) FILTER (WHERE country = 'UK'), count(*) FILTER (WHERE country = 'EL'), "
        "count(*) FILTER (WHERE ec_contribution IS NULL) FROM land_participation",
    ) == [(433, 241, 163)]


# ------------------------------------------------------------------------- real samples: dashboard


def test_dashboard_2007_participants_and_derived_projects(con, shared_file) -> None:
    participations, projects = dashboard.land_file(con, shared_file("cordis/dashboard/cordis-plus-2007.csv"))
    assert (participations.rows, participations.rejected, projects.rows) == (787, 0, 169)
    assert participations.framework_programmes == ["FP7"]
    land(con, participations, projects)

    russian = rows(
        con,
        "SELECT project_id, pic, name, role, activity_type, ec_contribution, source_line FROM land_participation "
        "WHERE country = 'RU' ORDER BY source_line",
    )
    assert russian == [
        (
            "212879",
            "999877165",
            "NATIONAL UNIVERSITY OF SCIENCE AND TECHNOLOGY MISIS",
            "Participant",
            "HES",
            "27530.08",
            82,
        ),
        (
            "211382",
            "999427667",
            "INSTITUT TEORETICHESKOI I EKSPERIME NTALNOI FIZIKI ITEP",
            "Participant",
            "REC",
            "116000",
            138,
        ),
        (
            "211604",
            "999427667",
            "INSTITUT TEORETICHESKOI I EKSPERIME NTALNOI FIZIKI ITEP",
            "Participant",
            "REC",
            None,
            697,
        ),  # `NA` in the export is missing
    ]
    # Radboud's short name is RU: it must not count as Russia
    assert rows(con, "SELECT country FROM land_participation WHERE short_name = 'RU' GROUP BY ALL") == [("NL",)]
    project = rows(
        con,
        "SELECT acronym, topic, funding_scheme, start_date, end_date, programme_code, title, "
        "source_line FROM land_project WHERE project_id = '200239'",
    )
    assert project == [("REASON", "PEOPLE-2007-5-1.NIGHT", "CSA-SA", "2007-06-01", "2007-11-30", "FP7-PEOPLE", None, 2)]


def test_dashboard_2022_takes_missing_programmes_from_the_legal_basis(con, shared_file) -> None:
    participations, projects = dashboard.land_file(con, shared_file("cordis/dashboard/cordis-plus-2022.csv"))
    assert (participations.rows, projects.rows) == (2023, 917)
    land(con, participations, projects)

    # 125 rows say framework_programme NA; their legal basis is H2020-EU.*
    assert rows(con, "SELECT framework_programme, count(*) FROM land_participation GROUP BY ALL") == [("H2020", 2023)]
    assert rows(
        con,
        "SELECT project_id, pic, name, short_name, role, activity_type, ec_contribution, net_ec_contribution, "
        "source_line FROM land_participation WHERE country = 'RU'",
    ) == [
        (
            "101022502",
            "999872800",
            "FEDERAL STATE AUTONOMOUS EDUCATIONAL INSTITUTION FOR HIGHER EDUCATION "
            "NATIONAL RESEARCH UNIVERSITY HIGHER SCHOOL OF ECONOMICS",
            "HSE",
            "Partner",
            "HES",
            None,
            "0",
            1703,
        )
    ]
    # 252 rows carry country_code NA (missing; the export then names the country "Namibia")
    assert rows(con, "SELECT count(*) FROM land_participation WHERE country IS NULL") == [(252,)]


@pytest.fixture(scope="module")
def fp7_projects_xlsx(shared_data: Path) -> tuple[duckdb.DuckDBPyConnection, list[LandedFile]]:
    """The 2.7 MB workbook, read once for the module."""
    path = shared_data / "cordis" / "dashboard" / "fp7-projects.xlsx"
    if not path.exists():
        pytest.skip(f"real sample missing: {path}")
    connection = duckdb.connect()
    create_landing_tables(connection)
    landed = dashboard.land_file(connection, path)
    info = [(item.landing_table, item.rows, item.framework_programmes) for item in landed]
    land(connection, *landed)
    yield connection, info
    connection.close()


def test_fp7_projects_xlsx_lands_every_project(fp7_projects_xlsx) -> None:
    con, info = fp7_projects_xlsx
    assert info == [("land_project", 25809, ["FP7"])]  # programme from the file name
    assert rows(
        con, "SELECT count(*), count(DISTINCT project_id), min(source_line), max(source_line) FROM land_project"
    ) == [(25809, 25809, 2, 25810)]
    first = rows(
        con,
        "SELECT project_id, acronym, title, thematic_priority, participations, ec_max_contribution, "
        "funding_scheme, topic FROM land_project WHERE source_line = 2",
    )
    assert first == [
        (
            "611404",
            "CLERECO",
            "\nCross-Layer Early Reliability Evaluation for the Computing cOntinuum",
            "Information and Communication Technologies",
            "10",
            "2555000",
            "CP",
            "ICT-2013.3.4",
        )
    ]
    assert rows(con, "SELECT ec_max_contribution FROM land_project WHERE project_id = '274737'") == [("239731.55",)]


def test_xlsx_without_calamine_reads_through_openpyxl(con, tmp_path, monkeypatch) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Project Title", "Project Acronym", "EU Contribution", "Project Nbr", "Topic Code"])
    sheet.append(["A title", "ACR", 1234.5, 101000001, "NA"])
    sheet.append([None, None, None, None, None])
    sheet.append(["Other", "OTH", 100, 101000002.0, "T-1"])
    path = tmp_path / "h2020-projects.xlsx"
    book.save(path)
    monkeypatch.setitem(sys.modules, "python_calamine", None)  # import fails: the openpyxl path

    (landed,) = dashboard.land_file(con, path)
    land(con, landed)
    assert rows(
        con,
        "SELECT project_id, acronym, ec_max_contribution, topic, framework_programme, source_line "
        "FROM land_project ORDER BY source_line",
    ) == [
        ("101000001", "ACR", "1234.5", None, "H2020", 2),
        ("101000002", "OTH", "100", "T-1", "H2020", 4),
    ]


def test_cell_text_matches_csv_text() -> None:
    import datetime as dt

    assert dashboard.cell_text(611404.0) == "611404"
    assert dashboard.cell_text(239731.55) == "239731.55"
    assert dashboard.cell_text(1e-7) == "0.0000001"
    assert dashboard.cell_text(dt.datetime(2007, 6, 1)) == "2007-06-01"
    assert dashboard.cell_text(" NA ") is None
    assert dashboard.cell_text(True) == "True"


# ------------------------------------------------------------------------- real samples: cordisref


@pytest.mark.parametrize(
    ("file_name", "table", "records"),
    [
        ("cordisref-countries.csv", "land_ref_country", 1503),
        ("cordisref-FP7programmes.csv", "land_ref_programme", 6233),
        ("cordisref-H2020programmes.csv", "land_ref_programme", 1223),  # one title spans two lines
        ("cordisref-organizationActivityType.csv", "land_ref_activity_type", 5),
        ("cordisref-projectFundingSchemeCategory.csv", "land_ref_funding_scheme", 187),
        ("cordisref-sicCode.csv", "land_ref_sic_code", 420),
    ],
)
def test_cordisref_files_land_every_row(con, shared_file, file_name, table, records) -> None:
    path = shared_file(f"cordis/reference/{file_name}")
    kind = cordisref.kind_of(file_name)
    landed = cordisref.land_file(con, path, kind, dataset="cordisref")
    land(con, landed)
    assert (landed.landing_table, landed.rows, landed.rejected) == (table, records, 0)
    assert rows(con, f"SELECT count(*) FROM {table}") == [(records,)]


def test_cordisref_countries_keep_every_language_and_the_eu_codes(con, shared_file) -> None:
    path = shared_file("cordis/reference/cordisref-countries.csv")  # UTF-8 with BOM, fully quoted
    land(con, cordisref.land_file(con, path, cordisref.kind_of("cordisref_countries"), dataset="cordisref_countries"))
    assert rows(
        con,
        "SELECT cordis_code, iso_code, name FROM land_ref_country WHERE language = 'en' "
        "AND cordis_code IN ('EL', 'UK', 'XK', 'RU') ORDER BY 1",
    ) == [
        ("EL", "GR", "Greece"),
        ("RU", "RU", "Russia"),
        ("UK", "GB", "United Kingdom"),
        ("XK", "NULL", "Kosovo"),
    ]
    assert rows(con, "SELECT count(DISTINCT language) FROM land_ref_country") == [(6,)]


def test_cordisref_programme_titles_spanning_lines_keep_their_line_numbers(con, shared_file) -> None:
    path = shared_file("cordis/reference/cordisref-H2020programmes.csv")
    land(con, cordisref.land_file(con, path, cordisref.kind_of(path.name), dataset="cordisref_h2020_programmes"))
    # the record on line 525 ends on line 526, so DRS-10-2015 (physical line 543) is record 542
    assert rows(
        con,
        "SELECT code, framework_programme, source_line FROM land_ref_programme "
        "WHERE code IN ('GALILEO-4-2014', 'DRS-10-2015') ORDER BY 3",
    ) == [
        ("GALILEO-4-2014", "H2020", 525),
        ("DRS-10-2015", "H2020", 542),
    ]


def test_kind_of_names_every_catalog_key() -> None:
    assert cordisref.kind_of("cordisref_countries").landing_table == "land_ref_country"
    assert cordisref.kind_of("cordisref_fp7_programmes").programme == "FP7"
    assert cordisref.kind_of("cordisref_h2020_programmes").programme == "H2020"
    assert cordisref.kind_of("x", "cordisref-HORIZONprogrammes.csv").programme == "HE"
    assert cordisref.kind_of("cordisref_activity_types").landing_table == "land_ref_activity_type"
    assert cordisref.kind_of("cordisref_funding_scheme_categories").landing_table == "land_ref_funding_scheme"
    with pytest.raises(BilatrusError, match="cannot tell which cordisref table"):
        cordisref.kind_of("cordisref_mystery")


# --------------------------------------------------------------------------- hand-made: FP6 legacy


def legacy_files(tmp_path: Path) -> tuple[Path, Path]:
    projects = write_csv(
        tmp_path / "cordis-fp6projects.csv",
        LEGACY_PROJECT_HEADER,
        [
            row_of(
                LEGACY_PROJECT_HEADER,
                rcn="74321",
                reference="12345",
                acronym="RUSNANO",
                status="Completed",
                programme="FP6-NMP",
                topics="NMP-2004-3.4.1",
                frameworkProgramme="FP6",
                title="Nano materials with Russia",
                startDate="2005-01-01",
                endDate="31/12/2007",
                objective="An objective; with a semicolon",
                totalCost="1.234.567,89",
                ecMaxContribution="987654,5",
                call="FP6-2004-NMP-NI-4",
                fundingScheme="STREP",
                coordinator="UNIVERSITAET X",
                coordinatorCountry="DE",
                participants="MOSCOW STATE UNIVERSITY;UNIVERSITE Y",
                participantCountries="RU;FR",
            ),
            row_of(
                LEGACY_PROJECT_HEADER,
                rcn="74322",
                reference="12346",
                acronym="GREEK",
                title="Athens",
                totalCost="n/a",
                ecMaxContribution="500000",
            ),
        ],
    )
    organizations = write_csv(
        tmp_path / "cordis-fp6organizations.csv",
        LEGACY_ORG_HEADER,
        [
            row_of(
                LEGACY_ORG_HEADER,
                projectRcn="74321",
                projectReference="12345",
                projectAcronym="RUSNANO",
                role="coordinator",
                id="999999001",
                name="UNIVERSITAET X",
                shortName="UX",
                activityType="HES",
                ecContribution="1234567,89",
                country="DE",
                city="Berlin",
            ),
            '"74321";"12345";"RUSNANO";"participant";"999999002";"BROKEN "QUOTE" LTD";"BQ";"PRC";"false";"";"RU";"";'
            '"Moscow";"";"";"";"";"";""',
            row_of(
                LEGACY_ORG_HEADER,
                projectRcn="74321",
                projectReference="12345",
                projectAcronym="RUSNANO",
                role="participant",
                id="",
                name="UNIVERSITE Y",
                activityType="REC",
                ecContribution="12 345,50",
                country="FR",
                city="Paris",
            ),
            row_of(
                LEGACY_ORG_HEADER,
                projectRcn="74322",
                projectReference="12346",
                role="participant",
                id="999999003",
                name="MOSCOW STATE UNIVERSITY",
                country="RU",
                city="Moscow",
            ),
        ],
    )
    return projects, organizations


def test_legacy_fp6_files_land_by_name_and_keep_the_malformed_line(con, tmp_path) -> None:
    projects_path, organizations_path = legacy_files(tmp_path)
    assert legacy_csv.recognises(LEGACY_PROJECT_HEADER, "projects")
    assert legacy_csv.recognises(LEGACY_ORG_HEADER, "organizations")
    assert not cordis_csv.recognises(LEGACY_ORG_HEADER, "organizations")
    projects = legacy_csv.land_file(
        con, projects_path, "projects", FileRef("cordis_fp6_projects", "cordis-fp6projects.csv", "FP6")
    )
    organizations = legacy_csv.land_file(
        con,
        organizations_path,
        "organizations",
        FileRef("cordis_fp6_organizations", "cordis-fp6organizations.csv", "FP6"),
    )
    land(con, projects, organizations)
    assert (projects.rows, projects.rejected, organizations.rows, organizations.rejected) == (2, 0, 3, 1)

    assert rows(
        con,
        "SELECT project_id, rcn, acronym, programme_code, start_date, end_date, total_cost, "
        "ec_max_contribution, source_format, source_line FROM land_project ORDER BY source_line",
    ) == [
        (
            "12345",
            "74321",
            "RUSNANO",
            "FP6-NMP",
            "2005-01-01",
            "31/12/2007",
            "1.234.567,89",
            "987654,5",
            "legacy_csv",
            2,
        ),
        ("12346", "74322", "GREEK", None, None, None, "n/a", "500000", "legacy_csv", 3),
    ]
    # `id` is the PIC in the legacy organisation file; lines after the malformed one keep their numbers
    assert rows(
        con,
        "SELECT project_id, pic, name, ec_contribution, country, source_line FROM land_participation "
        "ORDER BY source_line",
    ) == [
        ("12345", "999999001", "UNIVERSITAET X", "1234567,89", "DE", 2),
        ("12345", None, "UNIVERSITE Y", "12 345,50", "FR", 4),
        ("12346", "999999003", "MOSCOW STATE UNIVERSITY", None, "RU", 5),
    ]
    (reject,) = rows(
        con,
        "SELECT dataset, framework_programme, source_file, target_table, source_line, reason, "
        "raw_record FROM land_rejects",
    )
    assert reject[:5] == ("cordis_fp6_organizations", "FP6", "cordis-fp6organizations.csv", "stg_participation", 3)
    assert "UNQUOTED VALUE" in reject[5]
    assert reject[6].startswith('"74321";"12345";"RUSNANO";"participant";"999999002";"BROKEN "QUOTE" LTD"')


# ------------------------------------------------------------------- hand-made: current layout (zip)


def current_org_rows() -> list[list[str]]:
    return [
        row_of(
            ORG_HEADER,
            projectID="200001",
            projectAcronym="ARCTIC",
            organisationID="999000001",
            name="UNIVERSITY OF OSLO",
            activityType="HES",
            country="NO",
            city="Oslo",
            role="coordinator",
            ecContribution="1000000.5",
            order="1",
        ),
        row_of(
            ORG_HEADER,
            projectID="200001",
            projectAcronym="ARCTIC",
            organisationID="999000002",
            name="LOMONOSOV MOSCOW STATE UNIVERSITY",
            shortName="MSU",
            activityType="HES",
            country="RU",
            city="Moscow",
            role="participant",
            ecContribution="250000",
            order="2",
        ),
        row_of(
            ORG_HEADER,
            projectID="200001",
            projectAcronym="ARCTIC",
            organisationID="999000003",
            name="NATIONAL AND KAPODISTRIAN UNIVERSITY OF ATHENS",
            activityType="HES",
            country="EL",
            city="Athens",
            role="thirdParty",
            ecContribution="",
            order="3",
        ),
    ]


def test_current_semicolon_zip_member_lands_with_its_archive_name(con, tmp_path) -> None:
    member = write_csv(
        tmp_path / "organization.csv",
        ORG_HEADER,
        [
            *current_org_rows()[:2],
            '"200001";"ARCTIC";"999000009";"";"EXTRA; LTD";"";"";"PRC";"";"";"";"DE";"";"";"";"";"";"";"4";'
            '"participant";"1";"1";"1";"false";"";"surplus"',  # 26 fields: too many
            current_org_rows()[2],
        ],
        newline="\r\n",
    )
    archive = tmp_path / "cordis-fp7projects-csv.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(member, "organization.csv")
    extracted = tmp_path / "extracted"
    with zipfile.ZipFile(archive) as zf:
        path = Path(zf.extract("organization.csv", extracted))

    ref = FileRef("cordis_fp7", "cordis-fp7projects-csv.zip!organization.csv", "FP7")
    landed = cordis_csv.land_file(con, path, "organizations", ref)
    land(con, landed)
    assert (landed.rows, landed.rejected) == (3, 1)
    assert rows(
        con,
        "SELECT pic, name, country, role, ec_contribution, source_line, source_file "
        "FROM land_participation ORDER BY source_line",
    ) == [
        ("999000001", "UNIVERSITY OF OSLO", "NO", "coordinator", "1000000.5", 2, ref.source_file),
        ("999000002", "LOMONOSOV MOSCOW STATE UNIVERSITY", "RU", "participant", "250000", 3, ref.source_file),
        ("999000003", "NATIONAL AND KAPODISTRIAN UNIVERSITY OF ATHENS", "EL", "thirdParty", None, 5, ref.source_file),
    ]
    assert rows(con, "SELECT source_file, source_line, reason LIKE '%TOO MANY COLUMNS%' FROM land_rejects") == [
        (ref.source_file, 4, True)
    ]


def test_a_rejected_lines_reason_lists_its_distinct_errors_in_text_order(con, tmp_path) -> None:
    # DuckDB reports a short line once per missing column, in an order that depends on its threads: the reason
    # lists each message once, sorted, whatever that order was
    lines = [*current_org_rows()[:1], '"1";"2";"3"', *current_org_rows()[1:]]
    path = write_csv(tmp_path / "organization.csv", ORG_HEADER, lines)
    con.execute("SET threads = 2")
    land(con, cordis_csv.land_file(con, path, "organizations", FileRef("cordis_fp7", "organization.csv", "FP7")))
    reason = rows(con, "SELECT reason FROM land_rejects")[0][0]
    assert reason.startswith("malformed line: MISSING COLUMNS: ")
    messages = reason.removeprefix("malformed line: ").split("; ")
    assert len(messages) > 1
    assert messages == sorted(set(messages))


def test_line_numbers_count_every_rejected_line_before_a_record(con, tmp_path) -> None:
    good = [
        row_of(ORG_HEADER, projectID=str(300000 + i), name=f"ORG {i}", country="DE", role="participant")
        for i in range(40)
    ]
    malformed = '"1";"2"'  # 2 fields where 25 are expected
    lines: list[list[str] | str] = [malformed, *good[:10], malformed, malformed, *good[10:], malformed]
    path = write_csv(tmp_path / "organization.csv", ORG_HEADER, lines)
    ref = FileRef("cordis_h2020", "organization.csv", "H2020")
    landed = cordis_csv.land_file(con, path, "organizations", ref)
    land(con, landed)
    assert (landed.rows, landed.rejected) == (40, 4)
    # header = line 1; a rejected line first, then 10 records, two rejected lines, 30 records, one rejected line
    expected = [(f"ORG {i}", i + 3) for i in range(10)] + [(f"ORG {i}", i + 5) for i in range(10, 40)]
    assert rows(con, "SELECT name, source_line FROM land_participation ORDER BY source_line") == expected
    assert rows(con, "SELECT source_line FROM land_rejects ORDER BY 1") == [(2,), (13,), (14,), (45,)]


def test_a_csv_file_loaded_again_must_replace_its_slice(con, tmp_path) -> None:
    lines = [*current_org_rows()[:1], '"1";"2"', *current_org_rows()[1:]]
    path = write_csv(tmp_path / "organization.csv", ORG_HEADER, lines)
    ref = FileRef("cordis_fp7", "organization.csv", "FP7")
    land(con, cordis_csv.land_file(con, path, "organizations", ref))
    with pytest.raises(BilatrusError, match="rows of an earlier load of this file are still in land_participation"):
        land(con, cordis_csv.land_file(con, path, "organizations", ref))
    assert rows(con, "SELECT source_line FROM land_participation ORDER BY 1") == [(2,), (4,), (5,)]
    commit_landed(
        con,
        [cordis_csv.land_file(con, path, "organizations", ref)],
        [("land_participation", "framework_programme = 'FP7'")],
    )
    assert rows(con, "SELECT source_line FROM land_participation ORDER BY 1") == [(2,), (4,), (5,)]
    assert rows(con, "SELECT source_line FROM land_rejects") == [(3,)]


def test_files_read_by_one_insert_each_get_their_counts_and_a_failure_names_its_file(con, tmp_path) -> None:
    threads = rows(con, "SELECT current_setting('threads')")[0][0]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_csv(tmp_path / "a" / "organization.csv", ORG_HEADER, [*current_org_rows(), '"1";"2"'])
    second = write_csv(tmp_path / "b" / "organization.csv", ORG_HEADER, current_org_rows()[:1])
    one = cordis_csv.land_file(con, first, "organizations", FileRef("cordis_fp7", "fp7!organization.csv", "FP7"))
    two = cordis_csv.land_file(con, second, "organizations", FileRef("cordis_he", "he!organization.csv", "HE"))
    land(con, one, two)
    assert [(one.rows, one.rejected), (two.rows, two.rejected)] == [(3, 1), (1, 0)]
    assert rows(con, "SELECT source_file, count(*) FROM land_participation GROUP BY ALL ORDER BY 1") == [
        ("fp7!organization.csv", 3),
        ("he!organization.csv", 1),
    ]

    again = cordis_csv.land_file(con, first, "organizations", FileRef("cordis_fp7", "fp7!organization.csv", "FP7"))
    gone = cordis_csv.land_file(con, second, "organizations", FileRef("cordis_he", "he!organization.csv", "HE"))
    second.unlink()  # read when the load is committed
    with pytest.raises(
        BilatrusError, match=r"^he!organization\.csv of HE .*could not be read as CSV \(.*/b/organization"
    ):
        commit_landed(con, [again, gone], [("land_participation", "true")])
    assert rows(con, "SELECT count(*) FROM land_participation") == [(4,)]
    # put back after the rollback
    assert rows(con, "SELECT current_setting('preserve_insertion_order'), current_setting('threads')") == [
        (True, threads)
    ]
    assert rows(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary") == [(0,)]

    ref = FileRef("cordis_fp7", "fp7!organization.csv", "FP7")
    twice = [cordis_csv.land_file(con, first, "organizations", ref) for _ in range(2)]
    with pytest.raises(BilatrusError, match="one load gives the same file twice"):
        commit_landed(con, twice, [("land_participation", "true")])
    assert rows(con, "SELECT count(*) FROM land_participation") == [(4,)]


def _numbered_org_file(path: Path, records: int, malformed_every: int) -> tuple[Path, dict[str, int]]:
    """An organisation file whose records carry their own line number in `name` (every `malformed_every`-th line
    malformed: a field too many); returns it and the line number of each record kept."""
    lines: list[list[str] | str] = []
    expected: dict[str, int] = {}
    for n in range(records):
        line = n + 2  # the header is line 1
        if n % malformed_every == malformed_every - 1:
            lines.append(";".join(['"x"'] * (len(ORG_HEADER) + 1)))
            continue
        name = f"ORG AT LINE {line}"
        lines.append(row_of(ORG_HEADER, projectID=str(100000 + n % 997), organisationID=str(n), name=name))
        expected[name] = line
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv(path, ORG_HEADER, lines), expected


@pytest.mark.parametrize("one_thread_below_bytes", [raw.ONE_THREAD_BELOW_BYTES, 0], ids=["one thread", "side by side"])
def test_files_read_by_one_insert_keep_each_files_line_numbers(
    con, tmp_path, monkeypatch, one_thread_below_bytes
) -> None:
    # Big enough for DuckDB's CSV reader to split a file into several scan ranges (a plain read of a 12 MB file
    # with preserve_insertion_order off comes back out of order); two files in one INSERT, each numbered in its own
    # file order, read on one thread or side by side (a load over raw.ONE_THREAD_BELOW_BYTES); threads and
    # preserve_insertion_order are put back as they were.
    monkeypatch.setattr(raw, "ONE_THREAD_BELOW_BYTES", one_thread_below_bytes)
    con.execute("SET threads = 2")
    first, lines_1 = _numbered_org_file(tmp_path / "a" / "organization.csv", 120_000, 40_000)
    second, lines_2 = _numbered_org_file(tmp_path / "b" / "organization.csv", 90_000, 30_000)
    assert first.stat().st_size > 10 * 2**20
    one = cordis_csv.land_file(con, first, "organizations", FileRef("cordis_fp7", "fp7!organization.csv", "FP7"))
    two = cordis_csv.land_file(con, second, "organizations", FileRef("cordis_he", "he!organization.csv", "HE"))
    land(con, one, two)
    assert [(one.rows, one.rejected), (two.rows, two.rejected)] == [(119_997, 3), (89_997, 3)]
    for source_file, expected in (("fp7!organization.csv", lines_1), ("he!organization.csv", lines_2)):
        got = dict(rows(con, "SELECT name, source_line FROM land_participation WHERE source_file = ?", [source_file]))
        assert got == expected
    assert rows(con, "SELECT source_file, source_line FROM land_rejects ORDER BY 1, 2") == [
        ("fp7!organization.csv", 40_001),
        ("fp7!organization.csv", 80_001),
        ("fp7!organization.csv", 120_001),
        ("he!organization.csv", 30_001),
        ("he!organization.csv", 60_001),
        ("he!organization.csv", 90_001),
    ]
    assert rows(con, "SELECT current_setting('preserve_insertion_order'), current_setting('threads')") == [(True, 2)]
    con.execute("SET preserve_insertion_order = false")  # a caller's own setting stays as it was too
    again = cordis_csv.land_file(con, second, "organizations", FileRef("cordis_he", "he2!organization.csv", "HE"))
    land(con, again)
    got = dict(rows(con, "SELECT name, source_line FROM land_participation WHERE source_file = 'he2!organization.csv'"))
    assert got == lines_2
    assert rows(con, "SELECT current_setting('preserve_insertion_order')") == [(False,)]


def test_comma_re_export_and_reordered_columns_map_by_name(con, tmp_path) -> None:
    header = list(reversed(ORG_HEADER))  # positions mean nothing: names do
    lines = [list(reversed(row)) for row in current_org_rows()]
    path = write_csv(tmp_path / "organization.csv", header, lines, delimiter=",", bom=True)
    landed = cordis_csv.land_file(con, path, "organizations", FileRef("cordis_h2020", "organization.csv", "H2020"))
    land(con, landed)
    assert rows(con, "SELECT project_id, pic, name, country, role FROM land_participation ORDER BY source_line") == [
        ("200001", "999000001", "UNIVERSITY OF OSLO", "NO", "coordinator"),
        ("200001", "999000002", "LOMONOSOV MOSCOW STATE UNIVERSITY", "RU", "participant"),
        ("200001", "999000003", "NATIONAL AND KAPODISTRIAN UNIVERSITY OF ATHENS", "EL", "thirdParty"),
    ]


def test_aliases_ignore_case_spaces_and_punctuation(con, tmp_path) -> None:
    header = ["Project_ID", " NAME ", "Organisation ID", "Country", "ROLE", "ec_contribution"]
    path = write_csv(tmp_path / "organization.csv", header, [["1", "ACME", "999000001", "DE", "participant", "5"]])
    land(con, cordis_csv.land_file(con, path, "organizations", FileRef("d", "organization.csv", "HE")))
    assert rows(con, "SELECT project_id, name, pic, country, role, ec_contribution FROM land_participation") == [
        ("1", "ACME", "999000001", "DE", "participant", "5")
    ]
    assert name_key("\ufeffprojectReference") == name_key("project_reference") == "projectreference"


def test_project_file_of_the_current_layout(con, tmp_path) -> None:
    path = write_csv(
        tmp_path / "project.csv",
        PROJECT_HEADER,
        [
            row_of(
                PROJECT_HEADER,
                id="101000001",
                acronym="RUSCOOP",
                title="A title",
                startDate="2021-01-01",
                endDate="2024-12-31",
                totalCost="1,234,567.00",
                ecMaxContribution="1000000",
                legalBasis="HORIZON.1.2",
                topics="HORIZON-MSCA-2021",
                fundingScheme="HORIZON-RIA",
                objective='Say "hi"\nover lines',
                frameworkProgramme="HORIZON",
                rcn="123",
            ),
            row_of(PROJECT_HEADER, id="101000002", acronym="NEXT", title="After a multi-line objective"),
        ],
    )
    landed = cordis_csv.land_file(con, path, "projects", FileRef("cordis_he", "project.csv", "HE"))
    land(con, landed)
    assert rows(
        con,
        "SELECT project_id, acronym, programme_code, total_cost, call, source_line FROM land_project "
        "ORDER BY source_line",
    ) == [
        ("101000001", "RUSCOOP", "HORIZON.1.2", "1,234,567.00", None, 2),
        ("101000002", "NEXT", None, None, None, 3),  # record number: the objective spans two physical lines
    ]


# ------------------------------------------------------------------------------------------ errors


def test_missing_column_names_the_column_the_file_and_what_was_found(con, tmp_path) -> None:
    header = [("nation" if name == "country" else name) for name in ORG_HEADER]
    path = write_csv(tmp_path / "organization.csv", header, current_org_rows())
    ref = FileRef("cordis_fp7", "cordis-fp7projects-csv.zip!organization.csv", "FP7")
    with pytest.raises(BilatrusError) as caught:
        cordis_csv.land_file(con, path, "organizations", ref)
    message = str(caught.value)
    assert "expected column 'country' (or an alias: countryCode, country_code)" in message
    assert "cordis-fp7projects-csv.zip!organization.csv of FP7 (dataset cordis_fp7)" in message
    assert "found: projectID, projectAcronym, organisationID" in message and "nation" in message
    assert caught.value.dataset == "cordis_fp7"


def test_missing_required_project_columns_are_all_named(con, tmp_path) -> None:
    header = [name for name in PROJECT_HEADER if name not in {"acronym", "title"}]
    path = write_csv(tmp_path / "project.csv", header, [["1"] * len(header)])
    with pytest.raises(BilatrusError, match=r"expected column 'acronym' .* and 'title' .* in project.csv of H2020"):
        cordis_csv.land_file(con, path, "projects", FileRef("cordis_h2020", "project.csv", "H2020"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (";".join(ORG_HEADER).encode() + b"\n", "has a header but no data rows"),
        (b"PK\x03\x04\x14\x00\x00\x00rest of a zip", "is a zip archive, not CSV text"),
        (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "is an HTML/XML page"),
        (b"\xff\xfep\x00r\x00o\x00", "is binary"),
        (b"just one column\nand another line\n", "does not look like CSV text"),
        (b"projectID;na\xefme;country\n1;x;DE\n", "is not utf-8 text (byte 0xEF at offset 12 of the header line"),
    ],
)
def test_unreadable_files_raise_a_clear_error_naming_the_file(con, tmp_path, content, expected) -> None:
    path = tmp_path / "organization.csv"
    path.write_bytes(content)
    with pytest.raises(BilatrusError) as caught:
        cordis_csv.land_file(con, path, "organizations", FileRef("cordis_fp7", "organization.csv", "FP7"))
    assert expected in str(caught.value)
    assert "organization.csv of FP7 (dataset cordis_fp7)" in str(caught.value)


def test_non_utf8_data_names_the_line_and_loads_nothing(con, tmp_path) -> None:
    text = ";".join(ORG_HEADER) + "\n" + "\n".join(quoted_line(r) for r in current_org_rows()) + "\n"
    text = text.replace("UNIVERSITY OF OSLO", "UNIVERSITÉ D'OSLO")
    path = tmp_path / "organization.csv"
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(BilatrusError) as caught:  # the records are read when the load is committed
        land(con, cordis_csv.land_file(con, path, "organizations", FileRef("cordis_fp7", "organization.csv", "FP7")))
    assert "is not utf-8 text (1 line(s) with invalid byte sequences, the first at line 2" in str(caught.value)
    assert "encoding='latin-1'" in str(caught.value)
    assert rows(con, "SELECT count(*) FROM land_participation") == [(0,)]
    # the publisher-documented fallback works when asked for
    landed = cordis_csv.land_file(
        con, path, "organizations", FileRef("cordis_fp7", "organization.csv", "FP7"), encoding="latin-1"
    )
    land(con, landed)
    assert rows(con, "SELECT name FROM land_participation WHERE source_line = 2") == [("UNIVERSITÉ D'OSLO",)]


def test_a_file_mostly_malformed_is_refused_not_quarantined(con, tmp_path) -> None:
    good = [quoted_line(r) for r in current_org_rows()]
    bad = ['"1";"2"'] * 20  # the layout changed: 2 fields where 25 are expected
    path = tmp_path / "organization.csv"
    path.write_text(";".join(ORG_HEADER) + "\n" + "\n".join(good + bad) + "\n", encoding="utf-8")
    with pytest.raises(BilatrusError, match=r"20 of 23 records are malformed \(first at line 5: MISSING COLUMNS"):
        land(con, cordis_csv.land_file(con, path, "organizations", FileRef("cordis_fp7", "organization.csv", "FP7")))
    assert rows(con, "SELECT count(*) FROM land_participation") == [(0,)]


def test_temp_tables_are_dropped_after_commit(con, tmp_path) -> None:
    _, organizations_path = legacy_files(tmp_path)
    landed = legacy_csv.land_file(con, organizations_path, "organizations", FileRef("d", "f.csv", "FP6"))
    commit_landed(con, [landed], [("land_participation", "framework_programme = 'FP6'")])
    assert rows(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary") == [(0,)]


def test_landings_side_by_side_run_on_one_thread_only_while_all_of_them_are_small(tmp_path, monkeypatch) -> None:
    from types import SimpleNamespace

    database = duckdb.connect(str(tmp_path / "build.duckdb"))
    database.execute("SET threads = 2")
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    small.write_bytes(b"x" * 10)
    large.write_bytes(b"x" * 1000)
    monkeypatch.setattr(raw, "ONE_THREAD_BELOW_BYTES", 100)
    first, second = database.cursor(), database.cursor()

    def settings() -> tuple:
        return tuple(
            rows(database, "SELECT current_setting('threads'), current_setting('preserve_insertion_order')")[0]
        )

    with raw.landing_threads(first, [SimpleNamespace(path=small)]):  # the reference tables land first
        assert settings() == (1, False)
        with raw.landing_threads(second, [SimpleNamespace(path=large)]):  # the programmes' files beside them
            assert settings() == (2, False)  # not held to the small load's one thread
        assert settings() == (1, False)  # the small one goes on alone
    assert settings() == (2, True)  # the last puts back what the first found
    with raw.landing_threads(second, [SimpleNamespace(path=large)]):
        with raw.landing_threads(first, [SimpleNamespace(path=small)]):
            assert settings() == (2, False)
        assert settings() == (2, False)
    assert settings() == (2, True)

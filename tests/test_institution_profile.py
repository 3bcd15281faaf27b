"""mart_institution_profile on a small hand-built input, and `analyst.lookup.institution_profile` (`bilatrus institution`).

The input (focus RU; * coordinator; n = organisations in the project):

FP7
  A1 FP7-ICT    CP  2010  MSU1* HES 100 Moscow | DE-A 200 | FR-A 300                                     n=3
  A2 FP7-HEALTH CP  2011  DE-A* 500 | MSU1 HES 50 MOSCOW | IAP 70 Nizhny Novgorod                        n=3
  A3 FP7-ICT    CP  2012  DE-A* 300 | IAP 40 "N. Novgorod", named "IAP RAS"                             n=2
H2020
  B1 H2020-SC1  RIA 2016  DE-A* 1000 | MSU2 HES 0 Moskva | FR-A 400 | IT-A 100                           n=4
  B2 H2020-MSCA MSCA-IF-EF-ST 2019  MSU2* HES 150 "г. Москва" (single beneficiary)                       n=1
  B3 H2020-SC1  RIA 2018  IT-A* 800 | MSU1 HES 20 Moscow | MSU2 HES 30 Moscow | IAP NULL Nizhny Novgorod  n=4

MSU1 ("M.V. LOMONOSOV MOSCOW STATE UNIVERSITY", PIC 999990001) and MSU2 ("LOMONOSOV MOSCOW STATE UNIVERSITY",
PIC 999990002) are one institution: institution_link gives both ror_id 010pmpe69 (key ror:010pmpe69). IAP
("INSTITUTE OF APPLIED PHYSICS RAS", PIC 999990003) is unmatched: its link has no ror_id and a name key.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from test_core import CORE_MODELS, P, build, load, new_warehouse, rows
from test_core import O as _O

from bilatrus_etl.analyst.lookup import institution_profile
from bilatrus_etl.analyst.query import query
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse import queries
from bilatrus_etl.warehouse.publish import publish as publish_file

MART = "mart_institution_profile"
MSU1 = "M.V. LOMONOSOV MOSCOW STATE UNIVERSITY"
MSU2 = "LOMONOSOV MOSCOW STATE UNIVERSITY"
IAP = "INSTITUTE OF APPLIED PHYSICS RAS"
MSU_KEY = "ror:010pmpe69"
IAP_KEY = "name:institute applied physics ras|RU"
NAMES = {"de-a": "TECHNISCHE UNIVERSITAET A", "fr-a": "UNIVERSITE B", "it-a": "UNIVERSITA C"}


def O(fp: str, pid: str, org: str, country: str, **kw) -> tuple:  # noqa: N802 - the builder of test_core
    return _O(fp, pid, org, country, name=kw.pop("name", NAMES.get(org)), **kw)


PROJECTS = [
    P("FP7", "A1", "2010-01-01", "2013-12-31", code="FP7-ICT"),
    P("FP7", "A2", "2011-03-01", "2014-02-28", code="FP7-HEALTH"),
    P("FP7", "A3", "2012-06-01", "2015-05-31", code="FP7-ICT"),
    P("H2020", "B1", "2016-02-01", "2019-01-31", code="H2020-EU.3.1.", scheme="RIA"),
    P("H2020", "B2", "2019-05-01", "2021-04-30", code="H2020-EU.1.3.2.", scheme="MSCA-IF-EF-ST"),
    P("H2020", "B3", "2018-01-01", "2020-12-31", code="H2020-EU.3.1.", scheme="RIA"),
]
PARTICIPATIONS = [
    O("FP7", "A1", "999990001", "RU", role="coordinator", ec=100, type="HES", city="Moscow", name=MSU1),
    O("FP7", "A1", "de-a", "DE", ec=200),
    O("FP7", "A1", "fr-a", "FR", ec=300),
    O("FP7", "A2", "de-a", "DE", role="coordinator", ec=500),
    O("FP7", "A2", "999990001", "RU", ec=50, type="HES", city="MOSCOW", name=MSU1),
    O("FP7", "A2", "999990003", "RU", ec=70, city="Nizhny Novgorod", name=IAP),
    O("FP7", "A3", "de-a", "DE", role="coordinator", ec=300),
    O("FP7", "A3", "999990003", "RU", ec=40, city="N. Novgorod", name="IAP RAS"),
    O("H2020", "B1", "de-a", "DE", role="coordinator", ec=1000),
    O("H2020", "B1", "999990002", "RU", ec=0, type="HES", city="Moskva", name=MSU2),
    O("H2020", "B1", "fr-a", "FR", ec=400),
    O("H2020", "B1", "it-a", "IT", ec=100),
    O("H2020", "B2", "999990002", "RU", role="coordinator", ec=150, type="HES", city="г. Москва", name=MSU2),
    O("H2020", "B3", "it-a", "IT", role="coordinator", ec=800),
    O("H2020", "B3", "999990001", "RU", ec=20, type="HES", city="Moscow", name=MSU1),
    O("H2020", "B3", "999990002", "RU", ec=30, type="HES", city="Moscow", name=MSU2),
    O("H2020", "B3", "999990003", "RU", ec=None, city="Nizhny Novgorod", name=IAP),
]
LINKS = [
    ("999990001", "010pmpe69", MSU_KEY, "Lomonosov Moscow State University", "pic", 1.0),
    ("999990002", "010pmpe69", MSU_KEY, "Lomonosov Moscow State University", "fuzzy", 0.93),
    ("999990003", None, IAP_KEY, IAP, "none", 0.0),
]
MODELS = CORE_MODELS + ["mart_institution_partners", MART]  # the profile's top partners come from the partners mart
ROR_DDL = """CREATE TABLE dim_ru_institution (
    ror_id VARCHAR, display_name VARCHAR, name_en VARCHAR, name_ru VARCHAR, aliases VARCHAR[], acronyms VARCHAR[],
    labels VARCHAR[], types VARCHAR[], city VARCHAR, status VARCHAR, established BIGINT)"""
ROR_ROWS = [
    (
        "010pmpe69",
        "Lomonosov Moscow State University",
        "Lomonosov Moscow State University",
        "Московский государственный университет имени М.В.Ломоносова",
        ["Moscow State University"],
        ["MSU"],
        ["Московский государственный университет имени М.В.Ломоносова"],
        ["education", "funder"],
        "Moscow",
        "active",
        1755,
    ),
    (
        "05256ym39",
        "Kazan Federal University",
        "Kazan Federal University",
        "Казанский федеральный университет",
        [],
        ["KFU"],
        [],
        ["education"],
        "Kazan",
        "active",
        1804,
    ),  # in the registry, never in CORDIS here
]


def built(
    links: list[tuple] = LINKS, focus: str | None = None, path: Path | str = ":memory:"
) -> duckdb.DuckDBPyConnection:
    con = new_warehouse(path)
    load(con, PROJECTS, PARTICIPATIONS, links)
    build(con, focus=focus, models=MODELS)
    return con


@pytest.fixture(scope="module")
def profiles() -> dict[str, dict]:
    return {r["institution_key"]: r for r in rows(built(), f"SELECT * FROM {MART}")}


# --- the mart ------------------------------------------------------------------------------------------------


def test_one_institution_under_two_names_and_pics_is_one_profile(profiles: dict[str, dict]) -> None:
    assert set(profiles) == {MSU_KEY, IAP_KEY}  # RU only; the two PICs of MSU are one row
    msu = profiles[MSU_KEY]
    assert msu["focus_country"] == "RU"
    assert msu["display_name"] == "Lomonosov Moscow State University"  # the ROR name
    assert msu["ror_id"] == "010pmpe69" and msu["match_methods"] == ["fuzzy", "pic"]
    assert msu["organisation_keys"] == ["999990001", "999990002"] and msu["organisations"] == 2
    # each name 3 participations (MSU1: A1 A2 B3; MSU2: B1 B2 B3); MSU2's is the more recent (2019)
    assert msu["name_variants"] == [MSU2, MSU1]
    assert msu["activity_types"] == ["HES"]
    # Moscow, MOSCOW, Moskva, г. Москва all map to Moscow
    assert (msu["city"], msu["federal_subject"], msu["federal_district"]) == (
        "Moscow",
        "Moscow",
        "Central Federal District",
    )


def test_profile_numbers(profiles: dict[str, dict]) -> None:
    msu = profiles[MSU_KEY]
    assert msu["programmes"] == ["FP7", "H2020"]
    assert msu["projects"] == 5  # A1 A2 B1 B2 B3
    assert msu["participations"] == 6  # B3 counts twice: MSU1 and MSU2 both took part
    assert msu["participations_fractional"] == pytest.approx(1 / 3 + 1 / 3 + 1 / 4 + 1 + 1 / 4 + 1 / 4)
    assert msu["coordinations"] == 1  # A1
    assert msu["single_beneficiary_coordinations"] == 1  # B2, an individual fellowship
    assert msu["roles"] == [{"role": "participant", "participations": 4}, {"role": "coordinator", "participations": 2}]
    assert float(msu["ec_contribution"]) == 350.0  # 100 + 50 + 0 + 150 + 20 + 30
    assert (msu["funded_participations"], msu["unfunded_participations"], msu["ec_not_reported_participations"]) == (
        5,
        1,
        0,
    )
    assert (msu["first_year"], msu["last_year"]) == (2010, 2019)
    assert msu["themes"] == 4  # FP7-ICT, FP7-HEALTH, H2020-SC1, H2020-MSCA
    assert msu["top_themes"][0] == {
        "theme_code": "H2020-SC1",
        "theme_name": "Health demographic change and wellbeing",
        "participations": 3,
    }


def test_top_partners_and_partner_countries(profiles: dict[str, dict]) -> None:
    msu = profiles[MSU_KEY]
    # joint projects: DE-A 3 (A1 A2 B1); IAP 2 (A2, B3), FR-A 2 (A1 B1), IT-A 2 (B1 B3). Ties by links_fractional:
    # IAP 1/3 + 2/6 = 2/3; FR-A 1/3 + 1/6 = 1/2; IT-A 1/6 + 2/6 = 1/2 (then by key: fr-a before it-a)
    assert [(p["institution_key"], p["joint_projects"]) for p in msu["top_partners"]] == [
        ("de-a", 3),
        (IAP_KEY, 2),
        ("fr-a", 2),
        ("it-a", 2),
    ]
    assert msu["top_partners"][0] == {
        "institution_key": "de-a",
        "name": "TECHNISCHE UNIVERSITAET A",
        "country_code": "DE",
        "joint_projects": 3,
    }
    assert msu["top_partners"][1]["name"] == IAP and msu["top_partners"][1]["country_code"] == "RU"
    # countries other than RU, by joint projects
    assert msu["top_partner_countries"] == [
        {"country_code": "DE", "joint_projects": 3},
        {"country_code": "FR", "joint_projects": 2},
        {"country_code": "IT", "joint_projects": 2},
    ]


def test_unmatched_institution_is_kept(profiles: dict[str, dict]) -> None:
    iap = profiles[IAP_KEY]
    assert iap["ror_id"] is None and iap["match_methods"] == ["none"]
    assert iap["display_name"] == IAP  # the most frequent of its names (2 of 3)
    assert iap["name_variants"] == [IAP, "IAP RAS"]
    assert (iap["projects"], iap["participations"], iap["coordinations"]) == (3, 3, 0)  # A2 A3 B3
    assert float(iap["ec_contribution"]) == 110.0  # 70 + 40, NULL in B3
    assert (iap["funded_participations"], iap["unfunded_participations"]) == (2, 1)
    assert (iap["city"], iap["federal_subject"], iap["federal_district"]) == (
        "Nizhny Novgorod",
        "Nizhny Novgorod Oblast",
        "Volga Federal District",
    )  # 'N. Novgorod' too
    assert (iap["first_year"], iap["last_year"]) == (2011, 2018)
    assert iap["top_partners"][0]["institution_key"] == "de-a" and iap["top_partners"][0]["joint_projects"] == 2


def test_without_ror_data_each_organisation_key_is_its_own_institution() -> None:
    got = {r["institution_key"]: r for r in rows(built(links=[]), f"SELECT * FROM {MART}")}
    assert set(got) == {"999990001", "999990002", "999990003"}
    assert all(r["ror_id"] is None and r["match_methods"] == [] for r in got.values())
    assert got["999990001"]["display_name"] == MSU1 and got["999990001"]["participations"] == 3
    assert got["999990002"]["participations"] == 3
    partners = {p["institution_key"] for p in got["999990001"]["top_partners"]}
    assert "999990002" in partners  # the two PICs are partners of each other in B3 when not linked


def test_fp6_only_institution_has_no_ec_contribution() -> None:
    con = new_warehouse()
    load(
        con,
        [P("FP6", "Q1", "2005-01-01", "2008-12-31", code="FP6-IST", scheme="IP")],
        [O("FP6", "Q1", "de-a", "DE", role="coordinator"), O("FP6", "Q1", "ru-x", "RU", city="Tomsk", name="TOMSK X")],
    )
    build(con, models=MODELS)
    (row,) = rows(con, f"SELECT * FROM {MART}")
    assert row["ec_contribution"] is None and row["ec_not_reported_participations"] == 1
    assert row["programmes"] == ["FP6"] and row["top_partner_countries"] == [
        {"country_code": "DE", "joint_projects": 1}
    ]


def test_another_focus_country_has_no_ror_fields_or_regions() -> None:
    got = {r["institution_key"]: r for r in rows(built(focus="DE"), f"SELECT * FROM {MART}")}
    assert set(got) == {"de-a"}
    de = got["de-a"]
    assert (de["focus_country"], de["ror_id"], de["federal_subject"], de["federal_district"]) == (
        "DE",
        None,
        None,
        None,
    )
    assert (de["projects"], de["participations"], de["coordinations"]) == (4, 4, 3)  # A1 A2 A3 B1; coordinates A2 A3 B1
    assert de["top_partners"][0] == {
        "institution_key": MSU_KEY,
        "name": "Lomonosov Moscow State University",
        "country_code": "RU",
        "joint_projects": 3,
    }
    assert de["top_partner_countries"][0] == {"country_code": "RU", "joint_projects": 4}


def test_empty_input() -> None:
    con = new_warehouse()
    assert build(con, models=MODELS)[MART] == 0


# --- `bilatrus institution NAME` -----------------------------------------------------------------------------


def publish(folder: Path, *, synthetic: bool | None, ror: bool = True, models: list[str] = MODELS) -> Path:
    """Build the input into a file, add dim_ru_institution and meta_build, publish it; return the published path."""
    folder.mkdir(parents=True, exist_ok=True)
    con = new_warehouse(folder / "build.duckdb")
    load(con, PROJECTS, PARTICIPATIONS, LINKS)
    build(con, models=models)
    if ror:
        con.execute(ROR_DDL)
        con.executemany("INSERT INTO dim_ru_institution VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ROR_ROWS)
    if synthetic is not None:
        queries.run(
            con,
            "write_meta_build",
            {
                "built_at": datetime.now(UTC),
                "code": "test",
                "version": "0",
                "synthetic": synthetic,
                "sources": "{}",
                "mirror": "",
            },
            focus_country="RU",
        )
    con.close()
    target = folder / "warehouse" / "bilatrus.duckdb"
    publish_file(folder / "build.duckdb", target)
    return target


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish(tmp_path_factory.mktemp("profile"), synthetic=False)


def field(text: str, label: str) -> str:
    """The value printed after a profile label."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            return line.strip()[len(label) :].strip()
    raise AssertionError(f"no {label!r} line in:\n{text}")


def test_profile_found_by_fuzzy_name(published: Path) -> None:
    text = institution_profile(published, "Lomonosov")
    lines = text.splitlines()
    assert lines[0] == "Lomonosov Moscow State University"  # no synthetic warning: meta_build says false
    assert field(text, "Institution key") == MSU_KEY
    assert field(text, "ROR").startswith("https://ror.org/010pmpe69")
    assert field(text, "Russian name") == "Московский государственный университет имени М.В.Ломоносова"
    assert field(text, "ROR types") == "education, funder"
    assert MSU1 in field(text, "Names in CORDIS") and MSU2 in field(text, "Names in CORDIS")
    assert field(text, "Projects") == "5"
    assert field(text, "Participations").startswith("6 ")
    assert field(text, "Coordinations").startswith("1 of collaborative projects, 1 single-beneficiary")
    assert field(text, "EC contribution").startswith("EUR 350 ")
    assert field(text, "Programmes") == "FP7, H2020"
    assert field(text, "Years").startswith("2010-2019")
    assert field(text, "City") == "Moscow (Moscow, Central Federal District)"
    assert field(text, "Top partners") == "1. TECHNISCHE UNIVERSITAET A (DE): 3 joint projects"
    assert field(text, "Partner countries") == "DE 3, FR 2, IT 2 (joint projects)"
    assert "Best match for 'Lomonosov'" in text


def test_profile_by_acronym_cyrillic_and_transliteration(published: Path) -> None:
    for name in ("MSU", "Московский государственный университет", "moskovskii gosudarstvennyi universitet"):
        assert institution_profile(published, name).splitlines()[0] == "Lomonosov Moscow State University", name
    text = institution_profile(published, "institute of applied physics")
    assert text.splitlines()[0] == IAP
    assert field(text, "ROR") == "not matched"
    assert field(text, "Projects") == "3" and field(text, "EC contribution").startswith("EUR 110 ")


def test_other_candidates_are_listed(published: Path) -> None:
    text = institution_profile(published, "university", min_score=0)
    assert "Other candidates:" in text and IAP_KEY in text.split("Other candidates:")[1]
    assert "Other candidates:" not in institution_profile(published, "Lomonosov", limit=0)


def test_synthetic_warehouse_warns_first(tmp_path: Path) -> None:
    path = publish(tmp_path, synthetic=True, ror=False)
    text = institution_profile(path, "Lomonosov")
    assert text.splitlines()[0].startswith("WARNING: SYNTHETIC DATA")
    assert "Lomonosov Moscow State University" in text.splitlines()[2]
    assert "Russian name" not in text  # no dim_ru_institution: the profile still prints, without registry details


def test_errors_are_clear(published: Path, tmp_path: Path) -> None:
    with pytest.raises(BilatrusError, match="No warehouse"):
        institution_profile(tmp_path / "nowhere.duckdb", "Lomonosov")
    with pytest.raises(BilatrusError, match="No institution .* matches 'Zzyzx Quarkonium'") as caught:
        institution_profile(published, "Zzyzx Quarkonium")
    assert "ROR registry" not in str(caught.value)
    with pytest.raises(BilatrusError, match=r"ROR registry .* knows Kazan Federal University \(ROR 05256ym39\)"):
        institution_profile(published, "Kazan Federal University")
    with pytest.raises(BilatrusError, match="Give an institution name"):
        institution_profile(published, "  ")
    old = publish(tmp_path / "old", synthetic=None, models=CORE_MODELS)
    with pytest.raises(BilatrusError, match="has no mart_institution_profile"):
        institution_profile(old, "Lomonosov")


def test_the_mart_exports_as_csv_and_json(published: Path) -> None:
    sql = f"SELECT institution_key, programmes, roles FROM {MART} WHERE institution_key = '{MSU_KEY}'"
    parsed = list(csv.DictReader(io.StringIO(query(published, sql, "csv"))))  # lists and structs as JSON text
    assert json.loads(parsed[0]["programmes"]) == ["FP7", "H2020"]
    assert json.loads(parsed[0]["roles"])[0] == {"role": "participant", "participations": 4}
    assert json.loads(query(published, sql, "json"))[0]["programmes"] == ["FP7", "H2020"]


def test_cli_prints_the_profile(
    published: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from pipelines import cli

    monkeypatch.setenv("BILATRUS_WAREHOUSE", str(published))
    assert cli.main(["institution", "Lomonosov"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Lomonosov Moscow State University") and "Projects" in out


def test_a_poor_match_is_not_given_as_the_answer(published: Path) -> None:
    # "nansen" is in no institution's name: the closest (the Institute of Applied Physics) is listed, not profiled
    with pytest.raises(
        BilatrusError,
        match=r"No clear match for 'Nansen Institute of Applied Physics'.*lack 'nansen'"
        r".*Closest candidates: INSTITUTE OF APPLIED PHYSICS RAS \(score \d+\)",
    ):
        institution_profile(published, "Nansen Institute of Applied Physics")
    with pytest.raises(
        BilatrusError, match="No clear match for 'nansen centre'|No institution .* matches 'nansen centre'"
    ):
        institution_profile(published, "nansen centre")


def test_cyrillic_acronym_from_the_russian_name(published: Path) -> None:
    # ROR gives MSU only; МГУ is spelt from the initials of its Russian name
    assert institution_profile(published, "МГУ").splitlines()[0] == "Lomonosov Moscow State University"

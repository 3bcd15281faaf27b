"""Every mart on a small hand-built input; each expected number is worked out by hand in the comments.

The input (DATASET, focus RU unless said otherwise):

FP7 (5 projects, 18 participations, EC total 3030)
  P1 FP7-ICT    CP     2008-03-01..2011-02-28  RU1* HES 100 Moscow | DE1 REC 200 | DE3 REC 100 | FR1 PRC 300 | UA1 REC 50   n=5
  P2 FP7-ICT    CP     2008-06-01..2009-05-31  DE1* REC 400 | RU2 REC 60 St. Petersburg | CN1 HES 40                        n=3
  P3 FP7-HEALTH CP     2009-01-01..2012-12-31  DE2* REC 500 | FR1 PRC 100 | CN1 HES 30 | UA1 REC 20 | US1 HES 0          n=5
  P4 FP7-ERC    ERC-SG 2009-05-01..2014-04-30  RU1* HES 1000 Moskva (single beneficiary)                                  n=1
  P5 FP7-HEALTH CP     2009-02-01..2012-01-31  DE1* REC 100 | UA2 HES 20 | CN2 REC 10 | RU3 PUB 0 g. Novosibirsk         n=4
FP6 (no per-participant EC contribution)
  Q1 FP6-IST    IP     2005-01-01..2008-12-31  DE1* | RU1 HES "MOSCOW 119991" | PL1                                       n=3
  Q2 FP6-INCO   SSA    2004-02-01..2006-01-31  PL1* | RU2 REC SANKT-PETERBURG | BY1                                       n=3
H2020
  R1 H2020-SC1  RIA    2016-01-01..2019-12-31  DE1* 1000 | RU1 0 Moscow | RU2 NULL Nowhereville | FR1 500                 n=4
  R2 H2020-MSCA MSCA-IF-EF-ST 2017-01-01..2019-06-30  RU1* 100 "г. Москва, Россия" (single beneficiary)                                n=1
(* coordinator.) institution_link: RU1 and RU3 -> institution 'ror:msu'.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest
from test_core import CORE_MODELS, MART_MODELS, O, P, build, load, new_warehouse, rows

from bilatrus_etl.warehouse import network

PROJECTS = [
    P("FP7", "P1", "2008-03-01", "2011-02-28", code="FP7-ICT"),
    P("FP7", "P2", "2008-06-01", "2009-05-31", code="FP7-ICT"),
    P("FP7", "P3", "2009-01-01", "2012-12-31", code="FP7-HEALTH"),
    P("FP7", "P4", "2009-05-01", "2014-04-30", code="FP7-IDEAS-ERC", scheme="ERC-SG"),
    P("FP7", "P5", "2009-02-01", "2012-01-31", code="FP7-HEALTH"),
    P("FP6", "Q1", "2005-01-01", "2008-12-31", code="FP6-IST", scheme="IP"),
    P("FP6", "Q2", "2004-02-01", "2006-01-31", code="FP6-INCO", scheme="SSA"),
    P("H2020", "R1", "2016-01-01", "2019-12-31", code="H2020-EU.3.1.", scheme="RIA"),
    P("H2020", "R2", "2017-01-01", "2019-06-30", code="H2020-EU.1.3.2.", scheme="MSCA-IF-EF-ST"),
]
PARTICIPATIONS = [
    O("FP7", "P1", "RU1", "RU", role="coordinator", ec=100, type="HES", city="MOSCOW"),
    O("FP7", "P1", "DE1", "DE", ec=200),
    O("FP7", "P1", "DE3", "DE", ec=100),
    O("FP7", "P1", "FR1", "FR", ec=300, type="PRC"),
    O("FP7", "P1", "UA1", "UA", ec=50),
    O("FP7", "P2", "DE1", "DE", role="coordinator", ec=400),
    O("FP7", "P2", "RU2", "RU", ec=60, city="St. Petersburg"),
    O("FP7", "P2", "CN1", "CN", ec=40, type="HES"),
    O("FP7", "P3", "DE2", "DE", role="coordinator", ec=500),
    O("FP7", "P3", "FR1", "FR", ec=100, type="PRC"),
    O("FP7", "P3", "CN1", "CN", ec=30, type="HES"),
    O("FP7", "P3", "UA1", "UA", ec=20),
    O("FP7", "P3", "US1", "US", ec=0, type="HES"),
    O("FP7", "P4", "RU1", "RU", role="coordinator", ec=1000, type="HES", city="Moskva"),
    O("FP7", "P5", "DE1", "DE", role="coordinator", ec=100),
    O("FP7", "P5", "UA2", "UA", ec=20, type="HES"),
    O("FP7", "P5", "CN2", "CN", ec=10),
    O("FP7", "P5", "RU3", "RU", ec=0, type="PUB", city="g. Novosibirsk"),
    O("FP6", "Q1", "DE1", "DE", role="coordinator"),
    O("FP6", "Q1", "RU1", "RU", type="HES", city="MOSCOW 119991"),
    O("FP6", "Q1", "PL1", "PL"),
    O("FP6", "Q2", "PL1", "PL", role="coordinator"),
    O("FP6", "Q2", "RU2", "RU", city="SANKT-PETERBURG"),
    O("FP6", "Q2", "BY1", "BY"),
    O("H2020", "R1", "DE1", "DE", role="coordinator", ec=1000),
    O("H2020", "R1", "RU1", "RU", ec=0, type="HES", city="Moscow"),
    O("H2020", "R1", "RU2", "RU", ec=None, city="Nowhereville"),
    O("H2020", "R1", "FR1", "FR", ec=500, type="PRC"),
    O("H2020", "R2", "RU1", "RU", role="coordinator", ec=100, type="HES", city="г. Москва, Россия"),
]
LINKS = [
    ("RU1", "https://ror.org/msu", "ror:msu", "Lomonosov Moscow State University", "pic", 1.0),
    ("RU3", "https://ror.org/msu", "ror:msu", "Lomonosov Moscow State University", "fuzzy", 0.95),
]


@pytest.fixture(scope="module")
def wh() -> duckdb.DuckDBPyConnection:
    con = new_warehouse()
    load(con, PROJECTS, PARTICIPATIONS, LINKS)
    build(con, as_of="2009-06-01")
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> dict:
    found = rows(con, sql, params)
    assert len(found) == 1, found
    return found[0]


# --- mart_country_participation ------------------------------------------------------------------------------


def test_country_participation_fp7_2008(wh: duckdb.DuckDBPyConnection) -> None:
    r = one(wh, "SELECT * FROM mart_country_participation WHERE framework_programme = 'FP7' AND start_year = 2008")
    assert r["focus_country"] == "RU"
    assert (r["all_projects"], r["all_participations"]) == (2, 8)  # P1 (5) + P2 (3)
    assert (r["projects"], r["participations"], r["organisations"]) == (2, 2, 2)  # RU1 in P1, RU2 in P2
    assert r["participations_fractional"] == pytest.approx(1 / 5 + 1 / 3)  # = 8/15
    assert r["share_participations"] == pytest.approx(2 / 8)
    assert r["share_participations_fractional"] == pytest.approx((8 / 15) / 2)  # fractional / projects
    assert r["share_projects"] == pytest.approx(1.0)
    assert (r["funded_participations"], r["unfunded_participations"]) == (2, 0)
    assert (r["coordinations"], r["single_beneficiary_coordinations"]) == (1, 0)  # RU1 coordinates P1
    assert float(r["ec_contribution"]) == 160.0  # 100 + 60
    assert (r["participations_hes"], r["participations_rec"], r["participations_pub"]) == (1, 1, 0)
    assert r["participations_fractional_hes"] == pytest.approx(1 / 5)
    assert r["participations_fractional_rec"] == pytest.approx(1 / 3)


def test_country_participation_fp7_2009_single_beneficiary_and_unfunded(wh: duckdb.DuckDBPyConnection) -> None:
    r = one(wh, "SELECT * FROM mart_country_participation WHERE framework_programme = 'FP7' AND start_year = 2009")
    assert (r["all_projects"], r["all_participations"]) == (3, 10)  # P3 (5) + P4 (1) + P5 (4)
    assert (r["projects"], r["participations"]) == (2, 2)  # RU1 in P4, RU3 in P5
    assert r["participations_fractional"] == pytest.approx(1 + 1 / 4)
    assert r["share_participations_fractional"] == pytest.approx(1.25 / 3)
    assert r["share_projects"] == pytest.approx(2 / 3)
    assert (r["funded_participations"], r["unfunded_participations"]) == (1, 1)  # RU3 got 0
    assert (r["coordinations"], r["single_beneficiary_coordinations"]) == (0, 1)  # the ERC grant apart
    assert float(r["ec_contribution"]) == 1000.0
    assert (r["participations_hes"], r["participations_pub"], r["participations_type_unknown"]) == (1, 1, 0)


def test_country_participation_fp6_and_h2020(wh: duckdb.DuckDBPyConnection) -> None:
    fp6 = one(wh, "SELECT * FROM mart_country_participation WHERE framework_programme = 'FP6' AND start_year = 2004")
    assert fp6["participations"] == 1 and fp6["funding_not_reported_participations"] == 1  # FP6: no EC per participant
    assert fp6["ec_contribution"] is None
    h16 = one(wh, "SELECT * FROM mart_country_participation WHERE framework_programme = 'H2020' AND start_year = 2016")
    assert (h16["participations"], h16["funded_participations"], h16["unfunded_participations"]) == (
        2,
        0,
        2,
    )  # 0 and NULL
    assert float(h16["ec_contribution"]) == 0.0
    h17 = one(wh, "SELECT * FROM mart_country_participation WHERE framework_programme = 'H2020' AND start_year = 2017")
    assert (h17["coordinations"], h17["single_beneficiary_coordinations"], h17["funded_participations"]) == (0, 1, 1)
    # every programme-year is a row: FP7 2008, 2009; FP6 2004, 2005; H2020 2016, 2017
    assert wh.execute("SELECT count(*) FROM mart_country_participation").fetchall()[0][0] == 6


# --- mart_third_country_ranking -------------------------------------------------------------------------------


def test_third_country_ranking_with_ties(wh: duckdb.DuckDBPyConnection) -> None:
    fp7 = {
        r["country_code"]: r
        for r in rows(wh, "SELECT * FROM mart_third_country_ranking WHERE framework_programme = 'FP7'")
    }
    # third countries in FP7: RU 4 (P1 P2 P4 P5), CN 3 (P2 P3 P5), UA 3 (P1 P3 P5; UA associated only from H2020), US 1 (P3)
    assert set(fp7) == {"RU", "CN", "UA", "US"}
    assert {c: r["participations"] for c, r in fp7.items()} == {"RU": 4, "CN": 3, "UA": 3, "US": 1}
    # RANK(): CN and UA tie at 2, the next rank is 4 (DENSE_RANK would give 3)
    assert {c: r["rank_participations"] for c, r in fp7.items()} == {"RU": 1, "CN": 2, "UA": 2, "US": 4}
    ru = fp7["RU"]
    assert ru["is_focus_country"] is True and fp7["CN"]["is_focus_country"] is False
    assert ru["share_participations"] == pytest.approx(4 / 18)  # 18 FP7 participations in all
    assert ru["share_projects"] == pytest.approx(4 / 5)  # 4 of the 5 FP7 projects
    # EC: 750 (P1) + 500 (P2) + 650 (P3) + 1000 (P4) + 130 (P5) = 3030; RU: 100 + 60 + 1000 + 0 = 1160
    assert float(ru["all_ec_contribution"]) == 3030.0
    assert ru["share_ec_contribution"] == pytest.approx(1160 / 3030)
    assert fp7["CN"]["share_ec_contribution"] == pytest.approx(80 / 3030)  # 40 + 30 + 10
    assert fp7["US"]["share_ec_contribution"] == pytest.approx(0.0)
    assert ru["participations_fractional"] == pytest.approx(1 / 5 + 1 / 3 + 1 + 1 / 4)
    assert ru["coordinations"] == 2  # P1 and P4
    fp6 = {
        r["country_code"]: r
        for r in rows(wh, "SELECT * FROM mart_third_country_ranking WHERE framework_programme = 'FP6'")
    }
    # PL is associated (Q2, 2004-02) then a member (Q1, 2005): never third; BY is third by default
    assert {c: r["rank_participations"] for c, r in fp6.items()} == {"RU": 1, "BY": 2}
    assert fp6["RU"]["share_participations"] == pytest.approx(2 / 6)
    assert fp6["RU"]["share_ec_contribution"] is None  # FP6: no per-participant contribution


# --- mart_partner_countries -----------------------------------------------------------------------------------


def test_partner_countries_links_and_salton(wh: duckdb.DuckDBPyConnection) -> None:
    got = {
        r["partner_country"]: r
        for r in rows(wh, "SELECT * FROM mart_partner_countries WHERE framework_programme = 'FP7'")
    }
    # RU's FP7 projects with partners: P1 (n=5, 10 pairs: RU1 with DE1 DE3 FR1 UA1), P2 (n=3, 3 pairs), P5 (n=4, 6 pairs)
    assert set(got) == {"DE", "FR", "UA", "CN"}
    de, fr, ua, cn = got["DE"], got["FR"], got["UA"], got["CN"]
    assert (de["joint_projects"], de["links_full"]) == (3, 4)  # P1 (2 German orgs), P2, P5
    assert de["links_fractional"] == pytest.approx(2 / 10 + 1 / 3 + 1 / 6)  # = 0.7
    assert (fr["joint_projects"], fr["links_full"]) == (1, 1) and fr["links_fractional"] == pytest.approx(1 / 10)
    assert ua["links_fractional"] == pytest.approx(1 / 10 + 1 / 6)  # P1 and P5
    assert cn["links_fractional"] == pytest.approx(1 / 3 + 1 / 6)  # P2 and P5
    # Salton: C_RU = 4 FP7 projects; C_DE = 4 (P1 P2 P3 P5), C_FR = 2 (P1 P3), C_UA = C_CN = 3
    assert (de["focus_projects"], de["partner_projects"]) == (4, 4)
    assert de["salton"] == pytest.approx(3 / math.sqrt(4 * 4))  # 0.75
    assert fr["salton"] == pytest.approx(1 / math.sqrt(4 * 2))
    assert ua["salton"] == pytest.approx(2 / math.sqrt(4 * 3))
    assert cn["salton"] == pytest.approx(2 / math.sqrt(4 * 3))
    assert {c: r["rank_joint_projects"] for c, r in got.items()} == {"DE": 1, "UA": 2, "CN": 2, "FR": 4}
    assert de["share_of_focus_projects"] == pytest.approx(3 / 4)
    assert (de["partner_status"], ua["partner_status"]) == ("member", "third")  # UA associated only from H2020


# --- mart_theme_profile ---------------------------------------------------------------------------------------


def test_theme_profile_activity_index(wh: duckdb.DuckDBPyConnection) -> None:
    got = {r["theme_code"]: r for r in rows(wh, "SELECT * FROM mart_theme_profile WHERE framework_programme = 'FP7'")}
    assert set(got) == {"FP7-ICT", "FP7-HEALTH", "FP7-ERC"}
    ict, health, erc = got["FP7-ICT"], got["FP7-HEALTH"], got["FP7-ERC"]
    # ICT: P1 + P2 = 8 participations, RU 2; HEALTH: P3 + P5 = 9, RU 1 (RU3); ERC: P4 = 1, RU 1
    assert (ict["participations"], ict["all_participations"]) == (2, 8)
    assert (health["participations"], health["all_participations"]) == (1, 9)
    assert (erc["participations"], erc["all_participations"]) == (1, 1)
    assert ict["share_overall"] == pytest.approx(4 / 18)  # RU's share of all FP7 participations = 2/9
    assert ict["activity_index"] == pytest.approx((2 / 8) / (2 / 9))  # 1.125
    assert health["activity_index"] == pytest.approx((1 / 9) / (2 / 9))  # 0.5
    assert erc["activity_index"] == pytest.approx(1 / (2 / 9))  # 4.5
    # fractional: RU 8/15 (ICT), 1/4 (HEALTH), 1 (ERC) over 5 projects -> overall (107/60)/5 = 107/300
    assert ict["share_overall_fractional"] == pytest.approx(107 / 300)
    assert ict["activity_index_fractional"] == pytest.approx(((8 / 15) / 2) / (107 / 300))  # 80/107
    assert health["activity_index_fractional"] == pytest.approx(((1 / 4) / 2) / (107 / 300))
    assert erc["activity_index_fractional"] == pytest.approx(1 / (107 / 300))


# --- institutions ---------------------------------------------------------------------------------------------


def test_institutions_group_by_institution_key(wh: duckdb.DuckDBPyConnection) -> None:
    got = {r["institution_key"]: r for r in rows(wh, "SELECT * FROM mart_institutions")}
    assert set(got) == {"ror:msu", "RU2"}
    msu = got["ror:msu"]  # RU1 (P1 P4 Q1 R1 R2) + RU3 (P5)
    assert msu["institution_name"] == "Lomonosov Moscow State University"
    assert (msu["organisation_keys"], msu["participations"], msu["projects"]) == (2, 6, 6)
    assert msu["participations_fractional"] == pytest.approx(1 / 5 + 1 + 1 / 4 + 1 / 3 + 1 / 4 + 1)
    assert (msu["coordinations"], msu["single_beneficiary_coordinations"]) == (1, 2)  # P1; P4 (ERC) and R2 (MSCA-IF)
    assert (msu["funded_participations"], msu["unfunded_participations"]) == (3, 2)  # P1 P4 R2; P5 R1
    assert float(msu["ec_contribution"]) == 1200.0  # 100 + 1000 + 0 + 0 + 100 (FP6 none)
    assert msu["programmes"] == "FP6, FP7, H2020"
    assert msu["themes"] == 6  # FP7-ICT, FP7-ERC, FP7-HEALTH, FP6-P2, H2020-SC1, H2020-MSCA
    assert (msu["first_year"], msu["last_year"]) == (2005, 2017)
    assert msu["city"] == "г. Москва, Россия"  # as written in RU1's most recent participation (R2, 2017)
    assert msu["rank_participations"] == 1
    assert got["RU2"]["participations"] == 3 and got["RU2"]["rank_participations"] == 2  # P2 Q2 R1


def test_institution_partners_ranked(wh: duckdb.DuckDBPyConnection) -> None:
    got = {
        r["partner_institution_key"]: r
        for r in rows(wh, "SELECT * FROM mart_institution_partners WHERE institution_key = 'ror:msu'")
    }
    # MSU's projects with partners: P1 (DE1 DE3 FR1 UA1, n=5), P5 (DE1 UA2 CN2, n=4), Q1 (DE1 PL1, n=3), R1 (DE1 RU2 FR1, n=4)
    assert set(got) == {"DE1", "DE3", "FR1", "UA1", "UA2", "CN2", "PL1", "RU2"}
    assert got["DE1"]["joint_projects"] == 4 and got["DE1"]["partner_rank"] == 1
    assert got["DE1"]["links_fractional"] == pytest.approx(1 / 10 + 1 / 6 + 1 / 3 + 1 / 6)
    assert got["FR1"]["joint_projects"] == 2 and got["FR1"]["partner_rank"] == 2
    # one joint project each, ranked by links_fractional: PL1 1/3 (rank 3); UA2, CN2, RU2 1/6 (rank 4, tied);
    # DE3, UA1 1/10 (rank 7)
    assert {k: got[k]["partner_rank"] for k in ("PL1", "UA2", "CN2", "RU2", "DE3", "UA1")} == {
        "PL1": 3,
        "UA2": 4,
        "CN2": 4,
        "RU2": 4,
        "DE3": 7,
        "UA1": 7,
    }
    assert got["RU2"]["partner_is_focus_country"] is True and got["DE1"]["partner_is_focus_country"] is False
    assert got["DE1"]["programmes"] == "FP6, FP7, H2020"


# --- regions --------------------------------------------------------------------------------------------------


def test_regions_cities_subjects_districts_and_moscow_spb_share(wh: duckdb.DuckDBPyConnection) -> None:
    fp7 = {r["city"]: r for r in rows(wh, "SELECT * FROM mart_regions WHERE framework_programme = 'FP7'")}
    # RU in FP7: MOSCOW (P1) and Moskva (P4) -> Moscow; St. Petersburg (P2); g. Novosibirsk (P5)
    assert set(fp7) == {"Moscow", "Saint Petersburg", "Novosibirsk"}
    moscow = fp7["Moscow"]
    assert (moscow["participations"], moscow["federal_subject"], moscow["federal_district"]) == (
        2,
        "Moscow",
        "Central Federal District",
    )
    assert moscow["participations_fractional"] == pytest.approx(1 / 5 + 1)
    assert moscow["share_participations"] == pytest.approx(2 / 4)
    assert fp7["Novosibirsk"]["district_share_participations"] == pytest.approx(1 / 4)  # Siberian
    assert fp7["Saint Petersburg"]["federal_district"] == "Northwestern Federal District"
    assert all(r["moscow_spb_share"] == pytest.approx(3 / 4) for r in fp7.values())
    h2020 = {r["city"]: r for r in rows(wh, "SELECT * FROM mart_regions WHERE framework_programme = 'H2020'")}
    # Moscow (R1 'Moscow', R2 'г. Москва, Россия') and an unknown city kept, unmapped
    assert h2020["Moscow"]["participations"] == 2
    assert h2020["NOWHEREVILLE"]["is_mapped"] is False and h2020["NOWHEREVILLE"]["federal_subject"] is None
    assert h2020["Moscow"]["moscow_spb_share"] == pytest.approx(2 / 3)
    fp6 = {r["city"]: r for r in rows(wh, "SELECT * FROM mart_regions WHERE framework_programme = 'FP6'")}
    assert set(fp6) == {"Moscow", "Saint Petersburg"}  # 'MOSCOW 119991' (digits dropped), 'SANKT-PETERBURG'
    assert fp6["Moscow"]["moscow_spb_share"] == pytest.approx(1.0)


# --- active projects ------------------------------------------------------------------------------------------


def test_active_projects_on_the_as_of_date(wh: duckdb.DuckDBPyConnection) -> None:
    got = {r["project_id"]: r for r in rows(wh, "SELECT * FROM mart_active_projects")}
    # on 2009-06-01: P1 (to 2011-02-28), P4 (to 2014-04-30), P5 (to 2012-01-31) have RU; P2 ended 2009-05-31; P3 has no RU
    assert set(got) == {"P1", "P4", "P5"}
    p1, p5 = got["P1"], got["P5"]
    assert str(p1["as_of_date"]) == "2009-06-01"
    assert (p1["participants"], p1["focus_participants"], p1["partner_countries"]) == (5, 1, 3)
    assert p1["partner_country_list"] == "DE, FR, UA"
    assert p1["focus_coordinated"] is True and p5["focus_coordinated"] is False
    assert float(p1["focus_ec_contribution"]) == 100.0 and float(p1["ec_contribution_participants"]) == 750.0
    assert p5["focus_funding"] == "unfunded" and p5["coordinator_country"] == "DE"
    assert p1["days_remaining"] == 730 - 93  # 2009-06-01 -> 2011-06-01 is 730 days; 2011-02-28 is 93 days earlier
    assert p1["focus_organisations"] == "RU1"


def test_active_projects_boundaries_are_inclusive() -> None:
    con = new_warehouse()
    load(con, PROJECTS, PARTICIPATIONS, LINKS)
    build(con, as_of="2011-02-28", models=CORE_MODELS + ["mart_active_projects"])
    assert {r[0] for r in con.execute("SELECT project_id FROM mart_active_projects").fetchall()} == {"P1", "P4", "P5"}
    build(con, as_of="2011-03-01", models=["mart_active_projects"])
    assert {r[0] for r in con.execute("SELECT project_id FROM mart_active_projects").fetchall()} == {"P4", "P5"}


# --- any focus country ----------------------------------------------------------------------------------------


def test_dim_city_holds_the_focus_countrys_spellings(wh: duckdb.DuckDBPyConnection) -> None:
    cities = {r["city_as_written"]: r for r in rows(wh, "SELECT * FROM dim_city")}
    assert {r["focus_country"] for r in cities.values()} == {"RU"}
    written = {"MOSCOW", "Moskva", "St. Petersburg", "g. Novosibirsk", "MOSCOW 119991", "SANKT-PETERBURG", "Moscow"}
    assert written | {"Nowhereville", "г. Москва, Россия"} <= set(cities)  # every RU participant's spelling
    assert {"Zelenograd", "ZELENOGRAD MOSCOW", "ЗЕЛЕНОГРАД"} <= set(cities)  # and the reference's, for Russia
    novosibirsk = cities["g. Novosibirsk"]
    assert (novosibirsk["city_key"], novosibirsk["city"], novosibirsk["is_mapped"]) == (
        "NOVOSIBIRSK",
        "Novosibirsk",
        True,
    )
    assert (cities["Nowhereville"]["city"], cities["Nowhereville"]["is_mapped"]) == (None, False)

    con = new_warehouse()  # Germany: its participants' spellings only, none mapped (the reference is Russia's)
    extra = [O("FP7", "P1", "DE9", "DE", city="Berlin"), O("FP7", "P2", "DE8", "DE", city="Moskau")]
    load(con, PROJECTS, PARTICIPATIONS + extra, LINKS)
    build(con, focus="DE", models=["dim_city"])
    got = rows(con, "SELECT * FROM dim_city ORDER BY city_as_written")
    assert [(r["focus_country"], r["city_as_written"], r["city_key"], r["is_mapped"]) for r in got] == [
        ("DE", "Berlin", "BERLIN", False),
        ("DE", "Moskau", "MOSKAU", False),  # a reference variant of Moscow, but not a Russian city here
    ]
    assert all(r["city"] is None and r["federal_subject"] is None for r in got)


def test_marts_work_for_another_focus_country() -> None:
    con = new_warehouse()
    load(con, PROJECTS, PARTICIPATIONS, LINKS)
    build(con, focus="DE", as_of="2009-06-01")
    fp7 = rows(con, "SELECT * FROM mart_country_participation WHERE framework_programme = 'FP7' ORDER BY start_year")
    # DE in FP7: 2008: DE1 DE3 (P1) + DE1 (P2) = 3, coordinates P2; 2009: DE2 (P3) + DE1 (P5) = 2, coordinates both
    assert [(r["start_year"], r["participations"], r["coordinations"]) for r in fp7] == [(2008, 3, 1), (2009, 2, 2)]
    assert all(r["focus_country"] == "DE" for r in fp7)
    partners = {
        r["partner_country"]
        for r in rows(con, "SELECT * FROM mart_partner_countries WHERE framework_programme = 'FP7'")
    }
    assert partners == {"RU", "FR", "UA", "CN", "US"}
    ranking = rows(con, "SELECT * FROM mart_third_country_ranking WHERE is_focus_country")
    assert ranking == []  # Germany is never a third country
    regions = rows(con, "SELECT * FROM mart_regions")
    assert regions and not any(r["is_mapped"] for r in regions)  # the Russian city table is not applied
    assert rows(con, "SELECT * FROM mart_active_projects WHERE project_id = 'P3'")  # P3 has DE2, no RU
    assert (
        rows(con, "SELECT * FROM mart_institutions WHERE institution_key = 'DE1'")[0]["participations"] == 5
    )  # P1 P2 P5 Q1 R1


# --- the collaboration network --------------------------------------------------------------------------------


def test_collaboration_edges_and_network_measures() -> None:
    con = new_warehouse()
    load(
        con,
        [P("H2020", str(i), "2018-01-01") for i in range(1, 6)],
        [
            # N1: A (RU), B, C -> triangle A-B, A-C, B-C (n=3: each pair 1/3)
            O("H2020", "1", "A", "RU"),
            O("H2020", "1", "B", "DE"),
            O("H2020", "1", "C", "FR"),
            # N2 and N5: A with D twice -> A-D joint 2, fractional 1 + 1
            O("H2020", "2", "A", "RU"),
            O("H2020", "2", "D", "IT"),
            O("H2020", "5", "A", "RU"),
            O("H2020", "5", "D", "IT"),
            # N3: E (RU) with B
            O("H2020", "3", "E", "RU"),
            O("H2020", "3", "B", "DE"),
            # N4: B with D but no Russian partner: not in the network
            O("H2020", "4", "B", "DE"),
            O("H2020", "4", "D", "IT"),
        ],
    )
    build(con)
    edges = {(r["source_key"], r["target_key"]): r for r in rows(con, "SELECT * FROM mart_collaboration_edges")}
    assert set(edges) == {("A", "B"), ("A", "C"), ("B", "C"), ("A", "D"), ("B", "E")}
    assert edges[("A", "D")]["joint_projects"] == 2 and edges[("A", "D")]["weight_fractional"] == pytest.approx(2.0)
    assert edges[("A", "B")]["weight_fractional"] == pytest.approx(1 / 3)
    assert edges[("B", "C")]["focus_edge"] is False and edges[("A", "C")]["focus_edge"] is True
    assert network.build_network(con) == 5
    nodes = {r["institution_key"]: r for r in rows(con, "SELECT * FROM mart_collaboration_network")}
    assert {k: r["degree"] for k, r in nodes.items()} == {"A": 3, "B": 3, "C": 2, "D": 1, "E": 1}
    assert nodes["A"]["weighted_degree"] == 4  # A-B 1 + A-C 1 + A-D 2
    assert nodes["A"]["weighted_degree_fractional"] == pytest.approx(1 / 3 + 1 / 3 + 2)
    assert nodes["B"]["weighted_degree_fractional"] == pytest.approx(1 / 3 + 1 / 3 + 1)
    # betweenness, normalised by (n-1)(n-2)/2 = 6 pairs: A lies on D-E, D-C, D-B; B on D-E, E-C, E-A
    assert nodes["A"]["betweenness"] == pytest.approx(3 / 6)
    assert nodes["B"]["betweenness"] == pytest.approx(3 / 6)
    assert nodes["C"]["betweenness"] == nodes["D"]["betweenness"] == nodes["E"]["betweenness"] == 0
    assert nodes["A"]["betweenness_rank"] == nodes["B"]["betweenness_rank"] == 1 and nodes["C"]["betweenness_rank"] == 3
    assert nodes["A"]["is_focus_country"] is True and nodes["B"]["country_code"] == "DE"
    assert nodes["A"]["component_size"] == 5 and nodes["A"]["betweenness_method"] == "exact"


def _measures(edges: list[tuple[str, str, int, float]], **options: int):
    source, target, joint, fractional = (list(column) for column in zip(*edges))
    return network.measures_from_arrays(
        np.asarray(source, dtype=object),
        np.asarray(target, dtype=object),
        np.asarray(joint, dtype=np.int64),
        np.asarray(fractional),
        **options,
    )


def test_collaboration_pairs_are_shared_by_edges_and_partners() -> None:
    con = new_warehouse()
    load(
        con,
        [P("H2020", "1", "2018-01-01"), P("H2020", "2", "2019-01-01"), P("H2020", "3", "2019-01-01")],
        [
            # project 1: A1 and A2 (one institution 'a', RU), B (DE), C (FR): n=4, each organisation pair 1/6
            O("H2020", "1", "A1", "RU"),
            O("H2020", "1", "A2", "RU"),
            O("H2020", "1", "B", "DE"),
            O("H2020", "1", "C", "FR"),
            # project 2: A1 with B: n=2, the one pair weighs 1
            O("H2020", "2", "A1", "RU"),
            O("H2020", "2", "B", "DE"),
            # project 3: no organisation of the focus country: no pairs
            O("H2020", "3", "B", "DE"),
            O("H2020", "3", "C", "FR"),
        ],
        links=[("A1", None, "a", "A", "override", 1.0), ("A2", None, "a", "A", "override", 1.0)],
    )
    build(con)
    pairs = {
        (r["project_id"], r["institution_key"], r["partner_institution_key"]): r
        for r in rows(con, "SELECT * FROM int_collaboration_pairs")
    }
    # project 1: the pairs of a, B, C, each once with the smaller key first (3); project 2: B-a (1); project 3: none
    assert set(pairs) == {("1", "B", "C"), ("1", "B", "a"), ("1", "C", "a"), ("2", "B", "a")}
    b_a = pairs[("1", "B", "a")]
    assert (b_a["links"], b_a["focus_country"]) == (2, "RU")  # A1-B and A2-B
    assert float(b_a["links_fractional"]) == pytest.approx(2 / 6)
    # from B (not RU): no focus links; from a (RU, the partner column): both
    assert (b_a["focus_links"], float(b_a["focus_links_fractional"])) == (0, 0.0)
    assert (b_a["partner_focus_links"], float(b_a["partner_focus_links_fractional"])) == (2, pytest.approx(2 / 6))
    b_c = pairs[("1", "B", "C")]
    assert (b_c["links"], b_c["focus_links"], b_c["partner_focus_links"]) == (1, 0, 0)
    # the edges mart: unordered pairs, every pair of a project with the focus country
    edges = {(r["source_key"], r["target_key"]): r for r in rows(con, "SELECT * FROM mart_collaboration_edges")}
    assert set(edges) == {("B", "a"), ("C", "a"), ("B", "C")}
    assert (edges[("B", "a")]["joint_projects"], edges[("B", "a")]["links"]) == (2, 3)
    assert edges[("B", "a")]["weight_fractional"] == pytest.approx(2 / 6 + 1)
    assert edges[("B", "C")]["weight_fractional"] == pytest.approx(1 / 6) and edges[("B", "C")]["focus_edge"] is False
    # the partners mart: only pairs whose first organisation is of the focus country, the same numbers
    partners = {r["partner_institution_key"]: r for r in rows(con, "SELECT * FROM mart_institution_partners")}
    assert set(partners) == {"B", "C"} and {r["institution_key"] for r in partners.values()} == {"a"}
    assert (partners["B"]["joint_projects"], partners["B"]["links"], partners["B"]["partner_rank"]) == (2, 3, 1)
    assert partners["B"]["links_fractional"] == pytest.approx(2 / 6 + 1) and partners["B"]["programmes"] == "H2020"
    assert partners["C"]["links_fractional"] == pytest.approx(2 / 6)


def test_focus_country_macro_on_a_read_only_connection(tmp_path) -> None:
    from bilatrus_etl.warehouse import models, queries

    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    con = duckdb.connect(str(path), read_only=True)
    try:
        queries.install_session_macros(con)
        assert con.execute("SELECT focus_country()").fetchall() == [("RU",)]  # the default
        models.set_variables(con, {"focus_country": "ua"})
        assert con.execute("SELECT focus_country()").fetchall() == [("UA",)]
    finally:
        con.close()


def test_network_samples_betweenness_on_large_graphs() -> None:
    edges = [(f"n{i:03d}", f"n{i + 1:03d}", 1, 1.0) for i in range(199)]  # a path of 200 nodes
    table, stats = _measures(edges, max_work=1000, seed=1)
    assert stats.betweenness_method.startswith("sampled k=") and table.num_rows == 200
    table_again, _ = _measures(edges, max_work=1000, seed=1)
    assert table.column("betweenness").to_pylist() == table_again.column("betweenness").to_pylist()  # fixed seed
    _, stats_exact = _measures(edges)
    assert stats_exact.betweenness_method == "exact"


def test_network_on_empty_edges() -> None:
    con = new_warehouse()
    build(con)
    assert network.build_network(con) == 0
    assert "betweenness" in [d[0] for d in con.execute("SELECT * FROM mart_collaboration_network").description]


def test_every_mart_model_ran(wh: duckdb.DuckDBPyConnection) -> None:
    for name in MART_MODELS:
        assert wh.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] > 0, name


@pytest.mark.parametrize("n_nodes, n_edges, seed", [(40, 80, 1), (120, 300, 2), (200, 199, 3)])
def test_betweenness_equals_networkx_exact_and_sampled(n_nodes: int, n_edges: int, seed: int) -> None:
    import random

    import networkx as nx
    import numpy as np

    rng = random.Random(seed)
    pairs = {tuple(sorted(rng.sample(range(n_nodes), 2))) for _ in range(n_edges)}
    graph = nx.Graph()
    graph.add_nodes_from(range(n_nodes))
    graph.add_edges_from(pairs)
    src = np.array([a for a, _ in pairs])
    dst = np.array([b for _, b in pairs])
    exact, method = network.betweenness(n_nodes, src, dst)
    assert method == "exact"
    expected = nx.betweenness_centrality(graph, normalized=True)
    assert exact == pytest.approx([expected[v] for v in range(n_nodes)], abs=1e-12)
    sampled, method = network.betweenness(n_nodes, src, dst, max_work=1, seed=seed)
    k = network.MIN_SAMPLE
    assert method == f"sampled k={k} seed={seed}"
    expected = nx.betweenness_centrality(graph, k=k, normalized=True, seed=seed)
    assert sampled == pytest.approx([expected[v] for v in range(n_nodes)], abs=1e-12)

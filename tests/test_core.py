"""Core tables (dim_*, fact_participation) on small hand-built staging inputs, and the curated reference tables.

The builders at the top (P, O, new_warehouse, load, build, rows) are shared with test_marts, test_dictionary
and test_analyst (`from test_core import ...`).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest

from bilatrus_etl.resources import REFERENCE_DIR
from bilatrus_etl.warehouse.models import load_models, model_deps, run_models, set_variables, source_tables
from bilatrus_etl.warehouse.tables import INSTITUTION_LINK, create_empty

MODELS = load_models()
CORE_MODELS = [name for name, m in MODELS.items() if m.layer == "core"]
MART_MODELS = [name for name, m in MODELS.items() if m.layer == "marts"]

STG_DDL = """
CREATE TABLE stg_project (
    framework_programme VARCHAR, project_id VARCHAR, acronym VARCHAR, title VARCHAR, programme_code VARCHAR,
    topic VARCHAR, funding_scheme VARCHAR, start_date DATE, end_date DATE, total_cost DECIMAL(18,2),
    ec_max_contribution DECIMAL(18,2), dataset VARCHAR, source_file VARCHAR, source_line BIGINT);
CREATE TABLE stg_participation (
    framework_programme VARCHAR, project_id VARCHAR, org_key VARCHAR, pic VARCHAR, name VARCHAR, short_name VARCHAR,
    activity_type VARCHAR, country VARCHAR, country_code_source VARCHAR, city VARCHAR, role VARCHAR,
    ec_contribution DECIMAL(18,2), dataset VARCHAR, source_file VARCHAR, source_line BIGINT);
CREATE TABLE stg_country (cordis_code VARCHAR, iso_code VARCHAR, name VARCHAR, mapping_source VARCHAR, in_cordisref BOOLEAN);
CREATE TABLE stg_programme_ref (
    programme_code VARCHAR, title VARCHAR, short_title VARCHAR, framework_programme VARCHAR, rcn VARCHAR,
    language VARCHAR, source_file VARCHAR);
"""


def P(
    fp: str,
    pid: str,
    start: str | None,
    end: str | None = None,
    *,
    scheme: str = "CP",
    code: str | None = None,
    ec_max: float | None = None,
    acronym: str | None = None,
) -> tuple:
    """One stg_project row."""
    return (
        fp,
        pid,
        acronym or f"{fp}-{pid}",
        f"Project {pid}",
        code,
        None,
        scheme,
        start,
        end,
        None,
        ec_max,
        "test",
        "project.csv",
        None,
    )


def O(
    fp: str,
    pid: str,
    org: str,
    country: str | None,
    *,
    role: str = "participant",
    ec: float | None = None,
    type: str | None = "REC",
    city: str | None = None,
    name: str | None = None,
) -> tuple:
    """One stg_participation row."""
    return (
        fp,
        pid,
        org,
        org,
        name or org.upper(),
        None,
        type,
        country,
        country,
        city,
        role,
        ec,
        "test",
        "organization.csv",
        None,
    )


def new_warehouse(path: Path | str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB file with empty staging tables in the contract's shape and an empty institution_link."""
    con = duckdb.connect(str(path))
    con.execute(STG_DDL)
    create_empty(con, INSTITUTION_LINK)
    con.execute(
        "INSERT INTO stg_country VALUES ('RU','RU','Russia','cordisref',true), ('DE','DE','Germany','cordisref',true),"
        " ('UK','GB','United Kingdom','exception',true), ('GB','GB','United Kingdom of Great Britain','pycountry',false),"
        " ('CN','CN','China','cordisref',true), ('UA','UA','Ukraine','cordisref',true)"
    )
    return con


def load(
    con: duckdb.DuckDBPyConnection, projects: list[tuple], participations: list[tuple], links: list[tuple] = ()
) -> None:
    """Insert rows, numbering source lines in the order given."""
    con.executemany(
        "INSERT INTO stg_project VALUES (" + ",".join("?" * 14) + ")",
        [row[:-1] + (i + 2,) for i, row in enumerate(projects)],
    )
    con.executemany(
        "INSERT INTO stg_participation VALUES (" + ",".join("?" * 15) + ")",
        [row[:-1] + (i + 2,) for i, row in enumerate(participations)],
    )
    if links:
        con.executemany(
            "INSERT INTO institution_link (org_key, ror_id, institution_key, institution_name, method, score) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            list(links),
        )


def build(
    con: duckdb.DuckDBPyConnection,
    *,
    focus: str | None = None,
    as_of: str | None = None,
    models: list[str] | None = None,
) -> dict[str, int]:
    """Run the core and mart models (or `models`) with the reference folder of this checkout."""
    variables: dict[str, object] = {"reference_dir": str(REFERENCE_DIR)}
    if focus:
        variables["focus_country"] = focus
    if as_of:
        variables["as_of"] = date.fromisoformat(as_of)
    set_variables(con, variables)
    return run_models(con, models or CORE_MODELS + MART_MODELS)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# --- the model files ---------------------------------------------------------------------------------------


def test_models_parse_and_reference_reads_are_not_dependencies() -> None:
    # read_csv(<reference_dir> || '/x.csv') must not show up as a model or source dependency
    assert "dim_country_status" in CORE_MODELS and "fact_participation" in CORE_MODELS
    assert MODELS["dim_country_status"].tables_read == frozenset()
    assert source_tables(MODELS["dim_project"], MODELS) == []  # stg_* are models of the staging layer
    assert set(model_deps(MODELS["dim_project"], MODELS)) == {"dim_programme", "stg_participation", "stg_project"}
    allowed_sources = {"institution_link"}
    for name in CORE_MODELS + MART_MODELS:
        assert set(source_tables(MODELS[name], MODELS)) <= allowed_sources, name
        assert "/work/" not in MODELS[name].sql, f"{name} holds an absolute path"


def test_every_model_opens_with_description_and_marts_state_counting() -> None:
    for name in CORE_MODELS + MART_MODELS:
        model = MODELS[name]
        assert model.description and len(model.description) > 20, name
        assert model.column_docs, name
    for name in MART_MODELS:
        notes = MODELS[name].notes.lower()
        assert "one row" in notes, name
        assert "counting" in notes, name
        assert "full" in notes or "fractional" in notes, name


def test_core_runs_on_empty_inputs_and_empty_institution_link() -> None:
    con = new_warehouse()
    counts = build(con)
    assert counts["fact_participation"] == 0
    assert counts["dim_project"] == 0
    assert counts["dim_country_status"] > 100  # the curated table is there regardless


# --- fact_participation --------------------------------------------------------------------------------------


@pytest.fixture()
def merged() -> duckdb.DuckDBPyConnection:
    con = new_warehouse()
    load(
        con,
        [
            P("H2020", "1", "2018-01-01", "2020-12-31", code="H2020-EU.3.1.", scheme="RIA"),
            P("FP7", "2", "2010-01-01", "2012-12-31", code="FP7-ICT"),
            P("FP6", "3", "2005-01-01", "2007-12-31", code="FP6-IST"),
        ],
        [
            # H2020 project 1: DE1 twice (beneficiary and third party), RU1 with 0, RU2 with NULL, FR1 coordinator
            O("H2020", "1", "de1", "DE", role="beneficiary", ec=300),
            O("H2020", "1", "de1", "DE", role="third party", ec=50),
            O("H2020", "1", "ru1", "RU", ec=0),
            O("H2020", "1", "ru2", "RU", ec=None),
            O("H2020", "1", "fr1", "FR", role="coordinator", ec=500),
            # FP7 project 2 reports no contribution at all
            O("FP7", "2", "ru1", "RU", role="coordinator"),
            O("FP7", "2", "de1", "DE"),
            # FP6: never reported
            O("FP6", "3", "ru1", "RU", ec=None),
            O("FP6", "3", "xx", None, ec=None),
        ],
    )
    build(con, models=CORE_MODELS)
    return con


def test_fact_one_row_per_organisation_per_project(merged: duckdb.DuckDBPyConnection) -> None:
    facts = {(r["project_id"], r["org_key"]): r for r in rows(merged, "SELECT * FROM fact_participation")}
    assert len(facts) == 8  # 9 source rows, de1 listed twice in project 1
    de1 = facts[("1", "de1")]
    assert de1["role"] == "beneficiary"  # beneficiary outranks third party
    assert float(de1["ec_contribution"]) == 350.0  # 300 + 50 summed
    assert de1["source_rows"] == 2
    assert de1["project_participants"] == 4  # de1, ru1, ru2, fr1
    assert de1["weight"] == pytest.approx(0.25)
    assert facts[("1", "fr1")]["is_coordinator"] is True
    weight_sums = rows(merged, "SELECT project_id, sum(weight) AS w FROM fact_participation GROUP BY ALL")
    assert all(r["w"] == pytest.approx(1.0) for r in weight_sums)


def test_fact_funding_status(merged: duckdb.DuckDBPyConnection) -> None:
    status = {
        (r["project_id"], r["org_key"]): r["funding_status"]
        for r in rows(merged, "SELECT project_id, org_key, funding_status FROM fact_participation")
    }
    assert status[("1", "de1")] == "funded"
    assert status[("1", "ru1")] == "unfunded"  # EC contribution 0
    assert status[("1", "ru2")] == "unfunded"  # NULL in a project that reports contributions
    assert status[("2", "ru1")] == "not reported"  # nobody in project 2 has a contribution
    assert status[("3", "ru1")] == "not reported"  # FP6


def test_fact_country_status_follows_the_project_start_date() -> None:
    con = new_warehouse()
    load(
        con,
        [
            P("FP6", "a", "2004-02-01"),
            P("FP6", "b", "2005-01-01"),
            P("HE", "c", "2023-06-01"),
            P("HE", "d", "2024-03-01"),
            P("HE", "e", None),
            P("FP7", "f", "2013-03-01"),
            P("FP7", "g", "2013-09-01"),
        ],
        [
            O("FP6", "a", "pl", "PL"),
            O("FP6", "b", "pl", "PL"),
            O("FP6", "a", "br", "BR"),
            O("FP6", "a", "none", None),
            O("HE", "c", "gb", "GB"),
            O("HE", "d", "gb", "GB"),
            O("HE", "e", "gb", "GB"),
            O("HE", "c", "ru", "RU"),
            O("FP7", "f", "hr", "HR"),
            O("FP7", "g", "hr", "HR"),
        ],
    )
    build(con, models=CORE_MODELS)
    got = {
        (r["project_id"], r["org_key"]): r["country_status"]
        for r in rows(con, "SELECT project_id, org_key, country_status FROM fact_participation")
    }
    assert got[("a", "pl")] == "associated"  # FP6 project started before PL's accession on 2004-05-01
    assert got[("b", "pl")] == "member"
    assert got[("a", "br")] == "third"  # no curated row: third by default
    assert got[("a", "none")] is None  # unknown country
    assert got[("c", "gb")] == "third"  # UK not associated to HE before 2024
    assert got[("d", "gb")] == "associated"
    assert got[("e", "gb")] == "associated"  # unknown start: the latest period
    assert got[("c", "ru")] == "third"
    assert got[("f", "hr")] == "associated" and got[("g", "hr")] == "member"  # HR joined the EU on 2013-07-01


# --- dimensions ----------------------------------------------------------------------------------------------


def test_dim_project_scheme_class_theme_and_orphans() -> None:
    con = new_warehouse()
    con.execute(
        "INSERT INTO stg_programme_ref (programme_code, title, framework_programme) VALUES "
        "('FP7-ICT', 'Information and communication technologies', 'FP7')"
    )
    schemes = {
        "1": ("FP7", "ERC-SG", "FP7-IDEAS-ERC", "single_beneficiary", "FP7-ERC"),
        "2": ("H2020", "ERC-SyG", "H2020-EU.1.1.", "collaborative", "H2020-ERC"),  # synergy: several hosts
        "3": ("H2020", "MSCA-IF-EF-ST", "H2020-EU.1.3.2.", "single_beneficiary", "H2020-MSCA"),
        "4": ("FP7", "MC-IOF", "FP7-PEOPLE", "single_beneficiary", "FP7-PEOPLE"),
        "5": ("HE", "HORIZON-ERC", "HORIZON.1.1", "single_beneficiary", "HE-ERC"),
        "6": ("HE", "HORIZON-ERC-SYG", "HORIZON.1.1", "collaborative", "HE-ERC"),
        "7": ("HE", "HORIZON-TMA-MSCA-PF-GF", "HORIZON.1.2", "single_beneficiary", "HE-MSCA"),
        "8": ("H2020", "RIA", "H2020-EU.2.1.1.3.", "collaborative", "H2020-ICT"),  # longest prefix 2.1.1.
        "9": ("FP7", "CP", "FP7-EURATOM-FUSION", "collaborative", "FP7-EURATOM-FUSION"),
        "10": ("FP7", "CP", "FP7-ICT", "collaborative", "FP7-ICT"),
        "11": ("H2020", "RIA", "H2020-EU.3.1.;H2020-EU.3.5.", "collaborative", "H2020-SC1"),  # first code
        "12": ("HE", "HORIZON-RIA", "HORIZON.2.5", "collaborative", "HE-CL5"),
        "13": ("FP6", "IP", "FP6-SUSTDEV", "collaborative", "FP6-P6"),
        "14": ("FP6", "EIF", "FP6-MOBILITY", "single_beneficiary", "FP6-MOBILITY"),
        "15": ("FP7", None, "NOT-A-CODE", "collaborative", "unclassified"),
    }
    load(
        con,
        [P(fp, pid, "2010-01-01", scheme=s, code=c) for pid, (fp, s, c, _, _) in schemes.items()],
        [O("FP7", "1", "a", "RU", role="coordinator"), O("FP7", "999", "a", "RU")],
    )  # 999: no project row
    build(con, models=CORE_MODELS)
    got = {r["project_id"]: r for r in rows(con, "SELECT * FROM dim_project")}
    for pid, (_, _, _, scheme_class, theme) in schemes.items():
        assert got[pid]["scheme_class"] == scheme_class, pid
        assert got[pid]["is_single_beneficiary"] is (scheme_class == "single_beneficiary"), pid
        assert got[pid]["theme_code"] == theme, pid
    assert got["999"]["in_project_file"] is False and got["999"]["participants"] == 1
    assert got["1"]["participants"] == 1 and got["1"]["start_year"] == 2010
    titles = {r["programme_code"]: r["programme_title"] for r in rows(con, "SELECT * FROM dim_programme")}
    assert titles["FP7-ICT"] == "Information and communication technologies"


def test_dim_organization_best_name_and_institution_link() -> None:
    con = new_warehouse()
    load(
        con,
        [P("FP6", "1", "2004-01-01"), P("H2020", "2", "2019-01-01"), P("FP7", "3", "2010-01-01")],
        [
            O("FP6", "1", "999", "RU", name="MOSCOW STATE UNIVERSITY", city="MOSCOW", type=None),
            O("H2020", "2", "999", "RU", name="LOMONOSOV MOSCOW STATE UNIVERSITY", city="Moscow", type="HES"),
            O("FP7", "3", "888", "RU", name="SPBU", city="ST PETERSBURG", type="HES"),
            O("FP7", "3", "777", "RU", name="MSU PHYSICS", type="HES"),
        ],
        links=[
            ("999", "https://ror.org/010pmpe69", "ror:010pmpe69", "Lomonosov Moscow State University", "pic", 1.0),
            ("777", "https://ror.org/010pmpe69", "ror:010pmpe69", "Lomonosov Moscow State University", "fuzzy", 0.93),
        ],
    )
    build(con, models=CORE_MODELS)
    orgs = {r["org_key"]: r for r in rows(con, "SELECT * FROM dim_organization")}
    assert orgs["999"]["name"] == "LOMONOSOV MOSCOW STATE UNIVERSITY"  # most recent participation (2019)
    assert orgs["999"]["activity_type"] == "HES"
    assert orgs["999"]["participations"] == 2 and orgs["999"]["programmes"] == "FP6, H2020"
    assert (orgs["999"]["first_year"], orgs["999"]["last_year"]) == (2004, 2019)
    assert orgs["999"]["institution_key"] == orgs["777"]["institution_key"] == "ror:010pmpe69"
    assert orgs["888"]["institution_key"] == "888"  # no link: falls back to the organisation key
    assert orgs["888"]["institution_name"] == "SPBU"
    fact_keys = {
        r["org_key"]: r["institution_key"] for r in rows(con, "SELECT org_key, institution_key FROM fact_participation")
    }
    assert fact_keys == {"999": "ror:010pmpe69", "777": "ror:010pmpe69", "888": "888"}


def test_dim_institution_names_each_institution_once_by_its_main_organisation() -> None:
    con = new_warehouse()
    load(
        con,
        [P("FP7", "1", "2010-01-01"), P("FP7", "2", "2011-01-01"), P("H2020", "3", "2016-01-01")],
        [
            O("FP7", "1", "999", "RU", name="MSU", city="MOSCOW", type="HES"),
            O("FP7", "2", "999", "RU", name="MSU", city="MOSCOW", type="HES"),
            O("FP7", "1", "777", "RU", name="MSU PHYSICS", city="MOSKVA", type="REC"),
            O("H2020", "3", "555", "DE", name="TU A", city="AACHEN", type="HES"),
            O("H2020", "3", "444", "DE", name="TU B", city="BERLIN", type="HES"),
        ],
        links=[
            ("999", "https://ror.org/010pmpe69", "ror:010pmpe69", "Lomonosov Moscow State University", "pic", 1.0),
            ("777", "https://ror.org/010pmpe69", "ror:010pmpe69", "Lomonosov Moscow State University", "fuzzy", 0.9),
            ("555", None, "tu", "TU A", "override", 1.0),
            ("444", None, "tu", "TU B", "override", 1.0),
        ],
    )
    build(con, models=CORE_MODELS)
    got = {r["institution_key"]: r for r in rows(con, "SELECT * FROM dim_institution")}
    assert set(got) == {"ror:010pmpe69", "tu"}
    msu = got["ror:010pmpe69"]
    assert (msu["main_org_key"], msu["city"], msu["activity_type"]) == ("999", "MOSCOW", "HES")  # 2 projects vs 1
    assert (
        msu["institution_name"] == "Lomonosov Moscow State University" and msu["ror_id"] == "https://ror.org/010pmpe69"
    )
    assert (msu["organisation_keys"], msu["participations"]) == (2, 3)
    tu = got["tu"]  # one project each: the tie goes to the smallest key
    assert (tu["main_org_key"], tu["institution_name"], tu["city"], tu["country_code"]) == (
        "444",
        "TU B",
        "BERLIN",
        "DE",
    )


def test_dim_country_names_membership_and_status() -> None:
    con = new_warehouse()
    load(con, [P("HE", "1", "2022-01-01")], [O("HE", "1", "a", "BR"), O("HE", "1", "b", "GB")])
    build(con, models=CORE_MODELS)
    countries = {r["country_code"]: r for r in rows(con, "SELECT * FROM dim_country")}
    ru, gb, br, pl = countries["RU"], countries["GB"], countries["BR"], countries["PL"]
    assert ru["country_name"] == "Russia"
    assert (ru["status_fp6"], ru["status_fp7"], ru["status_h2020"], ru["status_he"]) == ("third",) * 4
    assert gb["country_name"] == "United Kingdom"  # the cordisref row (UK) wins over the pycountry one (GB)
    assert gb["eu_member_to"] == date(2020, 1, 31) and gb["is_eu_member"] is False
    assert (gb["status_h2020"], gb["status_he"]) == ("member", "associated")
    assert gb["status_changes"] == "HE: third until 2023-12-31; HE: associated from 2024-01-01"
    assert br["status_he"] == "third" and br["eu_member_from"] is None  # from the participations only
    assert pl["eu_member_from"] == date(2004, 5, 1) and pl["is_eu_member"] is True


# --- curated reference tables ------------------------------------------------------------------------------


def _read(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_country_status_reference_is_consistent() -> None:
    table = _read("country_status.csv")
    periods: dict[tuple[str, str], list[tuple[date, date]]] = defaultdict(list)
    for row in table:
        assert row["framework_programme"] in {"FP6", "FP7", "H2020", "HE"}, row
        assert row["status"] in {"member", "associated", "third"}, row
        assert len(row["country_code"]) == 2 and row["country_code"].isupper(), row
        assert row["source"].strip(), row
        start = date.fromisoformat(row["valid_from"]) if row["valid_from"] else date.min
        end = date.fromisoformat(row["valid_to"]) if row["valid_to"] else date.max
        assert start <= end, row
        periods[(row["country_code"], row["framework_programme"])].append((start, end))
    for key, spans in periods.items():  # no overlap, or a participation would be counted twice
        spans.sort()
        for (_, end), (start, _) in pairwise(spans):
            assert end < start, key
    for fp in ("FP6", "FP7", "H2020", "HE"):
        assert periods[("RU", fp)] and all(r["status"] == "third" for r in table if r["country_code"] == "RU")
    members_he = {r["country_code"] for r in table if r["framework_programme"] == "HE" and r["status"] == "member"}
    assert len(members_he) == 27 and "GB" not in members_he


def test_ru_regions_reference_covers_the_cities_and_is_unambiguous() -> None:
    table = _read("ru_regions.csv")
    districts = {
        "Central Federal District",
        "Northwestern Federal District",
        "Southern Federal District",
        "North Caucasian Federal District",
        "Volga Federal District",
        "Ural Federal District",
        "Siberian Federal District",
        "Far Eastern Federal District",
    }
    cities = {r["city"] for r in table}
    for row in table:
        assert row["federal_district"] in districts, row
        assert row["federal_subject"] and row["source"], row
    for city in (
        "Moscow",
        "Saint Petersburg",
        "Novosibirsk",
        "Tomsk",
        "Yekaterinburg",
        "Kazan",
        "Nizhny Novgorod",
        "Dubna",
        "Pushchino",
        "Chernogolovka",
        "Troitsk",
        "Obninsk",
        "Sarov",
        "Rostov-on-Don",
        "Apatity",
        "Yakutsk",
        "Petropavlovsk-Kamchatsky",
        "Yuzhno-Sakhalinsk",
        "Zelenograd",
        "Protvino",
        "Gatchina",
        "Peterhof",
        "Koltsovo",
        "Ulan-Ude",
        "Chita",
        "Veliky Novgorod",
        "Yoshkar-Ola",
    ):
        assert city in cities, city
    # the same spelling must not name two cities (mart_regions would pick one silently)
    owner: dict[str, str] = {}
    for row in table:
        for spelling in [row["city"], *row["variants"].split("|")]:
            key = "".join(ch for ch in spelling.upper() if ch.isalpha())
            assert owner.setdefault(key, row["city"]) == row["city"], (spelling, owner[key], row["city"])
    by_city = {r["city"]: r for r in table}
    assert by_city["Ulan-Ude"]["federal_district"] == "Far Eastern Federal District"  # since 2018
    assert by_city["Zelenograd"]["federal_subject"] == "Moscow"
    assert by_city["Dubna"]["federal_subject"] == "Moscow Oblast"


def test_funding_scheme_reference_is_well_formed() -> None:
    table = _read("funding_scheme_class.csv")
    for row in table:
        assert row["match_type"] in {"exact", "prefix"}, row
        assert row["scheme_class"] in {"single_beneficiary", "collaborative"}, row
        assert row["source"], row
    patterns = [r["pattern"].upper() for r in table]
    assert len(patterns) == len(set(patterns))


def test_cordis_country_codes_reference_is_the_one_list_of_exceptions() -> None:
    from bilatrus_etl.ingest import clean

    table = _read("cordis_country_codes.csv")
    assert {r["cordis_code"]: r["iso_code"] for r in table} == {"EL": "GR", "UK": "GB", "XK": "XK"}
    for row in table:
        assert len(row["iso_code"]) == 2 and row["iso_code"].isupper() and row["name"] and row["source"], row
    # staging's built-in mapping (used where cordisref gives no ISO code) reads this file
    assert clean.COUNTRY_EXCEPTIONS == {r["cordis_code"]: (r["iso_code"], r["name"]) for r in table}
    builtin = {code: iso for code, iso, _, _ in clean.builtin_country_codes()}
    assert (builtin["EL"], builtin["UK"], builtin["XK"], builtin["RU"]) == ("GR", "GB", "XK", "RU")


def test_programme_bits_write_out_a_set_of_programmes_in_name_order() -> None:
    from bilatrus_etl.warehouse.queries import install_session_macros

    con = duckdb.connect()
    install_session_macros(con)
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('HE'), ('FP7'), ('H2020'), ('FP7'), (NULL)) AS v(framework_programme)"
    )
    bits = dict(con.execute("SELECT framework_programme, bit FROM programme_bits('t')").fetchall())
    assert bits == {"FP7": 1, "H2020": 2, "HE": 4}
    rows = con.execute(
        "SELECT s, programme_list(s, 't') FROM (VALUES (0::UBIGINT), (1), (5), (7)) AS v(s) ORDER BY s"
    ).fetchall()
    assert rows == [(0, None), (1, "FP7"), (5, "FP7, HE"), (7, "FP7, H2020, HE")]
    con.execute(
        "CREATE TABLE many AS SELECT 'P' || lpad(i::VARCHAR, 2, '0') AS framework_programme FROM range(65) AS r(i)"
    )
    with pytest.raises(duckdb.Error, match="more than 64 framework programmes in many"):
        con.execute("SELECT * FROM programme_bits('many')").fetchall()


def test_a_focus_country_with_no_participant_builds_every_core_table(shared_file) -> None:
    """No participant of the focus country (a country CORDIS never lists, or a typo): the matching step writes
    an empty institution_link of its declared types (an empty frame has none DuckDB can infer), and every core
    model and mart builds on it."""
    from bilatrus_etl.institutions.link import build_institutions, link_institutions

    con = new_warehouse()
    load(
        con,
        [P("FP7", "1", "2008-01-01", "2010-12-31")],
        [O("FP7", "1", "111", "RU", name="MSU", city="MOSCOW"), O("FP7", "1", "222", "DE", name="TU", city="BERLIN")],
    )
    con.execute("SET VARIABLE focus_country = 'AQ'")
    assert build_institutions(con, shared_file("registries/ror-ru-sample-schema-v2.json"), "AQ") == 0
    assert link_institutions(con, "AQ").empty
    assert con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'institution_link' ORDER BY column_index"
    ).fetchall() == [(c.name, c.data_type) for c in INSTITUTION_LINK.columns]
    counts = build(con, focus="AQ")
    assert counts["fact_participation"] == 2 and counts["dim_organization"] == 2
    assert counts["mart_institutions"] == 0 and counts["dim_city"] == 0

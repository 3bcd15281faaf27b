"""Name normalisation and institution matching against the real ROR samples and the labelled set."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bilatrus_etl.institutions.alignment import eponyms, same_person, words_align
from bilatrus_etl.institutions.candidates import CITY_PENALTY, weighted_overlap
from bilatrus_etl.institutions.cities import city_agreement, city_words, normalise_city
from bilatrus_etl.institutions.evaluate import (
    DEFAULT_LABELLED,
    absent_records,
    evaluate,
    format_report,
    leave_one_name_out,
    name_variants,
    read_labelled,
    split_of,
)
from bilatrus_etl.institutions.link import resolve_csv, resolve_frame
from bilatrus_etl.institutions.matcher import Matcher
from bilatrus_etl.institutions.methods import MATCH_METHODS, METHODS, ResolveError, strength
from bilatrus_etl.institutions.normalise import (
    derived_acronyms,
    institution_key,
    match_key,
    normalise_name,
    raw_words,
)
from bilatrus_etl.institutions.overrides import DEFAULT_OVERRIDES, load_overrides
from bilatrus_etl.institutions.registry import read_registries
from bilatrus_etl.institutions.ror_schema import RegistryError
from bilatrus_etl.institutions.transliterated import latin_capitals, transliterated_names
from bilatrus_etl.institutions.vocabulary import Vocabulary
from bilatrus_etl.warehouse.tables import INSTITUTION_LINK

REGISTRIES = ("registries/ror-ru-sample-schema-v2.json", "registries/ror-ru-sample-schema-v1.json")


@pytest.fixture(scope="module")
def registry_paths(shared_file) -> list[Path]:
    return [shared_file(path) for path in REGISTRIES]


@pytest.fixture(scope="module")
def ror(registry_paths: list[Path]) -> pd.DataFrame:
    return read_registries(registry_paths)


@pytest.fixture(scope="module")
def matcher(ror: pd.DataFrame) -> Matcher:
    return Matcher.from_registry(ror)


@pytest.fixture(scope="module")
def bare_matcher(ror: pd.DataFrame) -> Matcher:
    """Names only: no curated overrides."""
    return Matcher.from_registry(ror, None)


# --- normalisation on real variants ----------------------------------------------------------------

SAME_NAME = [
    ("M.V. LOMONOSOV MOSCOW STATE UNIVERSITY", "Lomonosov Moscow State University"),
    (
        "FEDERAL STATE BUDGETARY EDUCATIONAL INSTITUTION OF HIGHER EDUCATION LOMONOSOV MOSCOW STATE UNIVERSITY",
        "Lomonosov Moscow State University",
    ),
    (
        "FEDERAL STATE BUDGETARY INSTITUTION OF SCIENCE P.N. LEBEDEV PHYSICAL INSTITUTE OF THE RUSSIAN ACADEMY OF "
        "SCIENCES",
        "P.N. Lebedev Physical Institute of the Russian Academy of Sciences",
    ),
    ("Institute of Solid State Physics, Russian Academy of Sciences", "INSTITUTE OF SOLID STATE PHYSICS RAS"),
    ("INSTITUTE OF SOLID STATE PHYSICS OF THE RUSSIAN ACADEMY OF SCIENCE", "Institute of Solid State Physics RAN"),
    ("FGBUN INSTITUT PRIKLADNOI FIZIKI ROSSIISKOI AKADEMII NAUK", "Institut prikladnoi fiziki RAN"),
    (
        "FEDERALNOE GOSUDARSTVENNOE BYUDZHETNOE UCHREZHDENIE NAUKI INSTITUT PRIKLADNOI FIZIKI RAN",
        "Институт прикладной физики РАН",
    ),
    (
        "Federal State Budgetary Educational Institution of Higher Professional Education "
        "“Fedorovsky Polar State University”",
        "FEDOROVSKY POLAR STATE UNIVERSITY",
    ),
    (
        "FEDERAL STATE BUDGETARY EDUCATIONAL INSTITUTION OF HIGHER (PROFESSIONAL) EDUCATION TULA STATE UNIVERSITY",
        "Tula State University",
    ),
    ("FGBOU VO TULA STATE UNIVERSITY", "GOU VPO Tula State University"),
    ("FGUP «TsNIIMash»", "TSNIIMASH JSC"),
    ("OOO «ГЕРОФАРМ»", "Gerofarm LLC"),
    ("ZAO AVVA RUS", "AVVA RUS CJSC"),
    ("OAO AVVA RUS", "PAO AVVA RUS"),
    ("PUBLIC JOINT STOCK COMPANY UNITED AIRCRAFT", "United Aircraft (Russia)"),
    ("St. Petersburg State University", "SAINT-PETERSBURG STATE UNIVERSITY"),
    ("Sankt-Peterburg State University", "ST PETERSBURG STATE UNIVERSITY"),
    (
        "St.Petersburg V.M.Bekhterev Psychoneurological Research Institute",
        "SAINT PETERSBURG BEKHTEREV PSYCHONEUROLOGICAL RESEARCH INSTITUTE",
    ),
    ("Peoples' Friendship University of Russia", "PEOPLES FRIENDSHIP UNIVERSITY OF RUSSIA"),
    ("Moscow Institute of Physics and Technology (State University)", "MOSCOW INSTITUTE OF PHYSICS AND TECHNOLOGY"),
    ("NATIONAL RESEARCH UNIVERSITY HIGHER SCHOOL OF ECONOMICS", "Higher School of Economics"),
    (
        "RUSSIAN CENTER OF FORENSIC MEDICAL EXPERTISE OF THE MINISTRY OF HEALTH OF THE RUSSIAN FEDERATION",
        "Russian Center of Forensic Medical Expertise",
    ),
    ("Tomsk Univ.", "TOMSK UNIVERSITY"),
]


@pytest.mark.parametrize(("first", "second"), SAME_NAME)
def test_variants_normalise_alike(first: str, second: str) -> None:
    assert match_key(first) == match_key(second)


def test_normalised_text_is_readable() -> None:
    assert normalise_name("MOSCOW STATE UNIVERSITY NAMED AFTER M.V. LOMONOSOV") == "moscow state university lomonosov"
    assert normalise_name("Centre for Forest Ecology and Productivity RAS") == "center forest ecology productivity ras"
    assert normalise_name("Russian Academy of Sciences") == "ras"
    assert normalise_name("Siberian Branch of the Russian Academy of Sciences") == "sb ras"
    assert normalise_name("Institut avtomatiki i elektrometrii SO RAN") == "institut avtomatiki elektrometrii sb ras"
    assert normalise_name("Ministry of Health of the Russian Federation") == "ministry health russia"
    assert normalise_name("City Hospital No. 40") == "city hospital 40"
    assert normalise_name(None) == "" and normalise_name(float("nan")) == ""


def test_transliteration_variants_share_a_key() -> None:
    keys = {
        match_key(name)
        for name in (
            "MOSKOVSKIY GOSUDARSTVENNYY UNIVERSITET",
            "Moskovskij gosudarstvennyj universitet",
            "Moskovskii Gosudarstvennyi Universitet",
            "Московский государственный университет",
        )
    }
    assert len(keys) == 1
    assert match_key("Skrjabin") == match_key("Skryabin") and match_key("Koltzov") == match_key("Koltsov")
    assert match_key("Mendeleyev") == match_key("Mendeleev") and match_key("Astrahan") == match_key("Astrakhan")


def test_distinct_institutions_stay_distinct() -> None:
    assert match_key("Moscow State Technical University") != match_key("Moscow State Technological University")
    assert match_key("Institute of Economics UB RAS") != match_key("Institute of Economics RAS")
    assert match_key("Kola Science Centre of RAS") != match_key("Russian Academy of Sciences")


@pytest.mark.parametrize(
    ("first", "second", "agree"),
    [
        ("SANKT-PETERBURG", "St Petersburg", True),
        ("ST.-PETERSBURG", "Saint Petersburg", True),
        ("Kazan’", "KAZAN", True),
        ("NIZHNIY NOVGOROD", "Nizhny Novgorod", True),
        ("EKATERINBURG", "Yekaterinburg", True),
        ("TROITSK", "Moscow", True),
        ("DOLGOPRUDNY", "Dolgoprudnyy", True),
        ("Gatchina", "St Petersburg", True),
        ("Москва", "MOSCOW", True),
        ("Tomsk", "Omsk", False),
        ("Kursk", "Kirsk", False),
        ("Petropavlovsk-Kamchatsky", "Petropavlovsk-Kamchatskiy", True),
        ("Novgorod", "Nizhny Novgorod", False),
        ("Dubna", "Moscow", False),
        ("", "Moscow", None),
    ],
)
def test_city_agreement(first: str, second: str, agree: bool | None) -> None:
    assert city_agreement(first, second) is agree


def test_normalise_city() -> None:
    assert normalise_city("g. Moskva") == "moscow"
    assert normalise_city("Podolsk Urban Okrug") == "podolsk"


# --- the matcher ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "city", "expected", "method"),
    [
        ("LOMONOSOV MOSCOW STATE UNIVERSITY", "MOSCOW", "010pmpe69", "exact"),
        ("MOSKOVSKIY GOSUDARSTVENNYY UNIVERSITET IMENI M.V. LOMONOSOVA", "MOSKVA", "010pmpe69", "exact"),
        ("RUSSIAN ACADEMY OF SCIENCES", "MOSCOW", "05qrfxd25", "exact"),
        # children of the Academy (not in the samples) must not become the Academy
        (
            "FEDERAL STATE BUDGETARY INSTITUTION OF SCIENCE FEDERAL RESEARCH CENTRE KOLA SCIENCE CENTRE OF THE RUSSIAN "
            "ACADEMY OF SCIENCES",
            "APATITY",
            None,
            "none",
        ),
        ("CENTRE FOR FOREST ECOLOGY AND PRODUCTIVITY RUSSIAN ACADEMY OF SCIENCE", "Moscow", None, "none"),
        # a child in the samples goes to the child, not its parent
        (
            "INSTITUTE OF INFORMATICS PROBLEMS OF THE FEDERAL RESEARCH CENTER COMPUTER SCIENCE AND CONTROL OF THE RUSSIAN "
            "ACADEMY OF SCIENCES",
            "MOSCOW",
            "00n8bqs64",
            "exact",
        ),
        ("LOMONOSOV MOSCOW STATE UNIVERSITY MARINE RESEARCH CENTER LLC", "MOSCOW", "000es9t33", "exact"),
        ("INSTITUTE OF OCEANOLOGY RAS", "MOSCOW", "00n1e1p60", "fuzzy+city"),
        ("INSTITUTE OF ATMOSPHERIC OPTICS SB RAS", "TOMSK", "05m2n8847", "fuzzy+city"),
        ("INSTITUTE OF ECONOMICS OF THE URAL BRANCH OF THE RUSSIAN ACADEMY OF SCIENCES", "EKATERINBURG", None, "none"),
        ("LIMNOLOGICAL INSTITUTE SIBERIAN BRANCH OF THE RUSSIAN ACADEMY OF SCIENCES", "IRKUTSK", None, "none"),
        ("MATI - RUSSIAN STATE TECHNOLOGICAL UNIVERSITY", "MOSCOW", "033zpbv42", "exact"),  # withdrawn -> successor
        ("Bashkir State University", "Ufa", "02wnaj108", "exact"),  # inactive -> successor
        ("CLINICAL HOSPITAL NO 8", "MOSCOW", None, "none"),  # ROR's hospital of that name is in Yaroslavl
        ("CLINICAL HOSPITAL NO 8", "", None, "none"),  # a numbered hospital needs its city
        ("Ulyanovsk State Pedagogical University", "Ulyanovsk", "01gbmsc69", "exact"),  # ROR city is wrong
        # a renamed body's title swapped ("Russian" / "National"), but one title alone tells two bodies apart
        ("RUSSIAN RESEARCH CENTRE KURCHATOV INSTITUTE", "MOSCOW", "00n1nz186", "scored"),
        ("RUSSIAN STATE UNIVERSITY FOR THE HUMANITIES", "MOSCOW", None, "none"),
    ],
)
def test_matcher_decisions(bare_matcher: Matcher, name: str, city: str, expected: str | None, method: str) -> None:
    result = bare_matcher.match(name, city, "RU")
    assert (result.ror_id, result.method) == (expected, method)
    ror_id, found_method, score = result  # unpacks as (ror_id, method, score)
    assert 0.0 <= score <= 100.0


def test_country_must_agree(bare_matcher: Matcher) -> None:
    assert bare_matcher.match("DR. REDDY'S LABORATORIES LTD", "MOSCOW", "RU").ror_id == "00ft6fy88"
    assert bare_matcher.match("DR. REDDY'S LABORATORIES LTD", "HYDERABAD", "IN").ror_id is None
    assert bare_matcher.match("PASTEUR INSTITUTE", "PARIS", "FR").ror_id is None


def test_acronym_within_the_city(bare_matcher: Matcher) -> None:
    assert bare_matcher.match("SPIIRAS", "ST PETERSBURG", "RU") == ("01ccb9w37", "acronym+city", 95.0)
    assert bare_matcher.match("MSU", "VLADIVOSTOK", "RU").ror_id == "04vwnq582"  # Admiral Nevelskoy, not Lomonosov
    assert bare_matcher.match("MSU", "", "RU").ror_id is None


def test_labelled_set_precision_and_recall(ror: pd.DataFrame, matcher: Matcher, bare_matcher: Matcher) -> None:
    labelled = read_labelled(DEFAULT_LABELLED)
    assert len(labelled) >= 150
    assert labelled["source"].str.startswith("cordis-sample:").sum() >= 5
    assert labelled["expected_ror_id"].isna().sum() >= 60  # hard negatives
    known = set(ror["ror_id"])
    assert set(labelled["expected_ror_id"].dropna()) <= known
    for label, candidate in (("with overrides", matcher), ("names only", bare_matcher)):
        result = evaluate(labelled, candidate)
        report = format_report(result, label)
        assert result.precision >= 0.97, report
        assert result.recall >= 0.90, report


def test_pic_links_spread_within_a_batch(bare_matcher: Matcher) -> None:
    frame = pd.DataFrame(
        {
            "name": ["NATIONAL UNIVERSITY OF SCIENCE AND TECHNOLOGY MISIS", "NUST MISIS UNIVERSITY", "SOMETHING ELSE"],
            "city": ["MOSCOW", "MOSCOW", "MOSCOW"],
            "country": ["RU", "RU", "RU"],
            "pic": ["999877165", "999877165", "999999999"],
        }
    )
    resolved = resolve_frame(frame, bare_matcher)
    assert list(resolved["ror_id"].fillna("-")) == ["019vsm959", "019vsm959", "-"]
    assert list(resolved["method"]) == ["fuzzy+city", "pic", "none"]


def test_conflicting_pic_matches_do_not_spread(bare_matcher: Matcher) -> None:
    frame = pd.DataFrame(
        {
            "name": ["TOMSK POLYTECHNIC UNIVERSITY", "SIBERIAN STATE MEDICAL UNIVERSITY", "UNKNOWN TOMSK BODY"],
            "city": ["TOMSK"] * 3,
            "country": ["RU"] * 3,
            "pic": ["1"] * 3,
        }
    )
    assert list(resolve_frame(frame, bare_matcher)["method"]) == ["exact", "exact", "none"]


def test_one_institution_key_across_programmes(bare_matcher: Matcher) -> None:
    frame = pd.DataFrame(
        {
            "framework_programme": ["FP7", "H2020", "FP7", "HE", "H2020", "HE"],
            "name": [
                "M.V. LOMONOSOV MOSCOW STATE UNIVERSITY",
                "MOSKOVSKIY GOSUDARSTVENNYY UNIVERSITET IMENI M.V. LOMONOSOVA",
                "INSTITUTE FOR NUCLEAR RESEARCH OF THE RUSSIAN ACADEMY OF SCIENCES",
                "Institute for Nuclear Research, Russian Academy of Sciences",
                "BUDKER INSTITUTE OF NUCLEAR PHYSICS",
                "G.I. BUDKER INSTITUTE OF NUCLEAR PHYSICS SB RAS",
            ],
            "city": ["MOSCOW", "MOSKVA", "MOSCOW", "Moscow", "NOVOSIBIRSK", "NOVOSIBIRSK"],
            "country": ["RU"] * 6,
            "pic": ["", "", "", "", "999555111", "999555111"],
        }
    )
    keys = list(resolve_frame(frame, bare_matcher)["institution_key"])
    assert keys[0] == keys[1] == "ror:010pmpe69"
    assert keys[2] == keys[3] == "name:institute nuclear research ras|RU"  # no ROR record: same name key
    assert keys[4] == keys[5] and keys[4].startswith("name:")  # no ROR record: grouped by PIC


def test_institution_key() -> None:
    assert institution_key("https://ror.org/010pmpe69", "lomonosov moscow state university", "RU") == "ror:010pmpe69"
    assert institution_key(None, "kola science center ras", "ru") == "name:kola science center ras|RU"


def test_resolve_frame_needs_a_name(bare_matcher: Matcher) -> None:
    with pytest.raises(ResolveError, match="'name'"):
        resolve_frame(pd.DataFrame({"legal_name": ["X"]}), bare_matcher)


# --- overrides -----------------------------------------------------------------------------------


def test_project_overrides_file_is_valid() -> None:
    overrides = load_overrides(DEFAULT_OVERRIDES)
    assert overrides.rules and overrides.pic_links["999872800"] == "055f7t516"


def test_overrides_exact_pattern_none_and_exclusion(ror: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "overrides.csv"
    path.write_text(
        "name_pattern,city,country,pic,ror_id,note\n"
        "Russian Research Centre Kurchatov Institute,,RU,,00n1nz186,old name\n"
        "re:\\bmarine research center\\b,MOSCOW,RU,,none,not a research body\n"
        "St. Petersburg State Technical University,,RU,,not:0338jc112,ambiguous alias\n"
        ",,,123456789,https://ror.org/044yd9t77,JINR PIC\n",
        encoding="utf-8",
    )
    overrides_matcher = Matcher.from_registry(ror, path)
    assert overrides_matcher.match("RUSSIAN RESEARCH CENTRE KURCHATOV INSTITUTE", "MOSCOW", "RU") == (
        "00n1nz186",
        "override",
        100.0,
    )
    assert overrides_matcher.match("LOMONOSOV MOSCOW STATE UNIVERSITY MARINE RESEARCH CENTER LLC", "MOSCOW", "RU") == (
        None,
        "override",
        100.0,
    )
    assert overrides_matcher.match("ST PETERSBURG STATE TECHNICAL UNIVERSITY", "SAINT PETERSBURG", "RU").ror_id is None
    assert overrides_matcher.match("ANY NAME", "DUBNA", "RU", pic="123456789") == ("044yd9t77", "pic", 100.0)
    plain = Matcher.from_registry(ror, None)
    assert plain.match("ST PETERSBURG STATE TECHNICAL UNIVERSITY", "SAINT PETERSBURG", "RU").ror_id == "0338jc112"


def test_bad_overrides_name_file_line_and_column(tmp_path: Path) -> None:
    bad_id = tmp_path / "bad_id.csv"
    bad_id.write_text("name_pattern,city,country,pic,ror_id,note\nX,,,,ror-123,\n", encoding="utf-8")
    with pytest.raises(ResolveError, match=r"bad_id.csv, line 2: ror_id 'ror-123'"):
        load_overrides(bad_id)
    no_column = tmp_path / "no_column.csv"
    no_column.write_text("name,ror\nX,none\n", encoding="utf-8")
    with pytest.raises(ResolveError, match=r"no_column.csv lacks column\(s\) name_pattern, ror_id"):
        load_overrides(no_column)


# --- the analyst entry point ---------------------------------------------------------------------


def test_resolve_csv_end_to_end(registry_paths: list[Path], tmp_path: Path) -> None:
    source = tmp_path / "participants.csv"
    pd.DataFrame(
        {
            "project_id": ["212879", "101022502", "869580"],
            "name": [
                "NATIONAL UNIVERSITY OF SCIENCE AND TECHNOLOGY MISIS",
                "FEDERAL STATE AUTONOMOUS EDUCATIONAL INSTITUTION FOR HIGHER EDUCATION NATIONAL RESEARCH UNIVERSITY "
                "HIGHER SCHOOL OF ECONOMICS",
                "FEDERAL STATE BUDGETARY INSTITUTION OF SCIENCE FEDERAL RESEARCH CENTRE KOLA SCIENCE CENTRE OF THE "
                "RUSSIAN ACADEMY OF SCIENCES",
            ],
            "city": ["MOSCOW", "MOSCOW", "APATITY"],
            "country": ["RU", "RU", "RU"],
            "role": ["participant", "partner", "participant"],
        }
    ).to_csv(source, index=False)
    output = tmp_path / "out" / "resolved.csv"
    resolve_csv(registry_paths, source, output)
    result = pd.read_csv(output, dtype=str, keep_default_na=False)
    assert list(result.columns) == [
        "project_id",
        "name",
        "city",
        "country",
        "role",
        "ror_id",
        "ror_name",
        "method",
        "score",
        "institution_key",
        "runner_up_ror_id",
        "runner_up_name",
        "runner_up_score",
    ]
    # the runner-up is another record than the match, scored below it
    for row in result.itertuples(index=False):
        if row.runner_up_ror_id:
            assert row.runner_up_ror_id != row.ror_id and float(row.runner_up_score) <= 100.0
    assert list(result["project_id"]) == ["212879", "101022502", "869580"]
    assert list(result["role"]) == ["participant", "partner", "participant"]
    assert list(result["ror_id"]) == ["019vsm959", "055f7t516", ""]
    assert result["method"].iloc[2] == "none"
    assert result["ror_name"].iloc[0] == "National University of Science and Technology"
    # unmatched: grouped by its name without the status title "Federal Research Center" (a body of its own follows)
    assert result["institution_key"].iloc[2] == "name:kola science center ras|RU"


def test_resolve_csv_errors_name_the_file(registry_paths: list[Path], tmp_path: Path) -> None:
    nameless = tmp_path / "nameless.csv"
    nameless.write_text("organisation,city\nMSU,Moscow\n", encoding="utf-8")
    with pytest.raises(ResolveError, match=r"nameless.csv has no column 'name'"):
        resolve_csv(registry_paths, nameless, tmp_path / "out.csv")
    fine = tmp_path / "fine.csv"
    fine.write_text("name,city\nMSU,Moscow\n", encoding="utf-8")
    broken = tmp_path / "broken-ror.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(RegistryError, match="broken-ror.json"):
        resolve_csv([broken], fine, tmp_path / "out.csv")


def test_library_does_not_import_dagster() -> None:
    code = (
        "import sys, bilatrus_etl.institutions.link, bilatrus_etl.institutions.evaluate; "
        "print('dagster' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


# --- robust normalisation and the added stages (issue: real CORDIS names) --------------------------


@pytest.mark.parametrize(
    ("name", "city", "expected"),
    [
        # legal form misspelt: words mended against the registry's and the legal forms' vocabulary
        (
            "FEDERAL STATE BUDGETRY INSTITUION OF SCIENCE P.N. LEBEDEV PHYSICAL INSTITUTE OF THE RUSSIAN ACADEMY OF "
            "SCIENCES",
            "MOSCOW",
            "01jkd3546",
        ),
        # words glued or split by the source
        ("MOSCOW INSTITUTEOF PHYSICS AND TECHNOLOGY", "DOLGOPRUDNY", "00v0z9322"),
        ("PEOPLES FRIENDSHIP UNI VERSITY OF RUSSIA", "MOSCOW", "02dn9h927"),
        # a faculty after a comma, a short name after '*', Soviet orders in the legal name
        ("LOMONOSOV MOSCOW STATE UNIVERSITY, FACULTY OF PHYSICS", "MOSCOW", "010pmpe69"),
        ("NATIONAL RESEARCH NUCLEAR UNIVERSITY MEPHI*MEPHI", "MOSCOW", "04w8z7f34"),
        (
            "LOMONOSOV MOSCOW STATE UNIVERSITY ORDER OF LENIN AND ORDER OF THE RED BANNER OF LABOUR",
            "MOSCOW",
            "010pmpe69",
        ),
        # a name cut at the source's field length
        (
            "FEDERAL STATE AUTONOMOUS EDUCATIONAL INSTITUTION OF HIGHER EDUCATION NATIONAL RESEARCH UNIVERSITY HIGHER "
            "SCHOOL OF ECONOMI",
            "MOSCOW",
            "055f7t516",
        ),
        # the legal name in transliterated Russian: "national research university", a supervising centre and a
        # "named after the first president" read as in English
        (
            "FEDERALNOE GOSUDARSTVENNOE AVTONOMNOE OBRAZOVATELNOE UCHREZHDENIE VYSSHEGO OBRAZOVANIYA NATSIONALNYI "
            "ISSLEDOVATELSKII UNIVERSITET VYSSHAYA SHKOLA EKONOMIKI",
            "MOSKVA",
            "055f7t516",
        ),
        (
            "FEDERALNOE GOSUDARSTVENNOE BYUDZHETNOE UCHREZHDENIE PETERBURGSKII INSTITUT YADERNOI FIZIKI IM. B.P. "
            "KONSTANTINOVA NATSIONALNOGO ISSLEDOVATELSKOGO TSENTRA KURCHATOVSKII INSTITUT",
            "GATCHINA",
            "037styt87",
        ),
        (
            "URALSKII FEDERALNYI UNIVERSITET IMENI PERVOGO PREZIDENTA ROSSII B.N. YELTSINA",
            "EKATERINBURG",
            "00hs7dr46",
        ),
        # Cyrillic: the Russian label, and an acronym spelt from its initials (within the city)
        ("Московский государственный университет имени М.В. Ломоносова", "", "010pmpe69"),
        ("МГУ", "Москва", "010pmpe69"),
    ],
)
def test_real_name_variants_are_found(bare_matcher: Matcher, name: str, city: str, expected: str) -> None:
    assert bare_matcher.match(name, city, "RU").ror_id == expected


def test_honours_and_spelling_variants_normalise_away() -> None:
    assert normalise_name("KAZAN FEDERAL UNIVERSITY ORDER OF LENIN AND ORDER OF THE RED BANNER OF LABOUR") == (
        "kazan federal university"
    )
    assert normalise_name("ORDENA TRUDOVOGO KRASNOGO ZNAMENI INSTITUT KHIMII") == "institut khimii"
    assert match_key("Physico-Technical Institute") == match_key("PHYSICAL TECHNICAL INSTITUTE")
    assert match_key("ALL RUSSIAN INSTITUTE") == match_key("All-Russian Institute") == match_key("AllRussian Institute")
    assert normalise_name("Order Management Institute") == "order management institute"  # no decoration named


def test_city_disagreement_lowers_an_exact_name_without_vetoing_it(bare_matcher: Matcher) -> None:
    assert bare_matcher.match("PEOPLES FRIENDSHIP UNIVERSITY OF RUSSIA", "MOSCOW", "RU") == (
        "02dn9h927",
        "exact",
        100.0,
    )
    assert bare_matcher.match("PEOPLES FRIENDSHIP UNIVERSITY OF RUSSIA", "KAZAN", "RU") == ("02dn9h927", "exact", 90.0)
    assert bare_matcher.match("CLINICAL HOSPITAL NO 8", "MOSCOW", "RU").ror_id is None  # numbered: needs its city


def test_candidates_rank_with_scores_and_a_poor_match_stays_unmatched(bare_matcher: Matcher) -> None:
    ranked = bare_matcher.candidates(
        "NANSEN INTERNATIONAL ENVIRONMENTAL AND REMOTE SENSING CENTRE", "ST PETERSBURG", "RU"
    )
    assert ranked[0].score == 100.0 and ranked[0].city_agrees is True
    assert all(a.score >= b.score for a, b in zip(ranked, ranked[1:]))
    assert len({c.ror_id for c in ranked}) == len(ranked)
    # two words of a long name are not enough: listed as a candidate, not matched
    assert bare_matcher.match("NANSEN CENTRE", "ST PETERSBURG", "RU").ror_id is None
    assert bare_matcher.candidates("NANSEN CENTRE", "ST PETERSBURG", "RU")[0].score < 80
    # another city costs the penalty
    elsewhere = bare_matcher.candidates("NANSEN INTERNATIONAL ENVIRONMENTAL AND REMOTE SENSING CENTRE", "OMSK", "RU")
    assert elsewhere[0].score == 100.0 - CITY_PENALTY and elsewhere[0].city_agrees is False


def test_scored_stage_needs_every_query_word(ror: pd.DataFrame) -> None:
    lenient = Matcher(ror, None, score_threshold=0.0, score_margin=0.0)
    # "Altai State University" is in the registry, the medical university is not: no match however low the bar
    assert lenient.match("ALTAI STATE MEDICAL UNIVERSITY", "BARNAUL", "RU").ror_id is None


def test_mending_words_against_the_registry(bare_matcher: Matcher) -> None:
    assert bare_matcher.repair("LOMONOSOV MOSCOW STATE UNIVERSITY") == "LOMONOSOV MOSCOW STATE UNIVERSITY"  # all known
    assert bare_matcher.repair("MOSCOW INSTITUTEOF PHYSICS") == "moscow institute of physics"
    assert bare_matcher.repair("STATE UNI VERSITY") == "state university"
    assert bare_matcher.repair("FEDERAL STATE BUDGETRY INSTITUION") == "federal state budgetary institution"
    # a spelling the normaliser rewrites is not a misspelt registry word ("physico" is no "physics")
    vocabulary = Vocabulary(["ioffe", "physics", "physical", "technical", "institute", "ekologicheskikh"])
    # nor is a Russian word the normaliser reads in English a misspelt registry word
    assert vocabulary.repair("EKONOMICHESKIKH ISSLEDOVANII") == "EKONOMICHESKIKH ISSLEDOVANII"
    assert match_key("Институт вычислительной математики") == match_key("Institute of Computational Mathematics")
    assert vocabulary.repair("A.F. IOFFE PHYSICO-TECHNICAL INSTITUE") == "a f ioffe physico technical institute"


def test_derived_acronyms() -> None:
    assert derived_acronyms(["Московский государственный университет имени М.В. Ломоносова"]) == {"mgu"}
    assert derived_acronyms(["Lomonosov Moscow State University", "Институт"]) == frozenset()


def test_development_set_holds_names_out_and_splits_stably(ror: pd.DataFrame) -> None:
    kept, queries = leave_one_name_out(ror, 0)
    assert len(kept) == len(ror) and len(queries) > 100
    assert set(queries["source"]) <= {"ror-loo:latin", "ror-loo:ru"}
    names = {
        ror_id: set(labels) | {display}
        for ror_id, labels, display in zip(kept["ror_id"], kept["labels"], kept["display_name"], strict=True)
    }
    assert all(q.name not in names[q.expected_ror_id] for q in queries.itertuples())  # held out of the index
    assert split_of("010pmpe69") == split_of("010pmpe69") and {split_of(str(i)) for i in range(50)} == {"dev", "eval"}
    remaining, absent = absent_records(ror)
    assert len(remaining) + len(absent) == len(ror) and absent["expected_ror_id"].isna().all()
    variants = name_variants(ror)
    msu = variants[variants["expected_ror_id"] == "010pmpe69"].set_index("source")
    assert msu.loc["ror-variants:faculty-suffix", "name"] == "LOMONOSOV MOSCOW STATE UNIVERSITY, FACULTY OF PHYSICS"
    assert msu.loc["ror-variants:other-city", "city"] == "OMSK" and msu.loc["ror-variants:no-city", "city"] == ""
    assert "ror-variants:cut-name" not in msu.index  # 33 letters: too short to have been cut


def test_transliterated_source_writes_russian_names_the_cordis_ways(ror: pd.DataFrame) -> None:
    name = "Институт химии твёрдого тела Уральского отделения Российской академии наук"
    assert latin_capitals(name, "bgn") == "INSTITUT KHIMII TVERDOGO TELA URALSKOGO OTDELENIYA ROSSIYSKOY AKADEMII NAUK"
    assert latin_capitals(name, "icao") == "INSTITUT KHIMII TVERDOGO TELA URALSKOGO OTDELENIIA ROSSIISKOI AKADEMII NAUK"
    assert latin_capitals(name, "iso9") == "INSTITUT XIMII TVERDOGO TELA URALSKOGO OTDELENIYA ROSSIJSKOJ AKADEMII NAUK"
    queries = pd.concat([transliterated_names(ror, fold)[1] for fold in (0, 1)], ignore_index=True)
    assert set(queries["source"]) == {"ror-translit:bgn", "ror-translit:icao", "ror-translit:iso9"}
    assert queries["name"].map(str.isascii).all() and queries["name"].map(str.isupper).all()
    msu = queries[(queries["expected_ror_id"] == "010pmpe69") & (queries["source"] == "ror-translit:icao")]
    assert msu["name"].tolist() == ["MOSKOVSKII GOSUDARSTVENNYI UNIVERSITET IMENI M.V. LOMONOSOVA"]
    kept, held = transliterated_names(ror, 0)
    for record in held["expected_ror_id"].unique():  # the fold's records keep no Russian name but their acronyms
        row = kept[kept["ror_id"] == record].iloc[0]
        names = set([row["display_name"], *row["labels"]]) - set(row["acronyms"])
        assert names and not any("\u0400" <= c <= "\u04ff" for n in names for c in n)


def test_transliterated_place_adjectives_and_words_read_in_english(matcher: Matcher) -> None:
    key = matcher.index.key
    # a place adjective is read as the word of the registry's Latin names it derives from
    assert key("SAMARSKAIA GOSUDARSTVENNAIA SELSKOKHOZIAISTVENNAIA AKADEMIIA") == "samara state agricultural academi"
    assert key("IAROSLAVSKII GOSUDARSTVENNYI UNIVERSITET") == "iaroslavl state universiti"
    assert key("SAKHALINSKII GOSUDARSTVENNYI UNIVERSITET") == "sahalin state universiti"  # not Yuzhno-Sakhalinsk
    assert key("TOMSKII POLITEKHNICHESKII UNIVERSITET") == "tomsk politechnic universiti"  # a city's own name stays
    assert key("KAZANSKII UNIVERSITET") == "kazan universiti"
    # the word tables: subjects, and a neuter noun in "-ie"
    assert (
        key("RIAZANSKII GOSUDARSTVENNYI RADIOTEKHNICHESKII UNIVERSITET") == "riazan state radio enginering universiti"
    )
    assert match_key("UPRAVLENIE") == match_key("UPRAVLENIIA") == "management"
    # phrases, the abbreviation НИИ, a surname in "-ich" after "imeni", a place adjective in "-ensk"
    assert match_key("INSTITUT FIZIKI TVERDOGO TELA") == "institute fisics solid state"  # the words in any order
    assert match_key("UNIVERSITET FIZICHESKOI KULTURY") == match_key("University of Physical Education")
    assert match_key("NII POLIMEROV") == match_key("NAUCHNO-ISSLEDOVATELSKII INSTITUT POLIMEROV")
    assert match_key("IMENI PROF. M. A. BONCH-BRUEVICHA") == "bonch bruevich"
    assert key("PENZENSKII GOSUDARSTVENNYI UNIVERSITET") == "penza state universiti"
    assert key("DONETSKII GOSUDARSTVENNYI UNIVERSITET") == key("Donetsk State University")  # "-tsk": not split
    assert key("SURGUTSKII GOSUDARSTVENNYI UNIVERSITET") == "surgut state universiti"  # "-t" + "-sk"
    # "State Scientific Center (of the Russian Federation)" before a body of its own is a status title
    assert match_key("GOSUDARSTVENNYI NAUCHNYI TSENTR - NAUCHNO-ISSLEDOVATELSKII INSTITUT ATOMNYKH REAKTOROV") == (
        match_key("NAUCHNO-ISSLEDOVATELSKII INSTITUT ATOMNYKH REAKTOROV")
    )
    assert match_key("State Scientific Center of the Russian Federation Institute for High Energy Physics") == (
        "institute high energi fisics"
    )
    assert match_key("State Research Center of Virology and Biotechnology VECTOR").startswith("state research center")
    # "гуманитарный": English names say "Humanitarian" and "of Humanities" for it
    assert match_key("GUMANITARNYI INSTITUT") == match_key("Humanitarian Institute") == "humanites institute"
    # ISO 9's ASCII form: "x" for "х", "cz" for "ц"
    assert match_key("ROSSIJSKIJ MEDICZINSKIJ TEXNICHESKIJ CENTR") == match_key("Russian Medical Technical Center")
    assert key("XABAROVSKIJ GOSUDARSTVENNYJ UNIVERSITET") == key("KHABAROVSKII GOSUDARSTVENNYI UNIVERSITET")


def test_every_override_says_why() -> None:
    rules = load_overrides(DEFAULT_OVERRIDES).rules
    assert rules and all(rule.note for rule in rules)


def test_rare_exact_name_in_another_city_and_prefixes_only_for_cut_names(bare_matcher: Matcher) -> None:
    # "Chechen" is in no other record's name: another city lowers the score, it does not veto the name
    assert bare_matcher.match("CHECHEN STATE UNIVERSITY", "OMSK", "RU") == ("004ze6w33", "exact", 90.0)
    assert bare_matcher.match("CHECHEN STATE UNIVERSITY", "GROZNY", "RU") == ("004ze6w33", "exact", 100.0)
    # a cut word ("PHYSIO"), and a cut inside a phrase the normaliser rewrites ("... RUSSIAN ACAD")
    assert bare_matcher.match("TOMSK SCIENTIFIC RESEARCH INSTITUTE OF BALNEOLOGY AND PHYSIO", "TOMSK", "RU") == (
        "00gy54m79",
        "prefix",
        90.0,
    )
    assert (
        bare_matcher.match(
            "INSTITUTE OF INFORMATICS PROBLEMS OF THE FEDERAL RESEARCH CENTER COMPUTER SCIENCE AND CONTROL OF THE RUSSIAN "
            "ACAD",
            "MOSCOW",
            "RU",
        ).ror_id
        == "00n8bqs64"
    )
    # a whole name is not a cut one: the pedagogical university is not the technical one
    assert bare_matcher.match("NIZHNY NOVGOROD STATE TECHNICAL UNIVERSITY", "NIZHNY NOVGOROD", "RU").ror_id is None


def test_unique_exact_name_is_kept_when_the_city_does_not_confirm_it(bare_matcher: Matcher) -> None:
    # no distinctive word, but the only record of that name in the country: lowered, not vetoed
    assert bare_matcher.match("SOUTHERN FEDERAL UNIVERSITY", "ROSTOV-ON-DON", "RU") == ("01tv9ph92", "exact", 100.0)
    assert bare_matcher.match("SOUTHERN FEDERAL UNIVERSITY", "OMSK", "RU") == ("01tv9ph92", "exact", 85.0)
    assert bare_matcher.match("SOUTHERN FEDERAL UNIVERSITY", "", "RU") == ("01tv9ph92", "exact", 85.0)
    assert bare_matcher.match("CLINICAL HOSPITAL NO 8", "", "RU").ror_id is None  # numbered: needs its city


def test_legal_form_takes_one_field_word_only() -> None:
    assert (
        normalise_name(
            "FEDERAL STATE BUDGETARY INSTITUTION OF SCIENCE SCIENCE CENTER FOR INFORMATION TECHNOLOGIES IN DESIGN"
        )
        == "science center information technologies design"
    )
    assert normalise_name("FEDERAL STATE BUDGETARY INSTITUTION OF SCIENCE HIGHER SCHOOL OF PRIVATIZATION") == (
        "higher school privatization"
    )


def test_transliterated_legal_forms_and_supervisors_are_dropped() -> None:
    # ICAO and ISO 9 spellings of a legal form ("-AIA", "ORGANIZACZIYA") and of the supervising ministry
    assert match_key("AVTONOMNAIA NEKOMMERCHESKAIA ORGANIZATSIIA VYSSHEGO OBRAZOVANIIA UNIVERSITET INNOPOLIS") == (
        "universiti inopolis"
    )
    assert match_key("AVTONOMNAYA NEKOMMERCHESKAYA ORGANIZACZIYA UNIVERSITET INNOPOLIS") == "universiti inopolis"
    assert match_key("46 TSENTRALNYI NAUCHNO-ISSLEDOVATELSKII INSTITUT MINISTERSTVA OBORONY ROSSIISKOI FEDERATSII") == (
        "46 central scentific research institute"
    )
    # the ministry alone is no name: it stays
    assert match_key("MINISTERSTVO OBORONY ROSSIISKOI FEDERATSII") != ""


def test_glued_word_aligns_with_the_word_it_starts_with(bare_matcher: Matcher) -> None:
    # a glued word ("waterway" / "water") aligns with the word it starts with
    assert words_align("vatervai", ["vater"]) and not words_align("vater", ["vatican"])
    found = bare_matcher.match("St. Petersburg State University of Waterway Communications", "St Petersburg", "RU")
    assert found.ror_id == "02xh9a707" and found.method == "fuzzy+city"
    # a word the record adds or lacks still vetoes: "medical" names another kind of body
    assert bare_matcher.match("ALTAI STATE MEDICAL UNIVERSITY", "BARNAUL", "RU").ror_id is None


def test_one_table_of_match_methods() -> None:
    """MATCH_METHODS is the one table of methods: the docs' table (in its order, with its strengths), the README,
    the data dictionary and the warehouse description of institution_link.method, and the suite's value set
    all list exactly its names."""
    root = Path(__file__).resolve().parents[1]
    documented = re.findall(
        r"^\| ([a-z+]+) \| (\d+) \|",
        (root / "docs" / "architecture.md").read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert [(method, int(value)) for method, value in documented] == [
        (method, m.strength) for method, m in MATCH_METHODS.items()
    ]
    listed = f"({', '.join(METHODS)})"
    assert listed.startswith("(override, pic, exact, ") and listed.endswith(", scored, none)")
    assert INSTITUTION_LINK.column_docs["method"] == f"how the link was made {listed}"
    assert f"how the link was made {listed}" in (root / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert f"`method` {listed}" in (root / "README.md").read_text(encoding="utf-8")
    suite = json.loads((root / "src" / "bilatrus_etl" / "expectations" / "institution_link.json").read_text("utf-8"))
    value_sets = [
        e["kwargs"]["value_set"]
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == "method"
    ]
    assert value_sets == [list(METHODS)]
    assert [m for m, v in MATCH_METHODS.items() if not v.by_name] == ["pic", "none"]  # the rows that vouch for no PIC
    assert strength("no such method") == 0


@pytest.mark.parametrize(
    ("name", "city", "expected"),
    [
        # cut after a whole word: a name never ends with "and"
        ("SAINT-PETERSBURG STATE UNIVERSITY OF TECHNOLOGY AND", "ST PETERSBURG", "005zjex51"),
        # cut after one letter: "Animal B(reeding)", not "Animal Husbandry"
        ("ALL RUSSIAN RESEARCH INSTITUTE OF ANIMAL B", "MOSCOW", "05pfntr04"),
        # a long name cut after a whole word, the registry's name carrying the same legal form
        (
            'FEDERAL STATE BUDGETARY INSTITUTION "CENTRE FOR STRATEGIC PLANNING AND MANAGEMENT OF BIOMEDICAL HEALTH '
            'RISKS" OF THE FEDERAL MEDICAL AND BIOLOGICAL',
            "MOSCOW",
            "059yv9j77",
        ),
    ],
)
def test_cut_names_are_completed_word_by_word(bare_matcher: Matcher, name: str, city: str, expected: str) -> None:
    assert bare_matcher.match(name, city, "RU") == (expected, "prefix", 90.0)


def test_russian_words_are_read_in_english(bare_matcher: Matcher) -> None:
    assert match_key("Московский авиационный институт") == match_key("Moscow Aviation Institute")
    assert match_key("SANKT-PETERBURGSKIJ GOSUDARSTVENNYJ UNIVERSITET") == "saint petersburg state universiti"
    assert match_key("Научного центра неврологии") == match_key("Научный центр неврологии")
    # an adjective of a registry city is the city: the Russian full name finds the English record
    assert bare_matcher.match("Казанский федеральный университет", "", "RU") == ("05256ym39", "exact", 100.0)
    # a bare "Saint Petersburg State University" is not the State Agrarian University of that city
    assert bare_matcher.match("SANKT-PETERBURGSKIJ GOSUDARSTVENNYJ UNIVERSITET", "SANKT-PETERBURG", "RU").ror_id is None


def test_scored_stage_takes_renamed_kinds_and_people_but_not_titles_alone(bare_matcher: Matcher) -> None:
    # in the same city, an academy renamed university keeps every other word
    assert bare_matcher.match("ST. PETERSBURG STATE PEDIATRIC MEDICAL ACADEMY", "ST PETERSBURG", "RU")[:2] == (
        "000hzy098",
        "scored",
    )
    # the query may name the person the record's name leaves out
    assert (
        bare_matcher.match("NATIONAL LIBRARY OF RUSSIA NAMED AFTER M. SALTYKOV-SHCHEDRIN", "ST PETERSBURG", "RU").ror_id
        == "03y95vf10"
    )
    # the record's name may add words that are no kind of body when the query has two distinctive words
    assert bare_matcher.match("MOSCOW STATE AUTOMOBILE AND ROAD TECHNICAL UNIVERSITY", "MOSCOW", "RU")[:2] == (
        "0257qw677",
        "scored",
    )
    # titles and a kind of body only name no one institution (two records hold this alias)
    assert bare_matcher.match("NATIONAL RESEARCH UNIVERSITY", "MOSCOW", "RU").ror_id is None


def test_candidate_score_weighs_rare_words_more(bare_matcher: Matcher) -> None:
    weight = bare_matcher.index.word_weight
    query = match_key("Saint Petersburg State Pediatric Medical Academy")
    assert weighted_overlap(query, query, weight) == 100.0
    pediatric = weighted_overlap(query, match_key("Saint Petersburg State Pediatric Medical University"), weight)
    veterinary = weighted_overlap(query, match_key("Saint Petersburg State Academy of Veterinary Medicine"), weight)
    assert pediatric > veterinary + 15  # "pediatric" is rarer than "academy" is common


def test_an_acronym_with_the_kind_of_body_is_an_acronym(bare_matcher: Matcher) -> None:
    assert bare_matcher.match("HSE UNIVERSITY", "MOSCOW", "RU") == ("055f7t516", "acronym+city", 95.0)
    assert bare_matcher.match("HSE UNIVERSITY", "", "RU").ror_id is None  # an acronym needs its city


def _with_names(ror: pd.DataFrame, ror_id: str, names: list[str]) -> pd.DataFrame:
    """The registry with one record's names (display name and labels) replaced."""
    frame = ror.copy()
    row = frame.index[frame["ror_id"].str.endswith(ror_id)][0]
    frame.at[row, "display_name"] = names[0]
    frame.at[row, "labels"] = names
    return frame


def test_person_name_and_kind_of_body_match_a_short_form_either_way(ror: pd.DataFrame) -> None:
    long_only = _with_names(
        ror, "02yqqv993", ["I.M. Sechenov First Moscow State Medical University", "Moscow Medical Academy"]
    )
    assert Matcher(long_only).match("Sechenov University", "Moscow", "RU") == ("02yqqv993", "person+kind", 88.0)
    # a surname spelt another way still names the person; another city does not
    assert Matcher(long_only).match("Setchenov University", "MOSCOW", "RU").ror_id == "02yqqv993"
    assert Matcher(long_only).match("Sechenov University", "Kazan", "RU").ror_id is None
    short_only = _with_names(ror, "02yqqv993", ["Sechenov University"])
    result = Matcher(short_only).match("I.M. SECHENOV FIRST MOSCOW STATE MEDICAL UNIVERSITY", "MOSCOW", "RU")
    assert result == ("02yqqv993", "person+kind", 88.0)
    # two records holding the person and the kind: no answer from this stage
    twice = _with_names(long_only, "0082yr561", ["Sechenov State University of Oil and Gas"])
    assert Matcher(twice).match("Sechenov University", "Moscow", "RU").ror_id is None


def test_a_place_is_not_taken_for_a_person(ror: pd.DataFrame) -> None:
    # "Pushkin" is also a town of the registry: "Pushkin Institute" is not matched by the person's name
    result = Matcher(ror, score_threshold=101).match("Pushkin Institute", "Moscow", "RU")
    assert result.method != "person+kind"


def test_same_person_folds_transliterations_only() -> None:
    assert same_person("herzen", "hercen")  # Herzen / Hertzen
    assert same_person("koroliov", "korolev")  # Korolyov / Korolev
    assert same_person("iofe", "ioffe")
    assert not same_person("petrov", "petrova")
    assert not same_person("pavlov", "popov")


def test_a_former_name_of_the_city_is_a_place_word(ror: pd.DataFrame) -> None:
    # a body founded under a city's Soviet name keeps it: "Leningrad ..." is a place word in St Petersburg
    assert {"leningrad", "petersburg"} <= city_words("St Petersburg")
    assert "stalingrad" in city_words("Volgograd") and "leningrad" not in city_words("Moscow")
    assert normalise_city("LENINGRAD") == normalise_city("St. Petersburg")
    assert normalise_city("Sverdlovsk") == "yekaterinburg"
    # the record without its Leningrad name: the St Petersburg name is the one found, the former city no obstacle
    without = ror.copy()
    without["labels"] = [
        [n for n in labels if not str(n).startswith("Leningrad")] if ror_id.endswith("01w15bh65") else labels
        for ror_id, labels in zip(without["ror_id"], without["labels"], strict=True)
    ]
    matcher = Matcher(without)
    found = matcher.match("Leningrad Research Institute of Radiation Hygiene", "St Petersburg", "RU")
    assert found.ror_id == "01w15bh65" and found.method == "fuzzy+city"
    assert matcher.match("Leningrad Research Institute of Radiation Hygiene", "Moscow", "RU").ror_id is None


def test_a_query_may_add_one_rare_word_in_the_same_city(ror: pd.DataFrame) -> None:
    # the records without the names that hold the added word
    held = {"00ezjkn15": "Osipyan", "04gmqtx37": "Pedagogical"}
    without = ror.copy()
    without["labels"] = [
        [n for n in labels if held.get(short, "\0") not in str(n)]
        for short, labels in zip(without["ror_id"].str[-9:], without["labels"], strict=True)
    ]
    without["display_name"] = [
        labels[0] if short in held else name
        for short, labels, name in zip(
            without["ror_id"].str[-9:], without["labels"], without["display_name"], strict=True
        )
    ]
    matcher = Matcher(without)
    assert matcher.index.record_frequency["osipian"] == 0 and matcher.index.record_frequency["pedagogical"] > 2
    # a person's name the registry does not hold, in the record's city: the Institute of Solid State Physics
    found = matcher.match("Osipyan Institute of Solid State Physics RAS", "Chernogolovka", "RU")
    assert found.ror_id == "00ezjkn15" and found.method == "scored"
    # not in another city, and not a common word: a pedagogical university is not the Smolensk State University
    assert matcher.match("Osipyan Institute of Solid State Physics RAS", "Omsk", "RU").ror_id is None
    assert matcher.match("Smolensk State Pedagogical University", "Smolensk", "RU").ror_id is None


def test_a_surname_after_imeni_is_read_in_the_nominative(bare_matcher: Matcher) -> None:
    # after "имени" / "им." a man's surname is in the genitive: "Королёва" is Korolyov, "Петрова" Petrov
    assert match_key("Самарский университет имени академика С.П. Королёва") == "samarsk universiti korolev"
    assert match_key("FGBOU VO SAMARSKII UNIVERSITET IMENI AKADEMIKA S.P. KOROLEVA") == "samarsk universiti korolev"
    assert match_key("Институт им. Петрова") == match_key("Institute named after Petrov") == "institute petrov"
    assert raw_words("Институт им. Петрова") == ["institut", "im", "petrov"]
    # elsewhere the case is unknown, so Petrova stays Petrova; a woman's surname after "имени" is left alone
    assert match_key("Институт Петрова") == "institute petrova"
    assert match_key("Институт имени Ахматовой") == "institute ahmatovoi"
    assert eponyms("ВНИИ метрологии им. Д.И.Менделеева") >= {"mendelev"}
    # a surname ending in a consonant takes "-a": "Баумана" is Bauman, "KELDYSHA" Keldysh, "VREDENA" Vreden
    assert match_key("МГТУ имени Н.Э. Баумана") == match_key("MGTU Bauman") == "mgtu bauman"
    assert match_key("IPM IM. M.V. KELDYSHA RAN") == "ipm keldish ras"
    # initials without their dots; a title ("akademika") is no surname
    assert match_key("universitet imeni akademika m d millionshchikova") == "universiti milionshikov"
    assert match_key("universitet imeni akademika") == "universiti"
    assert match_key("INSTITUT TRAVMATOLOGII IM. R.R.VREDENA") == "institute traumatologi vreden"
    # the English name of a record whose other names are Russian: Korolyov is the Korolev of "имени ... Королёва"
    found = bare_matcher.match(
        "SAMARA STATE AEROSPACE UNIVERSITY NAMED AFTER ACADEMICIAN S.P. KOROLYOV", "SAMARA", "RU"
    )
    assert found.ror_id == "05ggagb37"


@pytest.mark.parametrize(
    ("name", "city", "expected"),
    [
        ("KAZAN PRIVOLZHSKII FEDERAL UNIVERSITY", "KAZAN", ("05256ym39", "exact", 95.0)),
        ("Kazan Volga Region Federal University", "Kazan'", ("05256ym39", "exact", 95.0)),
        # the district is optional only where the city agrees, and a bare "region" is no district: the Moscow
        # Region State University (now the Federal State University of Education) is not Moscow State University
        ("KAZAN PRIVOLZHSKII FEDERAL UNIVERSITY", "MOSCOW", (None, "none", 0.0)),
        ("Moscow Region State University", "Moscow", ("00zv9ny53", "exact", 100.0)),
    ],
)
def test_a_federal_district_added_to_the_city_is_optional(
    bare_matcher: Matcher, name: str, city: str, expected: tuple[str | None, str, float]
) -> None:
    assert bare_matcher.match(name, city, "RU") == expected


def test_a_renamed_body_is_the_one_of_its_city_named_after_the_same_person(bare_matcher: Matcher) -> None:
    # the registry knows "Institute of Oncology NN Petrov"; the body was renamed a national research center
    result = bare_matcher.match("N.N. PETROV NATIONAL MEDICAL RESEARCH CENTER OF ONCOLOGY", "SAINT PETERSBURG", "RU")
    assert result == ("01mfpjp46", "person+city", 85.0)
    # not in another city, and not on the person's name alone (no other word shared)
    assert bare_matcher.match("N.N. PETROV NATIONAL MEDICAL RESEARCH CENTER OF ONCOLOGY", "KAZAN", "RU").ror_id is None
    assert bare_matcher.match("N.N. PETROV CENTRE OF HYDROLOGY", "SAINT PETERSBURG", "RU").ror_id is None


def test_federal_research_center_status_is_a_title_before_a_body_of_its_own(matcher: Matcher) -> None:
    # the status a reform gave the centre, in English or transliterated Russian, before the centre's own name
    english = matcher.match(
        "FEDERAL RESEARCH CENTER KARELIAN RESEARCH CENTER OF THE RUSSIAN ACADEMY OF SCIENCES", "PETROZAVODSK", "RU"
    )
    assert (english.ror_id, english.method) == ("05wgt8358", "exact")
    russian = matcher.match("FEDERALNYI ISSLEDOVATELSKII TSENTR KARELSKII NAUCHNYI TSENTR RAN", "PETROZAVODSK", "RU")
    assert russian.ror_id == "05wgt8358"
    # a federal research centre with no other body in its name keeps the words: they are its name
    assert normalise_name("Federal Research Center for Information and Computational Technologies") == (
        "federal research center information computational technologies"
    )
    assert normalise_name("FEDERAL RESEARCH CENTER INSTITUTE OF CYTOLOGY AND GENETICS SB RAS") == (
        "institute cytology genetics sb ras"
    )


def test_a_name_followed_by_its_own_initials_drops_them(matcher: Matcher) -> None:
    assert normalise_name("SIBERIAN FEDERAL UNIVERSITY SFU") == normalise_name("Siberian Federal University")
    assert normalise_name("MOSCOW INSTITUTE OF PHYSICS AND TECHNOLOGY MIPT") == "moscow institute physics technology"
    # after a legal form: the initials of the words just before them
    assert normalise_name(
        "FEDERAL STATE AUTONOMOUS EDUCATIONAL INSTITUTION OF HIGHER EDUCATION KAZAN FEDERAL UNIVERSITY KFU"
    ) == (normalise_name("Kazan Federal University"))
    result = matcher.match("SIBERIAN FEDERAL UNIVERSITY SFU", "KRASNOYARSK", "RU")
    assert result.method == "exact" and matcher.record_name(result.ror_id) == "Siberian Federal University"
    # a last word that is no initials of the words before it stays (a former name's acronym, a real word)
    assert normalise_name("NOVOSIBIRSK STATE TECHNICAL UNIVERSITY NETI").endswith(" neti")
    assert normalise_name("INSTITUTE OF APPLIED PHYSICS RAS").endswith(" ras")


def test_the_word_check_lets_a_name_add_the_country_or_sciences(bare_matcher: Matcher) -> None:
    # "Russian" or "Sciences" is all the names do not share, and two distinctive words align
    found = bare_matcher.match("RUSSIAN ACADEMY OF BALLET NAMED AFTER A. YA. VAGANOVA", "SAINT PETERSBURG", "RU")
    assert (found.ror_id, found.method) == ("01apbn515", "scored")
    # one distinctive word ("humanities") is not enough: "Russian" still tells the bodies apart
    assert bare_matcher.match("RUSSIAN STATE UNIVERSITY FOR THE HUMANITIES", "MOSCOW", "RU").ror_id is None


def test_words_of_one_english_stem_align() -> None:
    # "medical" / "medicine", "finance" / "financial", "organizations" / Russian "organizatsiia"
    assert words_align(match_key("medical"), [match_key("medicine")])
    assert words_align(match_key("financial"), [match_key("finance")])
    assert words_align(match_key("organizations"), [match_key("organizatsiia")])
    assert words_align(match_key("informatics"), [match_key("information")])
    # two stems: "technical" is not "technological", "chemical" not "chemistry"
    assert not words_align(match_key("technical"), [match_key("technological")])
    assert not words_align(match_key("chemical"), [match_key("chemistry")])


def test_ordinals_plurals_and_more_russian_words() -> None:
    # an ordinal is its number ("46th", "179th"); "plants" aligns with "plant" though `skeleton` writes "-ts" "c"
    assert match_key("46TH CENTRAL RESEARCH INSTITUTE") == match_key("46 Central Research Institute")
    assert match_key("46TH CENTRAL RESEARCH INSTITUTE") == "46 central research institute"
    assert words_align(match_key("plants"), [match_key("plant")])
    assert (
        match_key("VSESOIUZNYI INSTITUT MEDITSINSKIKH PROBLEM SEVERA") == "al union institute medical problems northern"
    )


def test_irregular_place_adjectives_read_as_the_place(bare_matcher: Matcher) -> None:
    # a suffix after a short stem ("Уфимский": Ufa), "zh" for "g" ("Калужский": Kaluga), a fleeting "o"
    # ("Вологодский": Vologda): the place of the registry's Latin names
    key = bare_matcher.index.key
    assert key("UFIMSKII UNIVERSITET NAUKI I TEKHNOLOGII") == "ufa universiti scences technologi"
    assert key("KALUZHSKII UNIVERSITET").split()[0] == "kaluga"
    assert key("VOLOGODSKII UNIVERSITET").split()[0] == "vologda"
    assert key("TUVINSKII INSTITUT").split()[0] == "tuvan"
    # an adjective of a place the registry does not name stays as it is
    assert key("KAZAKHSKII UNIVERSITET").split()[0] == "kazahsk"


def test_more_common_words_of_russian_names_read_in_english() -> None:
    assert match_key("VSEROSSIISKII INSTITUT PLEMENNOGO DELA") == "al rusian institute breding"
    assert match_key("INSTITUT EKONOMIKI SELSKOGO KHOZIAISTVA") == "institute economics agriculture"
    assert match_key("TSENTR PLANIROVANIIA MEDIKO-BIOLOGICHESKIMI RISKAMI") == "center planing biomedical risks"
    assert match_key("FEDERALNOE MEDIKO-BIOLOGICHESKOE AGENTSTVO") == match_key("Federal Medical-Biological Agency")
    assert match_key("INSTITUT FIZICHESKOI KULTURY") == match_key("Institute of Physical Culture")
    assert match_key("NAUCHNYI TSENTR ZDOROVIA DETEI") == "scentific center health children"
    # abbreviations of kinds of body, as НИИ is: ЦНИИ, НМИЦ (ISO 9: "CzNII", "NMICz")
    assert (
        match_key("TSNII ELEKTRONIKA")
        == match_key("CzNII ELEKTRONIKA")
        == "central scentific research institute electronics"
    )
    assert match_key("FGBU NMITS GEMATOLOGII") == "national medical research center hematologi"
    # the supervising agency is dropped however its words are read
    assert (
        match_key("TSENTR SPORTIVNOI MEDITSINY FEDERALNOGO MEDIKO-BIOLOGICHESKOGO AGENTSTVA") == "center sporc medicine"
    )
    # initials of two letters ("Ю." as "IU.") before a genitive surname
    assert match_key("INSTITUT IM. AKADEMIKA IU. M. LOPUKHINA") == "institute lopuhin"


def test_words_learned_from_the_registrys_bilingual_names() -> None:
    from bilatrus_etl.institutions.bilingual import learn_words, read_word

    english = frozenset({"institute", "breding", "animal", "research", "plant"})
    pairs = [
        ("research institute plemenogo", "research institute breding"),  # one word left each side: a pair
        ("research institute plemenoi", "research institute animal breding"),  # two English words left: nothing
        ("institute bazis", "institute basis"),
    ]
    learned = learn_words(pairs, english)
    assert learned["plemen"] == "breding" and learned["bazis"] == "basis"
    assert "plemenoi" not in learned  # its English words were two
    # a query's word in another case ending is read; an English word never is
    assert read_word("plemenoi", learned, english) == "breding"
    assert read_word("plant", {"plant": "x"}, english) == "plant"
    # a stem paired with two English words equally often teaches nothing
    taught = [("institute selekcii", "institute breding"), ("institute selekcii", "institute selection")]
    assert learn_words(taught, english) == {}


def test_the_index_reads_russian_words_its_bilingual_names_teach(ror: pd.DataFrame) -> None:
    index = Matcher(ror).index
    assert index.learned_words.get("karpolog") == "carpologi"  # "Институт карпологии" / "Institute of Carpology"
    assert index.key("NATSIONALNYI INSTITUT KARPOLOGII") == "national institute carpologi"


def test_english_words_of_one_russian_word_align() -> None:
    # "управление" is management, control or administration; "фонд" foundation or fund
    assert words_align(match_key("control"), [match_key("management")])
    assert words_align(match_key("fund"), [match_key("foundation")])
    assert not words_align(match_key("control"), [match_key("foundation")])


def test_a_name_calling_the_body_two_kinds_may_name_one_more(ror: pd.DataFrame, bare_matcher: Matcher) -> None:
    # "Научно-исследовательский центр «Институт эндокринологии»": a centre and an institute; the record's English
    # name says "Research Center" only (its Russian names removed here)
    registry = ror.copy()
    registry["labels"] = [
        [name for name in labels if name.isascii()] if ror_id.endswith("003pa2681") else labels
        for ror_id, labels in zip(registry["ror_id"], registry["labels"], strict=True)
    ]
    found = Matcher(registry).match("NAUCHNO-ISSLEDOVATELSKII TSENTR INSTITUT ENDOKRINOLOGII", "Moscow", "RU")
    assert (found.ror_id, found.method) == ("003pa2681", "scored")
    # a faculty of a university is not the university: more than the kind is left
    assert bare_matcher.match("INSTITUTE OF PHYSICS KAZAN FEDERAL UNIVERSITY", "KAZAN", "RU").ror_id is None

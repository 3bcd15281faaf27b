"""Nothing dropped silently: generated and hand-made rows through every reader, and deterministic builds.

For every input: raw records written = staged + quarantined (load_audit and the StageReport agree), and a
value that is present but does not parse is NULL only with a flag (value_issues, counted in load_audit's
flagged_rows). A file refused as a whole (empty, header only, too many malformed lines) raises a clear error
naming the file and loads nothing: the landing tables stay as they were, so no row is lost either.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_readers import LEGACY_ORG_HEADER, LEGACY_PROJECT_HEADER, ORG_HEADER, PROJECT_HEADER, row_of

from bilatrus_etl.analyst.export import export
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import staging
from bilatrus_etl.warehouse.models import ensure_default_variables, load_models, run_models
from bilatrus_etl.warehouse.publish import publish
from bilatrus_etl.warehouse.tables import INSTITUTION_LINK, create_empty

# BILATRUS_HYPOTHESIS_EXAMPLES=200 explores further (random seeds) in a longer local run.
DEEP = int(os.environ.get("BILATRUS_HYPOTHESIS_EXAMPLES", "0"))
EXAMPLES = settings(
    max_examples=DEEP or 10,
    deadline=None,
    derandomize=not DEEP,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DASHBOARD_HEADER = [
    "project_id",
    "pic",
    "partner_role",
    "legal_name",
    "legal_entity_type",
    "country_code",
    "ec_contribution",
    "framework_programme",
    "project_acronym",
    "legal_basis",
    "start_date",
]
COUNTRY_REF_HEADER = ["euCode", "isoCode", "name", "language"]

# --------------------------------------------------------------------------------------- strategies

ODD_NUMBERS = [
    "-",
    "n/a",
    "N/A",
    "NA",
    "",
    " ",
    "—",
    "?",
    "null",
    "1e400",
    "9" * 25,
    "1.234,56",
    "12,5",
    "1,234",
    "€ 1 000,50",
    "abc",
    "12abc",
    "0",
    "-0",
    "1.5E6",
    "  42 ",
    "1'000.00",
    "nan",
]
ODD_COUNTRIES = [
    "DE",
    "de",
    "RU",
    "EL",
    "UK",
    "XK",
    "RUS",
    "DEU",
    "Russia",
    "Russian Federation",
    "Deutschland",
    "Germany",
    "XX",
    "ZZZ",
    "Atlantis",
    "-",
    "n/a",
    "",
    "  fr ",
    "Россия",
    "Côte d'Ivoire",
]
FIELD_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters='\n\r\t";,\ufeff'),
    max_size=12,
)
PROJECT_IDS = st.sampled_from(["1001", "1002", "1003", "1003.0", " 1001 ", "", "9999"])


def odd(values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values), FIELD_TEXT)


@st.composite
def participation_rows(draw: st.DrawFn) -> dict[str, str]:
    return {
        "project": draw(PROJECT_IDS),
        "pic": draw(st.sampled_from(["999000001", "999000002", "", "12ab", "-"])),
        "name": draw(
            st.one_of(st.sampled_from(["UNIVERSITY A", "INSTITUTE; B", 'THE "C" LTD', "D\nE", ""]), FIELD_TEXT)
        ),
        "role": draw(st.sampled_from(["coordinator", "participant", "thirdParty", "", "weird role"])),
        "activity": draw(st.sampled_from(["HES", "REC", "PRC", "XYZ", "", "-"])),
        "country": draw(odd(ODD_COUNTRIES)),
        "money": draw(odd(ODD_NUMBERS)),
    }


@st.composite
def project_rows(draw: st.DrawFn) -> dict[str, str]:
    return {
        "project": draw(PROJECT_IDS),
        "acronym": draw(FIELD_TEXT),
        "title": draw(FIELD_TEXT),
        "start": draw(st.sampled_from(["2010-01-01", "31/12/2009", "n/a", "", "3000-01-01", "soon"])),
        "money": draw(odd(ODD_NUMBERS)),
    }


@st.composite
def csv_files(draw: st.DrawFn, delimiters: tuple[str, ...] = (";",)) -> dict:
    """Projects and participations, with a dialect: delimiter, quoting, BOM, line ending, duplicate rows."""
    projects = draw(st.lists(project_rows(), min_size=1, max_size=6))
    participations = draw(st.lists(participation_rows(), min_size=1, max_size=10))
    if participations and draw(st.booleans()):
        participations.append(dict(participations[0]))  # an exact duplicate
    return {
        "projects": projects,
        "participations": participations,
        "delimiter": draw(st.sampled_from(delimiters)),
        "quoting": draw(st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL])),
        "bom": draw(st.booleans()),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
    }


def write(path: Path, header: list[str], records: list[list[str]], spec: dict) -> Path:
    """The records as CSV in the spec's dialect. Minimal quoting always quotes a field holding CR or LF (Python
    quotes only the characters of its line terminator): a bare CR in an unquoted field ends the record for every
    CSV reader, so the file would hold more records than were generated."""
    out = io.StringIO()
    terminator = "\r\n" if spec["quoting"] == csv.QUOTE_MINIMAL else spec["newline"]
    writer = csv.writer(out, delimiter=spec["delimiter"], quoting=spec["quoting"], lineterminator=terminator)
    writer.writerow(header)
    writer.writerows(records)
    path.write_text(("\ufeff" if spec["bom"] else "") + out.getvalue(), encoding="utf-8", newline="")
    return path


# ----------------------------------------------------------------------------------------- outcomes


@dataclass
class Tally:
    """What the examples of one reader came to."""

    examples: int = 0
    raw: int = 0
    staged: int = 0
    quarantined: int = 0
    flagged: int = 0
    refused: int = 0
    lost: int = 0
    silent_nulls: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, written: int, counts: tuple[int, int, int, int], silent: int, where: str) -> None:
        raw, staged, quarantined, flagged = counts
        self.examples += 1
        self.raw += written
        self.staged += staged
        self.quarantined += quarantined
        self.flagged += flagged
        self.lost += written - staged - quarantined
        self.silent_nulls += silent
        if raw != written or raw != staged + quarantined or silent:
            self.problems.append(
                f"{where}: written {written}, audit raw {raw} = {staged} staged + {quarantined} "
                f"quarantined, {silent} silent NULL(s)"
            )

    def outcome(self) -> str:
        return (
            f"{self.examples} inputs, {self.raw} records: {self.staged} staged ({self.flagged} flagged) + "
            f"{self.quarantined} quarantined; {self.refused} refused with a clear error; "
            f"{self.silent_nulls} silent NULLs"
        )


def audit(con: duckdb.DuckDBPyConnection, target: str) -> tuple[int, int, int, int]:
    row = con.execute(
        "SELECT coalesce(sum(raw_rows), 0), coalesce(sum(staged_rows), 0), coalesce(sum(quarantined_rows), 0), "
        "coalesce(sum(flagged_rows), 0) FROM load_audit WHERE target_table = ?",
        [target],
    ).fetchone()
    return tuple(int(v) for v in row)


SILENT_NULLS = """
SELECT count(*) FROM land_participation AS l
JOIN stg_participation AS s USING (source_file, source_line)
WHERE (clean_text(l.ec_contribution) IS NOT NULL AND s.ec_contribution IS NULL
       AND coalesce(s.value_issues, '') NOT LIKE '%ec_contribution "%')
   OR (clean_text(l.country) IS NOT NULL AND s.country IS NULL
       AND coalesce(s.value_issues, '') NOT LIKE '%country "%')
"""
SILENT_PROJECT_NULLS = """
SELECT count(*) FROM land_project AS l
JOIN stg_project AS s USING (source_file, source_line)
WHERE (clean_text(l.ec_max_contribution) IS NOT NULL AND s.ec_max_contribution IS NULL
       AND coalesce(s.value_issues, '') NOT LIKE '%ec_max_contribution "%')
   OR (clean_text(l.start_date) IS NOT NULL AND s.start_date IS NULL
       AND coalesce(s.value_issues, '') NOT LIKE '%start_date "%')
"""


def silent(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(SILENT_NULLS).fetchone()[0] + con.execute(SILENT_PROJECT_NULLS).fetchone()[0]


def run_generated(
    con: duckdb.DuckDBPyConnection, tally: Tally, stage: Callable[[duckdb.DuckDBPyConnection, Path], dict[str, int]]
) -> None:
    """Stage one generated input (it replaces the previous input's slice) and add its counts, or its clean
    refusal, to the tally."""
    with tempfile.TemporaryDirectory() as folder:
        try:
            written = stage(con, Path(folder))
        except BilatrusError as err:
            tally.refused += 1
            tally.examples += 1
            assert Path(folder).name in str(err) or ".csv" in str(err), str(err)  # names the file
            assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0
            return
        for target, n in written.items():
            tally.add(n, audit(con, target), silent(con) if target == "stg_participation" else 0, target)


def finish(fault: Callable[..., None], name: str, tally: Tally) -> None:
    ok = not tally.problems and tally.lost == 0 and tally.silent_nulls == 0 and tally.examples > 0
    fault(
        name,
        expected="raw = staged + quarantined, unparseable values flagged; bad files refused whole",
        outcome=tally.outcome(),
        rows_lost=tally.lost,
        ok=ok,
    )
    assert ok, tally.problems[:5]


# ------------------------------------------------------------------------------ generated, per reader


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


@dataclass(frozen=True)
class StageLayout:
    """Where one official layout puts the fields the generated rows fill, and its file names."""

    programme: str
    project_header: list[str]
    org_header: list[str]
    files: tuple[str, str]  # project file, organisation file
    project_id: str  # the project id column of the project file
    org_project: str  # ... of the organisation file
    org_pic: str  # the organisation id column


LEGACY = StageLayout(
    "FP6",
    LEGACY_PROJECT_HEADER,
    LEGACY_ORG_HEADER,
    ("cordis-fp6projects.csv", "cordis-fp6organizations.csv"),
    "reference",
    "projectReference",
    "id",
)
CURRENT = StageLayout(
    "H2020", PROJECT_HEADER, ORG_HEADER, ("project.csv", "organization.csv"), "id", "projectID", "organisationID"
)


def layout_stage(layout: StageLayout, spec: dict) -> Callable[[duckdb.DuckDBPyConnection, Path], dict[str, int]]:
    def stage(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
        projects = [
            row_of(
                layout.project_header,
                **{layout.project_id: p["project"]},
                acronym=p["acronym"],
                title=p["title"],
                startDate=p["start"],
                totalCost=p["money"],
                ecMaxContribution=p["money"],
            )
            for p in spec["projects"]
        ]
        orgs = [
            row_of(
                layout.org_header,
                **{layout.org_project: o["project"], layout.org_pic: o["pic"]},
                name=o["name"],
                role=o["role"],
                activityType=o["activity"],
                ecContribution=o["money"],
                country=o["country"],
            )
            for o in spec["participations"]
        ]
        project_file, org_file = layout.files
        files = {
            "projects": write(folder / project_file, layout.project_header, projects, spec),
            "organizations": write(folder / org_file, layout.org_header, orgs, spec),
        }
        report = staging.stage_programme(con, layout.programme, files)
        assert report.reconciled, str(report)
        return {"stg_project": len(projects), "stg_participation": len(orgs)}

    return stage


def dashboard_stage(spec: dict, programmes: list[str]) -> Callable[[duckdb.DuckDBPyConnection, Path], dict[str, int]]:
    def stage(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
        rows = [
            [
                o["project"],
                o["pic"],
                o["role"],
                o["name"],
                o["activity"],
                o["country"],
                o["money"],
                fp,
                "ACR",
                "",
                "2015-01-01",
            ]
            for o, fp in zip(spec["participations"], programmes, strict=False)
        ]
        path = write(folder / "cordis-plus-test.csv", DASHBOARD_HEADER, rows, spec)
        report = staging.stage_dashboard(con, path)
        assert report.reconciled, str(report)
        return {"stg_participation": len(rows)}

    return stage


def test_generated_legacy_csv_rows_lose_nothing(fault, con) -> None:
    tally = Tally()

    @EXAMPLES
    @given(csv_files())
    def check(spec: dict) -> None:
        run_generated(con, tally, layout_stage(LEGACY, spec))

    check()
    finish(fault, "hypothesis: legacy ';' CSV (FP6), decimal commas", tally)


def test_generated_current_csv_rows_lose_nothing(fault, con) -> None:
    tally = Tally()

    @EXAMPLES
    @given(csv_files(delimiters=(";", ",")))
    def check(spec: dict) -> None:
        run_generated(con, tally, layout_stage(CURRENT, spec))

    check()
    finish(fault, "hypothesis: current CORDIS ';' and ',' exports", tally)


def test_generated_dashboard_csv_rows_lose_nothing(fault, con) -> None:
    tally = Tally()

    @EXAMPLES
    @given(
        csv_files(delimiters=(",",)),
        st.lists(st.sampled_from(["FP7", "H2020", "NA", "", "FP9"]), min_size=11, max_size=11),
    )
    def check(spec: dict, programmes: list[str]) -> None:
        run_generated(con, tally, dashboard_stage(spec, programmes))

    check()
    finish(fault, "hypothesis: Horizon Dashboard CSV (NA tokens)", tally)


def test_generated_cordisref_rows_lose_nothing(fault, con) -> None:
    tally = Tally()

    @EXAMPLES
    @given(
        st.lists(
            st.tuples(
                odd(["EL", "UK", "RU", "XK", "", "-"]),
                odd(["GR", "GB", "RU", "NULL", ""]),
                FIELD_TEXT,
                st.sampled_from(["en", "de", "fr", ""]),
            ),
            min_size=1,
            max_size=12,
        ),
        st.booleans(),
        st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL]),
    )
    def check(records: list[tuple[str, ...]], bom: bool, quoting: int) -> None:
        with tempfile.TemporaryDirectory() as folder:
            spec = {"delimiter": ";", "quoting": quoting, "bom": bom, "newline": "\n"}
            path = write(Path(folder) / "cordisref-countries.csv", COUNTRY_REF_HEADER, [list(r) for r in records], spec)
            try:
                report = staging.stage_reference(con, {"cordisref_countries": path})
            except BilatrusError as err:
                assert "cordisref-countries.csv" in str(err)
                tally.refused += 1
                tally.examples += 1
                return
            (count,) = report.files
            tally.add(len(records), (count.raw_rows, count.staged_rows, count.quarantined_rows, 0), 0, "cordisref")

    check()
    finish(fault, "hypothesis: cordisref countries (';', BOM)", tally)


# ----------------------------------------------------------------------------------------- hand-made


def stage_h2020(
    con: duckdb.DuckDBPyConnection, folder: Path, orgs: list[dict[str, str]], projects: tuple[str, ...] = ("1001",)
) -> staging.StageReport:
    spec = {"delimiter": ";", "quoting": csv.QUOTE_ALL, "bom": False, "newline": "\n"}
    files = {
        "projects": write(
            folder / "project.csv",
            PROJECT_HEADER,
            [row_of(PROJECT_HEADER, id=p, acronym=f"A{p}", title=f"T{p}") for p in projects],
            spec,
        ),
        "organizations": write(
            folder / "organization.csv",
            ORG_HEADER,
            [row_of(ORG_HEADER, **{"projectID": "1001", "role": "participant", **o}) for o in orgs],
            spec,
        ),
    }
    return staging.stage_programme(con, "H2020", files)


def test_odd_money_tokens_are_kept_as_flagged_nulls(fault, con, tmp_path) -> None:
    tokens = {
        "-": "missing-value marker",
        "n/a": "missing-value marker",
        "1" * 20: "out of range for DECIMAL(18,2)",
        "1e400": "out of range for DECIMAL(18,2)",
        "12 EURO": "not a number",
    }
    orgs = [
        {"organisationID": f"99900000{i}", "name": f"ORG {i}", "country": "DE", "ecContribution": token}
        for i, token in enumerate(tokens)
    ]
    orgs.append({"organisationID": "999000009", "name": "ORG 9", "country": "DE", "ecContribution": "1.234,50"})
    report = stage_h2020(con, tmp_path, orgs)
    got = dict(con.execute("SELECT name, value_issues FROM stg_participation WHERE ec_contribution IS NULL").fetchall())
    expected = {
        f"ORG {i}": f'ec_contribution "{token}": {reason}, kept as NULL'
        for i, (token, reason) in enumerate(tokens.items())
    }
    audit_row = con.execute(
        "SELECT raw_rows, staged_rows, quarantined_rows, flagged_rows FROM load_audit "
        "WHERE target_table = 'stg_participation'"
    ).fetchone()
    decimal = con.execute("SELECT ec_contribution FROM stg_participation WHERE name = 'ORG 9'").fetchone()[0]
    ok = (
        got == expected
        and audit_row == (6, 6, 0, 5)
        and report.reconciled
        and decimal == Decimal("1234.50")
        and report.flagged_rows == 5
        and "6 raw = 6 staged (5 with flagged values) + 0 quarantined" in str(report)
    )
    fault(
        'EU contribution "-", "n/a", overflow, text',
        expected="kept, NULL with value_issues, flagged in load_audit",
        outcome=f"{audit_row[3]} of {audit_row[0]} rows flagged, 0 silent NULLs; '1.234,50' read as {decimal}",
        rows_lost=audit_row[0] - audit_row[1] - audit_row[2],
        ok=ok,
    )
    assert got == expected
    assert audit_row == (6, 6, 0, 5) and decimal == Decimal("1234.50")


def test_country_codes_names_and_unknown_countries(fault, con, tmp_path, shared_file) -> None:
    staging.stage_reference(con, {"cordisref_countries": shared_file("cordis/reference/cordisref-countries.csv")})
    written = {
        "RUS": "RU",
        "Russia": "RU",
        "Russian Federation": "RU",
        "rossiya": None,
        "Deutschland": "DE",
        "EL": "GR",
        "UK": "GB",
        "grc": "GR",
        "Atlantis": None,
    }
    orgs = [
        {"organisationID": f"9990000{i:02d}", "name": f"ORG {i}", "country": text} for i, text in enumerate(written)
    ]
    stage_h2020(con, tmp_path, orgs)
    got = dict(con.execute("SELECT country_code_source, country FROM stg_participation").fetchall())
    expected = {text.upper(): iso for text, iso in written.items()}
    issues = sorted(
        r[0] for r in con.execute("SELECT value_issues FROM stg_participation WHERE country IS NULL").fetchall()
    )
    audit_row = con.execute(
        "SELECT staged_rows, unknown_country_rows, unknown_country_share FROM load_audit "
        "WHERE target_table = 'stg_participation'"
    ).fetchone()
    from bilatrus_etl.quality.validate import validate_table

    outcome = validate_table(con, "load_audit")
    failing = {f["column"] for f in outcome.errors}
    ok = (
        got == expected
        and audit_row[:2] == (9, 2)
        and "unknown_country_share" in failing
        and issues
        == ['country "Atlantis": unknown country, kept as NULL', 'country "rossiya": unknown country, kept as NULL']
    )
    fault(
        "country as alpha-3 code, name, CORDIS EL/UK; unknown country above 0.1%",
        expected="mapped to ISO alpha-2; unknown flagged and the load_audit suite fails (ERROR)",
        outcome=f"7 of 9 mapped; {audit_row[1]} unknown ({audit_row[2]:.1%}) -> blocking failure on {sorted(failing)}",
        rows_lost=0,
        ok=ok,
    )
    assert got == expected and audit_row[:2] == (9, 2)
    assert issues == [
        'country "Atlantis": unknown country, kept as NULL',
        'country "rossiya": unknown country, kept as NULL',
    ]
    assert "unknown_country_share" in failing and not outcome.passed_errors


def test_one_unknown_country_in_a_large_file_only_warns(con, tmp_path) -> None:
    orgs = [{"organisationID": f"{999000000 + i}", "name": f"ORG {i}", "country": "DE"} for i in range(1500)]
    orgs.append({"organisationID": "998000000", "name": "ORG X", "country": "Atlantis"})
    stage_h2020(con, tmp_path, orgs)
    from bilatrus_etl.quality.validate import validate_table

    outcome = validate_table(con, "load_audit")
    assert outcome.passed_errors  # 1 / 1501 = 0.067% <= 0.1%
    assert [f["column"] for f in outcome.warnings] == ["unknown_country_rows"]


def test_orphan_participants_are_quarantined_not_invented(fault, con, tmp_path) -> None:
    orgs = [
        {"organisationID": "999000001", "name": "KEPT", "country": "DE"},
        {"projectID": "4242", "organisationID": "999000002", "name": "ORPHAN A", "country": "RU"},
        {"projectID": "4242", "organisationID": "999000003", "name": "ORPHAN B", "country": "FR"},
    ]
    report = stage_h2020(con, tmp_path, orgs)
    reasons = con.execute("SELECT source_line, reason FROM quarantine ORDER BY source_line").fetchall()
    run_models(con, ["stg_programme_ref", "dim_programme", "dim_project"])
    invented = con.execute("SELECT count(*) FROM dim_project WHERE NOT in_project_file").fetchone()[0]
    counts = (report.raw_rows, report.staged_rows, report.quarantined_rows)
    expected_reason = "orphan: project 4242 has no row in the staged H2020 projects (absent from the project file)"
    ok = reasons == [(3, expected_reason), (4, expected_reason)] and invented == 0 and counts == (4, 2, 2)
    fault(
        "participants of a project absent from the project file",
        expected="quarantined with the reason",
        outcome=f"{len(reasons)} quarantined ({reasons[0][1] if reasons else '-'}); {invented} projects invented",
        rows_lost=counts[0] - counts[1] - counts[2],
        ok=ok,
    )
    assert reasons == [(3, expected_reason), (4, expected_reason)]
    assert invented == 0 and counts == (4, 2, 2)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"", "empty file"),
        (b"\xef\xbb\xbf", "BOM only"),
        ("\ufeff" + ";".join(ORG_HEADER) + "\n", "header only"),
    ],
)
def test_empty_files_are_refused_whole(fault, con, tmp_path, content, what) -> None:
    staging.stage_programme(
        con,
        "H2020",
        {
            "projects": write(
                tmp_path / "project.csv",
                PROJECT_HEADER,
                [row_of(PROJECT_HEADER, id="1", acronym="A", title="T")],
                {"delimiter": ";", "quoting": csv.QUOTE_ALL, "bom": False, "newline": "\n"},
            ),
            "organizations": write(
                tmp_path / "organization.csv",
                ORG_HEADER,
                [row_of(ORG_HEADER, projectID="1", name="X", role="participant", country="DE")],
                {"delimiter": ";", "quoting": csv.QUOTE_ALL, "bom": False, "newline": "\n"},
            ),
        },
    )
    broken = tmp_path / "broken-organization.csv"
    broken.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(BilatrusError) as raised:
        staging.stage_programme(con, "H2020", {"projects": tmp_path / "project.csv", "organizations": broken})
    kept = con.execute("SELECT count(*) FROM stg_participation").fetchone()[0]
    ok = "broken-organization.csv" in str(raised.value) and kept == 1
    fault(
        f"organisation file: {what}",
        expected="refused with a message naming the file; last load kept",
        outcome=f"refused: {str(raised.value)[:60]}...; {kept} earlier row kept",
        rows_lost=0,
        ok=ok,
    )
    assert ok, str(raised.value)


# ------------------------------------------------------------------------------------- determinism


def build_and_export(folder: Path, mirror: Path, *, reverse: bool = False) -> dict[str, str]:
    """Stage the mirror's FP7 and H2020 files, build core and marts, publish, export; sha256 of each export.

    With `reverse`, the staged participations are stored in the opposite order, so every sum over them adds its
    terms in another order (as parallel aggregation may do from one run to the next)."""
    folder.mkdir(parents=True)
    build = folder / "build.duckdb"
    con = duckdb.connect(str(build))
    items = []
    for programme, zip_name in (("FP7", "cordis-fp7projects-csv.zip"), ("H2020", "cordis-h2020projects-csv.zip")):
        target = folder / programme
        with zipfile.ZipFile(mirror / zip_name) as archive:
            archive.extractall(target, members=["project.csv", "organization.csv"])
        items.append(
            staging.ProgrammeFiles(
                programme, {"projects": target / "project.csv", "organizations": target / "organization.csv"}
            )
        )
    staging.stage_reference(
        con,
        {
            "cordisref_countries": mirror / "cordisref-countries.csv",
            "cordisref_fp7_programmes": mirror / "cordisref-FP7programmes.csv",
            "cordisref_h2020_programmes": mirror / "cordisref-H2020programmes.csv",
        },
    )
    staging.stage_programmes(con, items)
    if reverse:
        con.execute(
            "CREATE OR REPLACE TABLE stg_participation AS "
            "SELECT * FROM stg_participation ORDER BY source_file DESC, source_line DESC"
        )
    create_empty(con, INSTITUTION_LINK)
    ensure_default_variables(con)
    models = load_models()
    run_models(con, [n for n, m in models.items() if m.layer in ("core", "marts")])
    con.close()
    published = folder / "warehouse" / "bilatrus.duckdb"
    publish(build, published)
    paths = export(published, folder / "exports")
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.mark.slow
def test_two_builds_of_the_same_input_export_identical_bytes(fault, synthetic_mirror, tmp_path) -> None:
    mirror = synthetic_mirror.folder  # read only: its FP7 and H2020 files
    first = build_and_export(tmp_path / "one", mirror)
    second = build_and_export(tmp_path / "two", mirror, reverse=True)
    differing = sorted(name for name in first if first[name] != second.get(name))
    ok = bool(first) and first.keys() == second.keys() and not differing
    fault(
        "two builds of the same input (rows summed in opposite orders)",
        expected="byte-identical exports (every mart, parquet and csv)",
        outcome=f"{len(first)} files, {len(differing)} differ" + (f": {differing[:3]}" if differing else ""),
        rows_lost=0,
        ok=ok,
    )
    assert ok, differing


def test_meta_tables_keep_only_the_rows_of_the_publishing_run(fault, con, tmp_path) -> None:
    import json
    from datetime import UTC, datetime

    from bilatrus_etl.quality.report import ValidationOutcome, record_validation_run
    from bilatrus_etl.settings import Settings
    from bilatrus_etl.warehouse.meta import keep_run_rows, record_provenance

    settings = Settings.from_env(data_dir=tmp_path)
    settings.raw_dir.mkdir(parents=True)
    downloads = [
        ("cordis_fp7", "a" * 64, "2026-10-02T03:00:00+00:00"),
        ("cordisref_countries", "b" * 64, "2026-10-02T03:00:01+00:00"),
        ("cordis_fp7", "c" * 64, "2026-11-02T03:00:00+00:00"),
    ]
    (settings.raw_dir / "provenance.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "dataset": d,
                    "url": f"https://example.org/{d}",
                    "fetched_at": at,
                    "http_status": 200,
                    "sha256": sha,
                    "bytes": 1,
                    "path": f"{d}/{sha}.zip",
                    "changed": True,
                }
            )
            + "\n"
            for d, sha, at in downloads
        ),
        encoding="utf-8",
    )
    outcome = ValidationOutcome(
        table="stg_project",
        suite="stg_project",
        success=True,
        severity=None,
        failures=[],
        evaluated=1,
        duration_s=0.1,
        started_at=datetime.now(UTC),
    )
    sizes = []
    for run in ("run-1", "run-2", "run-3"):  # three rebuilds of one build file
        record_provenance(con, settings, run)
        record_validation_run(con, outcome, run_id=run)
        record_validation_run(con, outcome, run_id=run)
        keep_run_rows(con, run)
        sizes.append(
            tuple(
                con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("meta_download_provenance", "meta_validation_runs")
            )
        )
    provenance = con.execute("SELECT run_id, dataset, sha256 FROM meta_download_provenance ORDER BY dataset").fetchall()
    runs = con.execute("SELECT DISTINCT run_id FROM meta_validation_runs").fetchall()
    ok = (
        sizes == [(2, 2)] * 3
        and provenance == [("run-3", "cordis_fp7", "c" * 64), ("run-3", "cordisref_countries", "b" * 64)]
        and runs == [("run-3",)]
    )
    fault(
        "meta tables across three rebuilds",
        expected="run id on every row; only the publishing run's rows kept",
        outcome=f"rows (provenance, validations) per rebuild: {sizes}; run ids kept: {[r[0] for r in runs]}",
        rows_lost=0,
        ok=ok,
    )
    assert ok, (sizes, provenance, runs)


def test_broken_quotes_are_quarantined_line_by_line(fault, con, tmp_path) -> None:
    spec = {"delimiter": ";", "quoting": csv.QUOTE_ALL, "bom": False, "newline": "\n"}
    projects = write(
        tmp_path / "project.csv", PROJECT_HEADER, [row_of(PROJECT_HEADER, id="1001", acronym="A", title="T")], spec
    )
    good = [
        ";".join(
            f'"{v}"'
            for v in row_of(
                ORG_HEADER,
                projectID="1001",
                organisationID=f"99900000{n}",
                name=f"ORG {n}",
                role="participant",
                country="DE",
            )
        )
        for n in range(4)
    ]
    lines = [
        good[0],
        '"1001";"A";"999000009";"";"BROKEN "QUOTE;' + ";".join('""' for _ in range(20)),
        good[1],
        '"1001";"A";"999000008";"";"OPEN QUOTE NEVER CLOSED;"x";"y"',
        good[2],
        good[3],
    ]
    organizations = tmp_path / "organization.csv"
    organizations.write_text(";".join(ORG_HEADER) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    report = staging.stage_programme(con, "H2020", {"projects": projects, "organizations": organizations})
    (orgs,) = [f for f in report.files if f.target_table == "stg_participation"]
    quarantined = [r[0] for r in con.execute("SELECT source_line FROM quarantine ORDER BY 1").fetchall()]
    staged = [r[0] for r in con.execute("SELECT source_line FROM stg_participation ORDER BY 1").fetchall()]
    ok = (
        (orgs.raw_rows, orgs.staged_rows, orgs.quarantined_rows) == (6, 4, 2)
        and quarantined == [3, 5]
        and staged == [2, 4, 6, 7]
    )
    fault(
        "unbalanced quotes in two lines",
        expected="those two lines quarantined, the lines after them read",
        outcome=f"{orgs.raw_rows} raw = {orgs.staged_rows} staged + {orgs.quarantined_rows} quarantined "
        f"(lines {quarantined})",
        rows_lost=6 - orgs.staged_rows - orgs.quarantined_rows,
        ok=ok,
    )
    assert ok, (orgs, quarantined, staged)

"""(e) The lean DuckDB floor: one short script, DuckDB alone, the core indicators straight from the files.

It imports nothing from the project: it reads the file list written by bench.inputs (inputs.json: each
unzipped project.csv / organization.csv and cordisref table, its delimiter and layout) and the curated
reference CSVs, and parses every file with DuckDB's `read_csv` in the files' documented dialect (the
delimiter given, `"` quote and escape, a header, every column as text). Malformed lines go to DuckDB's
temporary reject tables (`store_rejects`), so a file with a broken line is still read whole.

What it does, in a few statements, the way a DuckDB user would write it from CORDIS's documentation:
- projects: the project id (a trailing `.0` dropped), the first record of a duplicated id (one with a
  title first), exact copies of a record dropped; start date ISO or dd/mm/yyyy; theme from the longest
  `code_prefix` of reference/programme_themes.csv matching the first programme code;
- participations: one row per organisation per project (PIC, else `name-` + 16 hex digits of
  md5(normalised name|country)), EU money summed, CORDIS country codes to ISO (cordisref, else EL->GR and
  UK->GB), the role `coordinator` by its letters, weight 1/n (n = organisations in the project), the
  country's status in force at the project's start (reference/country_status.csv, else third);
- figures (JSON on stdout): focus-country participations by programme and year (full and fractional counts,
  EU money, funded participations), the third-country ranking, partner countries (joint projects and
  fractional links), the theme profile and the focus country's institutions (organisation keys; the lean
  script does no ROR matching).

Run: `python -m bench.lean INPUTS_JSON [--focus RU] [--out FIGURES_JSON]`. bench.compare.figures_of_marts
computes the same figures from a warehouse's marts, so the benchmark and tests/test_bench.py can check them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

PROJECT_COLUMNS = {
    "legacy_csv": {
        "reference": "project_id",
        "title": "title",
        "programme": "programme_code",
        "startDate": "start_date",
    },
    "cordis_csv": {"id": "project_id", "title": "title", "legalBasis": "programme_code", "startDate": "start_date"},
}
ORGANIZATION_COLUMNS = {
    "legacy_csv": {
        "projectReference": "project_id",
        "id": "pic",
        "name": "name",
        "role": "role",
        "country": "country",
        "ecContribution": "ec_contribution",
    },
    "cordis_csv": {
        "projectID": "project_id",
        "organisationID": "pic",
        "name": "name",
        "role": "role",
        "country": "country",
        "ecContribution": "ec_contribution",
    },
}
COUNTRY_EXCEPTIONS = {"EL": "GR", "UK": "GB"}

MACROS = r"""
CREATE MACRO txt(s) AS nullif(trim(regexp_replace(s, '[\s\x{00A0}]+', ' ', 'g')), '');
CREATE MACRO ident(s) AS regexp_replace(txt(s), '\.0+$', '');
CREATE MACRO day(s) AS CASE WHEN year(coalesce(TRY_CAST(txt(s) AS DATE), try_strptime(txt(s), '%d/%m/%Y')::DATE))
    BETWEEN 1900 AND 2100 THEN coalesce(TRY_CAST(txt(s) AS DATE), try_strptime(txt(s), '%d/%m/%Y')::DATE) END;
"""

CORE = r"""
CREATE TABLE project AS
SELECT fp, ident(project_id) AS project_id, txt(programme_code) AS programme_code, day(start_date) AS start_date
FROM raw_project
WHERE ident(project_id) IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY fp, file, record) = 1
    AND row_number() OVER (PARTITION BY fp, ident(project_id) ORDER BY title IS NOT NULL DESC, file, line) = 1;

CREATE TABLE theme AS
WITH codes AS (SELECT DISTINCT fp, programme_code FROM project),
themes AS (
    SELECT upper(trim(framework_programme)) AS fp, upper(trim(code_prefix)) AS prefix, theme_code
    FROM read_csv($reference || '/programme_themes.csv', header = true, all_varchar = true)
)
SELECT c.fp, c.programme_code, coalesce(t.theme_code, 'unclassified') AS theme_code
FROM codes AS c
LEFT JOIN themes AS t ON t.fp = c.fp AND starts_with(upper(trim(split_part(c.programme_code, ';', 1))), t.prefix)
QUALIFY row_number() OVER (PARTITION BY c.fp, c.programme_code ORDER BY length(t.prefix) DESC NULLS LAST) = 1;

CREATE TABLE participation AS
WITH rows AS (
    SELECT
        r.fp,
        ident(r.project_id) AS project_id,
        CASE WHEN regexp_full_match(ident(r.pic), '[0-9]{5,12}') THEN ident(r.pic) END AS pic,
        txt(r.name) AS name,
        coalesce(c.iso, upper(txt(r.country))) AS country_key,
        c.iso AS country,
        lower(regexp_replace(r.role, '[^A-Za-z]+', '', 'g')) = 'coordinator' AS is_coordinator,
        TRY_CAST(regexp_replace(r.ec_contribution, '[\s€]|EUR', '', 'g') AS DECIMAL(18, 2)) AS ec
    FROM raw_participation AS r
    LEFT JOIN country_code AS c ON c.code = upper(txt(r.country))
    QUALIFY row_number() OVER (PARTITION BY r.fp, r.file, r.record) = 1
)
SELECT
    fp, project_id,
    coalesce(pic, 'name-' || left(md5(coalesce(nullif(trim(regexp_replace(upper(strip_accents(name)),
        '[^A-Z0-9]+', ' ', 'g')), ''), '') || '|' || coalesce(country_key, '')), 16)) AS org_key,
    first(country) AS country,
    bool_or(is_coordinator) AS is_coordinator,
    sum(ec) AS ec
FROM rows
WHERE project_id IS NOT NULL AND (pic IS NOT NULL OR name IS NOT NULL)
GROUP BY ALL;

CREATE TABLE fact AS
WITH status AS (
    SELECT upper(trim(country_code)) AS country, upper(trim(framework_programme)) AS fp, lower(trim(status)) AS status,
           coalesce(TRY_CAST(valid_from AS DATE), DATE '0001-01-01') AS valid_from,
           coalesce(TRY_CAST(valid_to AS DATE), DATE '9999-12-31') AS valid_to
    FROM read_csv($reference || '/country_status.csv', header = true, all_varchar = true)
),
counted AS (
    SELECT *, count(*) OVER w AS n, count(ec) OVER w AS reported
    FROM participation WINDOW w AS (PARTITION BY fp, project_id)
)
SELECT
    c.*, 1.0 / c.n AS weight, year(p.start_date) AS start_year, coalesce(t.theme_code, 'unclassified') AS theme_code,
    CASE WHEN c.country IS NOT NULL THEN coalesce(s.status, 'third') END AS status,
    c.fp <> 'FP6' AND c.reported > 0 AND c.ec > 0 AS funded
FROM counted AS c
LEFT JOIN project AS p USING (fp, project_id)
LEFT JOIN theme AS t ON t.fp = p.fp AND t.programme_code IS NOT DISTINCT FROM p.programme_code
LEFT JOIN status AS s ON s.country = c.country AND s.fp = c.fp
    AND coalesce(p.start_date, DATE '9999-12-31') BETWEEN s.valid_from AND s.valid_to;
"""

FIGURES = {
    "country_participation": """
        SELECT fp, start_year, count(*) AS participations, sum(weight) AS participations_fractional,
               count(DISTINCT project_id) AS projects, count(*) FILTER (WHERE funded) AS funded_participations,
               sum(ec) AS ec_contribution
        FROM fact WHERE country = $focus GROUP BY ALL ORDER BY ALL""",
    "third_country_ranking": """
        SELECT fp, country, count(*) AS participations, count(DISTINCT project_id) AS projects,
               rank() OVER (PARTITION BY fp ORDER BY count(*) DESC) AS rank_participations
        FROM fact WHERE status = 'third' GROUP BY fp, country ORDER BY ALL""",
    "partner_countries": """
        WITH per_country AS (
            SELECT fp, project_id, country, count(*) AS orgs, any_value(n) AS n
            FROM fact WHERE country IS NOT NULL GROUP BY ALL
        )
        SELECT f.fp, p.country AS partner_country, count(*) AS joint_projects,
               sum(f.orgs * p.orgs / (f.n * (f.n - 1) / 2.0)) AS links_fractional
        FROM per_country AS f JOIN per_country AS p USING (fp, project_id)
        WHERE f.country = $focus AND p.country <> $focus
        GROUP BY ALL ORDER BY ALL""",
    "theme_profile": """
        SELECT fp, theme_code, count(*) FILTER (WHERE country = $focus) AS participations,
               count(*) AS all_participations
        FROM fact GROUP BY ALL ORDER BY ALL""",
    "institutions": """
        SELECT org_key, count(*) AS participations, sum(weight) AS participations_fractional,
               count(DISTINCT (fp, project_id)) AS projects, sum(ec) AS ec_contribution
        FROM fact WHERE country = $focus GROUP BY ALL ORDER BY ALL""",
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _read(file: dict) -> str:
    options = (
        f"delim={_quote(file['delimiter'])}, quote='\"', escape='\"', header=true, all_varchar=true, "
        "strict_mode=true, store_rejects=true"
    )
    return f"read_csv({_quote(file['path'])}, {options})"


def _union(files: list[dict], columns: dict[str, dict[str, str]], table: str) -> str:
    """One table of every programme's file of a role: the columns needed, a hash of the whole record."""
    selects = []
    for file in files:
        mapping = columns[file["source_format"]]
        picked = ", ".join(f'"{source}" AS {name}' for source, name in mapping.items())
        selects.append(
            f"SELECT {_quote(file['programme'])} AS fp, {_quote(file['source_file'])} AS file, "
            f"row_number() OVER () AS line, {picked}, "
            f"hash(*COLUMNS(*)) AS record FROM {_read(file)}"
        )
    return f"CREATE TABLE {table} AS\n" + "\nUNION ALL BY NAME\n".join(selects) + ";"


def _country_codes(files: list[dict]) -> str:
    exceptions = " UNION ALL ".join(f"SELECT {_quote(k)}, {_quote(v)}, 2" for k, v in COUNTRY_EXCEPTIONS.items())
    cordisref = [
        f"SELECT upper(trim(column0)), upper(trim(column1)), 1 FROM read_csv({_quote(f['path'])}, "
        f"delim={_quote(f['delimiter'])}, header=true, all_varchar=true, columns={{'column0': 'VARCHAR', "
        f"'column1': 'VARCHAR', 'column2': 'VARCHAR', 'column3': 'VARCHAR'}}, auto_detect=false, "
        f"null_padding=true, ignore_errors=true)"
        for f in files
        if f["role"] == "countries"
    ]
    sources = " UNION ALL ".join([*cordisref, exceptions])
    return (
        f"CREATE TABLE country_code AS SELECT code, arg_min(iso, (priority, iso)) AS iso FROM ({sources}) "
        "AS t(code, iso, priority) WHERE regexp_full_match(code, '[A-Z]{2}') AND regexp_full_match(iso, '[A-Z]{2}') "
        "GROUP BY code;"
    )


def compute(inputs: dict, focus_country: str | None = None) -> dict[str, list[list[object]]]:
    """The lean figures of one set of inputs (the dict of inputs.json)."""
    focus = (focus_country or inputs.get("focus_country") or "RU").upper()
    files = inputs["files"]
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(MACROS)
        con.execute(_union([f for f in files if f["role"] == "projects"], PROJECT_COLUMNS, "raw_project"))
        con.execute(
            _union([f for f in files if f["role"] == "organizations"], ORGANIZATION_COLUMNS, "raw_participation")
        )
        con.execute(_country_codes(files))
        reference = inputs["reference_dir"]
        for statement in CORE.split(";\n\n"):
            if statement.strip():
                con.execute(statement.replace("$reference", _quote(reference)))
        figures: dict[str, list[list[object]]] = {}
        for name, sql in FIGURES.items():
            rows = con.execute(sql.replace("$focus", _quote(focus))).fetchall()
            figures[name] = [[_plain(v) for v in row] for row in rows]
        return figures
    finally:
        con.close()


def _plain(value: object) -> object:
    """JSON-friendly: decimals as floats."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return float(value)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lean", description=__doc__.splitlines()[0])
    parser.add_argument("inputs", type=Path, help="inputs.json written by bench.inputs")
    parser.add_argument("--focus", help="focus country (default: inputs.json's, else RU)")
    parser.add_argument("--out", type=Path, help="write the figures here instead of stdout")
    args = parser.parse_args(argv)
    figures = compute(json.loads(args.inputs.read_text(encoding="utf-8")), args.focus)
    text = json.dumps(figures)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

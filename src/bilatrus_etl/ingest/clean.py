"""Normalisation the SQL models lean on: SQL functions (macros) and small mapping tables.

Python only builds the small things; DuckDB does the row work. `install(con)` creates:

SQL macros (stored in the database, used by sql/staging/*.sql):
- `clean_text(s)`: whitespace runs (newlines, tabs, no-break spaces) collapsed to one space, trimmed,
  '' -> NULL (`squeeze_blanks`, run only where `has_loose_blanks` says the text could change).
- `clean_id(s)`: clean_text, and a trailing `.0` dropped (identifiers that went through a spreadsheet).
- `clean_pic(s)`: clean_id when it is all digits (a PIC has 9), else NULL.
- `clean_money(s, decimal_comma)`: text -> DECIMAL(18,2). Currency signs and spaces dropped; with both
  `,` and `.` the last one is the decimal mark; several of one mark are thousands separators; a single
  `,` is decimal in decimal-comma files (legacy CORDIS) and elsewhere unless followed by exactly three
  digits; a single `.` is decimal unless the file uses decimal commas and it is followed by exactly three
  digits (`1.234` = 1234 there). Anything else (`NA`, `n/a`, `-`, text) -> NULL. Its steps, for models that
  compute each once per value: `money_compact(s)` (signs and spaces dropped), `money_text(compact,
  decimal_comma)` (the number as `1234.5`, or NULL) and `money_amount(money_text)` (the DECIMAL); the first two
  take a shortcut for plain numbers and otherwise run `money_compact_any` and `money_text_any`.
- `clean_date(s)`: ISO dates (with or without a time), dd/mm/yyyy, dd.mm.yyyy, yyyy/mm/dd, dd-mm-yyyy,
  yyyymmdd -> DATE (`parse_date`); outside 1900-2100 (`date_in_range`) or unparseable -> NULL.
- Flags, so that no value becomes NULL without a trace: `money_issue(s, decimal_comma)`, `date_issue(s)` and
  `code_issue(s, mapped, what)` give NULL when the value parsed (or was empty) and else the reason
  ('missing-value marker' for `-`, `n/a`, `null`, `?`...; 'not a number'; 'out of range for DECIMAL(18,2)';
  'not a date'; 'outside 1900-2100'; 'unknown <what>'); `value_flag(name, s, issue)` writes one entry of a
  row's value_issues: `column "text as written": reason, kept as NULL`. `money_issue_of(s, money_text,
  amount)` and `date_issue_of(s, parsed)` give the same reasons from steps already computed (a macro's
  argument is evaluated once per use: a model that types and flags a value computes its steps once).
- `country_key(s)`: a country name or code reduced for lookup (upper case, no accents, letters and digits).
- `norm_org_name(s)`: upper case, accents stripped, anything but letters and digits -> one space
  (`org_name_text(s)`, with '' where norm_org_name gives NULL).
- `org_key(pic, name, country)`: the PIC, else `name-` + 16 hex digits of md5(normalised name|country).
- `role_key(s)`, `activity_key(s)`: the lookup keys of ref_role and ref_activity_type.
- `role_label(s)`: a role not in ref_role, spelled out (`someRole` -> `some role`).
- `unescape_html(s)`: `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;` decoded (cordisref titles carry them).

Tables (replaced on each call):
- `ref_country_code` (cordis_code, iso_code, mapping_source, iso_name): CORDIS country code -> ISO 3166-1
  alpha-2. From cordisref where it gives an ISO code (EL -> GR, UK -> GB), else the documented exceptions of
  reference/cordis_country_codes.csv (EL -> GR, UK -> GB, XK -> XK: Kosovo has no ISO code),
  else the code itself where pycountry knows it as a current (or, for old FP6 data, historic) alpha-2 code
  (cordisref leaves BQ and MK without an ISO code; both are ISO codes).
- `ref_country_alias` (alias_key, iso_code, alias_source): ISO alpha-3 codes, ISO names (pycountry, current and
  historic), cordisref names in every language and COUNTRY_NAME_ALIASES (Russia, ...) -> alpha-2, keyed by
  country_key(); keys shorter than three characters and keys claimed by two countries are left out.
- `ref_role` (role_key, role): source role spellings -> the normalised role.
- `ref_activity_type` (activity_key, activity_type): codes and their titles (every cordisref language)
  -> HES, REC, PRC, PUB, OTH.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

import duckdb
import pycountry

from bilatrus_etl.resources import REFERENCE_DIR
from bilatrus_etl.warehouse.models import describe_table


def cordis_country_exceptions() -> dict[str, tuple[str, str]]:
    """CORDIS code -> (ISO alpha-2, English name) for the codes that are not ISO codes (EL, UK) and XK, read from
    the curated reference/cordis_country_codes.csv (the one place they are written)."""
    with (REFERENCE_DIR / "cordis_country_codes.csv").open(encoding="utf-8", newline="") as handle:
        return {row["cordis_code"]: (row["iso_code"], row["name"]) for row in csv.DictReader(handle)}


COUNTRY_EXCEPTIONS: dict[str, tuple[str, str]] = cordis_country_exceptions()

# English short names that neither cordisref nor ISO 3166 spell this way (ISO: "Russian Federation", ...).
COUNTRY_NAME_ALIASES: dict[str, str] = {
    "Russia": "RU",
    "United Kingdom": "GB",
    "Great Britain": "GB",
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "Greece": "GR",
    "Kosovo": "XK",
    "Czech Republic": "CZ",
    "Czechia": "CZ",
    "Turkey": "TR",
    "Macedonia": "MK",
    "FYROM": "MK",
    "Moldova": "MD",
    "South Korea": "KR",
    "Korea": "KR",
    "North Korea": "KP",
    "Iran": "IR",
    "Syria": "SY",
    "Vietnam": "VN",
    "Laos": "LA",
    "Bolivia": "BO",
    "Venezuela": "VE",
    "Tanzania": "TZ",
    "USA": "US",
    "United States of America": "US",
    "Holland": "NL",
    "The Netherlands": "NL",
    "Ivory Coast": "CI",
    "Cape Verde": "CV",
    "Swaziland": "SZ",
    "Taiwan": "TW",
    "Palestine": "PS",
    "Vatican": "VA",
    "Brunei": "BN",
    "Micronesia": "FM",
}

ROLES: dict[str, str] = {
    "coordinator": "coordinator",
    "participant": "participant",
    "partner": "partner",
    "thirdparty": "third party",
    "associatedpartner": "associated partner",
    "internationalpartner": "international partner",
    "beneficiary": "beneficiary",
    "hostinstitution": "host",
    "host": "host",
}

ACTIVITY_TYPES: dict[str, tuple[str, ...]] = {
    "HES": ("Higher or Secondary Education Establishments", "Higher education", "Education"),
    "REC": ("Research Organisations", "Research Organizations", "Research"),
    "PRC": (
        "Private for-profit entities (excluding Higher or Secondary Education Establishments)",
        "Private for-profit entities",
        "Private commercial",
    ),
    "PUB": (
        "Public bodies (excluding Research Organisations and Secondary or Higher Education Establishments)",
        "Public bodies",
        "Public body",
    ),
    "OTH": ("Other",),
}

# The characters DuckDB's trim() strips from either end (Unicode space separators, Zs), as code points.
TRIMMED_CODE_POINTS: tuple[int, ...] = (32, 160, 5760, *range(8192, 8203), 8239, 8287, 12288)

SQL_FUNCTIONS: tuple[str, ...] = (
    # a run of two or more blanks, or one blank that is not a space, becomes one space: a lone space (most of a
    # title's blanks) is not a match, so long texts are rewritten only where they change
    r"""CREATE OR REPLACE MACRO squeeze_blanks(s) AS
        nullif(trim(regexp_replace(s, '[\s\x{00A0}]{2,}|[\t\n\f\r\x{00A0}]', ' ', 'g')), '')""",
    # whether squeeze_blanks can change the text (a blank its regex rewrites: RE2's \s is \t \n \f \r and space; or
    # an end that trim() strips): most texts cannot, and these searches are far cheaper than the regex and trim
    f"""CREATE OR REPLACE MACRO has_loose_blanks(s) AS
        contains(s, '  ') OR contains(s, chr(9)) OR contains(s, chr(10)) OR contains(s, chr(12)) OR contains(s, chr(13))
        OR contains(s, chr(160))
        OR ord(s) IN {TRIMMED_CODE_POINTS} OR ord(s[-1]) IN {TRIMMED_CODE_POINTS}""",
    r"""CREATE OR REPLACE MACRO clean_text(s) AS CASE WHEN has_loose_blanks(CAST(s AS VARCHAR))
        THEN squeeze_blanks(CAST(s AS VARCHAR)) ELSE nullif(CAST(s AS VARCHAR), '') END""",
    # ids and PICs are digits as written almost always: one match says so, instead of the three rewrites that
    # give the same text
    r"""CREATE OR REPLACE MACRO clean_id(s) AS CASE WHEN regexp_full_match(CAST(s AS VARCHAR), '[0-9]+')
        THEN CAST(s AS VARCHAR) ELSE regexp_replace(clean_text(s), '\.0+$', '') END""",
    r"""CREATE OR REPLACE MACRO clean_pic(s) AS CASE WHEN regexp_full_match(CAST(s AS VARCHAR), '[0-9]{5,12}')
        THEN CAST(s AS VARCHAR) ELSE nullif(regexp_extract(clean_id(s), '^[0-9]{5,12}$'), '') END""",
    r"""CREATE OR REPLACE MACRO money_compact_any(s) AS
        nullif(regexp_replace(upper(s), '[\s\x{00A0}''€$£]|EUR', '', 'g'), '')""",
    # a text of digits, marks and signs only has nothing to drop: one match says so, instead of the rewrite
    r"""CREATE OR REPLACE MACRO money_compact(s) AS CASE WHEN regexp_full_match(CAST(s AS VARCHAR), '[0-9.,+-]+')
        THEN CAST(s AS VARCHAR) ELSE money_compact_any(CAST(s AS VARCHAR)) END""",
    r"""CREATE OR REPLACE MACRO money_text_any(t, decimal_comma) AS CASE
        WHEN t IS NULL THEN NULL
        WHEN regexp_full_match(t, '[+-]?[0-9]+') THEN t
        WHEN regexp_full_match(t, '[+-]?[0-9.,]+') THEN CASE
            WHEN contains(t, ',') AND contains(t, '.') THEN CASE
                WHEN regexp_matches(t, ',[0-9]*$') THEN replace(replace(t, '.', ''), ',', '.')
                ELSE replace(t, ',', '') END
            WHEN contains(t, ',') THEN CASE
                WHEN length(t) - length(replace(t, ',', '')) > 1 THEN replace(t, ',', '')
                WHEN decimal_comma OR NOT regexp_matches(t, ',[0-9]{3}$') THEN replace(t, ',', '.')
                ELSE replace(t, ',', '') END
            ELSE CASE
                WHEN length(t) - length(replace(t, '.', '')) > 1 THEN replace(t, '.', '')
                WHEN decimal_comma AND regexp_full_match(t, '[+-]?[0-9]{1,3}\.[0-9]{3}') THEN replace(t, '.', '')
                ELSE t END
            END
        WHEN regexp_full_match(t, '[+-]?[0-9]+(\.[0-9]+)?E[+-]?[0-9]+') THEN CAST(TRY_CAST(t AS DOUBLE) AS VARCHAR)
        END""",
    # digits with at most one decimal point, which money_text_any keeps as written unless decimal commas are used
    r"""CREATE OR REPLACE MACRO money_text(t, decimal_comma) AS CASE
        WHEN NOT decimal_comma AND regexp_full_match(t, '[+-]?[0-9]+(\.[0-9]+)?') THEN t
        ELSE money_text_any(t, decimal_comma) END""",
    r"""CREATE OR REPLACE MACRO money_amount(t) AS TRY_CAST(t AS DECIMAL(18, 2))""",
    r"""CREATE OR REPLACE MACRO clean_money(s, decimal_comma) AS
        money_amount(money_text(money_compact(s), decimal_comma))""",
    r"""CREATE OR REPLACE MACRO date_in_range(d) AS
        CASE WHEN year(d) BETWEEN 1900 AND 2100 THEN d END""",
    r"""CREATE OR REPLACE MACRO parse_date(s) AS coalesce(
        TRY_CAST(clean_text(s) AS DATE),
        CAST(try_strptime(clean_text(s), ['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M',
            '%d/%m/%Y', '%d.%m.%Y', '%Y/%m/%d', '%d-%m-%Y', '%Y%m%d', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M'])
            AS DATE))""",
    r"""CREATE OR REPLACE MACRO clean_date(s) AS date_in_range(parse_date(s))""",
    # Flags: why a value that is present did not become a typed value (NULL when it did, or was empty).
    r"""CREATE OR REPLACE MACRO is_missing_marker(s) AS
        regexp_full_match(lower(clean_text(s)), '(-+|–|—|n/?a|n\.a\.?|none|null|nan|nil|\?+|\*+|\.+|/)')""",
    r"""CREATE OR REPLACE MACRO money_issue_of(s, money_text, amount) AS CASE
        WHEN amount IS NOT NULL OR clean_text(s) IS NULL THEN NULL
        WHEN is_missing_marker(s) THEN 'missing-value marker'
        WHEN money_text IS NOT NULL THEN 'out of range for DECIMAL(18,2)'
        ELSE 'not a number' END""",
    r"""CREATE OR REPLACE MACRO money_issue(s, decimal_comma) AS
        money_issue_of(s, money_text(money_compact(s), decimal_comma), clean_money(s, decimal_comma))""",
    r"""CREATE OR REPLACE MACRO date_issue_of(s, parsed) AS CASE
        WHEN date_in_range(parsed) IS NOT NULL OR clean_text(s) IS NULL THEN NULL
        WHEN is_missing_marker(s) THEN 'missing-value marker'
        WHEN parsed IS NOT NULL THEN 'outside 1900-2100'
        ELSE 'not a date' END""",
    r"""CREATE OR REPLACE MACRO date_issue(s) AS date_issue_of(s, parse_date(s))""",
    r"""CREATE OR REPLACE MACRO code_issue(s, mapped, what) AS CASE
        WHEN mapped IS NOT NULL OR clean_text(s) IS NULL THEN NULL
        WHEN is_missing_marker(s) THEN 'missing-value marker'
        ELSE 'unknown ' || what END""",
    r"""CREATE OR REPLACE MACRO value_flag(name, s, issue) AS CASE WHEN issue IS NOT NULL THEN
        name || ' ' || CAST(to_json(left(CAST(s AS VARCHAR), 100)) AS VARCHAR) || ': ' || issue || ', kept as NULL' END""",
    r"""CREATE OR REPLACE MACRO country_key(s) AS
        nullif(regexp_replace(upper(strip_accents(CAST(s AS VARCHAR))), '[^\pL\pN]+', '', 'g'), '')""",
    r"""CREATE OR REPLACE MACRO org_name_text(s) AS
        trim(regexp_replace(upper(strip_accents(CAST(s AS VARCHAR))), '[^A-Z0-9]+', ' ', 'g'))""",
    r"""CREATE OR REPLACE MACRO norm_org_name(s) AS nullif(org_name_text(s), '')""",
    # org_name_text once (not norm_org_name, whose nullif the optimiser computes for every row): only rows
    # without a PIC pay for the name's normalisation
    r"""CREATE OR REPLACE MACRO org_key(pic, name, country) AS coalesce(
        pic, 'name-' || left(md5(coalesce(org_name_text(name), '') || '|' || coalesce(country, '')), 16))""",
    r"""CREATE OR REPLACE MACRO role_key(s) AS
        nullif(lower(regexp_replace(CAST(s AS VARCHAR), '[^A-Za-z]+', '', 'g')), '')""",
    r"""CREATE OR REPLACE MACRO role_label(s) AS nullif(lower(trim(regexp_replace(
        regexp_replace(CAST(s AS VARCHAR), '([a-z])([A-Z])', '\1 \2', 'g'), '[^A-Za-z]+', ' ', 'g'))), '')""",
    r"""CREATE OR REPLACE MACRO unescape_html(s) AS replace(replace(replace(replace(replace(
        CAST(s AS VARCHAR), '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', chr(39)), '&amp;', '&')""",
    r"""CREATE OR REPLACE MACRO activity_key(s) AS
        nullif(upper(regexp_replace(strip_accents(CAST(s AS VARCHAR)), '[^A-Za-z0-9]+', '', 'g')), '')""",
)


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Create the SQL functions and (re)build the mapping tables; the landing tables must exist."""
    install_functions(con)
    load_role_map(con)
    load_activity_type_map(con)
    load_country_codes(con)
    load_country_aliases(con)
    for table, description in MAP_DESCRIPTIONS.items():
        describe_table(con, table, description, MAP_COLUMN_DOCS.get(table))


MAP_DESCRIPTIONS: dict[str, str] = {
    "ref_role": "Participant role spellings of every programme (coordinator, thirdParty, ...) -> the normalised role.",
    "ref_activity_type": "Activity type codes and titles in every language -> HES, REC, PRC, PUB or OTH.",
    "ref_country_code": "CORDIS country codes (EL, UK, ...) -> ISO 3166-1 alpha-2, from cordisref over the built-in exceptions and pycountry.",
    "ref_country_alias": "Country names (cordisref, every language; ISO names) and ISO alpha-3 codes -> ISO 3166-1 alpha-2, "
    "keyed by country_key(); names that would map to two countries are left out.",
}


MAP_COLUMN_DOCS: dict[str, dict[str, str]] = {
    "ref_country_alias": {
        "alias_key": "country_key() of a name or alpha-3 code: upper case, no accents, letters and digits only",
        "iso_code": "ISO 3166-1 alpha-2 code it maps to",
        "alias_source": "where the alias comes from: ISO alpha-3, ISO name (pycountry), cordisref name, common name",
    },
}


def install_functions(con: duckdb.DuckDBPyConnection) -> None:
    for statement in SQL_FUNCTIONS:
        con.execute(statement)


def load_role_map(con: duckdb.DuckDBPyConnection) -> None:
    _create_table(con, "ref_role", ("role_key", "role"), sorted(ROLES.items()))


def load_activity_type_map(con: duckdb.DuckDBPyConnection) -> None:
    """Codes and known titles, plus the titles cordisref gives in every language, when it is loaded."""
    rows = [(code, code) for code in ACTIVITY_TYPES]
    rows += [(title, code) for code, titles in ACTIVITY_TYPES.items() for title in titles]
    _create_table(con, "_activity_builtin", ("label", "activity_type"), rows, temp=True)
    con.execute(
        """CREATE OR REPLACE TABLE ref_activity_type AS
        WITH labels AS (
            SELECT activity_key(label) AS activity_key, activity_type FROM _activity_builtin
            UNION ALL
            SELECT activity_key(title), upper(trim(code)) FROM land_ref_activity_type
            WHERE upper(trim(code)) IN ('HES', 'REC', 'PRC', 'PUB', 'OTH')
        )
        SELECT activity_key, min(activity_type) AS activity_type FROM labels
        WHERE activity_key IS NOT NULL GROUP BY activity_key ORDER BY activity_key"""
    )
    con.execute("DROP TABLE _activity_builtin")


def iso_countries() -> list[tuple[str, str, str]]:
    """(alpha-2, name, source) for current ISO 3166-1 countries, then historic codes not reused."""
    current = [(c.alpha_2, getattr(c, "common_name", None) or c.name, "pycountry") for c in pycountry.countries]
    known = {code for code, _, _ in current}
    historic = [
        (c.alpha_2, c.name, "pycountry historic")
        for c in pycountry.historic_countries
        if getattr(c, "alpha_2", None) and c.alpha_2 not in known
    ]
    unique_historic = {code: (code, name, source) for code, name, source in historic}
    return current + sorted(unique_historic.values())


def builtin_country_codes() -> list[tuple[str, str, str, str]]:
    """(cordis_code, iso_code, mapping_source, iso_name) without cordisref: exceptions, then pycountry."""
    rows = [(code, iso, "exception", name) for code, (iso, name) in COUNTRY_EXCEPTIONS.items()]
    rows += [(code, code, source, name) for code, name, source in iso_countries() if code not in COUNTRY_EXCEPTIONS]
    return rows


def load_country_codes(con: duckdb.DuckDBPyConnection) -> None:
    """ref_country_code from cordisref (when landed) over the built-in exceptions and pycountry."""
    _create_table(
        con,
        "_country_builtin",
        ("cordis_code", "iso_code", "mapping_source", "iso_name"),
        builtin_country_codes(),
        temp=True,
    )
    con.execute(
        """CREATE OR REPLACE TABLE ref_country_code AS
        WITH cordisref AS (
            SELECT upper(trim(cordis_code)) AS cordis_code, min(upper(trim(iso_code))) AS iso_code
            FROM land_ref_country
            WHERE regexp_full_match(upper(trim(cordis_code)), '[A-Z]{2}')
              AND regexp_full_match(upper(trim(iso_code)), '[A-Z]{2}')
            GROUP BY 1
        ),
        listed AS (
            SELECT upper(trim(cordis_code)) AS cordis_code FROM land_ref_country
            WHERE regexp_full_match(upper(trim(cordis_code)), '[A-Z]{2}')
        ),
        codes AS (SELECT cordis_code FROM _country_builtin UNION SELECT cordis_code FROM listed),
        names AS (SELECT iso_code, min(iso_name) AS iso_name FROM _country_builtin GROUP BY 1)
        SELECT codes.cordis_code,
               coalesce(cordisref.iso_code, builtin.iso_code) AS iso_code,
               CASE WHEN cordisref.iso_code IS NOT NULL THEN 'cordisref' ELSE builtin.mapping_source END
                   AS mapping_source,
               names.iso_name
        FROM codes
        LEFT JOIN cordisref USING (cordis_code)
        LEFT JOIN _country_builtin AS builtin USING (cordis_code)
        LEFT JOIN names ON names.iso_code = coalesce(cordisref.iso_code, builtin.iso_code)
        ORDER BY codes.cordis_code"""
    )
    con.execute("DROP TABLE _country_builtin")


def builtin_country_aliases() -> list[tuple[str, str, str]]:
    """(alias, iso_code, source): ISO alpha-3 codes and ISO names (pycountry), then the usual English short names."""
    rows: list[tuple[str, str, str]] = []
    for country in pycountry.countries:
        rows.append((country.alpha_3, country.alpha_2, "ISO alpha-3"))
        for attribute in ("name", "official_name", "common_name"):
            if getattr(country, attribute, None):
                rows.append((getattr(country, attribute), country.alpha_2, "ISO name"))
    current = {country.alpha_2 for country in pycountry.countries}
    for country in pycountry.historic_countries:
        code = getattr(country, "alpha_2", None)
        if code and code not in current:
            rows.append((country.alpha_3, code, "ISO alpha-3 historic"))
            rows.append((country.name, code, "ISO name historic"))
    rows += [(name, code, "common name") for name, code in COUNTRY_NAME_ALIASES.items()]
    return rows


def load_country_aliases(con: duckdb.DuckDBPyConnection) -> None:
    """ref_country_alias: names and alpha-3 codes -> alpha-2; a key claimed by two countries is dropped.

    Keys are country_key() of the alias (letters and digits only, upper case, no accents) and at least three
    characters long, so that they never shadow a two-letter code (those go through ref_country_code).
    """
    _create_table(con, "_alias_builtin", ("alias", "iso_code", "alias_source"), builtin_country_aliases(), temp=True)
    con.execute(
        """CREATE OR REPLACE TABLE ref_country_alias AS
        WITH aliases AS (
            SELECT country_key(alias) AS alias_key, iso_code, alias_source FROM _alias_builtin
            UNION ALL
            SELECT country_key(r.name), c.iso_code, 'cordisref name' FROM land_ref_country AS r
            JOIN ref_country_code AS c ON c.cordis_code = upper(trim(r.cordis_code))
            WHERE c.iso_code IS NOT NULL
        )
        SELECT alias_key, min(iso_code) AS iso_code, string_agg(DISTINCT alias_source, ', ' ORDER BY alias_source)
            AS alias_source
        FROM aliases
        WHERE length(alias_key) >= 3
        GROUP BY alias_key
        HAVING count(DISTINCT iso_code) = 1
        ORDER BY alias_key"""
    )
    con.execute("DROP TABLE _alias_builtin")


def _create_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[str | None]],
    *,
    temp: bool = False,
) -> None:
    """A small VARCHAR table from Python rows, in one statement."""
    rows = list(rows)
    body = ", ".join(f"{c} VARCHAR" for c in columns)
    con.execute(f"CREATE OR REPLACE {'TEMP ' if temp else ''}TABLE {name} ({body})")
    if rows:
        placeholders = ", ".join("(" + ", ".join("?" for _ in columns) + ")" for _ in rows)
        con.execute(f"INSERT INTO {name} VALUES {placeholders}", [v for row in rows for v in row])

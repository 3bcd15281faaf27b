"""Normalisation the SQL models lean on: SQL functions (macros) and small mapping tables.

Python only builds the small things; DuckDB does the row work. `install(con)` creates:

SQL macros (sql/functions/clean.sql, stored in the database, used by sql/staging/*.sql):
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

from bilatrus_etl.resources import REFERENCE_DIR, SQL_DIR
from bilatrus_etl.warehouse.models import describe_table

FUNCTIONS_FILE = SQL_DIR / "functions" / "clean.sql"


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
    """Create the SQL functions of sql/functions/clean.sql (CREATE OR REPLACE: safe to repeat)."""
    con.execute(FUNCTIONS_FILE.read_text(encoding="utf-8"))


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

"""CORDIS reference tables (`cordisref-*.csv`): `;`-separated, UTF-8 with a BOM, one row per language.

Every language is landed as published; the staging models keep the English row of each code.

- cordisref-countries.csv: euCode;isoCode;name;language (euCode EL/UK where ISO says GR/GB; isoCode
  `NULL` for a few codes such as XK)
- cordisref-FP7programmes.csv, cordisref-H2020programmes.csv: RCN;Code;Title;ShortTitle;Language
- cordisref-organizationActivityType.csv, cordisref-projectFundingSchemeCategory.csv, cordisref-sicCode.csv:
  code;title;description;language
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest.readers.columns import FileRef, Layout, col
from bilatrus_etl.ingest.readers.land import LandedFile, land_csv

SOURCE_FORMAT = "cordisref_csv"


@dataclass(frozen=True)
class RefKind:
    """One kind of cordisref table: the landing table it goes to and its layout."""

    name: str
    landing_table: str
    layout: Layout
    programme: str | None = None


_CODE_TABLE = (
    col("code", "code", required=True),
    col("title", "title", required=True),
    col("description", "description"),
    col("language", "language", "lang"),
)
_PROGRAMME_TABLE = (
    col("rcn", "rcn"),
    col("code", "code", "programmeCode", required=True),
    col("title", "title", required=True),
    col("short_title", "shortTitle", "short_title"),
    col("language", "language", "lang"),
)
KINDS: dict[str, RefKind] = {
    "countries": RefKind(
        "countries",
        "land_ref_country",
        Layout(
            "cordisref countries",
            (
                col("cordis_code", "euCode", "eu_code", "cordisCode", "code", required=True),
                col("iso_code", "isoCode", "iso_code", "iso", required=True),
                col("name", "name", "title", required=True),
                col("language", "language", "lang"),
            ),
        ),
    ),
    **{
        f"{key}_programmes": RefKind(
            f"{key}_programmes", "land_ref_programme", Layout(f"cordisref {title} programmes", _PROGRAMME_TABLE), code
        )
        for key, code, title in (
            ("fp6", "FP6", "FP6"),
            ("fp7", "FP7", "FP7"),
            ("h2020", "H2020", "H2020"),
            ("he", "HE", "Horizon Europe"),
        )
    },
    "activity_types": RefKind(
        "activity_types", "land_ref_activity_type", Layout("cordisref activity types", _CODE_TABLE)
    ),
    "funding_schemes": RefKind(
        "funding_schemes", "land_ref_funding_scheme", Layout("cordisref funding schemes", _CODE_TABLE)
    ),
    "sic_codes": RefKind("sic_codes", "land_ref_sic_code", Layout("cordisref SIC codes", _CODE_TABLE)),
}
_KIND_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (r"countr", "countries"),
        (r"fp6.?programme", "fp6_programmes"),
        (r"fp7.?programme", "fp7_programmes"),
        (r"h2020.?programme", "h2020_programmes"),
        (r"(horizon|he).?programme", "he_programmes"),
        (r"activity.?type", "activity_types"),
        (r"funding.?scheme", "funding_schemes"),
        (r"sic.?code", "sic_codes"),
    )
)


def kind_of(*names: str) -> RefKind:
    """The kind of a cordisref table from its catalog key or file name (`cordisref_countries`, ...)."""
    for name in names:
        for pattern, kind in _KIND_PATTERNS:
            if pattern.search(name):
                return KINDS[kind]
    raise BilatrusError(
        f"cannot tell which cordisref table {' / '.join(names)} is; expected a name mentioning one of: "
        "countries, FP7/H2020/HORIZON programmes, activity type, funding scheme, SIC code."
    )


def land_file(
    con: duckdb.DuckDBPyConnection, path: Path, kind: RefKind, *, dataset: str, source_file: str | None = None
) -> LandedFile:
    """Land one cordisref file into its reference landing table (temp, committed by the caller)."""
    ref = FileRef(dataset, source_file or Path(path).name, kind.programme)
    return land_csv(con, Path(path), kind.layout, kind.landing_table, ref, SOURCE_FORMAT)

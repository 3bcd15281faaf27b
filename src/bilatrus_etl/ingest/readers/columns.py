"""The landing shapes and column naming: which canonical columns each landing table has, and how a file's header
names are mapped onto a layout's columns.

Owns the canonical columns of `land_project`, `land_participation`, `land_rejects` and the cordisref landing
tables (with the table and column descriptions the data dictionary shows), `Layout`/`Column` (a file layout
and the header names each column may have), `FileRef` (who a file is, for messages and lineage) and
`map_columns`: by name through aliases, ignoring case, spaces, punctuation and a BOM, never by position; a
required column that is missing raises a BilatrusError naming the dataset, the file and the column, and
listing the columns found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bilatrus_etl.errors import BilatrusError

PROJECT_COLUMNS: tuple[str, ...] = (
    "project_id",
    "rcn",
    "acronym",
    "status",
    "title",
    "programme_code",
    "topic",
    "topic_description",
    "thematic_priority",
    "funding_scheme",
    "call",
    "start_date",
    "end_date",
    "ec_signature_date",
    "total_cost",
    "ec_max_contribution",
    "participations",
    "content_update_date",
)
PARTICIPATION_COLUMNS: tuple[str, ...] = (
    "project_id",
    "project_rcn",
    "project_acronym",
    "pic",
    "vat_number",
    "name",
    "short_name",
    "sme",
    "activity_type",
    "role",
    "street",
    "post_code",
    "city",
    "country",
    "nuts_code",
    "geolocation",
    "organization_url",
    "ec_contribution",
    "net_ec_contribution",
    "total_cost",
    "end_of_participation",
    "active",
    "order_no",
    "rcn",
    "content_update_date",
)
SOURCE_COLUMNS: tuple[str, ...] = ("framework_programme", "dataset", "source_format", "source_file", "record_hash")
REF_COLUMNS: dict[str, tuple[str, ...]] = {
    "land_ref_country": ("cordis_code", "iso_code", "name", "language"),
    "land_ref_programme": ("framework_programme", "rcn", "code", "title", "short_title", "language"),
    "land_ref_activity_type": ("code", "title", "description", "language"),
    "land_ref_funding_scheme": ("code", "title", "description", "language"),
    "land_ref_sic_code": ("code", "title", "description", "language"),
}
REJECT_COLUMNS: tuple[str, ...] = (
    "dataset",
    "framework_programme",
    "source_format",
    "source_file",
    "target_table",
    "source_line",
    "reason",
    "raw_record",
)
LANDING_SHAPES: dict[str, tuple[str, ...]] = {
    "land_project": PROJECT_COLUMNS + SOURCE_COLUMNS,
    "land_participation": PARTICIPATION_COLUMNS + SOURCE_COLUMNS,
    **{name: cols + ("dataset", "source_file") for name, cols in REF_COLUMNS.items()},
}
# Every landing column is text as in the file, but these: source_line and record_hash (a number, which DuckDB groups,
# joins and stores for much less than its digits written out).
LANDING_COLUMN_TYPES: dict[str, str] = {"source_line": "BIGINT", "record_hash": "UBIGINT"}


def landing_columns(table: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a landing table (`land_rejects` included), in order; source_line last but in
    `land_rejects`."""
    if table == "land_rejects":
        return [(c, LANDING_COLUMN_TYPES.get(c, "VARCHAR")) for c in REJECT_COLUMNS]
    return [(c, LANDING_COLUMN_TYPES.get(c, "VARCHAR")) for c in (*LANDING_SHAPES[table], "source_line")]


TARGET_OF_LANDING: dict[str, str] = {
    "land_project": "stg_project",
    "land_participation": "stg_participation",
    "land_ref_country": "stg_country",
    "land_ref_programme": "stg_programme_ref",
    "land_ref_activity_type": "stg_activity_type",
    "land_ref_funding_scheme": "stg_funding_scheme",
    "land_ref_sic_code": "land_ref_sic_code",
}

LANDING_DESCRIPTIONS: dict[str, str] = {
    "land_project": "Project rows as read from each programme's project file: canonical column names, text as in the file.",
    "land_participation": "Participant rows as read from each programme's organisation file: canonical names, text as in the file.",
    "land_rejects": "Lines the CSV reader could not parse, with file, line, reason and the raw text (feeds quarantine).",
    "land_ref_country": "cordisref countries as read: CORDIS code, ISO code, names in every language.",
    "land_ref_programme": "cordisref FP7 and H2020 programme codes and titles as read, every language.",
    "land_ref_activity_type": "cordisref organisation activity types as read.",
    "land_ref_funding_scheme": "cordisref funding scheme categories as read.",
    "land_ref_sic_code": "cordisref subject (SIC) codes as read, every language.",
}
SOURCE_COLUMN_DOCS: dict[str, str] = {
    "framework_programme": "framework programme of the file (FP6, FP7, H2020, HE)",
    "dataset": "catalog key of the source dataset",
    "source_format": "layout the reader recognised",
    "source_file": "file the row came from (zip!member for archive members)",
    "source_line": "record number in the file, the header being line 1",
    "record_hash": "DuckDB's 64-bit hash() of every field of the source record, mapped or not (finds exact duplicates)",
    "reason": "why the line was rejected",
    "raw_record": "the rejected line as read",
}
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def name_key(name: str) -> str:
    """A column name reduced for matching: no BOM, lower case, letters and digits only."""
    return _NON_ALNUM.sub("", name.replace("\ufeff", "").strip().lower())


@dataclass(frozen=True)
class Column:
    """A canonical column and the header names it may have in a file, in order of preference."""

    name: str
    aliases: tuple[str, ...]
    required: bool = False


@dataclass(frozen=True)
class Layout:
    """One upstream file layout: what it is called in messages and its columns."""

    title: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def col(name: str, *aliases: str, required: bool = False) -> Column:
    """A Column whose aliases always include its own canonical name."""
    return Column(name, tuple(dict.fromkeys((*aliases, name))), required)


@dataclass(frozen=True)
class FileRef:
    """Who a file is, for messages and lineage: dataset key, framework programme, name as fetched."""

    dataset: str
    source_file: str
    programme: str | None = None

    def describe(self) -> str:
        where = f" of {self.programme}" if self.programme else ""
        return f"{self.source_file}{where} (dataset {self.dataset})"


def map_columns(names: Sequence[str], layout: Layout, ref: FileRef) -> dict[str, int]:
    """Canonical column -> position of the header name that matches it (first alias found wins)."""
    position: dict[str, int] = {}
    for index, name in enumerate(names):
        position.setdefault(name_key(name), index)
    mapping: dict[str, int] = {}
    missing: list[Column] = []
    for column in layout.columns:
        found = next((position[k] for k in map(name_key, column.aliases) if k in position), None)
        if found is not None:
            mapping[column.name] = found
        elif column.required:
            missing.append(column)
    if missing:
        raise BilatrusError(_missing_message(missing, names, layout, ref), dataset=ref.dataset)
    return mapping


def _missing_message(missing: list[Column], names: Sequence[str], layout: Layout, ref: FileRef) -> str:
    parts = []
    for column in missing:
        others = [a for a in column.aliases if a != column.name]
        alias = f" (or an alias: {', '.join(others)})" if others else ""
        parts.append(f"'{column.name}'{alias}")
    found = ", ".join(n.replace("\ufeff", "") for n in names) or "(none)"
    return (
        f"expected column {' and '.join(parts)} in {ref.describe()}, read as the {layout.title} layout; "
        f"found: {found}. The publisher may have renamed or dropped the column: check the file, and if the "
        "new name is right, add it as an alias in bilatrus_etl/ingest/readers/."
    )

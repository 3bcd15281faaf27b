"""Horizon Dashboard exports (CSV or xlsx), supplied by an analyst: participant-level or project-level.

- Participant-level (`cordis-plus-*.csv`, 32 columns: project_id, pic, partner_role, legal_name,
  legal_entity_type, country_code, ec_contribution, framework_programme, start_date, ...): one row per
  participant. It lands in `land_participation`, and one row per project (its first participant's line)
  lands in `land_project` with the project-level columns it carries (acronym, topic, funding scheme, dates,
  legal basis); such exports have no project title.
- Project-level (`fp7-projects.xlsx`: Project Title, Project Acronym, Thematic Priority Descr,
  Participations, EU Contribution, Funding Scheme, Project Nbr, CORDIS link, Topic Code, Topic Description):
  lands in `land_project`.

`NA` marks a missing value (the exports come from R); it is read as NULL. The framework programme comes
from the file's own `framework_programme` column; where that is missing or `NA` it is taken from the legal
basis (`H2020-EU...`, `FP7-...`, `HORIZON...`), then from the caller, then from the file name (`fp7-...`).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest.readers.columns import FileRef, Layout, col, map_columns, name_key
from bilatrus_etl.ingest.readers.header import sniff_header
from bilatrus_etl.ingest.readers.land import LandedFile, land_select, sql_literal
from bilatrus_etl.ingest.readers.raw import RawFile, drop_tables, raw_from_rows, read_csv_raw

DATASET = "horizon_dashboard"
NULL_TOKENS: tuple[str, ...] = ("", "NA")
_PROGRAMME_IN_NAME = re.compile(r"(?<![a-z0-9])(fp6|fp7|h2020|horizon)(?![0-9])", re.IGNORECASE)
_PROGRAMME_OF_NAME = {"fp6": "FP6", "fp7": "FP7", "h2020": "H2020", "horizon": "HE"}

PARTICIPANT_LAYOUT = Layout(
    "Horizon Dashboard participant export",
    (
        col("project_id", "project_id", "projectID", "project_number", "projectNbr", required=True),
        col("project_acronym", "project_acronym", "acronym"),
        col("pic", "pic", "participant_pic"),
        col("name", "legal_name", "name", required=True),
        col("short_name", "legal_short_name", "short_name"),
        col("activity_type", "legal_entity_type", "activity_type"),
        col("role", "partner_role", "role", required=True),
        col("country", "country_code", "countryCode", required=True),
        col("organization_url", "legal_url", "url"),
        col("ec_contribution", "ec_contribution", "eu_contribution"),
        col("net_ec_contribution", "net_ec_contribution"),
    ),
)
PROJECT_OF_PARTICIPANT_LAYOUT = Layout(
    "Horizon Dashboard participant export (project columns)",
    (
        col("project_id", "project_id", "projectID", "project_number", "projectNbr", required=True),
        col("acronym", "project_acronym", "acronym"),
        col("title", "project_title", "title"),
        col("programme_code", "legal_basis"),
        col("topic", "topic_code"),
        col("topic_description", "topic_description"),
        col("thematic_priority", "thematic_priority"),
        col("funding_scheme", "funding_scheme"),
        col("start_date", "start_date"),
        col("end_date", "end_date"),
        col("ec_signature_date", "signature_date"),
        col("participations", "participations"),
    ),
)
PROJECT_LAYOUT = Layout(
    "Horizon Dashboard project export",
    (
        col("project_id", "Project Nbr", "project_number", "project_id", "projectID", required=True),
        col("acronym", "Project Acronym", "project_acronym", required=True),
        col("title", "Project Title", "project_title", required=True),
        col("programme_code", "legal_basis", "Legal Basis"),
        col("topic", "Topic Code", "topic_code"),
        col("topic_description", "Topic Description", "topic_description"),
        col("thematic_priority", "Thematic Priority Descr", "thematic_priority"),
        col("funding_scheme", "Funding Scheme", "funding_scheme"),
        col("start_date", "start_date", "Start Date"),
        col("end_date", "end_date", "End Date"),
        col("ec_max_contribution", "EU Contribution", "eu_contribution", "ec_max_contribution"),
        col("participations", "Participations", "participations"),
    ),
)
_PROGRAMME_COLUMN = col("framework_programme", "framework_programme", "Framework Programme", "fp")
_LEGAL_BASIS_COLUMN = col("legal_basis", "legal_basis", "Legal Basis")


def is_participant_level(names: Sequence[str]) -> bool:
    keys = {name_key(n) for n in names}
    return bool(keys & {"partnerrole", "legalname", "pic"})


def land_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    dataset: str = DATASET,
    source_file: str | None = None,
    framework_programme: str | None = None,
) -> list[LandedFile]:
    """Land one dashboard export: [participations, derived projects] or [projects]."""
    path = Path(path)
    ref = FileRef(dataset, source_file or path.name)
    raw = _read_xlsx(con, path, ref) if path.suffix.lower() in {".xlsx", ".xlsm"} else _read_csv(con, path, ref)
    source_format = "dashboard_xlsx" if path.suffix.lower() in {".xlsx", ".xlsm"} else "dashboard_csv"
    default = framework_programme or programme_from_name(path.name) or programme_from_name(ref.source_file)
    programme_sql = _programme_sql(raw.names, default)
    try:
        if is_participant_level(raw.names):
            return _land_participants(con, raw, ref, source_format, programme_sql)
        mapping = map_columns(raw.names, PROJECT_LAYOUT, ref)
        landed = land_select(
            con, raw, mapping, "land_project", ref, source_format, framework_programme_sql=programme_sql
        )
        return [_with_programmes(con, landed)]
    except BaseException:
        drop_tables(con, [*raw.temp_tables, raw.rejects])
        raise


def programme_from_name(name: str) -> str | None:
    """FP6/FP7/H2020/HE when a file name says so (`fp7-projects.xlsx`), else None."""
    match = _PROGRAMME_IN_NAME.search(name)
    return _PROGRAMME_OF_NAME[match.group(1).lower()] if match else None


def _land_participants(
    con: duckdb.DuckDBPyConnection, raw: RawFile, ref: FileRef, source_format: str, programme_sql: str
) -> list[LandedFile]:
    participations = land_select(
        con,
        raw,
        map_columns(raw.names, PARTICIPANT_LAYOUT, ref),
        "land_participation",
        ref,
        source_format,
        framework_programme_sql=programme_sql,
    )
    projects = land_select(
        con,
        raw,
        map_columns(raw.names, PROJECT_OF_PARTICIPANT_LAYOUT, ref),
        "land_project",
        ref,
        source_format,
        framework_programme_sql=programme_sql,
        where=f"nullif(trim(c{_position(raw.names, 'project_id')}), '') IS NOT NULL",
        first_per_project=True,
    )
    return [_with_programmes(con, participations), _with_programmes(con, projects)]


def _position(names: Sequence[str], canonical: str) -> int:
    keys = [name_key(n) for n in names]
    column = PARTICIPANT_LAYOUT.column(canonical)
    return next(keys.index(k) for k in map(name_key, column.aliases) if k in keys)


def _with_programmes(con: duckdb.DuckDBPyConnection, landed: LandedFile) -> LandedFile:
    rows = con.execute(
        f"SELECT framework_programme FROM ({landed.select_sql}) WHERE framework_programme IS NOT NULL "
        "GROUP BY ALL ORDER BY count(*) DESC, framework_programme"
    ).fetchall()
    landed.framework_programmes = [r[0] for r in rows]
    return landed


def _programme_sql(names: Sequence[str], default: str | None) -> str:
    """SQL giving each row's framework programme from its own columns, else `default`."""
    keys = [name_key(n) for n in names]
    parts = []
    for column, template in ((_PROGRAMME_COLUMN, _FROM_PROGRAMME), (_LEGAL_BASIS_COLUMN, _FROM_LEGAL_BASIS)):
        index = next((keys.index(k) for k in map(name_key, column.aliases) if k in keys), None)
        if index is not None:
            parts.append(template.format(c=f"c{index}"))
    parts.append(f"CAST({sql_literal(default)} AS VARCHAR)")
    return f"coalesce({', '.join(parts)})"


_FROM_PROGRAMME = (
    "CASE regexp_replace(upper({c}), '[^A-Z0-9]', '', 'g') WHEN 'FP6' THEN 'FP6' WHEN 'FP7' THEN 'FP7' "
    "WHEN 'H2020' THEN 'H2020' WHEN 'HORIZON2020' THEN 'H2020' WHEN 'HE' THEN 'HE' WHEN 'HEU' THEN 'HE' "
    "WHEN 'HORIZON' THEN 'HE' WHEN 'HORIZONEUROPE' THEN 'HE' END"
)
_FROM_LEGAL_BASIS = (
    "CASE WHEN upper({c}) LIKE 'H2020%' THEN 'H2020' WHEN upper({c}) LIKE 'FP7%' THEN 'FP7' "
    "WHEN upper({c}) LIKE 'FP6%' THEN 'FP6' WHEN upper({c}) LIKE 'HORIZON%' THEN 'HE' END"
)


# ------------------------------------------------------------------------------------- file reads


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, ref: FileRef) -> RawFile:
    header = sniff_header(path, ref)
    return read_csv_raw(con, path, header, ref, null_tokens=NULL_TOKENS)


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, ref: FileRef) -> RawFile:
    """The first sheet: python-calamine when installed (about 10x faster), else openpyxl."""
    if not path.is_file() or path.stat().st_size == 0:
        raise BilatrusError(f"{ref.describe()} is empty or missing ({path}).", dataset=ref.dataset)
    rows = _sheet_rows(path, ref)
    names, header_line = _xlsx_header(rows, path, ref)
    raw = raw_from_rows(con, names, _xlsx_records(rows, header_line))
    if raw.rows == 0:
        drop_tables(con, [*raw.temp_tables, raw.rejects])
        raise BilatrusError(f"{ref.describe()} has a header but no data rows ({path}).", dataset=ref.dataset)
    return raw


def _sheet_rows(path: Path, ref: FileRef) -> Iterator[Sequence[object]]:
    """Every row of the workbook's first sheet, from row 1, as cell values."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return _openpyxl_rows(path, ref)
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        return iter(sheet.to_python(skip_empty_area=False))
    except Exception as err:  # calamine raises its own error types for every kind of bad workbook
        raise _unreadable_workbook(path, ref, err) from err


def _openpyxl_rows(path: Path, ref: FileRef) -> Iterator[Sequence[object]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as err:
        raise _unreadable_workbook(path, ref, err) from err
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    return iter(rows)


def _unreadable_workbook(path: Path, ref: FileRef, err: Exception) -> BilatrusError:
    return BilatrusError(
        f"{ref.describe()} is not a readable .xlsx workbook ({path}): {err}. Export it again from the "
        "Dashboard, as xlsx or CSV.",
        dataset=ref.dataset,
    )


def _xlsx_header(rows: Iterator[Sequence[object]], path: Path, ref: FileRef) -> tuple[list[str], int]:
    for line, values in enumerate(rows, start=1):
        texts = [cell_text(v) for v in values]
        if any(texts):
            return [t or "" for t in texts], line
    raise BilatrusError(f"{ref.describe()}: the first sheet is empty ({path}).", dataset=ref.dataset)


def _xlsx_records(rows: Iterator[Sequence[object]], header_line: int) -> Iterator[tuple[int, list[str | None]]]:
    for line, values in enumerate(rows, start=header_line + 1):
        texts = [cell_text(v) for v in values]
        if any(t is not None for t in texts):
            yield line, texts


def cell_text(value: object) -> str | None:
    """A spreadsheet cell as the text a CSV export would hold (`NA` and blanks are missing)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return None if text.strip() in NULL_TOKENS else text

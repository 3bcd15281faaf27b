"""Staging: land each source file with its reader, then type and conform with the sql/staging models.

- `stage_programme` loads one framework programme's project and organisation files (official CORDIS, in
  the legacy or the current layout, told apart by their header) and replaces that programme's slice of
  the landing tables; the other programmes' rows stay. `stage_programmes` does it for several at once, in two
  parts the pipeline runs as two steps: `land_programmes` (the files into the landing tables, beside the
  reference staging) and `stage_landed` (the staging models, once the reference tables are staged).
- `stage_dashboard` loads an analyst-supplied Horizon Dashboard export (CSV or xlsx) into the same shape;
  it replaces earlier loads of the same file name. The official files win: Dashboard rows for projects
  the official files give are quarantined as superseded.
- `stage_reference` loads the cordisref tables and rebuilds the reference staging tables.

Each returns a StageReport: per file and target table, raw records = staged rows + quarantined rows.
The readers check each file's header first; the slice is then replaced in one transaction that reads the
files straight into the landing tables, so a file that fails to read leaves the landing tables as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import clean
from bilatrus_etl.ingest.readers import cordis_csv, cordisref, dashboard, legacy_csv
from bilatrus_etl.ingest.readers.columns import FileRef
from bilatrus_etl.ingest.readers.header import sniff_header
from bilatrus_etl.ingest.readers.land import (
    PROGRAMME_LANDING_TABLES,
    LandedFile,
    commit_landed,
    create_landing_tables,
    sql_literal,
)
from bilatrus_etl.ingest.readers.raw import apply_line_shifts, drop_tables
from bilatrus_etl.settings import PROGRAMMES
from bilatrus_etl.warehouse.models import load_models, run_models

ROLES: tuple[str, ...] = ("projects", "organizations")
PROGRAMME_MODELS: list[str] = [
    "stg_project_screened",  # temporary (see _run_models)
    "stg_project",
    "stg_participation_screened",  # temporary
    "stg_participation",
    "quarantine",
    "load_audit",
]
REFERENCE_MODELS: list[str] = ["stg_country", "stg_programme_ref", "stg_activity_type", "stg_funding_scheme"]
OFFICIAL_FORMATS = (legacy_csv.SOURCE_FORMAT, cordis_csv.SOURCE_FORMAT)


@dataclass(frozen=True)
class FileCount:
    """How one file's records ended up in one staging table."""

    dataset: str
    framework_programme: str | None
    source_file: str
    target_table: str
    raw_rows: int
    staged_rows: int
    quarantined_rows: int
    flagged_rows: int = 0  # staged rows kept with a value that did not parse (counted among staged_rows)

    @property
    def reconciled(self) -> bool:
        return self.raw_rows == self.staged_rows + self.quarantined_rows

    def __str__(self) -> str:
        flagged = f" ({self.flagged_rows:,} with flagged values)" if self.flagged_rows else ""
        return (
            f"{self.source_file} -> {self.target_table}: {self.raw_rows:,} raw = {self.staged_rows:,} staged{flagged} "
            f"+ {self.quarantined_rows:,} quarantined"
        )


@dataclass(frozen=True)
class StageReport:
    """Counts of one staging call, per file and target table."""

    files: tuple[FileCount, ...]
    ignored: tuple[str, ...] = field(default=())

    @property
    def raw_rows(self) -> int:
        return sum(f.raw_rows for f in self.files)

    @property
    def staged_rows(self) -> int:
        return sum(f.staged_rows for f in self.files)

    @property
    def quarantined_rows(self) -> int:
        return sum(f.quarantined_rows for f in self.files)

    @property
    def flagged_rows(self) -> int:
        return sum(f.flagged_rows for f in self.files)

    @property
    def reconciled(self) -> bool:
        return all(f.reconciled for f in self.files)

    def __str__(self) -> str:
        lines = [str(f) for f in self.files]
        if self.ignored:
            lines.append(f"ignored: {', '.join(self.ignored)}")
        return "; ".join(lines)


def ensure_landing_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the empty landing tables (if missing), the SQL functions and the mapping tables."""
    create_landing_tables(con)
    clean.install(con)


# ----------------------------------------------------------------------------------- programmes


def stage_programme(
    con: duckdb.DuckDBPyConnection,
    programme: str,
    files: Mapping[str, Path],
    source_names: Mapping[str, str] | None = None,
    *,
    datasets: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
) -> StageReport:
    """Replace one programme's slice with its project and organisation files, then run the staging models.

    `files` maps a role ('projects', 'organizations'; also accepted: names such as 'project.csv' or
    'cordis-fp6organizations.csv') to a path; other keys are ignored and listed in the report.
    `source_names` gives the name each file is known by (e.g. 'cordis-h2020projects-csv.zip!project.csv'),
    by the same keys; `datasets` the catalog key of each (default 'cordis_<programme>').
    """
    return stage_programmes(con, [ProgrammeFiles(programme, files, source_names, datasets)], encoding=encoding)[
        programme
    ]


@dataclass(frozen=True)
class ProgrammeFiles:
    """One programme's files for `stage_programmes` (the arguments of `stage_programme`)."""

    programme: str
    files: Mapping[str, Path]
    source_names: Mapping[str, str] | None = None
    datasets: Mapping[str, str] | None = None


def stage_programmes(
    con: duckdb.DuckDBPyConnection, programmes: list[ProgrammeFiles], *, encoding: str = "utf-8"
) -> dict[str, StageReport]:
    """Land several programmes' files in one transaction (each replacing its slice), then run the staging models
    once. A file that fails to read leaves the landing tables as they were, for every programme."""
    landed_by_programme = land_programmes(con, programmes, encoding=encoding)
    ensure_landing_tables(con)
    _run_models(con, PROGRAMME_MODELS)
    return {p: _report(con, landed, ignored) for p, (landed, ignored) in landed_by_programme.items()}


def land_programmes(
    con: duckdb.DuckDBPyConnection, programmes: list[ProgrammeFiles], *, encoding: str = "utf-8"
) -> dict[str, tuple[list[LandedFile], tuple[str, ...]]]:
    """Land several programmes' files in one transaction, each replacing its slice of the landing tables; return
    each programme's landed files and the keys of its files that were ignored. A file that fails to read leaves the
    landing tables as they were, for every programme. Writes the landing tables of the programmes' files and nothing
    else (no function, map or staging table), so it can run beside the reference staging; `stage_landed` then runs
    the staging models."""
    create_landing_tables(con, PROGRAMME_LANDING_TABLES)
    landed_by_programme: dict[str, tuple[list[LandedFile], tuple[str, ...]]] = {}
    slices: list[tuple[str, str]] = []
    try:
        for item in programmes:
            landed_by_programme[item.programme] = _programme_files(con, item, encoding)
            slices += _programme_slices(item.programme)
    except BaseException:
        _drop_landed(con, [file for landed, _ in landed_by_programme.values() for file in landed])
        raise
    commit_landed(con, [file for landed, _ in landed_by_programme.values() for file in landed], slices)
    return landed_by_programme


def stage_landed(con: duckdb.DuckDBPyConnection, programmes: list[str]) -> dict[str, StageReport]:
    """Run the staging models over the landing tables (every programme's slice and the Dashboard exports'); report,
    for each of `programmes`, how its official files' records ended up (load_audit)."""
    for programme in programmes:
        _check_programme(programme)
    ensure_landing_tables(con)
    apply_line_shifts(con)  # what a landing interrupted after its commit left (no landing runs beside this step)
    _run_models(con, PROGRAMME_MODELS)
    return {p: _programme_report(con, p) for p in programmes}


def _programme_files(
    con: duckdb.DuckDBPyConnection, item: ProgrammeFiles, encoding: str
) -> tuple[list[LandedFile], tuple[str, ...]]:
    """The programme's files, their headers checked and mapped, ready to be read when the load is committed."""
    programme, files, source_names, datasets = item.programme, item.files, item.source_names, item.datasets
    _check_programme(programme)
    by_role, ignored = _files_by_role(files, programme)
    landed: list[LandedFile] = []
    try:
        for role, key in by_role.items():
            path = Path(files[key])
            source = (source_names or {}).get(key) or (source_names or {}).get(role) or path.name
            dataset = (datasets or {}).get(key) or (datasets or {}).get(role) or f"cordis_{programme.lower()}"
            ref = FileRef(dataset, source, programme)
            reader = _programme_reader(path, role, ref, encoding)
            landed.append(reader.land_file(con, path, role, ref, encoding=encoding))
    except BaseException:
        _drop_landed(con, landed)  # this programme's files so far; the caller drops the earlier programmes'
        raise
    return landed, ignored


def _programme_slices(programme: str) -> list[tuple[str, str]]:
    """The rows of the landing tables that a programme's official files replace."""
    formats = ", ".join(sql_literal(f) for f in OFFICIAL_FORMATS)
    condition = f"framework_programme = {sql_literal(programme)} AND source_format IN ({formats})"
    return [("land_project", condition), ("land_participation", condition)]


def _check_programme(programme: str) -> None:
    if programme not in PROGRAMMES:
        raise BilatrusError(f"unknown framework programme {programme!r}; expected one of {', '.join(PROGRAMMES)}")


def _files_by_role(files: Mapping[str, Path], programme: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """role -> key of `files`; keys that are neither role are returned as ignored."""
    by_role: dict[str, str] = {}
    ignored: list[str] = []
    for key in files:
        role = _role_of(key)
        if role is None:
            ignored.append(key)
        elif role in by_role:
            raise BilatrusError(f"{programme}: two files given for {role}: {by_role[role]!r} and {key!r}")
        else:
            by_role[role] = key
    missing = [role for role in ROLES if role not in by_role]
    if missing:
        raise BilatrusError(
            f"{programme}: no {' and no '.join(missing)} file given (got: {', '.join(files) or 'nothing'}); "
            "staging needs the programme's project file and its organisation file."
        )
    return by_role, tuple(ignored)


def _role_of(key: str) -> str | None:
    name = Path(key).name.lower()
    if "organi" in name:
        return "organizations"
    if "project" in name:
        return "projects"
    return None


def _programme_reader(path: Path, role: str, ref: FileRef, encoding: str) -> ModuleType:
    """The reader module whose layout the file's header matches (current CORDIS when unsure)."""
    names = sniff_header(path, ref, encoding=encoding).names
    if dashboard.is_participant_level(names):
        raise BilatrusError(
            f"{ref.describe()} is a Horizon Dashboard export, not an official CORDIS {role} file; load it with "
            "stage_dashboard (the analyst's Dashboard input), or give the official file.",
            dataset=ref.dataset,
        )
    if cordis_csv.recognises(names, role):
        return cordis_csv
    if legacy_csv.recognises(names, role):
        return legacy_csv
    return cordis_csv


# ------------------------------------------------------------------------------------ dashboard


def stage_dashboard(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    source_name: str | None = None,
    framework_programme: str | None = None,
    dataset: str = dashboard.DATASET,
) -> StageReport:
    """Load an analyst's Horizon Dashboard export (CSV or xlsx) into the common shape, then run the models.

    The programme of each row comes from the file's framework_programme column (or legal basis); where
    the file has none, from `framework_programme`, else from the file name (`fp7-projects.xlsx`).
    """
    if framework_programme is not None:
        _check_programme(framework_programme)
    ensure_landing_tables(con)
    path = Path(path)
    source = source_name or path.name
    landed = dashboard.land_file(
        con, path, dataset=dataset, source_file=source, framework_programme=framework_programme
    )
    condition = f"dataset = {sql_literal(dataset)} AND source_file = {sql_literal(source)}"
    commit_landed(con, landed, [("land_project", condition), ("land_participation", condition)])
    _run_models(con, PROGRAMME_MODELS)
    return _report(con, landed, ())


def stage_dashboards(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> list[StageReport]:
    """Make the landed Dashboard exports exactly `paths`: load each, and drop earlier loads of files not listed."""
    ensure_landing_tables(con)
    keep = ", ".join(sql_literal(Path(p).name) for p in paths) or "NULL"
    stale = f"dataset = {sql_literal(dashboard.DATASET)} AND source_file NOT IN ({keep})"
    removed = sum(
        con.execute(f"SELECT count(*) FROM {table} WHERE {stale}").fetchall()[0][0]
        for table in ("land_project", "land_participation", "land_rejects")
    )
    if removed:
        commit_landed(con, [], [("land_project", stale), ("land_participation", stale)])
        _run_models(con, PROGRAMME_MODELS)
    return [stage_dashboard(con, Path(p)) for p in paths]


# ------------------------------------------------------------------------------------ reference


def stage_reference(
    con: duckdb.DuckDBPyConnection,
    files: Mapping[str, Path],
    source_names: Mapping[str, str] | None = None,
) -> StageReport:
    """Load cordisref tables (keyed by catalog key or file name), rebuild the maps and reference models.

    The report counts, per file, records read (raw), rows landed (staged: every language is kept in the
    landing table; the models pick English) and malformed lines (quarantined). The SQL functions and mapping
    tables are built once, after the landing: they read the reference landing tables, which the landing does not need.
    """
    create_landing_tables(con)
    landed: list[LandedFile] = []
    slices: list[tuple[str, str]] = []
    try:
        for key, path in files.items():
            path = Path(path)
            kind = cordisref.kind_of(key, path.name)
            source = (source_names or {}).get(key) or path.name
            landed.append(cordisref.land_file(con, path, kind, dataset=key, source_file=source))
            condition = f"framework_programme = {sql_literal(kind.programme)}" if kind.programme else "true"
            slices.append((kind.landing_table, condition))
    except BaseException:
        _drop_landed(con, landed)
        raise
    commit_landed(con, landed, slices)
    clean.install(con)
    _run_models(con, REFERENCE_MODELS)
    counts = [
        FileCount(
            item.ref.dataset,
            item.ref.programme,
            item.ref.source_file,
            item.landing_table,
            item.rows + item.rejected,
            item.rows,
            item.rejected,
        )
        for item in landed
    ]
    return StageReport(tuple(counts))


# -------------------------------------------------------------------------------------- helpers


def _run_models(con: duckdb.DuckDBPyConnection, names: list[str]) -> dict[str, int]:
    """Run staging models; leave no half-read result behind (DuckDB 2 refuses relational calls after one).

    The screened models are temporary tables holding the landed rows that break a rule: the staged tables type
    every other landed row, quarantine keeps each rejected row and its reason; then they are dropped, so the
    warehouse keeps only stg_project, stg_participation, quarantine and load_audit.
    """
    try:
        counts = run_models(con, names)
    finally:
        models = load_models()
        for name in names:
            if models[name].temporary:
                con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")
    con.execute("SELECT 1").fetchall()
    return counts


def _drop_landed(con: duckdb.DuckDBPyConnection, landed: list[LandedFile]) -> None:
    drop_tables(con, dict.fromkeys(t for i in landed for t in i.all_temp_tables))


def _report(con: duckdb.DuckDBPyConnection, landed: list[LandedFile], ignored: tuple[str, ...]) -> StageReport:
    keys = sorted({(item.ref.dataset, item.ref.source_file) for item in landed})
    if not keys:
        return StageReport((), ignored)
    wanted = " OR ".join(f"(dataset = {sql_literal(d)} AND source_file = {sql_literal(f)})" for d, f in keys)
    return StageReport(_audit_rows(con, wanted), ignored)


def _programme_report(con: duckdb.DuckDBPyConnection, programme: str) -> StageReport:
    """The load_audit rows of a programme's official files (not an analyst's Dashboard export)."""
    wanted = f"framework_programme = {sql_literal(programme)} AND dataset <> {sql_literal(dashboard.DATASET)}"
    return StageReport(_audit_rows(con, wanted))


def _audit_rows(con: duckdb.DuckDBPyConnection, wanted: str) -> tuple[FileCount, ...]:
    rows = con.execute(
        "SELECT dataset, framework_programme, source_file, target_table, raw_rows, staged_rows, quarantined_rows, "
        f"flagged_rows FROM load_audit WHERE {wanted} ORDER BY source_file, target_table, framework_programme"
    ).fetchall()
    return tuple(FileCount(*row) for row in rows)

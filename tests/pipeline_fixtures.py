"""Helpers for the Dagster tests: a fixture mirror (a copy of the run's synthetic mirror with the real samples of
../shared/data put in), its server, and the resources that point the asset graph at it."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl.ingest import catalog
from bilatrus_etl.settings import Settings
from bilatrus_etl_synthetic.layout import PROJECT_COLUMNS
from pipelines.defs.resources import BilatrusConfig

REAL_REFERENCE = {
    "cordisref-countries.csv": "cordis/reference/cordisref-countries.csv",
    "cordisref-FP7programmes.csv": "cordis/reference/cordisref-FP7programmes.csv",
    "cordisref-H2020programmes.csv": "cordis/reference/cordisref-H2020programmes.csv",
    "cordisref-organizationActivityType.csv": "cordis/reference/cordisref-organizationActivityType.csv",
    "cordisref-projectFundingSchemeCategory.csv": "cordis/reference/cordisref-projectFundingSchemeCategory.csv",
}
H2020_ZIP = "cordis-h2020projects-csv.zip"
H2020_SAMPLE = "cordis/official-layout/h2020-organization-sample.csv"


@dataclass
class FixtureMirror:
    folder: Path
    manifest: dict
    h2020_projects: int


def _project_csv_for(organizations: Path) -> tuple[bytes, int]:
    """A project.csv (official 20 columns, ';') holding one made-up project per project of the real sample."""
    with organizations.open(encoding="utf-8-sig", newline="") as handle:
        projects = sorted({row["projectID"]: row["projectAcronym"] for row in csv.DictReader(handle)}.items())
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(PROJECT_COLUMNS)
    for number, (project_id, acronym) in enumerate(projects):
        row = dict.fromkeys(PROJECT_COLUMNS, "")
        row.update(
            id=project_id,
            acronym=acronym,
            status="SIGNED",
            title=f"Project {acronym}",
            startDate="2019-01-01",
            endDate="2022-12-31",
            totalCost="1000000",
            ecMaxContribution="900000",
            legalBasis="H2020-EU.1.1.",
            frameworkProgramme="H2020",
            fundingScheme="RIA",
            rcn=str(800000 + number),
        )
        writer.writerow([row[c] for c in PROJECT_COLUMNS])
    return out.getvalue().encode("utf-8"), len(projects)


def build_fixture_mirror(folder: Path, shared_file, synthetic_mirror) -> FixtureMirror:
    """The run's synthetic mirror copied; cordisref replaced by the real tables; H2020 = the real organisation sample."""
    synthetic_mirror.copy(folder)
    manifest = synthetic_mirror.manifest
    for name, relative in REAL_REFERENCE.items():
        shutil.copyfile(shared_file(relative), folder / name)
    sample = shared_file(H2020_SAMPLE)
    project_csv, n_projects = _project_csv_for(sample)
    with zipfile.ZipFile(folder / H2020_ZIP, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.csv", project_csv)
        archive.write(sample, "organization.csv")
    serve_ror_under_official_name(folder)
    return FixtureMirror(folder, manifest, n_projects)


def serve_ror_under_official_name(folder: Path) -> None:
    """An HTTP mirror serves the ROR dump under its official file name (a folder mirror finds any *ror-data*.zip)."""
    ror = next(folder.glob("*ror-data*.zip"))
    ror.rename(folder / catalog.official_file_name(catalog.load_catalog()["ror_dump"].url))


def resources_for(data_dir: Path, mirror: str, force: bool = False, dashboard: str = "") -> dict[str, object]:
    settings = Settings.from_env(mirror=mirror, data_dir=data_dir)
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "bilatrus": BilatrusConfig(data_dir=str(data_dir), mirror=mirror, force=force, dashboard=dashboard),
        "duckdb": DuckDBResource(database=str(settings.build_path)),
    }


def materialized_keys(result: dg.ExecuteInProcessResult) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def manifest_participations(manifest: dict, programme: str) -> int:
    return int(manifest["expected"][programme]["participations"])


def dump(value: object) -> str:
    return json.dumps(value, indent=1, default=str)

"""The pipeline's input steps: fetch a catalog dataset (and extract its members), find the latest downloads, and
stage a programme's, the reference tables' and the Dashboard exports' files, reporting progress.

The Dagster assets in pipelines/defs (raw, staging) are thin wrappers of these; the fetching, reading and staging
themselves are fetch.py, archive.py, readers/ and staging.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from bilatrus_etl import progress
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import archive, catalog, fetch, http, provenance, releases
from bilatrus_etl.parallel import map_in_threads
from bilatrus_etl.settings import Settings

if TYPE_CHECKING:  # imported where used: staging pulls in the readers and pandas
    from bilatrus_etl.ingest import staging

SYNTHETIC_MARKER = "SYNTHETIC.txt"
#: Datasets fetched at once: socket reads, sha256 and zip inflation release the GIL, so two downloads overlap.
FETCH_WORKERS = 2
ROLE_OF_MEMBER = {"project.csv": "projects", "organization.csv": "organizations"}
ROLE_OF_LAYOUT = {"cordis-legacy-project": "projects", "cordis-legacy-organization": "organizations"}


@dataclass
class FetchedSource:
    """One dataset as fetched: the stored raw file, extracted members and whether it changed."""

    dataset: str
    sha256: str
    path: Path
    changed: bool
    bytes: int
    members: dict[str, Path] = field(default_factory=dict)


def fetch_dataset(settings: Settings, key: str) -> FetchedSource:
    """Download one catalog dataset (official URL, newest upstream release, or mirror) and extract its members."""
    dataset = releases.current(catalog.load_catalog()[key], settings.mirror)
    url = catalog.resolve_url(dataset, settings.mirror)
    result = fetch.download(dataset, url, settings.raw_dir, progress=progress.download_callback(key))
    members = _members(dataset, Path(result.path), settings.raw_dir / key / f"{result.sha256}.d")
    return FetchedSource(key, result.sha256, Path(result.path), result.changed, result.bytes, members)


def _members(dataset: catalog.Dataset, path: Path, dest: Path) -> dict[str, Path]:
    """The archive's expected members, extracted once into a folder named by the archive's sha256."""
    if dataset.format != "zip" or not dataset.members:
        return {}
    marker = dest / ".extracted.json"
    if marker.exists():
        listed = {name: dest / relative for name, relative in json.loads(marker.read_text(encoding="utf-8")).items()}
        if all(p.is_file() for p in listed.values()):
            return listed
    members = archive.extract(path, dest, dataset=dataset.key, members=list(dataset.members))
    marker.write_text(json.dumps({name: str(p.relative_to(dest)) for name, p in members.items()}), encoding="utf-8")
    return members


def fetch_datasets(settings: Settings, keys: list[str]) -> list[FetchedSource]:
    """Fetch the datasets, FETCH_WORKERS at a time; the results in the order of `keys`.

    On a failure no further download starts, those under way end (complete, or their temp files are removed by
    the download itself), and the error of the first failed dataset in `keys` order is raised.
    """
    return map_in_threads(lambda key: fetch_dataset(settings, key), keys, FETCH_WORKERS, "fetch")


def fetch_programmes(settings: Settings, programmes: list[str]) -> list[FetchedSource]:
    """Every dataset of the programmes, fetched together (see fetch_datasets), programme by programme in order."""
    return fetch_datasets(settings, [d.key for p in programmes for d in catalog.datasets_for_programme(p)])


def send_ahead(settings: Settings, programmes: list[str]) -> int:
    """Send the conditional GETs of a run of the downloads for these programmes now (`fetch.send_ahead`): their
    files, the reference tables and the registry; their download steps take the answers. Returns how many."""
    kinds = ("reference", "registry")
    datasets = [d for p in programmes for d in catalog.datasets_for_programme(p)]
    datasets += [d for d in catalog.load_catalog().values() if d.kind in kinds]
    return fetch.send_ahead(datasets, settings.mirror, settings.raw_dir)


def fetch_programme(settings: Settings, programme: str) -> list[FetchedSource]:
    return fetch_programmes(settings, [programme])


def fetch_kind(settings: Settings, kind: str) -> list[FetchedSource]:
    return fetch_datasets(settings, [d.key for d in catalog.load_catalog().values() if d.kind == kind])


def latest_fetched(settings: Settings, key: str) -> FetchedSource:
    """The dataset's latest download (from the provenance log), with its members extracted."""
    record = provenance.latest_download(settings.raw_dir, key)
    path = provenance.stored_path(settings.raw_dir, record) if record else None
    if record is None or path is None or not path.exists():
        raise BilatrusError(
            f"{key}: no downloaded file under {settings.raw_dir / key}. Run the download first "
            f"(`bilatrus run`, or materialise its raw asset in the Dagster UI)."
        )
    dataset = catalog.load_catalog()[key]
    members = _members(dataset, path, settings.raw_dir / key / f"{record['sha256']}.d")
    return FetchedSource(key, record["sha256"], path, False, int(record.get("bytes") or 0), members)


def mirror_is_synthetic(settings: Settings) -> bool:
    """A demo mirror carries a SYNTHETIC.txt marker; everything built from it is flagged synthetic."""
    if not settings.mirror:
        return False
    mirror = settings.mirror.removeprefix("file://")
    if "://" not in mirror:
        return (Path(mirror) / SYNTHETIC_MARKER).exists()
    return http.check_reachable(f"{mirror.rstrip('/')}/{SYNTHETIC_MARKER}")[0]


def current_sources(settings: Settings, downloads: bool = True) -> dict[str, str]:
    """dataset -> sha256 of its latest download (provenance log), and of each analyst-supplied Dashboard export."""
    datasets = {}
    if downloads:
        datasets = {
            row["dataset"]: row["sha256"] for row in provenance.read_provenance(settings.raw_dir) if row.get("sha256")
        }
    for path in settings.dashboard_exports:
        datasets[f"dashboard:{path.name}"] = _file_sha256(path)
    return datasets


def _file_sha256(path: Path) -> str:
    if not path.is_file():
        raise BilatrusError(
            f"Horizon Dashboard export {path} (BILATRUS_DASHBOARD) does not exist: fix the path or unset it."
        )
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def programme_inputs(settings: Settings, programme: str) -> tuple[dict[str, Path], dict[str, str]]:
    """The programme's files by role ('projects', 'organizations') and the name each is known by."""
    files: dict[str, Path] = {}
    names: dict[str, str] = {}
    for dataset in catalog.datasets_for_programme(programme):
        fetched = latest_fetched(settings, dataset.key)
        official = catalog.official_file_name(dataset.url)
        if fetched.members:
            for member, path in fetched.members.items():
                role = ROLE_OF_MEMBER.get(Path(member).name.lower())
                if role:
                    files[role], names[role] = path, f"{official}!{Path(member).name}"
        else:
            role = ROLE_OF_LAYOUT[dataset.layout]
            files[role], names[role] = fetched.path, official
    return files, names


def _dataset_of_role(programme: str) -> dict[str, str]:
    roles: dict[str, str] = {}
    for dataset in catalog.datasets_for_programme(programme):
        if dataset.members:
            roles.update({ROLE_OF_MEMBER[m]: dataset.key for m in dataset.members if m in ROLE_OF_MEMBER})
        elif dataset.layout in ROLE_OF_LAYOUT:
            roles[ROLE_OF_LAYOUT[dataset.layout]] = dataset.key
    return roles


def reference_inputs(settings: Settings) -> dict[str, Path]:
    """cordisref files by dataset key."""
    return {
        d.key: latest_fetched(settings, d.key).path for d in catalog.load_catalog().values() if d.kind == "reference"
    }


def land_programmes(con: duckdb.DuckDBPyConnection, settings: Settings, programmes: list[str]) -> dict:
    """Read the programmes' downloaded files into their slices of the landing tables (one transaction); return
    programme -> (its landed files, the keys of its files that were ignored)."""
    from bilatrus_etl.ingest import staging

    items = []
    for programme in programmes:
        files, names = programme_inputs(settings, programme)
        items.append(staging.ProgrammeFiles(programme, files, names, _dataset_of_role(programme)))
    label = f"land {', '.join(programmes)}"
    with progress.step(label):
        landed = staging.land_programmes(con, items)
        progress.fault_point("land")
    rows = sum(file.rows for files, _ in landed.values() for file in files)
    rejected = sum(file.rejected for files, _ in landed.values() for file in files)
    progress.done(label, f"{rows:,} records landed, {rejected:,} malformed lines kept in land_rejects")
    return landed


def stage_programmes(con: duckdb.DuckDBPyConnection, settings: Settings, programmes: list[str]) -> dict:
    """Run the staging models over the landed files (every programme's slice); report the given programmes."""
    from bilatrus_etl.ingest import staging

    label = f"stage {', '.join(programmes)}"
    with progress.step(label):
        reports = staging.stage_landed(con, programmes)
        progress.fault_point("stage")
    staged = sum(r.staged_rows for r in reports.values())
    quarantined = sum(r.quarantined_rows for r in reports.values())
    flagged = sum(r.flagged_rows for r in reports.values())
    progress.done(label, f"{staged:,} rows staged ({flagged:,} with flagged values), {quarantined:,} quarantined")
    return reports


def stage_reference(con: duckdb.DuckDBPyConnection, settings: Settings) -> staging.StageReport:
    """Read the cordisref tables into the reference staging tables and code maps."""
    from bilatrus_etl.ingest import staging

    with progress.step("stage reference tables"):
        report = staging.stage_reference(con, reference_inputs(settings))
    progress.done("stage reference tables", f"{report.staged_rows:,} rows")
    return report


def stage_dashboards(con: duckdb.DuckDBPyConnection, settings: Settings) -> list:
    """Load the analyst-supplied Horizon Dashboard exports (none: remove any loaded before)."""
    from bilatrus_etl.ingest import staging

    with progress.step("stage Dashboard exports"):
        reports = staging.stage_dashboards(con, list(settings.dashboard_exports))
    progress.done("stage Dashboard exports", f"{len(reports)} file(s), {sum(r.staged_rows for r in reports):,} rows")
    return reports


def staging_counts(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, dict]:
    """Rows of each table, in total and by framework programme."""
    counts: dict[str, dict] = {}
    for table in tables:
        by = {
            str(k): v
            for k, v in con.execute(
                f"SELECT framework_programme, count(*) FROM {table} GROUP BY ALL ORDER BY 1"
            ).fetchall()
        }
        counts[table] = {"total": sum(by.values()), "by_programme": by}
    return counts

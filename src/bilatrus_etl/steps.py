"""The pipeline's steps as plain library calls; the Dagster assets in pipelines/ are thin wrappers of these.

Nothing here decides the order of steps: that is the asset graph's job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from bilatrus_etl import __version__, archive, fetch, progress, sources, warehouse
from bilatrus_etl.settings import PROGRAMMES, Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SYNTHETIC_MARKER = "SYNTHETIC.txt"


@dataclass
class FetchedSource:
    """One dataset as fetched: the stored raw file, extracted members and whether it changed."""

    dataset: str
    sha256: str
    path: Path
    changed: bool
    bytes: int
    members: dict[str, Path] = field(default_factory=dict)


def connect_build(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the working build file read-write (only pipeline steps do this)."""
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.build_path))
    warehouse.set_variables(con, model_variables(settings))
    return con


@contextmanager
def build_connection(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect_build(settings)
    try:
        yield con
    finally:
        con.close()


def model_variables(settings: Settings) -> dict[str, object]:
    """Session variables the SQL models read with getvariable()."""
    return {"focus_country": settings.focus_country, "reference_dir": str(REFERENCE_DIR)}


def fetch_dataset(settings: Settings, key: str) -> FetchedSource:
    """Download one catalog dataset (official URL or mirror) and extract its expected members."""
    dataset = sources.load_catalog()[key]
    url = sources.resolve_url(dataset, settings.mirror)
    result = fetch.download(dataset, url, settings.raw_dir, progress=progress.download_callback(key))
    members: dict[str, Path] = {}
    if dataset.format == "zip" and dataset.members:
        dest = settings.raw_dir / key / f"{result.sha256}.d"
        members = archive.extract(result.path, dest, dataset=key, members=list(dataset.members))
    return FetchedSource(key, result.sha256, Path(result.path), result.changed, result.bytes, members)


def fetch_programme(settings: Settings, programme: str) -> list[FetchedSource]:
    return [fetch_dataset(settings, d.key) for d in sources.datasets_for_programme(programme)]


def fetch_kind(settings: Settings, kind: str) -> list[FetchedSource]:
    keys = [d.key for d in sources.load_catalog().values() if d.kind == kind]
    return [fetch_dataset(settings, key) for key in keys]


def mirror_is_synthetic(settings: Settings) -> bool:
    """A demo mirror carries a SYNTHETIC.txt marker; everything built from it is flagged synthetic."""
    if not settings.mirror:
        return False
    mirror = settings.mirror.removeprefix("file://")
    if "://" not in mirror:
        return (Path(mirror) / SYNTHETIC_MARKER).exists()
    return fetch.check_reachable(f"{mirror.rstrip('/')}/{SYNTHETIC_MARKER}")[0]


def code_fingerprint() -> str:
    """Hash of everything that shapes the warehouse besides the data: SQL, suites, reference tables, version."""
    digest = hashlib.sha256(__version__.encode())
    for folder in (PROJECT_ROOT / "sql", EXPECTATIONS_DIR, REFERENCE_DIR):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def manifest_path(settings: Settings) -> Path:
    return settings.warehouse_path.with_suffix(".manifest.json")


def published_manifest(settings: Settings) -> dict | None:
    path = manifest_path(settings)
    if not path.exists() or not settings.warehouse_path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def current_sources(settings: Settings) -> dict[str, str]:
    """dataset -> sha256 of its latest download, from the provenance log."""
    return {row["dataset"]: row["sha256"] for row in fetch.read_provenance(settings.raw_dir) if row.get("sha256")}


def is_up_to_date(settings: Settings, datasets: dict[str, str]) -> bool:
    """True when the published warehouse was built from exactly these files with this code."""
    manifest = published_manifest(settings)
    if manifest is None or manifest.get("code") != code_fingerprint():
        return False
    published = manifest.get("sources", {})
    return all(published.get(key) == sha for key, sha in datasets.items())


def record_provenance(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    """Load the provenance log (one row per download) into the warehouse table `meta_download_provenance`."""
    rows = fetch.read_provenance(settings.raw_dir)
    con.execute(
        """CREATE OR REPLACE TABLE meta_download_provenance (
            dataset VARCHAR, url VARCHAR, fetched_at TIMESTAMPTZ, http_status INTEGER, etag VARCHAR,
            last_modified VARCHAR, sha256 VARCHAR, bytes BIGINT, path VARCHAR, changed BOOLEAN)"""
    )
    con.executemany(
        "INSERT INTO meta_download_provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [r.get("dataset"), r.get("url"), r.get("fetched_at"), r.get("http_status"), r.get("etag"),
             r.get("last_modified"), r.get("sha256"), r.get("bytes"), r.get("path"), r.get("changed")]
            for r in rows
        ],
    )
    return len(rows)


def record_build_info(con: duckdb.DuckDBPyConnection, settings: Settings, datasets: dict[str, str]) -> None:
    """`meta_build`: one row describing this build (time, code, focus country, synthetic flag, sources)."""
    con.execute(
        """CREATE OR REPLACE TABLE meta_build AS SELECT ?::TIMESTAMPTZ AS built_at, ? AS code_fingerprint,
           ? AS package_version, ? AS focus_country, ?::BOOLEAN AS synthetic, ?::JSON AS sources""",
        [datetime.now(UTC), code_fingerprint(), __version__, settings.focus_country,
         mirror_is_synthetic(settings), json.dumps(datasets, sort_keys=True)],
    )


def write_manifest(settings: Settings, datasets: dict[str, str], synthetic: bool) -> Path:
    path = manifest_path(settings)
    payload = {
        "published_at": datetime.now(UTC).isoformat(),
        "code": code_fingerprint(),
        "sources": datasets,
        "synthetic": synthetic,
        "warehouse": str(settings.warehouse_path),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return path


def run_sql_model(con: duckdb.DuckDBPyConnection, settings: Settings, name: str) -> int:
    """Run one SQL model against the build file with the installation's variables; return its row count."""
    warehouse.set_variables(con, model_variables(settings))
    return warehouse.run_model(con, warehouse.load_models()[name])


def programmes_from_option(value: str | None) -> list[str]:
    """Parse a `fp6,fp7,h2020,he` option into programme keys (all when empty)."""
    if not value:
        return list(PROGRAMMES)
    wanted = [part.strip().upper() for part in value.split(",") if part.strip()]
    aliases = {"HORIZON": "HE", "HORIZONEUROPE": "HE", "HEU": "HE"}
    wanted = [aliases.get(p, p) for p in wanted]
    unknown = [p for p in wanted if p not in PROGRAMMES]
    if unknown:
        from bilatrus_etl.errors import BilatrusError

        raise BilatrusError(f"unknown programme(s) {', '.join(unknown)}: choose from {', '.join(PROGRAMMES)}")
    return wanted


def latest_fetched(settings: Settings, key: str) -> FetchedSource:
    """The dataset's latest download (from the provenance log), with its members extracted."""
    from bilatrus_etl.errors import BilatrusError

    record = fetch.latest_download(settings.raw_dir, key)
    path = fetch.stored_path(settings.raw_dir, record) if record else None
    if record is None or path is None or not path.exists():
        raise BilatrusError(
            f"{key}: no downloaded file under {settings.raw_dir / key}. Run the download first "
            f"(`bilatrus run`, or materialise its raw asset in the Dagster UI)."
        )
    dataset = sources.load_catalog()[key]
    members: dict[str, Path] = {}
    if dataset.format == "zip" and dataset.members:
        dest = settings.raw_dir / key / f"{record['sha256']}.d"
        members = archive.extract(path, dest, dataset=key, members=list(dataset.members))
    return FetchedSource(key, record["sha256"], path, False, int(record.get("bytes") or 0), members)


ROLE_OF_MEMBER = {"project.csv": "projects", "organization.csv": "organizations"}
ROLE_OF_LAYOUT = {"cordis-legacy-project": "projects", "cordis-legacy-organization": "organizations"}


def programme_inputs(settings: Settings, programme: str) -> tuple[dict[str, Path], dict[str, str]]:
    """The programme's files by role ('projects', 'organizations') and the name each is known by."""
    files: dict[str, Path] = {}
    names: dict[str, str] = {}
    for dataset in sources.datasets_for_programme(programme):
        fetched = latest_fetched(settings, dataset.key)
        official = sources.official_file_name(dataset.url)
        if fetched.members:
            for member, path in fetched.members.items():
                role = ROLE_OF_MEMBER.get(Path(member).name.lower())
                if role:
                    files[role], names[role] = path, f"{official}!{Path(member).name}"
        else:
            role = ROLE_OF_LAYOUT[dataset.layout]
            files[role], names[role] = fetched.path, official
    return files, names


def reference_inputs(settings: Settings) -> dict[str, Path]:
    """cordisref files by dataset key."""
    return {d.key: latest_fetched(settings, d.key).path for d in sources.load_catalog().values() if d.kind == "reference"}


def staging_counts(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Rows of stg_project and stg_participation, in total and by programme."""
    counts: dict[str, dict] = {}
    for table in ("stg_project", "stg_participation"):
        by = dict(con.execute(f"SELECT framework_programme, count(*) FROM {table} GROUP BY ALL ORDER BY 1").fetchall())
        counts[table] = {"total": sum(by.values()), "by_programme": by}
    return counts


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def published_summary(settings: Settings) -> list[str]:
    """A few lines on the published warehouse: where it is and participations per programme."""
    if not settings.warehouse_path.exists():
        return ["No published warehouse yet."]
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute(
            "SELECT framework_programme, count(*) FROM stg_participation GROUP BY ALL ORDER BY 1"
        ).fetchall()
        synthetic = con.execute("SELECT any_value(synthetic) FROM meta_build").fetchone()[0]
    finally:
        con.close()
    lines = [f"Published warehouse: {settings.warehouse_path}"]
    if synthetic:
        lines.append("SYNTHETIC DATA: built from a generated demo mirror, not from CORDIS.")
    lines += [f"  {programme}: {count:,} participations" for programme, count in rows]
    return lines

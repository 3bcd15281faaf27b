"""The pipeline's steps as plain library calls; the Dagster assets in pipelines/ are thin wrappers of these.

Nothing here decides the order of steps: that is the asset graph's job.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from bilatrus_etl import __version__
from bilatrus_etl.ingest import archive
from bilatrus_etl.ingest import fetch
from bilatrus_etl.ingest import http
from bilatrus_etl.ingest import provenance
from bilatrus_etl import progress
from bilatrus_etl.warehouse import queries
from bilatrus_etl.ingest import releases
from bilatrus_etl.ingest import catalog
from bilatrus_etl import warehouse
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.settings import PROGRAMMES, Settings

if TYPE_CHECKING:  # imported lazily where used: Great Expectations alone costs seconds
    from bilatrus_etl import quality
    from bilatrus_etl.ingest import staging

from bilatrus_etl.resources import EXPECTATIONS_DIR, PACKAGE_DIR, REFERENCE_DIR, SQL_DIR
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


def model_variables(settings: Settings) -> dict[str, object]:
    """Session variables the SQL models read with getvariable()."""
    return {"focus_country": settings.focus_country, "reference_dir": str(REFERENCE_DIR)}


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


def fetch_programme(settings: Settings, programme: str) -> list[FetchedSource]:
    return [fetch_dataset(settings, d.key) for d in catalog.datasets_for_programme(programme)]


def fetch_kind(settings: Settings, kind: str) -> list[FetchedSource]:
    keys = [d.key for d in catalog.load_catalog().values() if d.kind == kind]
    return [fetch_dataset(settings, key) for key in keys]


def mirror_is_synthetic(settings: Settings) -> bool:
    """A demo mirror carries a SYNTHETIC.txt marker; everything built from it is flagged synthetic."""
    if not settings.mirror:
        return False
    mirror = settings.mirror.removeprefix("file://")
    if "://" not in mirror:
        return (Path(mirror) / SYNTHETIC_MARKER).exists()
    return http.check_reachable(f"{mirror.rstrip('/')}/{SYNTHETIC_MARKER}")[0]


def code_fingerprint() -> str:
    """Hash of everything that shapes the warehouse besides the data: SQL, suites, reference tables, version."""
    return _hash_files([p for folder in (SQL_DIR, EXPECTATIONS_DIR, REFERENCE_DIR) for p in folder.rglob("*")],
                       __version__, length=64)


def _hash_files(paths: list[Path], *extra: str, length: int = 16) -> str:
    """sha256 over the files' package-relative names and bytes (sorted), plus any extra strings."""
    digest = hashlib.sha256("\0".join(extra).encode())
    for path in sorted(p for p in paths if p.is_file()):
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:length]


def _suite_file(table: str) -> Path:
    return EXPECTATIONS_DIR / f"{table}.json"


def model_code_version(name: str) -> str:
    """A SQL model's code version: the hash of its .sql file, its suite, and the curated tables it reads."""
    model = warehouse.load_models()[name]
    files = [model.path, _suite_file(name)]
    if "reference_dir" in model.sql:
        files += list(REFERENCE_DIR.rglob("*"))
    return _hash_files(files)


def python_code_version(tables: list[str]) -> str:
    """Code version of a step written in Python: the library's Python sources, the SQL models the step runs
    itself, the suites of its tables and the curated tables."""
    models = warehouse.load_models()
    files = [p for p in PACKAGE_DIR.rglob("*.py")] + list(REFERENCE_DIR.rglob("*"))
    files += [models[t].path for t in tables if t in models] + [_suite_file(t) for t in tables]
    return _hash_files(files, __version__)


def sources_version(fetched: list[FetchedSource]) -> str:
    """Data version of a download asset: the file's sha256 (one file), or the hash of its files' sha256s."""
    if len(fetched) == 1:
        return fetched[0].sha256
    return hashlib.sha256("".join(sorted(f"{f.dataset}={f.sha256}" for f in fetched)).encode()).hexdigest()


def dashboard_version(settings: Settings) -> str:
    """Data version of the analyst-supplied Horizon Dashboard exports (their names and sha256s; 'none' for none)."""
    exports = current_sources(settings, downloads=False)
    if not exports:
        return "none"
    return hashlib.sha256(json.dumps(exports, sort_keys=True).encode()).hexdigest()


def published_manifest(settings: Settings) -> dict | None:
    """What the published warehouse says about its own build (its meta_build row), or None before a publish."""
    if not settings.warehouse_path.exists():
        return None
    con = warehouse.open_readonly(settings.warehouse_path)
    try:
        cursor = queries.run(con, "read_meta_build")
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
    except BilatrusError:
        return None
    finally:
        con.close()
    if row is None:
        return None
    stamp = dict(zip(names, row))
    sources_json = stamp.get("sources")
    return {"published_at": stamp["built_at"].isoformat(), "code": stamp.get("code_fingerprint"),
            "synthetic": bool(stamp.get("synthetic")),
            "sources": json.loads(sources_json) if isinstance(sources_json, str) else (sources_json or {}),
            "focus_country": stamp.get("focus_country"), "warehouse": str(settings.warehouse_path)}


def current_sources(settings: Settings, downloads: bool = True) -> dict[str, str]:
    """dataset -> sha256 of its latest download (provenance log), and of each analyst-supplied Dashboard export."""
    datasets = {}
    if downloads:
        datasets = {row["dataset"]: row["sha256"] for row in provenance.read_provenance(settings.raw_dir) if row.get("sha256")}
    for path in settings.dashboard_exports:
        datasets[f"dashboard:{path.name}"] = _file_sha256(path)
    return datasets


def _file_sha256(path: Path) -> str:
    from bilatrus_etl.errors import BilatrusError

    if not path.is_file():
        raise BilatrusError(f"Horizon Dashboard export {path} (BILATRUS_DASHBOARD) does not exist: fix the path or unset it.")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def leftovers(settings: Settings, crashed: bool) -> list[Path]:
    """Files a killed run leaves behind: partial downloads and extractions (*.part), the publish's temporary
    copies beside the warehouse, and, after a crash, the half-written build file with its write-ahead log."""
    found = list(settings.raw_dir.rglob("*.part")) if settings.raw_dir.exists() else []
    published = settings.warehouse_path
    if published.parent.exists():
        found += [p for p in published.parent.glob(".*") if p.name.endswith((".tmp", ".tmp.wal", ".rollback"))]
    build = settings.build_path
    wal = build.with_name(build.name + ".wal")
    if crashed or wal.exists():
        found += [p for p in (build, wal) if p.exists()]
    return found


def remove_leftovers(settings: Settings, crashed: bool) -> list[str]:
    """Delete what `leftovers` finds (only ever called while holding the data folder's run lock)."""
    removed = []
    for path in leftovers(settings, crashed):
        path.unlink(missing_ok=True)
        removed.append(str(path.relative_to(settings.data_dir)) if path.is_relative_to(settings.data_dir) else str(path))
    return removed


PROVENANCE_COLUMNS = ("dataset", "url", "fetched_at", "http_status", "etag", "last_modified", "sha256", "bytes",
                      "path", "changed", "release")
META_DOCS: dict[str, tuple[str, dict[str, str]]] = {
    "meta_download_provenance": (
        "The download each dataset's tables were built from (the latest of the dataset): URL, time, HTTP status, "
        "ETag, sha256 and size of the stored file. Every attempt is in raw/provenance.jsonl.",
        {"run_id": "Dagster run that built this warehouse", "dataset": "catalog key of the dataset", "url": "address fetched (official URL or mirror)",
         "fetched_at": "when (UTC)", "http_status": "200, or 304 when the stored file was still current",
         "etag": "ETag sent by the server", "last_modified": "Last-Modified sent by the server",
         "sha256": "sha256 of the stored file", "bytes": "size of the stored file",
         "path": "stored file, relative to data/raw", "changed": "whether the content differed from the previous download",
         "release": "the upstream release the file is (JSON: Zenodo record id, version, DOI, file, md5, and whether the "
                    "records API named it or the pinned file was used, with the warning); NULL for other datasets"},
    ),
    "meta_build": (
        "One row describing the build: when, code fingerprint, version, focus country, synthetic flag, source hashes.",
        {"run_id": "Dagster run that built this warehouse", "built_at": "when the build was stamped (UTC)", "code_fingerprint": "hash of the SQL, suites and reference tables",
         "package_version": "bilatrus-etl version", "focus_country": "ISO code the marts describe",
         "synthetic": "true when built from the generated demo mirror: never cite such numbers",
         "sources": "dataset -> sha256 of the file each table was built from",
         "mirror": "the mirror the sources came from (folder, or URL without credentials); NULL for the official URLs"},
    ),
    "meta_validation_runs": (
        "One row per Great Expectations validation of the run that built this warehouse: table, suite, time, "
        "duration, outcome, failures.",
        {"run_id": "Dagster run that validated (the one that built this warehouse)"},
    ),
}


def record_provenance(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str | None = None) -> int:
    """`meta_download_provenance`: the latest download of each dataset (what the build reads), stamped with
    `run_id` (the Dagster run). Rebuilds replace it: it never grows; the full log stays in provenance.jsonl."""
    import pandas as pd

    rows = provenance.read_provenance(settings.raw_dir)
    columns = [*PROVENANCE_COLUMNS, "log_order"]
    frame = pd.DataFrame([{**{c: r.get(c) for c in PROVENANCE_COLUMNS}, "log_order": i} for i, r in enumerate(rows)],
                         columns=columns)
    frame["url"] = [catalog.redact(r["url"]) if r.get("url") else None for r in rows]  # rows logged before redaction
    frame["release"] = [json.dumps(r["release"], sort_keys=True) if r.get("release") else None for r in rows]
    warehouse.set_variables(con, {"run_id": run_id})
    con.register("provenance_frame", frame.astype(object))
    try:
        queries.run(con, "write_download_provenance")
    finally:
        con.unregister("provenance_frame")
    return con.execute("SELECT count(*) FROM meta_download_provenance").fetchone()[0]


def record_build_info(con: duckdb.DuckDBPyConnection, settings: Settings, datasets: dict[str, str], synthetic: bool,
                      run_id: str | None = None) -> None:
    """`meta_build`: one row describing this build, with the run that built it."""
    warehouse.set_variables(con, {"run_id": run_id})
    queries.run(con, "write_meta_build", {
        "built_at": datetime.now(UTC), "code": code_fingerprint(), "version": __version__,
        "focus": settings.focus_country, "synthetic": synthetic, "sources": json.dumps(datasets, sort_keys=True),
        "mirror": catalog.mirror_label(settings.mirror),
    })


def describe_meta_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Descriptions of the tables the pipeline writes outside the SQL models."""
    present = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for table, (description, columns) in META_DOCS.items():
        if table in present:
            warehouse.describe_table(con, table, description, columns)


def run_sql_model(con: duckdb.DuckDBPyConnection, settings: Settings, name: str) -> int:
    """Run one SQL model against the build file with the installation's variables; return its row count."""
    warehouse.set_variables(con, model_variables(settings))
    model = warehouse.load_models()[name]
    rows = warehouse.run_model(con, model)
    progress.fault_point(model.layer)
    return rows


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


ROLE_OF_MEMBER = {"project.csv": "projects", "organization.csv": "organizations"}
ROLE_OF_LAYOUT = {"cordis-legacy-project": "projects", "cordis-legacy-organization": "organizations"}


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


def reference_inputs(settings: Settings) -> dict[str, Path]:
    """cordisref files by dataset key."""
    return {d.key: latest_fetched(settings, d.key).path for d in catalog.load_catalog().values() if d.kind == "reference"}


def staging_counts(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, dict]:
    """Rows of each table, in total and by framework programme."""
    counts: dict[str, dict] = {}
    for table in tables:
        by = {str(k): v for k, v in con.execute(f"SELECT framework_programme, count(*) FROM {table} GROUP BY ALL ORDER BY 1").fetchall()}
        counts[table] = {"total": sum(by.values()), "by_programme": by}
    return counts


def row_count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def published_summary(settings: Settings) -> list[str]:
    """A few lines on the published warehouse: where it is and participations per programme."""
    if not settings.warehouse_path.exists():
        return ["No published warehouse yet."]
    con = warehouse.open_readonly(settings.warehouse_path)
    try:
        rows = queries.run(con, "published_summary").fetchall()
    finally:
        con.close()
    lines = [f"Published warehouse: {settings.warehouse_path}"]
    if any(row[2] for row in rows):
        lines.append("SYNTHETIC DATA: built from a generated demo mirror, not from CORDIS.")
    lines += [f"  {programme}: {count:,} participations" for programme, count, _ in rows]
    return lines


def stage_programmes(con: duckdb.DuckDBPyConnection, settings: Settings, programmes: list[str]) -> dict:
    """Read the programmes' downloaded files into their slices of the staging tables (models run once)."""
    from bilatrus_etl.ingest import staging

    items = []
    for programme in programmes:
        files, names = programme_inputs(settings, programme)
        items.append(staging.ProgrammeFiles(programme, files, names, _dataset_of_role(programme)))
    label = f"stage {', '.join(programmes)}"
    with progress.step(label):
        reports = staging.stage_programmes(con, items)
        progress.fault_point("stage")
    staged = sum(r.staged_rows for r in reports.values())
    quarantined = sum(r.quarantined_rows for r in reports.values())
    flagged = sum(r.flagged_rows for r in reports.values())
    progress.done(label, f"{staged:,} rows staged ({flagged:,} with flagged values), {quarantined:,} quarantined")
    return reports


def _dataset_of_role(programme: str) -> dict[str, str]:
    roles: dict[str, str] = {}
    for dataset in catalog.datasets_for_programme(programme):
        if dataset.members:
            roles.update({ROLE_OF_MEMBER[m]: dataset.key for m in dataset.members if m in ROLE_OF_MEMBER})
        elif dataset.layout in ROLE_OF_LAYOUT:
            roles[ROLE_OF_LAYOUT[dataset.layout]] = dataset.key
    return roles


def stage_reference(con: duckdb.DuckDBPyConnection, settings: Settings) -> "staging.StageReport":
    """Read the cordisref tables into the reference staging tables and code maps."""
    from bilatrus_etl.ingest import staging

    with progress.step("stage reference tables"):
        report = staging.stage_reference(con, reference_inputs(settings))
    progress.done("stage reference tables", f"{report.staged_rows:,} rows")
    return report


def registry_path(settings: Settings) -> Path:
    """The ROR dump's registry file: the extracted JSON member when there is one, else the downloaded file."""
    fetched = latest_fetched(settings, "ror_dump")
    return next(iter(fetched.members.values()), fetched.path)


def build_institutions(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    from bilatrus_etl import institutions

    with progress.step("read ROR registry"):
        rows = institutions.build_institutions(con, registry_path(settings), settings.focus_country)
    progress.done("read ROR registry", f"{rows:,} institutions of {settings.focus_country}")
    return rows


def link_institutions(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict:
    from bilatrus_etl import institutions

    step = f"match {settings.focus_country} participants to institutions"
    with progress.step(step):
        links = institutions.link_institutions(con, settings.focus_country)
    matched = int(links["ror_id"].notna().sum())
    progress.done(step, f"{matched:,} of {len(links):,} matched")
    return {
        "rows": len(links),
        "matched": matched,
        "unmatched": len(links) - matched,
        "by_method": {str(k): int(v) for k, v in links["method"].value_counts().items()},
    }


def build_network(con: duckdb.DuckDBPyConnection) -> int:
    from bilatrus_etl.warehouse import network

    with progress.step("network measures"):
        rows = network.build_network(con)
    progress.done("network measures", f"{rows:,} organisations")
    return rows


def validate(
    con: duckdb.DuckDBPyConnection, settings: Settings, table: str, run_id: str | None = None
) -> "quality.ValidationOutcome":
    """Validate one table with its suite, record the run (with `run_id`, the Dagster run), rebuild the Data Docs."""
    from bilatrus_etl import quality

    with progress.step(f"validate {table}"):
        outcome = quality.validate_table(con, table, data_docs_dir=settings.docs_dir / "gx", docs_policy="on_failure")
        quality.record_validation_run(con, outcome, run_id=run_id)
        progress.fault_point("validate")
    verdict = "passed" if outcome.success else ("warnings" if outcome.passed_errors else "FAILED")
    progress.done(f"validate {table}", f"{verdict} ({outcome.evaluated} expectations)")
    return outcome


def keep_run_rows(con: duckdb.DuckDBPyConnection, run_id: str | None) -> dict[str, int]:
    """Delete the rows of other runs from the run-stamped meta tables (the build file outlives runs), so the
    published warehouse holds only the rows of the run that built it; return the rows deleted per table."""
    present = {row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_columns() WHERE column_name = 'run_id' AND schema_name = current_schema()"
    ).fetchall()}
    deleted = {}
    for table in sorted(present & set(RUN_STAMPED_TABLES)):
        deleted[table] = con.execute(f'DELETE FROM "{table}" WHERE run_id IS DISTINCT FROM ?', [run_id]).fetchone()[0]
    return deleted


RUN_STAMPED_TABLES = ("meta_download_provenance", "meta_validation_runs", "meta_build")


def publish(settings: Settings, build_path: str | Path, run_id: str | None = None) -> dict:
    """Stamp the build (meta_build, data dictionary), keep only this run's meta rows, record
    the vintage history, publish it atomically.
    `run_id` is the Dagster run that built the warehouse."""
    from bilatrus_etl.warehouse import dictionary
    from bilatrus_etl.warehouse import vintages

    datasets = current_sources(settings)
    synthetic = mirror_is_synthetic(settings)
    with progress.step("publish"):
        con = duckdb.connect(str(build_path))
        try:
            warehouse.set_variables(con, model_variables(settings))
            record_build_info(con, settings, datasets, synthetic, run_id)
            record_provenance(con, settings, run_id)
            keep_run_rows(con, run_id)
            history = vintages.record(con, settings, datasets=datasets, synthetic=synthetic,
                                      code_fingerprint=code_fingerprint(), run_id=run_id)
            describe_meta_tables(con)
            docs = dictionary.build(con, settings.docs_dir / "data-dictionary.md", strict=True)
        finally:
            con.close()
        build_data_docs(settings)
        progress.fault_point("publish")
        result = warehouse.publish(build_path, settings.warehouse_path, settings.previous_warehouse_path)
    progress.done("publish", f"{result.tables} tables -> {result.published_path}")
    return {
        "warehouse": result.published_path,
        "tables": result.tables,
        "bytes": result.bytes,
        "synthetic": synthetic,
        "dictionary": settings.docs_dir / "data-dictionary.md",
        "documented_tables": len(docs),
        "vintage_recorded": history.recorded.label if history.recorded else None,
        "vintages": len(history.vintages),
    }


def stage_dashboards(con: duckdb.DuckDBPyConnection, settings: Settings) -> list:
    """Load the analyst-supplied Horizon Dashboard exports (none: remove any loaded before)."""
    from bilatrus_etl.ingest import staging

    with progress.step("stage Dashboard exports"):
        reports = staging.stage_dashboards(con, list(settings.dashboard_exports))
    progress.done("stage Dashboard exports", f"{len(reports)} file(s), {sum(r.staged_rows for r in reports):,} rows")
    return reports


def build_data_docs(settings: Settings) -> Path | None:
    """Rebuild the Great Expectations Data Docs site once from every stored validation result."""
    from bilatrus_etl import quality

    folder = settings.docs_dir / "gx"
    if not folder.exists():
        return None
    return quality.build_data_docs(folder)




def vintage_changes(settings: Settings, max_rows: int = 50) -> dict:
    """What changed between the last two vintages of the published warehouse (for the history asset's metadata)."""
    from bilatrus_etl.warehouse import vintages

    con = warehouse.open_readonly(settings.warehouse_path)
    try:
        listed = vintages.list_vintages(con).column("vintage").to_pylist()
        if len(listed) < 2:
            only = listed[-1] if listed else None
            return {"vintages": len(listed), "from": None, "to": only, "counts": {},
                    "markdown": f"Only {len(listed)} vintage(s) recorded: nothing to compare yet."}
        change = vintages.diff_connection(con)
    finally:
        con.close()
    return {"vintages": len(listed), "from": change.from_vintage["vintage"], "to": change.to_vintage["vintage"],
            "counts": change.counts(), "markdown": change.markdown(max_rows)}

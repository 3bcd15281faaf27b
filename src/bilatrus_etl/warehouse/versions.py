"""Code and data versions of the pipeline's assets, for Dagster's change detection.

A code version hashes what shapes an asset besides its inputs (its SQL file, its suite, the curated reference
tables, the library's Python for Python steps); a data version of a download is the sha256 of its file(s).
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from stat import S_ISREG

from bilatrus_etl import __version__
from bilatrus_etl.ingest.steps import FetchedSource, current_sources
from bilatrus_etl.resources import EXPECTATIONS_DIR, PACKAGE_DIR, REFERENCE_DIR, SQL_DIR
from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse.models import load_models


def code_fingerprint() -> str:
    """Hash of everything that shapes the warehouse besides the data: SQL, suites, reference tables, version."""
    return _hash_files(
        [p for folder in (SQL_DIR, EXPECTATIONS_DIR, REFERENCE_DIR) for p in folder.rglob("*")], __version__, length=64
    )


def _hash_files(paths: list[Path], *extra: str, length: int = 16) -> str:
    """sha256 over the files' package-relative names and bytes (in the order of their paths), plus any extra strings.
    (Each Python step's code version hashes the whole library at start-up: one stat per file, names cut as strings.)"""
    digest = hashlib.sha256("\0".join(extra).encode())
    prefix = f"{PACKAGE_DIR}{os.sep}"
    for path in sorted(paths, key=lambda p: p.parts):
        try:
            stat = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if not S_ISREG(stat.st_mode):
            continue
        name = str(path)
        digest.update((name[len(prefix) :] if name.startswith(prefix) else str(path.relative_to(PACKAGE_DIR))).encode())
        digest.update(_file_bytes(path, stat.st_mtime_ns, stat.st_size))
    return digest.hexdigest()[:length]


@cache
def _file_bytes(path: Path, _mtime_ns: int, _size: int) -> bytes:
    """A file's bytes, read once per process while its modification time and size stay the same (the Python
    steps' code versions each hash the whole library)."""
    return path.read_bytes()


# The SQL that Python steps run besides the models: named queries (sql/queries) and SQL functions (sql/functions)
PYTHON_STEP_SQL = ("queries", "functions")


@cache
def _library_files() -> tuple[Path, ...]:
    """The library's Python sources, the SQL its steps run besides the models, and the curated reference tables
    (listed once per process)."""
    step_sql = [path for folder in PYTHON_STEP_SQL for path in (SQL_DIR / folder).rglob("*.sql")]
    return (*PACKAGE_DIR.rglob("*.py"), *step_sql, *REFERENCE_DIR.rglob("*"))


def _suite_file(table: str) -> Path:
    return EXPECTATIONS_DIR / f"{table}.json"


def model_code_version(name: str) -> str:
    """A SQL model's code version: the hash of its .sql file, its suite, and the curated tables it reads."""
    model = load_models()[name]
    files = [model.path, _suite_file(name)]
    if "reference_dir" in model.sql:
        files += list(REFERENCE_DIR.rglob("*"))
    return _hash_files(files)


def python_code_version(tables: list[str]) -> str:
    """Code version of a step written in Python: the library's Python sources, named queries and SQL functions, the
    SQL models the step runs itself, the suites of its tables and the curated tables."""
    models = load_models()
    files = list(_library_files())
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

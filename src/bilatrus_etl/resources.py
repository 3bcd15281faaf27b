"""Where the files the pipeline reads at run time live: package data, found with importlib.resources.

The SQL models and named queries (sql/), the Great Expectations suites (expectations/), the curated
reference tables (reference/) and the source catalog (catalog/) ship inside the package, so a wheel
installed anywhere (not only this checkout) runs everything. This is the one module that knows where.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE = "bilatrus_etl"


def package_dir() -> Path:
    """The installed package folder (a real directory: wheels are installed unpacked)."""
    return Path(str(resources.files(PACKAGE)))


PACKAGE_DIR = package_dir()
SQL_DIR = PACKAGE_DIR / "sql"
QUERIES_DIR = SQL_DIR / "queries"
EXPECTATIONS_DIR = PACKAGE_DIR / "expectations"
REFERENCE_DIR = PACKAGE_DIR / "reference"
CATALOG_DIR = PACKAGE_DIR / "catalog"
VENDOR_DIR = PACKAGE_DIR / "vendor"
REPORT_TEMPLATES_DIR = PACKAGE_DIR / "report" / "templates"


def relative(path: Path) -> str:
    """A packaged file's path relative to the package, for messages and metadata (e.g. sql/core/x.sql)."""
    try:
        return str(Path(path).resolve().relative_to(PACKAGE_DIR.resolve()))
    except ValueError:
        return str(path)

"""Where things live: data directory, mirror, warehouse paths. Read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROGRAMMES: tuple[str, ...] = ("FP6", "FP7", "H2020", "HE")


@dataclass(frozen=True)
class Settings:
    """Paths and switches of one installation, resolved from environment variables."""

    data_dir: Path
    mirror: str | None
    focus_country: str = "RU"
    dashboard_exports: tuple[Path, ...] = ()

    @classmethod
    def from_env(cls, mirror: str | None = None, data_dir: str | os.PathLike | None = None) -> Settings:
        data = Path(data_dir or os.environ.get("BILATRUS_DATA_DIR") or "data").resolve()
        mirror = mirror if mirror is not None else (os.environ.get("BILATRUS_MIRROR") or None)
        focus = (os.environ.get("BILATRUS_FOCUS_COUNTRY") or "RU").upper()
        return cls(
            data_dir=data,
            mirror=mirror,
            focus_country=focus,
            dashboard_exports=dashboard_paths(os.environ.get("BILATRUS_DASHBOARD", "")),
        )

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def build_path(self) -> Path:
        """The working DuckDB file that assets write into; never opened by analysts."""
        return Path(os.environ.get("BILATRUS_BUILD_DB") or self.warehouse_dir / "build.duckdb")

    @property
    def warehouse_path(self) -> Path:
        """The published, read-only warehouse analysts open."""
        return Path(os.environ.get("BILATRUS_WAREHOUSE") or self.warehouse_dir / "bilatrus.duckdb")

    @property
    def previous_warehouse_path(self) -> Path:
        return self.warehouse_path.with_name(self.warehouse_path.stem + ".previous.duckdb")

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME") or self.data_dir / "dagster")

    @property
    def docs_dir(self) -> Path:
        return self.data_dir / "docs"

    @property
    def reports_dir(self) -> Path:
        """Where the landscape report is written (index.html, institutions/)."""
        return self.data_dir / "reports"


def dashboard_paths(value: str) -> tuple[Path, ...]:
    """Horizon Dashboard exports from a list of files or folders (separated like PATH): .csv and .xlsx files."""
    paths: list[Path] = []
    for part in filter(None, (p.strip() for p in value.split(os.pathsep))):
        path = Path(part).resolve()
        if path.is_dir():
            paths += sorted(p for p in path.iterdir() if p.suffix.lower() in {".csv", ".xlsx"})
        else:
            paths.append(path)
    return tuple(paths)

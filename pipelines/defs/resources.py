"""Resources: the installation's settings and the build DuckDB file, configured from the environment."""


import os

import dagster as dg
from dagster_duckdb import DuckDBResource

from bilatrus_etl.settings import Settings, dashboard_paths


class BilatrusConfig(dg.ConfigurableResource):
    """Where data lives and where sources come from (BILATRUS_DATA_DIR, BILATRUS_MIRROR, BILATRUS_FOCUS_COUNTRY,
    BILATRUS_DASHBOARD: optional Horizon Dashboard exports supplied by an analyst)."""

    data_dir: str = "data"
    mirror: str = ""
    focus_country: str = "RU"
    dashboard: str = ""
    force: bool = False

    def settings(self) -> Settings:
        base = Settings.from_env(mirror=self.mirror or None, data_dir=self.data_dir)
        return Settings(data_dir=base.data_dir, mirror=base.mirror, focus_country=self.focus_country.upper(),
                        dashboard_exports=dashboard_paths(self.dashboard))


def default_resources() -> dict[str, object]:
    settings = Settings.from_env()
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "bilatrus": BilatrusConfig(
            data_dir=str(settings.data_dir),
            mirror=os.environ.get("BILATRUS_MIRROR", ""),
            focus_country=settings.focus_country,
            dashboard=os.environ.get("BILATRUS_DASHBOARD", ""),
            force=os.environ.get("BILATRUS_FORCE", "") in {"1", "true", "yes"},
        ),
        "duckdb": DuckDBResource(database=str(settings.build_path)),
    }

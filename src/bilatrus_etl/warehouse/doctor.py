"""`bilatrus doctor`: configuration, sources reachable, last download and publish, where the docs are."""

from __future__ import annotations

import sys
from pathlib import Path

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import catalog, http, provenance
from bilatrus_etl.settings import Settings
from bilatrus_etl.warehouse.meta import published_manifest
from bilatrus_etl.warehouse.versions import code_fingerprint

Row = tuple[str, bool | None, str]


def _configuration(settings: Settings) -> list[Row]:
    mirror = catalog.redact(settings.mirror) if settings.mirror else "none: official URLs"
    return [
        ("data directory (BILATRUS_DATA_DIR)", settings.data_dir.exists(), str(settings.data_dir)),
        ("mirror (BILATRUS_MIRROR)", None, mirror),
        ("focus country (BILATRUS_FOCUS_COUNTRY)", None, settings.focus_country),
        ("Dagster instance (DAGSTER_HOME)", settings.dagster_home.exists(), str(settings.dagster_home)),
        ("build file", settings.build_path.exists(), str(settings.build_path)),
        ("published warehouse", settings.warehouse_path.exists(), str(settings.warehouse_path)),
    ]


def _sources(settings: Settings, check_network: bool) -> list[Row]:
    rows: list[Row] = []
    for dataset in catalog.load_catalog().values():
        try:
            url = catalog.resolve_url(dataset, settings.mirror)
        except Exception as err:  # a mirror folder without the file: say so, keep going
            rows.append((dataset.key, False, catalog.redact(str(err))))
            continue
        shown = catalog.redact(url)
        if not check_network:
            rows.append((dataset.key, None, shown))
            continue
        ok, detail = http.check_reachable(url, timeout=5.0)
        rows.append((dataset.key, ok, f"{shown}: {detail}"))
    return rows


def _last_run(settings: Settings) -> list[Row]:
    rows: list[Row] = []
    downloads = provenance.read_provenance(settings.raw_dir)
    if downloads:
        last = downloads[-1]
        rows.append(("last download", True, f"{last['dataset']} at {last['fetched_at']} (HTTP {last['http_status']})"))
    else:
        rows.append(("last download", None, "none yet"))
    manifest = published_manifest(settings)
    if manifest:
        flag = " (SYNTHETIC demo data)" if manifest.get("synthetic") else ""
        rows.append(("last publish", True, f"{manifest['published_at']}{flag}"))
        current = manifest.get("code") == code_fingerprint()
        rows.append(("published with the current SQL and suites", current, "yes" if current else "no: run again"))
    else:
        rows.append(("last publish", None, "none yet: run `make run` (or `make demo`)"))
    return rows


def _last_publish(settings: Settings) -> list[Row]:
    """What the published warehouse itself says about its build (meta_build), and the previous one kept."""
    from bilatrus_etl.warehouse import published

    if not settings.warehouse_path.exists():
        return []
    try:
        state = published.read_state(settings.warehouse_path)
    except BilatrusError as err:
        return [("published warehouse", False, str(err))]
    rows: list[Row] = [
        (
            "published warehouse built",
            True,
            f"{state.built_at or 'unknown'}{' (SYNTHETIC demo data)' if state.synthetic else ''}",
        ),
        ("mirror of the last publish", None, state.mirror_text()),
        ("programmes of the last publish", None, state.programmes_text()),
    ]
    previous = settings.previous_warehouse_path
    if previous.exists():
        try:
            rows.append(
                (
                    "previous warehouse (`bilatrus rollback`)",
                    None,
                    f"built {published.read_state(previous).built_at or 'unknown'}",
                )
            )
        except BilatrusError as err:
            rows.append(("previous warehouse (`bilatrus rollback`)", False, str(err)))
    else:
        rows.append(("previous warehouse (`bilatrus rollback`)", None, "none kept yet"))
    return rows


def _docs(settings: Settings) -> list[Row]:
    gx_index = settings.docs_dir / "gx" / "index.html"
    dictionary = settings.docs_dir / "data-dictionary.md"  # written by every publish
    return [
        ("Great Expectations Data Docs", gx_index.exists(), str(_find_index(settings.docs_dir) or gx_index)),
        ("data dictionary", dictionary.exists(), str(dictionary)),
    ]


def _find_index(docs_dir: Path) -> Path | None:
    found = sorted(docs_dir.glob("**/index.html")) if docs_dir.exists() else []
    return found[0] if found else None


def diagnose(settings: Settings, *, check_network: bool = True) -> dict[str, list[Row]]:
    """Sections of (label, ok, detail) rows: ok is True, False, or None for information only."""
    report = {
        "configuration": _configuration(settings),
        "sources": _sources(settings, check_network),
        "last run": _last_run(settings) + _last_publish(settings),
        "documentation": _docs(settings),
    }
    report["configuration"].append(("Python", None, sys.version.split()[0]))
    return report

"""Great Expectations Data Docs: one site per docs folder, configured in GX's own site and store terms.

A folder (`<docs_dir>/gx` in the pipeline) holds a GX `ValidationResultsStore` on disk (`.results/`, so the index
lists the runs of every process, not only this one's) and a `SiteBuilder` site whose validations section reads
that store (GX's documented `data_docs_sites` configuration). `write_data_docs` stores one table's combined
validation result under a `ValidationResultIdentifier` and, when asked, builds its page; `build_data_docs`
rebuilds the whole site once (the pipeline does so at publish). Retention goes through GX's public API: the
store's `list_keys` / `remove_key` and `get_docs_sites_urls` for the page of a removed result, keeping the
DOCS_RUNS_KEPT latest runs of each suite and batch. After every build, offline_docs vendors the CDN assets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from bilatrus_etl.quality import offline_docs
from bilatrus_etl.quality.context import GX_LOCK, gx_context
from bilatrus_etl.quality.report import statistics

# Data Docs keep the latest runs of each suite and batch; older results and pages are deleted, so the
# index (rebuilt by every validation) stays quick to build and the folder does not grow run after run.
DOCS_RUNS_KEPT = 3
DOCS_INDEX_LIMIT = 40  # results listed on the index page, newest first: the last full run and more
_DOCS_SITES: dict[str, tuple[str, str]] = {}


def docs_site(data_docs_dir: Path) -> tuple[str, str]:
    """(site name, validation-results store name) for one Data Docs folder, added to the context once."""
    key = str(data_docs_dir.resolve())
    with GX_LOCK:
        if key not in _DOCS_SITES:
            context = gx_context()
            suffix = hashlib.sha1(key.encode()).hexdigest()[:10]
            store_name, site_name = f"bilatrus_results_{suffix}", f"bilatrus_site_{suffix}"
            context.add_store(
                store_name,
                {
                    "class_name": "ValidationResultsStore",
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": f"{key}/.results"},
                },
            )
            context.add_data_docs_site(
                site_name,
                {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": key},
                    "site_index_builder": {
                        "class_name": "DefaultSiteIndexBuilder",
                        "validation_results_limit": DOCS_INDEX_LIMIT,
                    },
                    "site_section_builders": {
                        "validations": {"source_store_name": store_name},
                        "profiling": "None",
                        "expectations": "None",
                    },
                },
            )
            _DOCS_SITES[key] = (site_name, store_name)
        return _DOCS_SITES[key]


def write_data_docs(
    data_docs_dir: Path,
    table: str,
    scope: tuple[str, ...] | None,
    suite_name: str,
    results: list[Any],
    batch_meta: Mapping[str, Any],
    run_name: str | None,
    started_at: datetime,
    parameters: Mapping[str, Any],
    build: bool = True,
) -> tuple[Path, Path | None]:
    """Store one table's results as one GX validation result; build its page when `build`.

    Returns (index.html, the result's page or None when not built)."""
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    data_docs_dir.mkdir(parents=True, exist_ok=True)
    stats = statistics(results)
    run_id = RunIdentifier(run_name=run_name or "bilatrus", run_time=started_at)
    combined = ExpectationSuiteValidationResult(
        results=results,
        success=stats["unsuccessful_expectations"] == 0,
        suite_name=suite_name,
        statistics=stats,
        suite_parameters=dict(parameters),
        meta={**batch_meta, "run_id": run_id, "validation_time": started_at, "table": table},
    )
    batch_identifier = table if not scope else f"{table}-{'-'.join(scope)}"
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
        run_id=run_id,
        batch_identifier=batch_identifier,
    )
    with GX_LOCK:
        context = gx_context()
        site_name, store_name = docs_site(data_docs_dir)
        context.stores[store_name].set(key, combined)
        prune_docs(data_docs_dir, suite_name, DOCS_RUNS_KEPT)
        if not build:  # stored now; the site is rebuilt once by build_data_docs()
            return data_docs_dir / "index.html", None
        context.build_data_docs(site_names=[site_name], resource_identifiers=[key])
        page = _page(context, site_name, key)
        offline_docs.make_offline(data_docs_dir)
    return data_docs_dir / "index.html", page


def build_data_docs(data_docs_dir: Path | str) -> Path:
    """Rebuild the whole Data Docs site from the stored results under data_docs_dir; return index.html."""
    data_docs_dir = Path(data_docs_dir)
    data_docs_dir.mkdir(parents=True, exist_ok=True)
    with GX_LOCK:
        context = gx_context()
        site_name, _ = docs_site(data_docs_dir)
        context.build_data_docs(site_names=[site_name])
        offline_docs.make_offline(data_docs_dir)
    return data_docs_dir / "index.html"


def prune_docs(data_docs_dir: Path, suite_name: str, keep: int) -> int:
    """Remove all but the `keep` latest stored results of one suite, per batch, with their pages; return how
    many results were removed. Through GX's store API (list_keys, remove_key) and get_docs_sites_urls."""
    with GX_LOCK:
        context = gx_context()
        site_name, store_name = docs_site(data_docs_dir)
        store = context.stores[store_name]
        by_batch: dict[str, list[Any]] = {}
        for key in store.list_keys():
            suite = getattr(key, "expectation_suite_identifier", None)
            if suite is not None and suite.name == suite_name:
                by_batch.setdefault(str(key.batch_identifier), []).append(key)
        removed = 0
        for keys in by_batch.values():
            keys.sort(key=lambda k: str(k.run_id.to_tuple()[1]))  # run_time, e.g. 20261127T164047.035763Z
            for old in keys[:-keep] if keep > 0 else keys:
                page = _page(context, site_name, old)
                if page is not None:
                    page.unlink(missing_ok=True)
                store.remove_key(old)
                removed += 1
    return removed


def _page(context: Any, site_name: str, key: Any) -> Path | None:
    """The local file of one result's page on the site, or None when it has not been built."""
    urls = context.get_docs_sites_urls(resource_identifier=key, site_name=site_name, only_if_exists=True)
    url = (urls[0].get("site_url") or "") if urls else ""
    return Path(url.removeprefix("file://")) if url.startswith("file://") else None

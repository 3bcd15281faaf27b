"""Great Expectations Data Docs: one site per docs folder, configured in GX's own site and store terms.

A folder (`<docs_dir>/gx` in the pipeline) holds a GX `ValidationResultsStore` on disk (`.results/`, so the index
lists the runs of every process, not only this one's) and a `SiteBuilder` site whose validations section reads
that store (GX's documented `data_docs_sites` configuration). Checkpoints store their results there while
`results_store` makes it the context's validation results store, and GX's `UpdateDataDocsAction` (`docs_action`)
builds the pages of a run; `build_data_docs` rebuilds the whole site once (the pipeline does so at publish).
Retention goes through GX's public API: the store's `list_keys` / `remove_key` and `get_docs_sites_urls` for the
page of a removed result, keeping the DOCS_RUNS_KEPT latest runs of each suite and batch. After every build,
offline_docs vendors the CDN assets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from bilatrus_etl.quality import offline_docs
from bilatrus_etl.quality.context import GX_LOCK, gx_context

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
            site_config: Any = {
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
            }  # GX's typed dict of site configs omits keys SiteBuilder takes (show_how_to_buttons, section builders)
            context.add_data_docs_site(site_name, site_config)
            _DOCS_SITES[key] = (site_name, store_name)
        return _DOCS_SITES[key]


@contextmanager
def results_store(data_docs_dir: Path | None) -> Iterator[str | None]:
    """While open, the context's validation results store is the one of `data_docs_dir`'s site (GX's
    `validation_results_store_name`), so the results checkpoints store land in that folder; yields the site's
    name (None without a folder: results go to the context's in-memory store, see `forget_results`)."""
    with GX_LOCK:
        if data_docs_dir is None:
            yield None
            return
        data_docs_dir.mkdir(parents=True, exist_ok=True)
        # Set on the ephemeral context's variables, which the property reads: its setter also writes the whole
        # project config out as YAML into the context's in-memory store, which nothing reads (~15 ms, twice a table).
        variables = gx_context().variables
        site_name, store_name = docs_site(data_docs_dir)
        previous = variables.validation_results_store_name
        variables.validation_results_store_name = store_name
        try:
            yield site_name
        finally:
            if previous is not None:
                variables.validation_results_store_name = previous


def make_room(data_docs_dir: Path, suite_name: str) -> int:
    """Before a run stores its results: keep DOCS_RUNS_KEPT - 1 earlier runs of the suite, so the index the
    run's UpdateDataDocsAction builds lists only results that are kept."""
    return prune_docs(data_docs_dir, suite_name, DOCS_RUNS_KEPT - 1)


def forget_results(keys: Sequence[Any]) -> None:
    """Remove results stored in the context's default (in-memory) store: without Data Docs nobody reads them."""
    with GX_LOCK:
        store = gx_context().validation_results_store
        for key in keys:
            store.remove_key(key)


def docs_action(site_name: str) -> Any:
    """GX's UpdateDataDocsAction for one site: builds the page of each result of a checkpoint run and the index."""
    from great_expectations.checkpoint import UpdateDataDocsAction

    return UpdateDataDocsAction(name="update_data_docs", site_names=[site_name])


def result_page(data_docs_dir: Path, key: Any) -> Path | None:
    """The local file of one stored result's page on the site of `data_docs_dir`, or None when not built."""
    with GX_LOCK:
        site_name, _ = docs_site(data_docs_dir)
        return _page(gx_context(), site_name, key)


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
    return Path(unquote(url.removeprefix("file://"))) if url.startswith("file://") else None

"""Which upstream release a dataset stands for at run time: the newest record of a Zenodo concept record.

Every ROR release is a new Zenodo record under one concept record (10.5281/zenodo.6347574). Without a mirror,
`current` asks Zenodo's records API for the concept's latest version (GET <api>/records/<concept>/versions/latest,
which answers with the newest record), picks the file matching the dataset's `mirror_glob` from the record's
`files[]` (`key`, `links.self`, `checksum` "md5:..."), and returns the dataset pointing at that file, carrying a
`Release` that `fetch.download` checks (md5) and records (provenance.jsonl, meta_download_provenance). When the
API cannot be reached or answers something unusable, the catalog's pinned file is used with a warning. A mirror
(folder or web server) is never second-guessed: it holds the release the operator chose.

BILATRUS_ZENODO_API overrides the API base (default https://zenodo.org/api), e.g. for a proxy or a test server.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import replace
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.ingest import http
from bilatrus_etl.ingest.catalog import Dataset, Release, official_file_name, redact, version_key

log = logging.getLogger(__name__)

ZENODO_API = "https://zenodo.org/api"
ZENODO_API_ENV = "BILATRUS_ZENODO_API"
ZENODO_DOI_PREFIX = "10.5281/zenodo."
API_TIMEOUT = (4.0, 20.0)
_MD5 = re.compile(r"md5:[0-9a-fA-F]{32}")


class ReleaseLookupError(BilatrusError):
    """The records API could not name the newest release (unreachable, an error status, an unexpected answer)."""


def api_base() -> str:
    return (os.environ.get(ZENODO_API_ENV) or ZENODO_API).rstrip("/")


def latest_version_url(concept: str) -> str:
    return f"{api_base()}/records/{concept}/versions/latest"


def current(dataset: Dataset, mirror: str | None, *, session: requests.Session | None = None) -> Dataset:
    """The dataset as it should be downloaded now.

    Unchanged with a mirror or without a `zenodo_concept`; otherwise pointing at the newest release's file (with
    its `Release`), or at the pinned catalog file with a `Release` whose `warning` says why the API was not used.
    """
    if mirror or not dataset.zenodo_concept:
        return dataset
    try:
        release, url = latest_release(dataset, session=session)
    except ReleaseLookupError as err:
        pinned = pinned_release(dataset, warning=str(err))
        log.warning("%s", pinned.warning)
        return replace(dataset, release=pinned)
    log.info("%s: newest release %s (record %s, %s)", dataset.key, release.version, release.record_id, release.file)
    return replace(dataset, url=url, release=release)


def latest_release(dataset: Dataset, *, session: requests.Session | None = None) -> tuple[Release, str]:
    """(the newest release of the dataset's concept record, the address of its file), from the records API."""
    assert dataset.zenodo_concept, f"{dataset.key} has no zenodo_concept"
    api = latest_version_url(dataset.zenodo_concept)
    record = _get_json(dataset, api, session)
    entry = _pick_file(dataset, api, record)
    url = str(((entry.get("links") or {}).get("self")) or "")
    if urlsplit(url).scheme.lower() not in http.REDIRECT_SCHEMES:
        raise ReleaseLookupError(_why(dataset, api, f"its file link {redact(url)!r} is not an http(s) address"))
    checksum = entry.get("checksum")
    if not isinstance(checksum, str) or not _MD5.fullmatch(checksum):
        raise ReleaseLookupError(
            _why(dataset, api, f"the file {entry.get('key')!r} has no md5 checksum (checksum {checksum!r})")
        )
    found = record.get("metadata")
    metadata: dict[str, Any] = found if isinstance(found, dict) else {}
    record_id = str(record.get("id") or record.get("recid") or "")
    release = Release(
        record_id=record_id,
        version=_text(metadata.get("version")),
        doi=_text(record.get("doi")) or (f"{ZENODO_DOI_PREFIX}{record_id}" if record_id else None),
        file=str(entry["key"]),
        checksum=checksum.lower(),
        source="zenodo-api",
        concept_doi=_text(record.get("conceptdoi")) or f"{ZENODO_DOI_PREFIX}{dataset.zenodo_concept}",
        published=_text(metadata.get("publication_date")),
        resolved_from=redact(api),
    )
    return release, url


def pinned_release(dataset: Dataset, *, warning: str) -> Release:
    """The release the catalog's pinned URL stands for (record id and version read from the URL and file name)."""
    match = re.search(r"/records?/(\d+)/", urlsplit(dataset.url).path)
    record_id = match[1] if match else ""
    name = official_file_name(dataset.url)
    version = re.match(r"v\d+(?:\.\d+)*", name)
    return Release(
        record_id=record_id,
        version=version[0] if version else None,
        doi=f"{ZENODO_DOI_PREFIX}{record_id}" if record_id else None,
        file=name,
        checksum=None,
        source="pinned",
        concept_doi=f"{ZENODO_DOI_PREFIX}{dataset.zenodo_concept}" if dataset.zenodo_concept else None,
        warning=warning,
    )


def _get_json(dataset: Dataset, api: str, session: requests.Session | None) -> dict[str, Any]:
    own = session is None
    session = session or http.make_session(
        retries=1, connect_retries=0, backoff_factor=0.5, connect_timeout=API_TIMEOUT[0], read_timeout=API_TIMEOUT[1]
    )
    try:
        response = session.get(api, headers={"Accept": "application/json"})
        with response:
            if response.status_code != 200:
                raise ReleaseLookupError(
                    _why(dataset, api, f"it answered HTTP {response.status_code} {response.reason or ''}".rstrip())
                )
            try:
                record = response.json()
            except ValueError as err:
                raise ReleaseLookupError(_why(dataset, api, f"its answer is not JSON ({err})")) from err
    except requests.RequestException as exc:
        raise ReleaseLookupError(_why(dataset, api, f"it could not be reached ({http.describe_error(exc)})")) from exc
    finally:
        if own:
            session.close()
    if not isinstance(record, dict):
        raise ReleaseLookupError(_why(dataset, api, "its answer is not a record (a JSON object)"))
    return record


def _pick_file(dataset: Dataset, api: str, record: dict[str, Any]) -> dict[str, Any]:
    """The record's file matching the dataset's mirror_glob (the newest version name when several do)."""
    files = record.get("files")
    if not isinstance(files, list):
        raise ReleaseLookupError(_why(dataset, api, "the record lists no files[]"))
    pattern = (dataset.mirror_glob or "*").lower()
    matching = [
        f
        for f in files
        if isinstance(f, dict) and isinstance(f.get("key"), str) and fnmatchcase(unquote(f["key"]).lower(), pattern)
    ]
    if not matching:
        names = ", ".join(str(f.get("key")) for f in files if isinstance(f, dict)) or "none"
        raise ReleaseLookupError(
            _why(
                dataset,
                api,
                f"the newest record ({record.get('id')}) holds no file matching {dataset.mirror_glob} (files: {names})",
            )
        )
    return max(matching, key=lambda f: version_key(f["key"]))


def _why(dataset: Dataset, api: str, cause: str) -> str:
    return redact(
        f"Dataset {dataset.key!r}: the newest release could not be resolved through Zenodo's records API "
        f"({api}): {cause}. Using the pinned release {dataset.url} instead; set {ZENODO_API_ENV} if the API lives "
        f"elsewhere, or put the newest {dataset.mirror_glob or dataset.file_name} in a mirror folder (BILATRUS_MIRROR)."
    )


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None

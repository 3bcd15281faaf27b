"""The catalog of datasets (official URLs, formats, licences) and how a mirror overrides their URLs.

The catalog is the data file `catalog/sources.json` inside the package (resources.CATALOG_DIR). A mirror
(BILATRUS_MIRROR) is either a local folder holding each file under its official name (the last segment of the
official URL, without the query string; datasets with a `mirror_glob` may instead hold any file matching it,
the newest version winning), or the base URL of a web server serving the same names.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from urllib.request import url2pathname

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.resources import CATALOG_DIR, relative
from bilatrus_etl.settings import PROGRAMMES

CATALOG_FILE = CATALOG_DIR / "sources.json"
FORMATS = frozenset({"csv", "zip"})
KINDS = frozenset({"programme", "reference", "registry"})
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Secrets a URL can carry: user:password@ (or a token as the user name) and query parameters that name a token, a
# key, a signature, a password or a credential (token=, access_token=, api_key=, X-Amz-Signature=, sig=, ...).
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s'\"<>]+@")
_SECRET_PARAM = re.compile(
    r"(?P<name>[?&;][^=&#\s'\"<>]*(?:token|key|sig|secret|passw|pwd|credential|auth|session)[^=&#\s'\"<>]*=)"
    r"[^&#\s'\"<>]*",
    re.IGNORECASE,
)
REDACTED = "***"


@dataclass(frozen=True)
class Release:
    """The upstream release a dataset was resolved to at run time (one Zenodo record of a concept record).

    `source` is "zenodo-api" when the records API named it, "pinned" when the catalog's own file was used
    (then `warning` says why, and `checksum` is unknown).
    """

    record_id: str
    version: str | None
    doi: str | None
    file: str
    checksum: str | None  # as the API gives it: "md5:<hex>"
    source: str
    concept_doi: str | None = None
    published: str | None = None
    resolved_from: str | None = None
    warning: str | None = None

    @property
    def md5(self) -> str | None:
        algorithm, _, value = (self.checksum or "").partition(":")
        return value.lower() if algorithm.lower() == "md5" and value else None

    def provenance(self) -> dict[str, str]:
        """The fields that are known, for provenance.jsonl and meta_download_provenance.release."""
        return {name: value for name, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class Dataset:
    """One upstream file as the catalog describes it (and, once resolved, the release it stands for)."""

    key: str
    kind: str
    programme: str | None
    url: str
    format: str
    layout: str
    licence: str
    description: str
    publisher: str = ""
    licence_url: str | None = None
    landing_page: str | None = None
    members: tuple[str, ...] = ()
    member_patterns: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    mirror_glob: str | None = None
    zenodo_concept: str | None = None  # a Zenodo concept record id: the newest release is resolved at run time
    release: Release | None = None  # set by releases.current(), never by the catalog

    @property
    def file_name(self) -> str:
        """The official file name: the release's file name, else the last segment of the URL path, without the
        query string."""
        return self.release.file if self.release else official_file_name(self.url)

    def member_specs(self) -> dict[str, tuple[str, ...]]:
        """Each expected archive member -> basename patterns to try in order (for `archive.extract`)."""
        patterns = dict(self.member_patterns)
        return {name: patterns.get(name, (name,)) for name in self.members}


def official_file_name(url: str) -> str:
    """Last segment of a URL's path, percent-decoded (`.../v2.0-ror-data.zip?download=1` -> `v2.0-ror-data.zip`)."""
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    if not name:
        raise BilatrusError(f"the URL {url} names no file (its path is empty); fix the catalog entry")
    return name


def redact(text: str) -> str:
    """`text` (a URL, or a message holding URLs) with credentials and tokens replaced by ***.

    The one place secrets are taken out of addresses: every URL written to a log, a message, provenance.jsonl or
    the warehouse goes through it. `https://user:pw@host/f.zip?token=abc&download=1` becomes
    `https://***@host/f.zip?token=***&download=1`.
    """
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", str(text))
    return _SECRET_PARAM.sub(lambda m: f"{m['name']}{REDACTED}", text)


def _dataset_from_json(entry: dict[str, Any], source: str) -> Dataset:
    try:
        patterns = entry.get("member_patterns") or {}
        dataset = Dataset(
            key=entry["key"],
            kind=entry["kind"],
            programme=entry.get("programme"),
            url=entry["url"],
            format=entry["format"],
            layout=entry["layout"],
            licence=entry["licence"],
            description=entry["description"],
            publisher=entry.get("publisher", ""),
            licence_url=entry.get("licence_url"),
            landing_page=entry.get("landing_page"),
            members=tuple(entry.get("members") or ()),
            member_patterns=tuple((name, tuple(globs)) for name, globs in patterns.items()),
            mirror_glob=entry.get("mirror_glob"),
            zenodo_concept=entry.get("zenodo_concept"),
        )
    except (KeyError, TypeError) as exc:
        raise BilatrusError(
            f"source catalog {source}: entry {entry.get('key', entry)!r} lacks or mistypes a field ({exc}); "
            "every dataset needs key, kind, programme, url, format, layout, licence and description"
        ) from exc
    _validate(dataset, source)
    return dataset


def _validate(dataset: Dataset, source: str) -> None:
    problems = []
    if dataset.kind not in KINDS:
        problems.append(f"kind {dataset.kind!r} is not one of {sorted(KINDS)}")
    if dataset.programme is not None and dataset.programme not in PROGRAMMES:
        problems.append(f"programme {dataset.programme!r} is not one of {list(PROGRAMMES)} or null")
    if dataset.format not in FORMATS:
        problems.append(f"format {dataset.format!r} is not one of {sorted(FORMATS)}")
    if not dataset.url.startswith("https://"):
        problems.append(f"url {dataset.url!r} is not an https URL")
    if dataset.zenodo_concept is not None and not str(dataset.zenodo_concept).isdigit():
        problems.append(f"zenodo_concept {dataset.zenodo_concept!r} is not a Zenodo record id (digits)")
    if dataset.zenodo_concept is not None and not dataset.mirror_glob:
        problems.append("a dataset with zenodo_concept needs mirror_glob, to pick its file from a release")
    if dataset.format == "zip" and not dataset.members:
        problems.append("a zip dataset must list its expected members")
    unknown = {name for name, _ in dataset.member_patterns} - set(dataset.members)
    if unknown:
        problems.append(f"member_patterns name members not in members: {sorted(unknown)}")
    if problems:
        raise BilatrusError(f"source catalog {source}: dataset {dataset.key!r}: " + "; ".join(problems))


@lru_cache(maxsize=8)
def _load(path: str | None) -> tuple[Dataset, ...]:
    file = CATALOG_FILE if path is None else Path(path)
    source = f"bilatrus_etl/{relative(file)}" if path is None else path
    text = file.read_text(encoding="utf-8")
    try:
        entries = json.loads(text)["datasets"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BilatrusError(f"source catalog {source} is not valid JSON with a 'datasets' list: {exc}") from exc
    datasets = tuple(_dataset_from_json(entry, source) for entry in entries)
    keys = [d.key for d in datasets]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise BilatrusError(f"source catalog {source}: duplicate dataset keys {duplicates}")
    return datasets


def load_catalog(path: str | Path | None = None) -> dict[str, Dataset]:
    """All datasets by key, in catalog order (the packaged catalog unless `path` is given)."""
    return {d.key: d for d in _load(None if path is None else str(path))}


def datasets_for_programme(programme: str, kind: str = "programme") -> list[Dataset]:
    """Datasets holding one framework programme's projects and participants (FP6, FP7, H2020, HE).

    With kind="reference" it gives that programme's reference tables instead (e.g. FP7 programme codes).
    """
    if programme not in PROGRAMMES:
        raise BilatrusError(f"unknown framework programme {programme!r}; expected one of {', '.join(PROGRAMMES)}")
    return [d for d in load_catalog().values() if d.programme == programme and d.kind == kind]


def datasets_of_kind(kind: str) -> list[Dataset]:
    """Datasets of one kind: 'programme', 'reference' (cordisref tables) or 'registry' (ROR)."""
    if kind not in KINDS:
        raise BilatrusError(f"unknown dataset kind {kind!r}; expected one of {', '.join(sorted(KINDS))}")
    return [d for d in load_catalog().values() if d.kind == kind]


def is_url_mirror(mirror: str) -> bool:
    """True when the mirror is a web base URL (http/https), False for a local folder."""
    return mirror.lower().startswith(("http://", "https://"))


def mirror_label(mirror: str | None) -> str:
    """The mirror as it may be recorded (warehouse, logs): a resolved folder, or a URL without user, password,
    query or fragment; empty for the official URLs."""
    if not mirror:
        return ""
    if is_url_mirror(mirror):
        parts = urlsplit(mirror)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"
    return str(mirror_folder(mirror))


def mirror_folder(mirror: str) -> Path:
    """The local folder a `file://` URL or a plain path names."""
    if mirror.lower().startswith("file://"):
        parts = urlsplit(mirror)
        return Path(url2pathname(parts.path)).resolve()
    if _URL_SCHEME.match(mirror):
        raise BilatrusError(
            f"BILATRUS_MIRROR={mirror!r}: unsupported scheme; use a local folder (a path or file://) "
            "or an http(s):// base URL"
        )
    return Path(mirror).expanduser().resolve()


def version_key(name: str) -> tuple:
    """Sort key for names like v1.9-…, v1.10-…, v2.0-…: numbers compare as numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name.lower()))


def find_in_folder(dataset: Dataset, folder: Path) -> Path:
    """The dataset's file in a mirror folder: its official name, else the newest `mirror_glob` match.

    Returns the official-name path when nothing is there, so the download reports it as missing.
    """
    exact = folder / dataset.file_name
    if exact.is_file() or not dataset.mirror_glob or not folder.is_dir():
        return exact
    pattern = dataset.mirror_glob.lower()
    matches = [p for p in folder.iterdir() if p.is_file() and fnmatchcase(p.name.lower(), pattern)]
    return max(matches, key=lambda p: version_key(p.name)) if matches else exact


def resolve_url(dataset: Dataset, mirror: str | None) -> str:
    """The URL to download `dataset` from: the official one, or its place on a mirror.

    mirror None -> official URL; a folder (path or file://) -> file:// URL of the file in it;
    an http(s) base URL -> base + "/" + official file name.
    """
    if not mirror:
        return dataset.url
    if is_url_mirror(mirror):
        return mirror.rstrip("/") + "/" + quote(dataset.file_name)
    return find_in_folder(dataset, mirror_folder(mirror)).as_uri()

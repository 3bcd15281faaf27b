"""The provenance log: one JSON line per successful download attempt, in `raw_dir/provenance.jsonl`.

Owns `DownloadResult` (what one attempt, a 200 or a 304, fetched: dataset, URL without credentials, time, HTTP
status, ETag, Last-Modified, sha256, size, the stored file's path relative to raw_dir, whether it changed, and the
upstream release when known) and the reading and appending of the log. Every number in a mart can be traced back
through it to the file it came from (meta_download_provenance in the warehouse is built from it).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROVENANCE_FILE = "provenance.jsonl"


# The fields of one provenance line, in order ("release" follows when the download knows its upstream release).
LINE_FIELDS = (
    "dataset",
    "url",
    "fetched_at",
    "http_status",
    "etag",
    "last_modified",
    "sha256",
    "bytes",
    "path",
    "changed",
)


@dataclass(frozen=True)
class DownloadResult:
    """One successful download attempt (a 200 or a 304), as recorded in provenance.jsonl."""

    dataset: str
    url: str
    path: Path
    sha256: str
    bytes: int
    status: int
    etag: str | None
    last_modified: str | None
    changed: bool
    fetched_at: str
    release: dict[str, Any] | None = None  # which upstream release this is (e.g. the Zenodo record of a ROR dump)

    def provenance_row(self, raw_dir: Path) -> dict[str, Any]:
        """The JSON line for provenance.jsonl; `path` relative to raw_dir; `release` only when known."""
        row = asdict(self)
        row["path"] = _relative(self.path, raw_dir)
        row["http_status"] = row.pop("status")
        line = {key: row[key] for key in LINE_FIELDS}
        if self.release:
            line["release"] = self.release
        return line


def provenance_path(raw_dir: str | os.PathLike) -> Path:
    return Path(raw_dir) / PROVENANCE_FILE


def read_provenance(raw_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """All provenance rows, oldest first ([] when nothing was downloaded yet)."""
    path = provenance_path(raw_dir)
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError:
            log.warning("%s line %d is not JSON and was skipped: %.80s", path, number, line)
    return rows


def latest_downloads(raw_dir: str | os.PathLike) -> dict[tuple[Any, Any], dict[str, Any]]:
    """The newest provenance row of every (dataset, URL), from one read of the log."""
    return {(row.get("dataset"), row.get("url")): row for row in read_provenance(raw_dir)}  # newer rows win


def latest_download(raw_dir: str | os.PathLike, dataset: str, url: str | None = None) -> dict[str, Any] | None:
    """The newest provenance row of a dataset (and URL, if given), or None."""
    if url is not None:
        return latest_downloads(raw_dir).get((dataset, url))
    for row in reversed(read_provenance(raw_dir)):
        if row.get("dataset") == dataset and (url is None or row.get("url") == url):
            return row
    return None


def stored_path(raw_dir: str | os.PathLike, row: Mapping[str, Any]) -> Path:
    """Absolute path of the file a provenance row points at."""
    return Path(raw_dir) / row["path"]


def append_provenance(raw_dir: Path, result: DownloadResult) -> None:
    line = json.dumps(result.provenance_row(raw_dir), ensure_ascii=False) + "\n"
    raw_dir.mkdir(parents=True, exist_ok=True)
    with provenance_path(raw_dir).open("a", encoding="utf-8") as out:
        out.write(line)  # one write per row: appends from parallel processes do not interleave


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)

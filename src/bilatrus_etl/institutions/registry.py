"""Read a Research Organization Registry (ROR) data dump into one flat table of organisations.

A dump is either the zip published on Zenodo (it holds a schema v2 JSON file and, in older releases,
a schema v1 JSON file and CSV files; the v2 JSON is read when present) or a bare JSON file holding the
top-level array of records. Schema v1 and v2 records are both understood, detected record by record
(`bilatrus_etl.institutions.ror_schema`). The JSON array is parsed one record at a time, so a full dump
(~120k records, ~250 MB) never sits in memory as Python objects: each record is reduced to an `Organization`
as soon as it is decoded. `read_focus_registry` keeps one country's records and their relatives.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from bilatrus_etl.institutions import registry_scan
from bilatrus_etl.institutions.ror_schema import (
    TEXT_COLUMNS,
    Organization,
    RegistryError,
    organizations_frame,
    parse_record,
    short_ror_id,
    triage,
)

_CHUNK_CHARS = 1 << 20
_PEEK_BYTES = 1 << 16


def read_registry(path: str | Path) -> pd.DataFrame:
    """A ROR dump (zip or JSON) as a DataFrame with the columns in `COLUMNS`, one row per record."""
    return organizations_frame(iter_organizations(path))


def read_registries(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Several dumps as one table; a ror_id seen twice keeps the record from the later file."""
    frames = [read_registry(path) for path in paths]
    if not frames:
        return organizations_frame([])
    combined = pd.concat(frames, ignore_index=True)
    return combined.drop_duplicates("ror_id", keep="last").reset_index(drop=True)


def iter_organizations(path: str | Path) -> Iterator[Organization]:
    """Yield one `Organization` per record of a zip or JSON dump."""
    with _open_dump(path) as (handle, source_name):
        yield from _iter_records(handle, source_name)


@contextlib.contextmanager
def _open_dump(path: str | Path) -> Iterator[tuple[IO[str], str]]:
    """The dump's JSON as a text stream and its name (`file` or `file.zip:member`); read errors name the file."""
    source = Path(path)
    if not source.is_file():
        raise RegistryError(
            f"ROR registry file {source} does not exist; pass the path of a ROR data dump (.zip or .json)"
        )
    try:
        if zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as archive:
                member = choose_zip_member(archive)
                with archive.open(member) as raw:
                    yield io.TextIOWrapper(raw, encoding="utf-8-sig"), f"{source.name}:{member}"
        else:
            with source.open("r", encoding="utf-8-sig") as handle:
                yield handle, source.name
    except RegistryError:
        raise
    except (OSError, UnicodeDecodeError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise RegistryError(f"ROR registry file {source} cannot be read: {exc}; download the dump again") from exc


def choose_zip_member(archive: zipfile.ZipFile) -> str:
    """The JSON member to read: one named `*schema_v2*.json`, else the JSON whose records are v2, else v1."""
    members = [info.filename for info in archive.infolist() if info.filename.lower().endswith(".json")]
    members = [name for name in members if not Path(name).name.startswith(".")]
    if not members:
        names = ", ".join(info.filename for info in archive.infolist()) or "nothing"
        raise RegistryError(
            f"ROR dump {archive.filename} holds no JSON file (it holds {names}); expected the Zenodo ROR data zip"
        )
    named_v2 = [name for name in members if "schema_v2" in Path(name).name.lower()]
    if named_v2:
        return sorted(named_v2)[0]
    versions = {name: _peek_schema(archive, name) for name in members}
    v2 = [name for name, version in versions.items() if version == "2"]
    return sorted(v2 or members)[0]


def _peek_schema(archive: zipfile.ZipFile, member: str) -> str:
    with archive.open(member) as raw:
        head = raw.read(_PEEK_BYTES).decode("utf-8", errors="ignore")
    if '"ror_display"' in head or '"locations"' in head or '"schema_version": "2' in head:
        return "2"
    return "1"


def _iter_records(handle: IO[str], source_name: str) -> Iterator[Organization]:
    for index, record in enumerate(iter_json_array(handle, source_name)):
        _check_item(record, index, source_name)
        yield parse_record(record, source_name)


def _check_item(record: Any, index: int, source_name: str) -> None:
    if not isinstance(record, dict):
        raise RegistryError(f"ROR registry {source_name}: item {index} is not a JSON object; is this a ROR dump?")


def iter_json_array(handle: IO[str], source_name: str = "<stream>", with_text: bool = False) -> Iterator[Any]:
    """Decode the items of a top-level JSON array one at a time from a text stream (with `with_text`: pairs of
    the item and its JSON text)."""
    decoder = json.JSONDecoder()
    buffer = ""
    position = 0
    eof = False

    def fill() -> bool:
        nonlocal buffer, position, eof
        chunk = handle.read(_CHUNK_CHARS)
        if not chunk:
            eof = True
            return False
        buffer = buffer[position:] + chunk
        position = 0
        return True

    def skip_space() -> None:
        nonlocal position
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n":
                position += 1
            if position < len(buffer) or eof or not fill():
                return

    skip_space()
    if position >= len(buffer) or buffer[position] != "[":
        raise RegistryError(
            f"ROR registry {source_name} does not start with a JSON array '['; expected a ROR JSON dump"
        )
    position += 1
    expect_item = True
    while True:
        skip_space()
        if position >= len(buffer):
            raise RegistryError(
                f"ROR registry {source_name} ends before its closing ']'; the file is truncated, download it again"
            )
        char = buffer[position]
        if char == "]":
            return
        if char == ",":
            if expect_item:
                raise RegistryError(f"ROR registry {source_name}: stray ',' in the top-level array")
            position += 1
            expect_item = True
            continue
        while True:
            try:
                item, end = decoder.raw_decode(buffer, position)
                break
            except json.JSONDecodeError as exc:
                if eof or not fill():
                    raise RegistryError(
                        f"ROR registry {source_name} is not valid JSON near character {exc.pos}: {exc.msg}; "
                        "the file is damaged or truncated, download it again"
                    ) from exc
        if with_text:
            text = buffer[position:end]
            position = end
            expect_item = False
            yield item, text
            continue
        position = end
        expect_item = False
        yield item


def filter_country(frame: pd.DataFrame, country_code: str = "RU") -> pd.DataFrame:
    """Organisations of one country plus their parents, children and successors wherever those are."""
    code = country_code.upper()
    local = frame["country_code"].fillna("").str.upper() == code
    keep: set[str] = set(frame.loc[local, "ror_id"])
    for column in ("parent_ror_ids", "child_ror_ids", "successor_ror_ids"):
        for ids in frame.loc[local, column]:
            keep.update(ids or [])
    # Organisations elsewhere that name a local organisation as their child or parent count too.
    local_ids = set(frame.loc[local, "ror_id"])
    for column in ("parent_ror_ids", "child_ror_ids"):
        linked = frame[column].map(lambda ids: not local_ids.isdisjoint(ids or []))
        keep.update(frame.loc[linked, "ror_id"])
    return frame[frame["ror_id"].isin(keep)].reset_index(drop=True)


def read_focus_registry(path: str | Path, country_code: str = "RU") -> pd.DataFrame:
    """`filter_country(read_registry(path), country_code)`, read without flattening the other countries' records.

    A JSON file is scanned once with DuckDB's JSON reader (`registry_scan`), and only the records kept are
    decoded in Python. A zip, or a file the scan cannot read exactly (see `registry_scan`), is read by the Python
    reader: one streaming pass over the dump (the standard library's C decoder) flattens the focus country's records
    only; of the others it keeps nothing but the JSON text of those with relationships (a parent or child of a
    focus-country record is one of them) and the ids of the rest. Those needed are flattened afterwards; a
    second pass happens only when a focus-country record names as parent, child or successor a record that has
    no relationships of its own. A record that is not an object, or has no id and no name, fails as in
    `read_registry`; other defects of other countries' records are not looked for.
    """
    code = country_code.upper()
    source = Path(path)
    if source.is_file() and not zipfile.is_zipfile(source):
        scanned = registry_scan.focus_records(source, code)
        if scanned is not None:
            return _focus_frame({item: parse_record(json.loads(text), source.name) for item, text in scanned})
    kept: dict[int, Organization] = {}
    linked: list[tuple[int, str, set[str], str]] = []  # other countries' records with relationships
    bare: set[str] = set()  # ids of other countries' records without relationships
    with _open_dump(path) as (handle, source_name):
        for index, (record, text) in enumerate(iter_json_array(handle, source_name, with_text=True)):
            _check_item(record, index, source_name)
            try:
                country, ror_id, relations = triage(record)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError):
                organization = parse_record(record, source_name)  # raises the reader's own error, if any
                country, ror_id = organization.country_code, organization.ror_id
                relations = {"parent_ror_ids": organization.parent_ror_ids, "child_ror_ids": organization.child_ror_ids}
            if isinstance(country, str) and country.upper() == code:
                kept[index] = parse_record(record, source_name)
            elif any(relations.values()):
                linked.append((index, ror_id, {*relations["parent_ror_ids"], *relations["child_ror_ids"]}, text))
            else:
                bare.add(ror_id)
        local_ids = {organization.ror_id for organization in kept.values()}
        keep = set(local_ids)
        for organization in kept.values():
            keep.update(organization.parent_ror_ids, organization.child_ror_ids, organization.successor_ror_ids)
        keep.update(ror_id for _, ror_id, links, _ in linked if not local_ids.isdisjoint(links))
        for index, ror_id, _, text in linked:
            if ror_id in keep:
                kept[index] = parse_record(json.loads(text), source_name)
        wanted = keep & bare
    if wanted:
        with _open_dump(path) as (handle, source_name):
            for index, record in enumerate(iter_json_array(handle, source_name)):
                if index not in kept and short_ror_id(record.get("id")) in wanted:
                    kept[index] = parse_record(record, source_name)
    return _focus_frame(kept)


def _focus_frame(kept: dict[int, Organization]) -> pd.DataFrame:
    """The kept records in file order. Text columns are typed as when a whole dump is read (some record of the
    dump has a value in each): text, even when no kept record has one (DuckDB then sees VARCHAR, not NULL)."""
    frame = organizations_frame(kept[index] for index in sorted(kept))
    return frame.astype({column: "str" for column in TEXT_COLUMNS})

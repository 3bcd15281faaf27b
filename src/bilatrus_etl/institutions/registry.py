"""Read a Research Organization Registry (ROR) data dump into one flat table of organisations.

A dump is either the zip published on Zenodo (it holds a schema v2 JSON file and, in older releases,
a schema v1 JSON file and CSV files; the v2 JSON is read when present) or a bare JSON file holding the
top-level array of records. Schema v1 and v2 records are both understood, detected record by record.
The JSON array is parsed one record at a time, so a full dump (~120k records, ~250 MB) never sits in
memory as Python objects: each record is reduced to an `Organization` as soon as it is decoded.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd

from bilatrus_etl.errors import BilatrusError

ROR_URL_PREFIX = "https://ror.org/"
_CHUNK_CHARS = 1 << 20
_PEEK_BYTES = 1 << 16
_EXTERNAL_ID_NAMES = {"grid": "GRID", "isni": "ISNI", "wikidata": "Wikidata", "fundref": "FundRef", "orgref": "OrgRef"}

COLUMNS: tuple[str, ...] = (
    "ror_id",
    "display_name",
    "name_en",
    "name_ru",
    "aliases",
    "acronyms",
    "labels",
    "types",
    "city",
    "lat",
    "lon",
    "country_code",
    "status",
    "established",
    "external_ids",
    "grid_id",
    "wikidata_id",
    "parent_ror_id",
    "parent_ror_ids",
    "child_ror_ids",
    "successor_ror_ids",
    "related_ror_ids",
    "schema_version",
    "source_file",
    "names",
    "cities",
)

_TEXT_COLUMNS = ("ror_id", "display_name", "name_en", "name_ru", "city", "country_code", "status", "external_ids",
                 "grid_id", "wikidata_id", "parent_ror_id", "schema_version", "source_file")


class RegistryError(BilatrusError):
    """A registry dump that cannot be read; the message names the file and what to do."""


@dataclass
class Organization:
    """One ROR record, flattened. `ror_id` is the bare identifier (`010pmpe69`), not the URL."""

    ror_id: str
    display_name: str
    name_en: str | None
    name_ru: str | None
    aliases: list[str] = field(default_factory=list)
    acronyms: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    country_code: str | None = None
    status: str = "active"
    established: int | None = None
    external_ids: dict[str, dict[str, Any]] = field(default_factory=dict)
    parent_ror_ids: list[str] = field(default_factory=list)
    child_ror_ids: list[str] = field(default_factory=list)
    successor_ror_ids: list[str] = field(default_factory=list)
    related_ror_ids: list[str] = field(default_factory=list)
    schema_version: str = "2"
    source_file: str | None = None
    # Every name of the record with its kinds and language: {"value", "types" (list), "lang" (ISO 639-1 or None)}.
    names: list[dict[str, Any]] = field(default_factory=list)
    # Every city of the record's locations (v2) or addresses (v1), the first one being `city`.
    cities: list[str] = field(default_factory=list)

    @property
    def parent_ror_id(self) -> str | None:
        return self.parent_ror_ids[0] if self.parent_ror_ids else None

    def row(self) -> dict[str, Any]:
        """The record as one DataFrame row (external_ids as JSON text, convenient ids pulled out)."""
        data = asdict(self)
        data["parent_ror_id"] = self.parent_ror_id
        data["external_ids"] = json.dumps(self.external_ids, ensure_ascii=False, sort_keys=True)
        data["grid_id"] = _preferred_id(self.external_ids.get("GRID"))
        data["wikidata_id"] = _preferred_id(self.external_ids.get("Wikidata"))
        return {column: data[column] for column in COLUMNS}


def short_ror_id(value: str | None) -> str | None:
    """`https://ror.org/010pmpe69` or `010pmpe69` -> `010pmpe69`; None or blank -> None."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.lower().startswith(ROR_URL_PREFIX):
        text = text[len(ROR_URL_PREFIX) :]
    return text.strip("/").lower() or None


# --- reading files -------------------------------------------------------------------------------


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


# --- one record ----------------------------------------------------------------------------------


def parse_record(record: dict[str, Any], source_name: str | None = None) -> Organization:
    """Flatten one ROR record of schema v2 (has `names`) or v1 (has `name`)."""
    try:
        if "names" in record:
            return _parse_v2(record, source_name)
        if "name" in record:
            return _parse_v1(record, source_name)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise RegistryError(f"ROR registry {source_name}: record {record.get('id')!r} is malformed ({exc!r})") from exc
    raise RegistryError(
        f"ROR registry {source_name}: record {record.get('id')!r} has neither 'names' (v2) nor 'name' (v1)"
    )


def _parse_v2(record: dict[str, Any], source_name: str | None) -> Organization:
    names: list[dict[str, Any]] = record.get("names") or []
    display = next((n["value"] for n in names if "ror_display" in (n.get("types") or [])), None)
    if display is None:
        display = next((n["value"] for n in names if "label" in (n.get("types") or [])), names[0]["value"])
    labels = [n["value"] for n in names if {"label", "ror_display"} & set(n.get("types") or [])]
    aliases = [n["value"] for n in names if "alias" in (n.get("types") or [])]
    acronyms = [n["value"] for n in names if "acronym" in (n.get("types") or [])]
    location = (record.get("locations") or [{}])[0].get("geonames_details") or {}
    cities = [(loc.get("geonames_details") or {}).get("name") for loc in record.get("locations") or []]
    relations = _relations((rel.get("type", ""), rel.get("id", "")) for rel in record.get("relationships") or [])
    external: dict[str, dict[str, Any]] = {}
    for entry in record.get("external_ids") or []:
        key = _EXTERNAL_ID_NAMES.get(str(entry.get("type", "")).lower(), str(entry.get("type")))
        external[key] = {"preferred": entry.get("preferred"), "all": _as_list(entry.get("all"))}
    return Organization(
        ror_id=short_ror_id(record["id"]) or "",
        display_name=display.strip(),
        name_en=_name_in(names, "en", display),
        name_ru=_name_in(names, "ru", None),
        aliases=_unique(aliases),
        acronyms=_unique(acronyms),
        labels=_unique([display, *labels, *aliases, *acronyms]),
        types=[str(t).lower() for t in record.get("types") or []],
        city=location.get("name"),
        lat=_float(location.get("lat")),
        lon=_float(location.get("lng")),
        country_code=(location.get("country_code") or None),
        status=str(record.get("status") or "active").lower(),
        established=_int(record.get("established")),
        external_ids=external,
        schema_version="2",
        source_file=source_name,
        names=[
            {"value": str(n["value"]).strip(), "types": [str(t) for t in n.get("types") or []], "lang": n.get("lang")}
            for n in names if str(n.get("value") or "").strip()
        ],
        cities=_unique(c for c in cities if c),
        **relations,
    )


def _parse_v1(record: dict[str, Any], source_name: str | None) -> Organization:
    display = str(record["name"]).strip()
    other_labels = record.get("labels") or []
    ru = next((lab["label"] for lab in other_labels if lab.get("iso639") == "ru"), None)
    aliases = [str(a) for a in record.get("aliases") or []]
    acronyms = [str(a).strip() for a in record.get("acronyms") or []]
    address = (record.get("addresses") or [{}])[0]
    geonames_city = address.get("geonames_city") or {}
    cities = [a.get("city") or (a.get("geonames_city") or {}).get("city") for a in record.get("addresses") or []]
    v1_names = [{"value": display, "types": ["ror_display", "label"], "lang": None}]
    v1_names += [{"value": str(lab["label"]).strip(), "types": ["label"], "lang": lab.get("iso639")} for lab in other_labels]
    v1_names += [{"value": a.strip(), "types": ["alias"], "lang": None} for a in aliases]
    v1_names += [{"value": a, "types": ["acronym"], "lang": None} for a in acronyms]
    relations = _relations((rel.get("type", ""), rel.get("id", "")) for rel in record.get("relationships") or [])
    external: dict[str, dict[str, Any]] = {}
    for key, entry in (record.get("external_ids") or {}).items():
        name = _EXTERNAL_ID_NAMES.get(str(key).lower(), str(key))
        external[name] = {"preferred": entry.get("preferred"), "all": _as_list(entry.get("all"))}
    return Organization(
        ror_id=short_ror_id(record["id"]) or "",
        display_name=display,
        name_en=display,
        name_ru=ru,
        aliases=_unique(aliases),
        acronyms=_unique(acronyms),
        labels=_unique([display, *[lab["label"] for lab in other_labels], *aliases, *acronyms]),
        types=[str(t).lower() for t in record.get("types") or []],
        city=address.get("city") or geonames_city.get("city"),
        lat=_float(address.get("lat")),
        lon=_float(address.get("lng")),
        country_code=((record.get("country") or {}).get("country_code") or None),
        status=str(record.get("status") or "active").lower(),
        established=_int(record.get("established")),
        external_ids=external,
        schema_version="1",
        source_file=source_name,
        names=[n for n in v1_names if n["value"]],
        cities=_unique(c for c in cities if c),
        **relations,
    )


def _relations(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    slots = {
        "parent": "parent_ror_ids",
        "child": "child_ror_ids",
        "successor": "successor_ror_ids",
        "related": "related_ror_ids",
    }
    out: dict[str, list[str]] = {slot: [] for slot in slots.values()}
    for kind, ror in pairs:
        slot = slots.get(str(kind).lower())
        ident = short_ror_id(ror)
        if slot and ident and ident not in out[slot]:
            out[slot].append(ident)
    return out


def _name_in(names: list[dict[str, Any]], lang: str, fallback: str | None) -> str | None:
    for wanted in ("ror_display", "label", "alias"):
        for name in names:
            if name.get("lang") == lang and wanted in (name.get("types") or []):
                return str(name["value"]).strip()
    return fallback


def _preferred_id(entry: dict[str, Any] | None) -> str | None:
    if not entry:
        return None
    return entry.get("preferred") or next(iter(entry.get("all") or []), None)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        text = str(value).strip()
        if text and text not in seen:
            seen[text] = None
    return list(seen)


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


# --- tables --------------------------------------------------------------------------------------


def organizations_frame(organizations: Iterable[Organization]) -> pd.DataFrame:
    """A DataFrame with the columns in `COLUMNS` (list columns hold Python lists)."""
    rows = [organization.row() for organization in organizations]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["established"] = frame["established"].astype("Int64")
    frame["lat"] = frame["lat"].astype("float64")
    frame["lon"] = frame["lon"].astype("float64")
    return frame


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

    One streaming pass over the dump (the standard library's C decoder) flattens the focus country's records
    only; of the others it keeps nothing but the JSON text of those with relationships (a parent or child of a
    focus-country record is one of them) and the ids of the rest. Those needed are flattened afterwards; a
    second pass happens only when a focus-country record names as parent, child or successor a record that has
    no relationships of its own. A record that is not an object, or has no id and no name, fails as in
    `read_registry`; other defects of other countries' records are not looked for.
    """
    code = country_code.upper()
    kept: dict[int, Organization] = {}
    linked: list[tuple[int, str, set[str], str]] = []  # other countries' records with relationships
    bare: set[str] = set()  # ids of other countries' records without relationships
    with _open_dump(path) as (handle, source_name):
        for index, (record, text) in enumerate(iter_json_array(handle, source_name, with_text=True)):
            _check_item(record, index, source_name)
            try:
                country, ror_id, relations = _triage(record)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError):
                organization = parse_record(record, source_name)  # raises the reader's own error, if any
                country, ror_id = organization.country_code, organization.ror_id
                relations = {"parent_ror_ids": organization.parent_ror_ids,
                             "child_ror_ids": organization.child_ror_ids}
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
    # Text columns typed as when a whole dump is read (some record of the dump has a value in each): text, even
    # when no kept record has one (DuckDB then sees VARCHAR, not NULL).
    frame = organizations_frame(kept[index] for index in sorted(kept))
    return frame.astype({column: "str" for column in _TEXT_COLUMNS})


def _triage(record: dict[str, Any]) -> tuple[Any, str, dict[str, list[str]]]:
    """(country code, ror_id, parent and child ids) of a raw record, as `parse_record` would read them."""
    if "names" in record:
        country = ((record.get("locations") or [{}])[0].get("geonames_details") or {}).get("country_code")
    elif "name" in record:
        country = (record.get("country") or {}).get("country_code")
    else:
        raise KeyError("names")
    ror_id = short_ror_id(record["id"]) or ""
    pairs = [(rel.get("type", ""), rel.get("id", "")) for rel in record.get("relationships") or []
             if str(rel.get("type", "")).lower() in ("parent", "child")]
    relations = _relations(pairs)
    return country or None, ror_id, relations

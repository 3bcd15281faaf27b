"""The ROR record schema: one record of schema v1 or v2 flattened into an `Organization`, and the table of them.

`parse_record` detects the schema version record by record (v2 has `names`, v1 has `name`); `COLUMNS` is the
flat table the registry readers (`bilatrus_etl.institutions.registry`) return, one row per record
(`organizations_frame`); `short_ror_id` reduces a ROR URL to the bare identifier.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from bilatrus_etl.errors import BilatrusError

ROR_URL_PREFIX = "https://ror.org/"
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

# The text columns (`read_focus_registry` types them as text even when no kept record has a value).
TEXT_COLUMNS = (
    "ror_id",
    "display_name",
    "name_en",
    "name_ru",
    "city",
    "country_code",
    "status",
    "external_ids",
    "grid_id",
    "wikidata_id",
    "parent_ror_id",
    "schema_version",
    "source_file",
)


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
            for n in names
            if str(n.get("value") or "").strip()
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
    v1_names += [
        {"value": str(lab["label"]).strip(), "types": ["label"], "lang": lab.get("iso639")} for lab in other_labels
    ]
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


def triage(record: dict[str, Any]) -> tuple[Any, str, dict[str, list[str]]]:
    """(country code, ror_id, parent and child ids) of a raw record, as `parse_record` would read them."""
    if "names" in record:
        country = ((record.get("locations") or [{}])[0].get("geonames_details") or {}).get("country_code")
    elif "name" in record:
        country = (record.get("country") or {}).get("country_code")
    else:
        raise KeyError("names")
    ror_id = short_ror_id(record["id"]) or ""
    pairs = [
        (rel.get("type", ""), rel.get("id", ""))
        for rel in record.get("relationships") or []
        if str(rel.get("type", "")).lower() in ("parent", "child")
    ]
    relations = _relations(pairs)
    return country or None, ror_id, relations

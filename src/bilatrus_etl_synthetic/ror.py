"""Filler records that bring a synthetic ROR dump to the real dump's size and shape.

The real ROR data dump holds about 120,000 records of every country (200+ MB of schema v2 JSON). The synthetic
mirror's own records (the focus country's institutions and a few foreign ones) are a few hundred; the benchmark
pads the dump with `filler_records(n, seed)`: invented organisations of many countries (never the focus country,
so the warehouse's numbers do not change) in the full v2 shape, with external ids, links, several names in
their languages, locations and parent/child/related relationships among themselves. Deterministic: the same
`n` and `seed` give the same records, one at a time (nothing is held but the relationship plan).

`write_ror` writes the dump as ROR publishes it: one zip holding the records as schema v2 JSON and as CSV.
"""

from __future__ import annotations

import itertools
import json
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pycountry

from bilatrus_etl_synthetic.layout import (
    ROR_CSV_MEMBER,
    ROR_JSON_MEMBER,
    ROR_ZIP,
    zip_info,
)
from bilatrus_etl_synthetic.orgs import World

FULL_ROR_RECORDS = 120_000  # the real dump's size (Zenodo v2.x releases of 2025)

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_KINDS = (
    ("education", "University of {city}", "{city} University of {field}"),
    ("facility", "{city} Institute of {field}", "Institute for {field} Research {city}"),
    ("healthcare", "{city} General Hospital", "{city} Clinic of {field}"),
    ("company", "{city} {field} Ltd", "{field} Systems {city}"),
    ("government", "Ministry of {field} of {country}", "{country} Agency for {field}"),
    ("nonprofit", "{city} Foundation for {field}", "{field} Society of {country}"),
    ("funder", "{country} {field} Fund", "National {field} Council of {country}"),
    ("archive", "{city} Archive of {field}", "{country} Museum of {field}"),
)
_FIELDS = (
    "Physics",
    "Chemistry",
    "Biology",
    "Medicine",
    "Economics",
    "Engineering",
    "Mathematics",
    "Agriculture",
    "Geology",
    "Oceanography",
    "Computer Science",
    "Energy",
    "Materials",
    "Linguistics",
    "History",
    "Astronomy",
    "Ecology",
    "Public Health",
    "Nuclear Research",
    "Technology",
    "Arts",
    "Forestry",
    "Veterinary Science",
)
_SYLLABLES = (
    "ka",
    "ro",
    "mi",
    "ten",
    "vel",
    "sa",
    "dor",
    "lin",
    "ber",
    "gu",
    "na",
    "tro",
    "ville",
    "ham",
    "burg",
    "stad",
    "polis",
    "ria",
    "mont",
    "ford",
    "ka",
    "zan",
    "del",
    "or",
    "um",
)
_LANGS = ("fr", "de", "es", "it", "pt", "zh", "ja", "ko", "ar", "pl", "nl", "sv", "tr", "el", "cs", "fi", "uk")
_CONTINENTS = (
    ("EU", "Europe"),
    ("AS", "Asia"),
    ("NA", "North America"),
    ("SA", "South America"),
    ("AF", "Africa"),
    ("OC", "Oceania"),
)


def _countries(exclude: str) -> list[tuple[str, str, float]]:
    """(alpha-2, name, weight): every country but `exclude`, a few research-heavy ones weighted up as in ROR."""
    heavy = {
        "US": 30.0,
        "CN": 12.0,
        "GB": 8.0,
        "DE": 7.0,
        "JP": 6.0,
        "FR": 6.0,
        "IN": 6.0,
        "IT": 4.0,
        "ES": 4.0,
        "CA": 4.0,
        "BR": 4.0,
        "AU": 3.0,
        "KR": 3.0,
        "NL": 2.0,
        "PL": 2.0,
        "TR": 2.0,
        "CH": 2.0,
        "SE": 2.0,
    }
    found = [
        (c.alpha_2, getattr(c, "common_name", c.name), heavy.get(c.alpha_2, 0.25))
        for c in pycountry.countries
        if c.alpha_2 != exclude.upper()
    ]
    return sorted(found)


def _ror_id(number: int) -> str:
    digits = []
    rest = number
    for _ in range(6):
        digits.append(_ALPHABET[rest % 32])
        rest //= 32
    return f"https://ror.org/0{''.join(reversed(digits))}{98 - ((number * 100) % 97):02d}"


def filler_records(
    n: int, seed: int = 42, exclude_country: str = "RU", taken: set[str] | None = None
) -> Iterator[dict[str, Any]]:
    """`n` invented ROR v2 records of every country but `exclude_country` (ids never in `taken`)."""
    rng = random.Random(f"ror-filler-{seed}-{n}")
    taken = set(taken or ())
    numbers: set[int] = set()
    while len(numbers) < n:
        number = rng.randrange(32**5, 32**6)
        if _ror_id(number) not in taken:
            numbers.add(number)
    ids = [_ror_id(number) for number in sorted(numbers)]
    countries = _countries(exclude_country)
    chosen = rng.choices(countries, [w for _, _, w in countries], k=n)
    names = [_display_name(rng, country) for country in chosen]
    # The relationship plan: about a fifth of the records are children of another record of the dump.
    parent_of: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    for index in range(n):
        if n > 1 and rng.random() < 0.2:
            parent = rng.randrange(n)
            if parent != index and parent not in parent_of:
                parent_of[index] = parent
                children.setdefault(parent, []).append(index)
    for index in range(n):
        relationships = []
        if index in parent_of:
            parent = parent_of[index]
            relationships.append({"label": names[parent][0], "type": "parent", "id": ids[parent]})
        for child in children.get(index, ()):
            relationships.append({"label": names[child][0], "type": "child", "id": ids[child]})
        if rng.random() < 0.03:
            other = rng.randrange(n)
            if other != index:
                relationships.append({"label": names[other][0], "type": "related", "id": ids[other]})
        yield _record(rng, ids[index], chosen[index], names[index], relationships)


def _display_name(rng: random.Random, country: tuple[str, str, float]) -> tuple[str, str, str, str]:
    kind, first, second = rng.choice(_KINDS)
    city = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    field = rng.choice(_FIELDS)
    pattern = first if rng.random() < 0.5 else second
    return pattern.format(city=city, field=field, country=country[1]), kind, city, field


def _record(
    rng: random.Random,
    ror_id: str,
    country: tuple[str, str, float],
    name: tuple[str, str, str, str],
    relationships: list[dict[str, str]],
) -> dict[str, Any]:
    display, kind, city, field = name
    code, country_name, _ = country
    acronym = "".join(w[0] for w in display.split() if w[:1].isupper())[:6]
    slug = "".join(ch for ch in display.lower() if ch.isalnum())[:20]
    domain = f"{slug}.{code.lower()}"
    names: list[dict[str, Any]] = [{"lang": "en", "types": ["label", "ror_display"], "value": display}]
    for lang in rng.sample(_LANGS, rng.randint(3, 5)):
        names.append({"lang": lang, "types": ["label"], "value": f"{display} [{lang}]"})
    for n_alias in range(rng.randint(2, 4)):
        names.append({"lang": "en", "types": ["alias"], "value": f"{city} {field} Centre {n_alias + 1}"})
    if acronym and rng.random() < 0.6:
        names.append({"lang": None, "types": ["acronym"], "value": acronym})
    continent = rng.choice(_CONTINENTS)
    location = {
        "geonames_details": {
            "continent_code": continent[0],
            "continent_name": continent[1],
            "country_code": code,
            "country_name": country_name,
            "country_subdivision_code": f"{code}-{rng.randrange(1, 99):02d}",
            "country_subdivision_name": f"{city} Region",
            "lat": round(rng.uniform(-60, 70), 5),
            "lng": round(rng.uniform(-180, 180), 5),
            "name": city,
        },
        "geonames_id": rng.randrange(100_000, 12_000_000),
    }
    grid = f"grid.{rng.randrange(400000, 500000)}.{rng.choice('abcdef')}"
    external_ids = [
        {"all": [grid], "preferred": grid, "type": "grid"},
        {
            "all": [
                f"0000 000{rng.randrange(1, 9)} {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}"
                for _ in range(rng.randint(1, 2))
            ],
            "preferred": None,
            "type": "isni",
        },
        {"all": [f"Q{rng.randrange(10_000, 90_000_000)}"], "preferred": None, "type": "wikidata"},
    ]
    if kind == "funder" or rng.random() < 0.2:
        external_ids.append(
            {"all": [str(rng.randrange(100_000_000, 999_999_999))], "preferred": None, "type": "fundref"}
        )
    return {
        "admin": {
            "created": {
                "date": f"{rng.randint(2018, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "schema_version": "1.0",
            },
            "last_modified": {"date": "2025-10-28", "schema_version": "2.1"},
        },
        "domains": [domain],
        "established": rng.randint(1700, 2020) if rng.random() < 0.7 else None,
        "external_ids": external_ids,
        "id": ror_id,
        "links": [
            {"type": "website", "value": f"https://www.{domain}"},
            {"type": "wikipedia", "value": f"https://en.wikipedia.org/wiki/{display.replace(' ', '_')}"},
        ],
        "locations": [location],
        "names": names,
        "relationships": relationships,
        "status": "active" if rng.random() < 0.95 else rng.choice(("inactive", "withdrawn")),
        "types": [kind],
    }


def write_ror(dest: Path, world: World, filler: int = 0, seed: int = 42) -> dict[str, Any]:
    """The ROR zip: the world's records, then `filler` invented records of other countries (`filler_records`)."""
    records = sorted(world.ror_records, key=lambda r: r["id"])
    extra = filler_records(filler, seed, taken={r["id"] for r in records}) if filler else iter(())
    columns = (
        "id",
        "admin.created.date",
        "admin.last_modified.date",
        "domains",
        "established",
        "links.type.website",
        "locations.geonames_details.country_code",
        "locations.geonames_details.country_name",
        "locations.geonames_details.lat",
        "locations.geonames_details.lng",
        "locations.geonames_details.name",
        "locations.geonames_id",
        "names.types.acronym",
        "names.types.alias",
        "names.types.label",
        "names.types.ror_display",
        "relationships",
        "status",
        "types",
    )
    lines = [",".join(columns)]
    path = dest / ROR_ZIP
    count = 0
    with zipfile.ZipFile(path, "w") as zf:
        with zf.open(zip_info(ROR_JSON_MEMBER), "w") as fh:
            fh.write(b"[")
            for r in itertools.chain(records, extra):  # one record a line: the C encoder (indent is pure Python)
                fh.write(((",\n" if count else "\n") + json.dumps(r, ensure_ascii=False)).encode("utf-8"))
                lines.append(ror_csv_line(r))
                count += 1
            fh.write(b"\n]\n")
        with zf.open(zip_info(ROR_CSV_MEMBER), "w") as fh:
            fh.write(("\n".join(lines) + "\n").encode("utf-8"))
    ru = sum(1 for r in records if r["locations"][0]["geonames_details"]["country_code"] == "RU")
    return {
        ROR_ZIP: {
            "kind": "zip",
            "layout": "ror-dump-v2",
            "members": {ROR_JSON_MEMBER: {"records": count, "ru_records": ru}, ROR_CSV_MEMBER: {"records": count}},
        }
    }


def ror_csv_line(r: dict[str, Any]) -> str:
    loc = r["locations"][0]
    geo = loc["geonames_details"]

    def names_of(kind: str) -> str:
        return "; ".join(
            (f"{n['lang']}: " if n["lang"] and kind == "label" else "") + n["value"]
            for n in r["names"]
            if kind in n["types"]
        )

    values = [
        r["id"],
        r["admin"]["created"]["date"],
        r["admin"]["last_modified"]["date"],
        "; ".join(r["domains"]),
        "" if r["established"] is None else str(r["established"]),
        "; ".join(link["value"] for link in r["links"]),
        geo["country_code"],
        geo["country_name"],
        str(geo["lat"]),
        str(geo["lng"]),
        geo["name"],
        str(loc["geonames_id"]),
        names_of("acronym"),
        names_of("alias"),
        names_of("label"),
        names_of("ror_display"),
        "; ".join(f"{x['type']}: {x['id']}" for x in r["relationships"]),
        r["status"],
        "; ".join(r["types"]),
    ]
    return ",".join('"' + v.replace('"', '""') + '"' if any(ch in v for ch in ',"\n') else v for v in values)

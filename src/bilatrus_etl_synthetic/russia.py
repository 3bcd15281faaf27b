"""The Russian institutions of the synthetic world: as CORDIS names them, and their records in the ROR dump.

Owns the generated institutions (academy institutes, regional universities, companies) beside the curated ones
of data/russia.json, the ROR v2 record of each institution that is in ROR (with parent, child, predecessor and
successor relationships), the `Org` each participating institution becomes, and the PIC -> ROR ground truth
that the manifest records for the matcher's evaluation.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from bilatrus_etl_synthetic.layout import PROGRAMMES
from bilatrus_etl_synthetic.orgs import (
    Org,
    acronym_of,
    geo,
    postcode,
    ror_id,
    title_case,
)
from bilatrus_etl_synthetic.tables import (
    ACRONYM_A,
    ACRONYM_B,
    RU_BRANCHES,
    RU_CITIES,
    RU_COMPANY_WORDS,
    RU_CURATED,
    RU_FIELDS,
    RU_ROR_ONLY,
    RU_STREETS,
    RU_UNI_KINDS,
    RuSpec,
)

FSBIS = "FEDERAL STATE BUDGETARY INSTITUTION OF SCIENCE "


def ru_org(rng: random.Random, spec: RuSpec, pic: int, rcn: int) -> Org:
    city = RU_CITIES[spec.city]
    spellings = city.spellings
    vat = "" if rng.random() < 0.4 else f"RU{rng.randint(10**9, 10**10 - 1)}"
    street = rng.choice(RU_STREETS)
    org = Org(
        str(pic),
        spec.name,
        spec.short,
        spec.activity,
        "RU",
        spellings[0],
        f"{street} {rng.randint(1, 120)}",
        postcode(rng, "RU"),
        vat,
        f"http://www.{spec.domain}" if spec.domain and rng.random() < 0.5 else "",
        "True" if spec.activity == "PRC" and rng.random() < 0.5 else "False",
        geo(rng, city.lat, city.lng, 0.05),
        str(rcn),
        spec.weight,
    )
    org.ru_key = spec.key
    org.first = PROGRAMMES.index(spec.from_programme)
    for programme in PROGRAMMES:
        org.cities[programme] = rng.choice(spellings)
    if spec.fp6_name:
        org.names["FP6"] = spec.fp6_name
        org.names["FP7"] = spec.fp6_name if rng.random() < 0.5 else spec.name
    return org


def generated_ru_specs(rng: random.Random, count: int, used_names: set[str]) -> list[RuSpec]:
    """`count` invented institutions: academy institutes (60 % in ROR), regional universities, companies."""
    specs: list[RuSpec] = []
    combos = [(f, b) for f in RU_FIELDS for b in RU_BRANCHES]
    rng.shuffle(combos)
    universities = [(c, k) for c in RU_CITIES for k in RU_UNI_KINDS]
    rng.shuffle(universities)
    companies = list(RU_COMPANY_WORDS)
    n = 0
    while len(specs) < count and (combos or universities):
        n += 1
        roll = rng.random()
        if roll < 0.65 and combos:
            (field_upper, field_title), branch = combos.pop()
            prefix = rng.choice(("", "", FSBIS, "FSBIS "))
            name = f"{prefix}INSTITUTE OF {field_upper} OF THE {branch.name}"
            city = rng.choice(branch.cities)
            in_ror = rng.random() < 0.6
            display = f"Institute of {field_title}" + (f" {branch.short}" if rng.random() < 0.4 else "")
            short = f"I{acronym_of(field_upper)} {branch.short}"
            spec = RuSpec(
                f"gen-rec-{n}",
                name,
                short,
                city,
                "REC",
                0.6,
                display if in_ror else None,
                (f"Institute of {field_title} of the {title_case(branch.name)}",),
                short if rng.random() < 0.5 else None,
                ("facility",),
                branch.parent,
                None,
                None,
                rng.randint(1930, 1995),
            )
        elif roll < 0.9 and universities:
            city, (kind_upper, kind_title) = universities.pop()
            city_upper = city.upper()
            prefix = rng.choice(("", "FEDERAL STATE BUDGETARY EDUCATIONAL INSTITUTION OF HIGHER EDUCATION "))
            name = f"{prefix}{city_upper} {kind_upper}"
            in_ror = rng.random() < 0.6
            spec = RuSpec(
                f"gen-hes-{n}",
                name,
                acronym_of(f"{city_upper} {kind_upper}"),
                city,
                "HES",
                0.5,
                f"{city} {kind_title}" if in_ror else None,
                (),
                None,
                ("education",),
                None,
                None,
                None,
                rng.randint(1918, 1990),
            )
        else:
            word = companies.pop() if companies else f"{rng.choice(ACRONYM_A)}{rng.choice(ACRONYM_B)}"
            form = rng.choice(('LIMITED LIABILITY COMPANY "{W}"', 'JOINT STOCK COMPANY "{W}"', "OOO {W}"))
            spec = RuSpec(
                f"gen-prc-{n}", form.format(W=word), word.split()[0], rng.choice(tuple(RU_CITIES)), "PRC", 0.3
            )
        if spec.name in used_names:
            continue
        used_names.add(spec.name)
        specs.append(spec)
    return specs


def ror_record(
    rng: random.Random, spec: RuSpec, ident: str, parent_id: str | None, parent_label: str | None
) -> dict[str, Any]:
    """The ROR schema v2 record of one institution."""
    city = RU_CITIES[spec.city]
    names: list[dict[str, Any]] = [{"lang": "en", "types": ["label", "ror_display"], "value": spec.ror}]
    for alias in spec.aliases:
        names.append({"lang": "en", "types": ["alias"], "value": alias})
    if spec.acronym:
        names.append({"lang": None, "types": ["acronym"], "value": spec.acronym})
    if spec.label_ru:
        names.append({"lang": "ru", "types": ["label"], "value": spec.label_ru})
    created = date(2018, 11, 14) + timedelta(days=rng.randrange(0, 2400))
    modified = created + timedelta(days=rng.randrange(0, 900))
    relationships: list[dict[str, str]] = []
    if parent_id and parent_label:
        relationships.append({"label": parent_label, "type": "parent", "id": parent_id})
    return {
        "admin": {
            "created": {"date": created.isoformat(), "schema_version": "1.0"},
            "last_modified": {"date": modified.isoformat(), "schema_version": "2.1"},
        },
        "domains": [spec.domain] if spec.domain else [],
        "established": spec.established,
        "external_ids": [],
        "id": ident,
        "links": [{"type": "website", "value": f"https://{spec.domain}"}] if spec.domain else [],
        "locations": [
            {
                "geonames_details": {
                    "continent_code": "EU",
                    "continent_name": "Europe",
                    "country_code": "RU",
                    "country_name": "Russia",
                    "country_subdivision_code": city.subdivision_code,
                    "country_subdivision_name": city.subdivision_name,
                    "lat": city.lat,
                    "lng": city.lng,
                    "name": spec.city,
                },
                "geonames_id": city.geonames_id,
            }
        ],
        "names": names,
        "relationships": relationships,
        "status": spec.status,
        "types": list(spec.ror_types),
    }


def build_russia(
    rng: random.Random, pics: list[int], rcns: list[int], next_id: Iterable[int], n_generated: int, used_names: set[str]
) -> tuple[list[Org], list[dict[str, Any]], list[dict[str, Any]]]:
    """(participating Russian organisations, their ROR records, the PIC -> ROR ground truth)."""
    ids = iter(next_id)
    specs = list(RU_CURATED) + generated_ru_specs(rng, n_generated, used_names)
    used_ror: set[str] = set()
    ror_ids: dict[str, str] = {}
    all_specs = list(RU_ROR_ONLY) + specs
    for spec in all_specs:
        if spec.ror:
            ror_ids[spec.key] = ror_id(rng, used_ror)
    labels = {s.key: s.ror for s in all_specs if s.ror}
    records: list[dict[str, Any]] = []
    by_key: dict[str, dict[str, Any]] = {}
    for spec in all_specs:
        if not spec.ror:
            continue
        parent_id = ror_ids.get(spec.parent) if spec.parent else None
        record = ror_record(rng, spec, ror_ids[spec.key], parent_id, labels.get(spec.parent) if spec.parent else None)
        records.append(record)
        by_key[spec.key] = record
    for spec in all_specs:  # children listed on their parents, as ROR does
        if spec.ror and spec.parent and spec.parent in by_key:
            by_key[spec.parent]["relationships"].append({"label": spec.ror, "type": "child", "id": ror_ids[spec.key]})
    if "rfbr" in by_key and "rsf" in ror_ids:
        by_key["rfbr"]["relationships"].append(
            {"label": "Russian Science Foundation", "type": "successor", "id": ror_ids["rsf"]}
        )
        by_key["rsf"]["relationships"].append(
            {"label": "Russian Foundation for Basic Research", "type": "predecessor", "id": ror_ids["rfbr"]}
        )
    orgs: list[Org] = []
    truth: list[dict[str, Any]] = []
    for spec in specs:
        i = next(ids)
        org = ru_org(rng, spec, pics[i], rcns[i])
        org.ror_id = ror_ids.get(spec.key)
        orgs.append(org)
        truth.append(
            {
                "pic": org.pic,
                "cordis_name": spec.name,
                "names_by_programme": {p: org.name_in(p) for p in PROGRAMMES if org.name_in(p) != spec.name},
                "city": spec.city,
                "ror_id": org.ror_id,
                "ror_name": spec.ror,
            }
        )
    return orgs, records, truth

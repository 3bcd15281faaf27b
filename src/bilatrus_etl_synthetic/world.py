"""The synthetic world: every organisation that takes part in any programme, built once per (seed, scale).

Owns the pools of organisations per country (names from the templates of data/organisations.json, sizes from
the participation weights), the weights a programme picks them by, and the few non-Russian ROR records that make
filtering the dump on country do real work. The Russian part comes from `russia`.
"""

from __future__ import annotations

import bisect
import random
from typing import Any

from bilatrus_etl_synthetic.layout import PIC_RANGE, PROGRAMMES
from bilatrus_etl_synthetic.orgs import (
    Org,
    World,
    acronym_of,
    cum,
    geo,
    postcode,
    ror_id,
    vat,
)
from bilatrus_etl_synthetic.russia import build_russia
from bilatrus_etl_synthetic.tables import (
    BASE_WEIGHTS,
    COUNTRIES,
    FIELDS,
    HES_TEMPLATES,
    OTH_TEMPLATES,
    PUB_TEMPLATES,
    REC_TEMPLATES,
    RU_BRANCHES,
    RU_CURATED,
    RU_FIELDS,
    SECTORS,
    STREET_WORDS,
    SYLLABLES_A,
    SYLLABLES_B,
    WEIGHT_CHANGES,
)


def build_name(rng: random.Random, country: str, activity: str, used: set[str]) -> tuple[str, str]:
    """A new organisation name (not in `used`, added to it) and its city."""
    land = COUNTRIES[country]
    adjective = land.adjective
    for attempt in range(12):
        city = rng.choice(land.cities)
        if activity == "HES":
            template = rng.choice(HES_TEMPLATES.get(land.style, HES_TEMPLATES["en"]))
            name = template.format(C=city, R=rng.choice(("I", "II", "III")))
        elif activity == "REC":
            name = rng.choice(REC_TEMPLATES).format(A=adjective, C=city, F=rng.choice(FIELDS))
        elif activity == "PUB":
            name = rng.choice(PUB_TEMPLATES).format(A=adjective, C=city, F=rng.choice(FIELDS), N=land.en.upper())
        elif activity == "OTH":
            word = rng.choice(SYLLABLES_A) + rng.choice(SYLLABLES_B)
            name = rng.choice(OTH_TEMPLATES).format(A=adjective, C=city, F=rng.choice(FIELDS), W=word)
        else:
            legal = rng.choice(land.legal_forms or ("LTD",))
            name = f"{rng.choice(SYLLABLES_A)}{rng.choice(SYLLABLES_B)} {rng.choice(SECTORS)} {legal}"
            if rng.random() < 0.15:
                name = " ".join(w.capitalize() if len(w) > 3 and "." not in w else w for w in name.split())
        if attempt >= 8:
            name = f"{name} {city}"
        if name not in used:
            used.add(name)
            return name, city
    name = f"{name} ({len(used)})"
    used.add(name)
    return name, city


def country_weights(programme: str) -> dict[str, float]:
    """Participation weight of each country in `programme` (countries without weight left out)."""
    weights = dict(BASE_WEIGHTS)
    weights.update(WEIGHT_CHANGES.get(programme, {}))
    return {c: w for c, w in weights.items() if w > 0}


def build_world(seed: int, scale: float) -> World:
    rng = random.Random(f"bilatrus-synthetic:{seed}:world")
    pool_total = round(60_000 * scale) + 400
    mean_weights = {c: sum(country_weights(p).get(c, 0.0) for p in PROGRAMMES) / 4 for c in BASE_WEIGHTS}
    weight_sum = sum(mean_weights.values())
    sizes = {c: max(4, round(pool_total * w / weight_sum)) for c, w in mean_weights.items()}
    n_ru_generated = min(len(RU_FIELDS) * len(RU_BRANCHES) + 60, round(250 * scale))
    n_orgs = sum(sizes.values()) + len(RU_CURATED) + n_ru_generated
    pics = rng.sample(range(*PIC_RANGE), n_orgs)
    rcns = rng.sample(range(1_900_000, 3_000_000), n_orgs)
    next_id = iter(range(n_orgs))
    used_names: set[str] = set()
    activities = ("HES", "REC", "PRC", "PUB", "OTH")
    activity_cum = cum((26, 24, 36, 7, 7))
    pools: dict[str, list[Org]] = {}
    cums: dict[str, list[float]] = {}
    for country in BASE_WEIGHTS:
        lat, lng = COUNTRIES[country].lat, COUNTRIES[country].lng
        city_geo = {
            c: (lat, lng) if i == 0 else (lat + rng.uniform(-1.5, 1.5), lng + rng.uniform(-1.5, 1.5))
            for i, c in enumerate(COUNTRIES[country].cities)
        }
        orgs: list[Org] = []
        for rank in range(sizes[country]):
            activity = activities[bisect.bisect_right(activity_cum, rng.random() * activity_cum[-1])]
            name, city = build_name(rng, country, activity, used_names)
            i = next(next_id)
            short = "" if rng.random() < 0.2 else acronym_of(name)
            sme = "True" if activity == "PRC" and rng.random() < 0.55 else ("" if rng.random() < 0.004 else "False")
            url = (
                ""
                if rng.random() < 0.6
                else f"http://www.{acronym_of(name).lower() or 'org'}{i}.example.{country.lower()}"
            )
            street = f"{rng.choice(STREET_WORDS)} {rng.randint(1, 200)}"
            weight = (2.0 if activity in {"HES", "REC"} else 1.0) / (rank + 1) ** 0.85
            org = Org(
                str(pics[i]),
                name,
                short,
                activity,
                country,
                city,
                street,
                postcode(rng, country),
                vat(rng, country, activity),
                url,
                sme,
                geo(rng, *city_geo[city], 0.05),
                str(rcns[i]),
                weight,
            )
            if rng.random() < 0.03:
                org.names["FP6"] = name.title()
            if rng.random() < 0.002:
                org.street = f"{street}\nBUILDING {rng.randint(1, 9)}"  # a newline inside a quoted field
            orgs.append(org)
        rng.shuffle(orgs)
        pools[country] = orgs
        cums[country] = cum([o.weight for o in orgs])
    ru, ror_records, truth = build_russia(rng, pics, rcns, next_id, n_ru_generated, used_names)
    ror_records.extend(foreign_ror_records(rng, pools, {r["id"] for r in ror_records}))
    return World(pools, cums, ru, ror_records, truth)


def foreign_ror_records(rng: random.Random, pools: dict[str, list[Org]], used: set[str]) -> list[dict[str, Any]]:
    """A few non-Russian records, so that filtering a dump on country is exercised."""
    records: list[dict[str, Any]] = []
    for country in ("DE", "FR", "FI", "UA", "US", "EL", "UK"):
        land = COUNTRIES[country]
        candidates = [o for o in pools[country] if o.activity in {"HES", "REC"}][:4]
        for org in candidates:
            ident = ror_id(rng, used)
            records.append(
                {
                    "admin": {
                        "created": {"date": "2018-11-14", "schema_version": "1.0"},
                        "last_modified": {"date": "2025-03-04", "schema_version": "2.1"},
                    },
                    "domains": [],
                    "established": None,
                    "external_ids": [],
                    "id": ident,
                    "links": [],
                    "locations": [
                        {
                            "geonames_details": {
                                "continent_code": "NA" if country == "US" else "EU",
                                "continent_name": "North America" if country == "US" else "Europe",
                                "country_code": land.iso,
                                "country_name": land.en,
                                "lat": land.lat,
                                "lng": land.lng,
                                "name": org.city.title(),
                            },
                            "geonames_id": 1000000 + len(records),
                        }
                    ],
                    "names": [{"lang": "en", "types": ["label", "ror_display"], "value": org.name.title()}],
                    "relationships": [],
                    "status": "active",
                    "types": ["education" if org.activity == "HES" else "facility"],
                }
            )
    return records

"""The organisations of the synthetic world and the small invented values they carry.

Owns `Org` (one organisation as every programme's files show it), `World` (the organisations of all programmes,
their pick weights, the ROR records and the PIC -> ROR ground truth), and the helpers that invent an
organisation's postcode, VAT number, coordinates, acronym and ROR id.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bilatrus_etl_synthetic.tables import COUNTRIES


class Org:
    __slots__ = (
        "activity",
        "cities",
        "city",
        "country",
        "first",
        "geo",
        "name",
        "names",
        "pic",
        "postcode",
        "rcn",
        "ror_id",
        "ru_key",
        "short",
        "sme",
        "street",
        "url",
        "vat",
        "weight",
    )

    def __init__(
        self,
        pic: str,
        name: str,
        short: str,
        activity: str,
        country: str,
        city: str,
        street: str,
        postcode: str,
        vat: str,
        url: str,
        sme: str,
        geo: str,
        rcn: str,
        weight: float,
    ) -> None:
        self.pic = pic
        self.name = name
        self.short = short
        self.activity = activity
        self.country = country
        self.city = city
        self.street = street
        self.postcode = postcode
        self.vat = vat
        self.url = url
        self.sme = sme
        self.geo = geo
        self.rcn = rcn
        self.weight = weight
        self.names: dict[str, str] = {}
        self.cities: dict[str, str] = {}
        self.ru_key: str | None = None
        self.ror_id: str | None = None
        self.first = 0

    def name_in(self, programme: str) -> str:
        return self.names.get(programme, self.name)

    def city_in(self, programme: str) -> str:
        return self.cities.get(programme, self.city)


@dataclass
class World:
    pools: dict[str, list[Org]]
    cum: dict[str, list[float]]
    ru: list[Org]
    ror_records: list[dict[str, Any]]
    ru_truth: list[dict[str, Any]]


def postcode(rng: random.Random, country: str) -> str:
    if country == "UK":
        return (
            f"{rng.choice('BCEGLMNOS')}{rng.choice('ABEHLMNRSTWX')}{rng.randint(1, 20)} "
            f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        )
    if country == "NL":
        return f"{rng.randint(1000, 9999)} {rng.choice('ABCDEGHJKLMNPRSTVWXZ')}{rng.choice('ABCDEGHJKLMNPRSTVWXZ')}"
    if country == "RU":
        return f"{rng.randint(101000, 690000)}"
    if country in {"AT", "BE", "CH", "DK", "HU", "LU", "NO", "SI", "AU", "ZA", "CY", "BG", "GE", "AM", "TN"}:
        return f"{rng.randint(1000, 9999)}"
    if country in {"IE", "MT", "IS", "IL"}:
        return "" if rng.random() < 0.4 else f"{rng.randint(100, 999)}"
    return f"{rng.randint(10000, 99999)}"


def vat(rng: random.Random, country: str, activity: str) -> str:
    prefix = COUNTRIES[country].vat_prefix
    if not prefix or rng.random() < (0.45 if activity in {"HES", "REC", "PUB"} else 0.15):
        return ""
    return f"{prefix}{rng.randint(10**7, 10**10 - 1)}"


def geo(rng: random.Random, lat: float, lng: float, spread: float) -> str:
    return f"{round(lat + rng.uniform(-spread, spread), 7)},{round(lng + rng.uniform(-spread, spread), 7)}"


def acronym_of(name: str) -> str:
    skip = {"OF", "THE", "FOR", "DE", "DI", "DU", "LA", "AND", "DES", "DEGLI", "W", "-", "&"}
    letters = [w[0] for w in name.replace('"', "").split() if w not in skip and w[:1].isalpha()]
    return "".join(letters[:8])


def ror_id(rng: random.Random, used: set[str]) -> str:
    """A new ROR id (with its checksum) not in `used`, added to it."""
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
    while True:
        number = rng.randrange(0, 32**6)
        digits = []
        rest = number
        for _ in range(6):
            digits.append(alphabet[rest % 32])
            rest //= 32
        checksum = 98 - ((number * 100) % 97)
        ident = f"https://ror.org/0{''.join(reversed(digits))}{checksum:02d}"
        if ident not in used:
            used.add(ident)
            return ident


def title_case(text: str) -> str:
    small = {"of", "the", "and", "for", "named", "after"}
    words = [w.lower() if w.lower() in small and i else w.capitalize() for i, w in enumerate(text.split())]
    return " ".join(words)


def cum(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))

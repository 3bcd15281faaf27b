"""The generator's data tables, read from the package's data/*.json files (importlib.resources).

Owns the reading and the typed shape of those tables: countries and their weights, organisation name material,
Russian institutions, the programmes' funding schemes and titles, and the vocabulary of project texts. Lists in
the files become tuples here, so the tables are as immutable as they were when they were written in code. Each
file says what it holds in its "about" entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any


def _frozen(value: Any) -> Any:
    """JSON lists as tuples, recursively (dicts keep their order)."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    table: dict[str, Any] = _frozen(json.loads(text))
    table.pop("about", None)
    return table


@dataclass(frozen=True)
class Country:
    iso: str
    en: str
    de: str
    fr: str
    style: str  # naming style of higher education institutions (a key of HES_TEMPLATES)
    lat: float
    lng: float
    vat_prefix: str
    cities: tuple[str, ...]
    adjective: str = ""
    legal_forms: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuCity:
    lat: float
    lng: float
    geonames_id: int
    subdivision_code: str
    subdivision_name: str
    spellings: tuple[str, ...]  # as CORDIS writes the city


@dataclass(frozen=True)
class RuSpec:
    """One Russian institution: how CORDIS names it and, when it is in ROR, its ROR record."""

    key: str
    name: str  # CORDIS legal name (current programmes)
    short: str
    city: str
    activity: str
    weight: float
    ror: str | None = None  # ROR display name; None = not in ROR (unmatchable)
    aliases: tuple[str, ...] = ()
    acronym: str | None = None
    ror_types: tuple[str, ...] = ("education",)
    parent: str | None = None
    label_ru: str | None = None
    domain: str | None = None
    established: int | None = None
    fp6_name: str | None = None  # older CORDIS legal name used in FP6/FP7
    from_programme: str = "FP6"
    status: str = "active"


@dataclass(frozen=True)
class RuBranch:
    name: str
    short: str
    parent: str | None
    cities: tuple[str, ...]


@dataclass(frozen=True)
class Scheme:
    """A funding scheme of a programme."""

    code: str
    weight: float
    lo: int
    hi: int
    legal: tuple[str, ...]
    ec: tuple[float, float]  # EC contribution range per ordinary participant (EUR)
    months: tuple[int, int] = (24, 48)
    ru_ok: bool = True  # can a Russian organisation take part


_countries = _load("countries.json")
COUNTRIES: dict[str, Country] = {code: Country(**entry) for code, entry in _countries["countries"].items()}
BASE_WEIGHTS: dict[str, float] = _countries["participation_weights"]  # non-Russian slots; the order matters
WEIGHT_CHANGES: dict[str, dict[str, float]] = _countries["weight_changes"]
ASSOCIATED = frozenset(_countries["associated"])
THIRD_WITHOUT_EC = frozenset(_countries["third_countries_without_ec"])
EU = frozenset(c for c in BASE_WEIGHTS if c not in set(_countries["outside_eu"]) and c not in ASSOCIATED)

_organisations = _load("organisations.json")
HES_TEMPLATES: dict[str, tuple[str, ...]] = _organisations["higher_education"]
REC_TEMPLATES: tuple[str, ...] = _organisations["research"]
PUB_TEMPLATES: tuple[str, ...] = _organisations["public"]
OTH_TEMPLATES: tuple[str, ...] = _organisations["other"]
FIELDS: tuple[str, ...] = _organisations["fields"]
SYLLABLES_A: tuple[str, ...] = _organisations["syllables_a"]
SYLLABLES_B: tuple[str, ...] = _organisations["syllables_b"]
SECTORS: tuple[str, ...] = _organisations["sectors"]
STREET_WORDS: tuple[str, ...] = _organisations["street_words"]

_russia = _load("russia.json")
RU_CITIES: dict[str, RuCity] = {name: RuCity(**entry) for name, entry in _russia["cities"].items()}
RU_CURATED: tuple[RuSpec, ...] = tuple(RuSpec(**entry) for entry in _russia["curated"])
RU_ROR_ONLY: tuple[RuSpec, ...] = tuple(RuSpec(**entry) for entry in _russia["ror_only"])  # never participate
RU_FIELDS: tuple[tuple[str, str], ...] = _russia["fields"]  # (upper case, title case)
RU_BRANCHES: tuple[RuBranch, ...] = tuple(RuBranch(**entry) for entry in _russia["branches"])
RU_UNI_KINDS: tuple[tuple[str, str], ...] = _russia["university_kinds"]
RU_COMPANY_WORDS: tuple[str, ...] = _russia["company_words"]
RU_STREETS: tuple[str, ...] = _russia["streets"]

_programmes = _load("programmes.json")
SCHEMES: dict[str, tuple[Scheme, ...]] = {
    programme: tuple(Scheme(**entry) for entry in schemes) for programme, schemes in _programmes["schemes"].items()
}
START_YEARS: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = {
    programme: (entry["years"], entry["weights"]) for programme, entry in _programmes["start_years"].items()
}
FP6_PRIORITY: dict[str, str] = _programmes["fp6_priorities"]
FP6_TITLES: dict[str, str] = _programmes["fp6_titles"]
FP7_PROGRAMMES: tuple[tuple[int, str, str, str], ...] = tuple(
    (p["rcn"], p["code"], p["title"], p["short"]) for p in _programmes["fp7_programmes"]
)
H2020_PROGRAMMES: tuple[tuple[int, str, str], ...] = tuple(
    (p["rcn"], p["code"], p["title"]) for p in _programmes["h2020_programmes"]
)
HE_TITLES: dict[str, str] = _programmes["he_titles"]
FUNDING_SCHEME_TITLES: dict[str, str] = _programmes["funding_scheme_titles"]
ACTIVITY_TYPES: tuple[tuple[str, str], ...] = tuple(_programmes["activity_types"].items())

_text = _load("text.json")
TECH: tuple[str, ...] = _text["technologies"]
APPLICATIONS: tuple[str, ...] = _text["applications"]
ADJECTIVES: tuple[str, ...] = _text["adjectives"]
ACRONYM_A: tuple[str, ...] = _text["acronym_a"]
ACRONYM_B: tuple[str, ...] = _text["acronym_b"]
SENTENCES: tuple[str, ...] = _text["sentences"]

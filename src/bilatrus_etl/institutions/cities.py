"""City names: one comparable spelling per city, and whether two city names denote the same place.

`normalise_city` reads `St.-Petersburg`, `SANKT-PETERBURG` and `Saint Petersburg` alike; `city_agreement` also
counts the science towns CORDIS and ROR place either under the town or under the big city next to it (Troitsk
and Moscow) as one place; `city_words` are the words of a city name (and of its former names: Leningrad, Stalingrad) that may appear in
an institution's name; `without_region` takes
from a name the federal district it adds to its city ("Kazan (Volga Region) Federal University").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from bilatrus_etl.institutions.normalise import match_key, plain_lower, skeleton

_CITY_NOISE = re.compile(
    r"\b(?:g|gorod|city|urban okrug|okrug|oblast|region|obl|raion|district|town|pos|poselok|settlement|"
    r"selo|rabochii|municipal|krai|kray|republic)\b"
)
_CITY_ALIASES = {
    "moskva": "moscow",
    "moskou": "moscow",
    "moskau": "moscow",
    "moscou": "moscow",
    "mosca": "moscow",
    "saint petersburg": "saint petersburg",
    "st petersburg": "saint petersburg",
    "sankt peterburg": "saint petersburg",
    "petersburg": "saint petersburg",
    "spb": "saint petersburg",
    "ekaterinburg": "yekaterinburg",
    "nizhnii novgorod": "nizhny novgorod",
    "nizhniy novgorod": "nizhny novgorod",
    "nizhni novgorod": "nizhny novgorod",
    "n novgorod": "nizhny novgorod",
    "kazan": "kazan",
    "rostov na donu": "rostov on don",
    "rostov": "rostov on don",
    "togliatti": "tolyatti",
    "koroliov": "korolyov",
    "korolev": "korolyov",
    "kaliningrad moscow": "korolyov",
}
# Soviet and older names of cities, which the names of bodies founded then keep ("Leningrad Research Institute
# of Radiation Hygiene" in St Petersburg, "Stalingrad Institute of Engineers ..." in Volgograd).
_FORMER_NAMES = {
    "leningrad": "saint petersburg",
    "petrograd": "saint petersburg",
    "stalingrad": "volgograd",
    "tsaritsyn": "volgograd",
    "sverdlovsk": "yekaterinburg",
    "gorky": "nizhny novgorod",
    "gorkii": "nizhny novgorod",
    "kuibyshev": "samara",
    "kuybyshev": "samara",
    "kalinin": "tver",
    "molotov": "perm",
    "ordzhonikidze": "vladikavkaz",
    "zagorsk": "sergiev posad",
    "vyatka": "kirov",
}
_CITY_ALIASES.update(_FORMER_NAMES)
# Science towns that CORDIS and ROR place either under the town or under the big city next to it.
_METRO_GROUPS: dict[str, frozenset[str]] = {
    "moscow": frozenset(
        {
            "moscow",
            "troitsk",
            "zelenograd",
            "dolgoprudny",
            "dolgoprudnyy",
            "khimki",
            "korolyov",
            "podolsk",
            "pushchino",
            "chernogolovka",
            "fryazino",
            "zhukovsky",
            "zhukovskiy",
            "balashikha",
            "mytishchi",
            "krasnogorsk",
            "lyubertsy",
            "vidnoye",
            "vidnoe",
            "shatura",
            "protvino",
            "skolkovo",
            "reutov",
            "obolensk",
            "sergiev posad",
            "serpukhov",
            "kolomna",
            "odintsovo",
            "moscow oblast",
            "moskovskaya",
            "istra",
            "elektrostal",
            "lytkarino",
            "kotelniki",
            "krasnoznamensk",
            "yubileyny",
        }
    ),
    "saint petersburg": frozenset(
        {
            "saint petersburg",
            "gatchina",
            "pushkin",
            "peterhof",
            "petergof",
            "kronstadt",
            "sestroretsk",
            "pavlovsk",
            "kolpino",
            "metallostroy",
            "metallostroi",
            "lomonosov",
            "zelenogorsk",
            "krasnoye selo",
            "repino",
            "koltushi",
            "sosnovy bor",
            "vsevolozhsk",
            "pesochny",
            "pesochnyy",
            "strelna",
        }
    ),
    "novosibirsk": frozenset({"novosibirsk", "akademgorodok", "koltsovo", "krasnoobsk", "berdsk"}),
    "obninsk": frozenset({"obninsk"}),
}


@lru_cache(maxsize=50_000)
def normalise_city(city: Any) -> str:
    """A comparable city name: `St.-Petersburg`, `SANKT-PETERBURG`, `Saint Petersburg` -> `saint petersburg`."""
    if city is None or (isinstance(city, float) and city != city):
        return ""
    text = plain_lower(str(city))
    text = re.sub(r"\bsaint[\s.-]*|\bst[\s.-]+|\bsankt[\s.-]*", "saint ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = _CITY_NOISE.sub(" ", text)
    text = " ".join(text.split())
    text = text.replace("saint peterburg", "saint petersburg")
    return _CITY_ALIASES.get(text, text)


@lru_cache(maxsize=50_000)
def _metro(city: str) -> str:
    """The metro area's centre a normalised city name belongs to (itself when none); cached like
    `normalise_city`: the matcher asks about the same few cities for every candidate it weighs."""
    for center, members in _METRO_GROUPS.items():
        if city in members or skeleton(city.replace(" ", "")) in {skeleton(m.replace(" ", "")) for m in members}:
            return center
    return city


def city_agreement(first: Any, second: Any) -> bool | None:
    """True when two city names denote the same place (or metro area), False when not, None if unknown."""
    a, b = normalise_city(first), normalise_city(second)
    if not a or not b:
        return None
    if a == b or skeleton(a.replace(" ", "")) == skeleton(b.replace(" ", "")):
        return True
    if _metro(a) == _metro(b):
        return True
    # Spelling slips in long names only: "Tomsk" and "Omsk" are different cities.
    sa, sb = skeleton(a), skeleton(b)
    return sa[0] == sb[0] and min(len(sa), len(sb)) >= 6 and fuzz.ratio(sa, sb) >= 90


def city_words(city: Any) -> frozenset[str]:
    """The skeleton words (four letters or more) of a city's name and of its former names (`_FORMER_NAMES`)."""
    return _words_of_city(normalise_city(city))


@lru_cache(maxsize=10_000)
def _words_of_city(name: str) -> frozenset[str]:
    names = [name, *(former for former, current in _FORMER_NAMES.items() if current == name and name)]
    return frozenset(skeleton(word) for text in names for word in text.split() if len(word) >= 4)


# The federal districts whose names a body adds to its city's name ("Kazan Privolzhskii Federal University",
# "Kazan (Volga Region) ..."), as match keys, longest first. "Central", "Southern", "Northern" are left out:
# they name bodies ("Central Research Institute ...") more often than districts; a bare "region" too ("Moscow
# Region State University" is not Moscow State University).
_DISTRICTS = tuple(
    sorted(
        (
            tuple(match_key(name).split())
            for name in ("volga region", "volga", "ural", "siberian", "far eastern", "north caucasian", "northwestern")
        ),
        key=len,
        reverse=True,
    )
)


def without_region(key: str, city: Any) -> str | None:
    """A match key without the federal district it names, when the rest still names the city ("kazan volga
    region federal universiti" in Kazan -> "kazan federal universiti"); None when it names no district or not
    the city."""
    words = key.split()
    kept: list[str] = []
    index = 0
    while index < len(words):
        district = next((d for d in _DISTRICTS if tuple(words[index : index + len(d)]) == d), None)
        if district is None:
            kept.append(words[index])
            index += 1
        else:
            index += len(district)
    if len(kept) == len(words) or not kept or not set(kept) & city_words(city):
        return None
    return " ".join(kept)

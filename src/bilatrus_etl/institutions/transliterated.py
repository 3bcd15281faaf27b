"""The `ror-translit:<system>` development source: the registry's own Russian names written in Latin capitals the
ways CORDIS legal names of Russian participants are ("INSTITUT KHIMII TVERDOGO TELA URALSKOGO OTDELENIYA ...").

Each Russian name (Cyrillic, Russian letters only) of an active record is transliterated by `iuliia` in three
systems, one source each: `bgn` (BGN/PCGN: KH, TS, YA, й as Y: "ROSSIYSKOY"), `icao` (ICAO Doc 9303, the
passport system: й as I, я as IA: "ROSSIISKOI ... OTDELENIIA") and `iso9` (GOST 7.79 system B, the ASCII form of
ISO 9: X, CZ, J: "XIMII ... ROSSIJSKOJ"); apostrophes and diacritics are dropped, as upper-case legal names drop
them. The records fall in two folds by a stable hash; the matcher indexes the registry with the fold's records
stripped of all their Cyrillic names (acronyms stay) and is asked for those names in Latin letters (with the
record's city). A record with no other name is skipped (there is nothing to find it by), and so is a query whose
key equals a kept name's key.
Also here: the names of a registry row the development sources hold out (`record_names`), their `language`, and
the shape of one development query (`dev_query`).
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import iuliia
import pandas as pd

from bilatrus_etl.institutions.normalise import match_key

SYSTEMS: dict[str, iuliia.Schema] = {
    "bgn": iuliia.BGN_PCGN_ALT,
    "icao": iuliia.ICAO_DOC_9303,
    "iso9": iuliia.GOST_779_ALT,
}
_RUSSIAN = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_MARKS = re.compile(r"[`'\u2019\u201d\u02b9\u02ba\"«»“„]")


def language(name: str) -> str:
    """`ru` for a name with Cyrillic letters, else `latin` (the development sources' language of a name)."""
    return "ru" if any("\u0400" <= char <= "\u04ff" for char in name) else "latin"


def record_names(row: pd.Series) -> list[str]:
    """The names of a registry row a development source may hold out: display name and labels, not acronyms."""
    acronyms = set(row["acronyms"] or [])
    names = [str(row["display_name"]), *[str(n) for n in row["labels"] or []]]
    return [n for n in dict.fromkeys(names) if n and n not in acronyms]


def dev_query(
    name: str, city: object, country: object, expected: object, source: str, note: str = ""
) -> dict[str, object]:
    """One row of a development source: a name asked with its city and country, and the ROR id expected."""
    return {
        "name": name,
        "city": city or "",
        "country": country or "",
        "pic": "",
        "short_name": "",
        "expected_ror_id": expected,
        "source": source,
        "note": note,
    }


def latin_capitals(name: str, system: str) -> str:
    """A Cyrillic name in Latin capitals in one of `SYSTEMS` ("Институт химии" -> "INSTITUT KHIMII" in `bgn`)."""
    text = SYSTEMS[system].translate(name.replace("ё", "е").replace("Ё", "Е"))
    text = unicodedata.normalize("NFKD", _DASHES.sub("-", _MARKS.sub("", text)))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.upper().split())


def _russian_letters(name: str) -> bool:
    """Whether every Cyrillic letter of a name is of the Russian alphabet (a Bashkir or Tatar name is not)."""
    return all(char in _RUSSIAN for char in name.lower() if "\u0400" <= char <= "\u04ff")


def _fold(ror_id: str) -> int:
    return zlib.crc32(f"translit:{ror_id}".encode()) % 2


def transliterated_names(registry: pd.DataFrame, fold: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(registry with the fold's records stripped of their Cyrillic names, the queries for those names in every
    system of `SYSTEMS`): see the module docstring."""
    kept_registry = registry.copy()
    queries: list[dict[str, object]] = []
    displays, labels = [], []
    for row in registry.itertuples(index=False):
        data = pd.Series(row._asdict())
        names = record_names(data)
        russian = [n for n in names if language(n) == "ru" and _russian_letters(n)]
        kept = [n for n in names if language(n) == "latin"]
        if _fold(str(data["ror_id"])) != fold or not russian or not kept:
            displays.append(data["display_name"])
            labels.append(data["labels"])
            continue
        kept_keys = {match_key(n) for n in kept}
        if str(data["status"]).lower() == "active":
            for name in russian:
                for system in SYSTEMS:
                    query = latin_capitals(name, system)
                    if match_key(query) and match_key(query) not in kept_keys:
                        queries.append(
                            dev_query(
                                query,
                                data["city"],
                                data["country_code"],
                                data["ror_id"],
                                f"ror-translit:{system}",
                                f"{name} ({data['ror_id']})",
                            )
                        )
        displays.append(data["display_name"] if data["display_name"] in kept else kept[0])
        labels.append([*kept, *list(data["acronyms"] or [])])
    kept_registry["display_name"] = displays
    kept_registry["labels"] = labels
    return kept_registry, pd.DataFrame(queries)

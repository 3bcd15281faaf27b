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
Also here: the `ror-variants:translit-<system>` queries (`russian_name_variants`): the same Russian names written
the ways CORDIS legal names write Russian without a standard system, asked of the whole registry (Cyrillic names
kept); the names of a registry row the development sources hold out (`record_names`), their `language`, and the
shape of one development query (`dev_query`).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from typing import Any

import iuliia
import pandas as pd

from bilatrus_etl.institutions.normalise import match_key

SYSTEMS: dict[str, iuliia.Schema] = {
    "bgn": iuliia.BGN_PCGN_ALT,
    "icao": iuliia.ICAO_DOC_9303,
    "iso9": iuliia.GOST_779_ALT,
}
_RUSSIAN = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


class _Letters:
    """A letter-for-letter transliteration (iuliia's `translate`, without its context rules)."""

    def __init__(self, latin: str) -> None:
        self.table = dict(zip(sorted(_RUSSIAN), latin.split(","), strict=True))

    def translate(self, text: str) -> str:
        out = []
        for char in text:
            latin = self.table.get(char.lower())
            out.append(char if latin is None else latin.capitalize() if char.isupper() else latin)
        return "".join(out)


# Systems many CORDIS legal names of Russian participants are written in, none of the three above: й as J, х as H,
# ц as C, щ as SCH, ю and я as JU and JA ("ROSSIJSKOJ ... ZDRAVOOHRANENIJA ... OBSCHESTVO", no standard of its own;
# letters in the order of `sorted(_RUSSIAN)`: а б в г д е ж з и й к л м н о п р с т у ф х ц ч ш щ ъ ы ь э ю я ё),
# and Telegram's (й as I, х as H, я as IA, ж as J: "ROSSIISKOI", "UCHREJDENIE").
VARIANT_SYSTEMS: dict[str, Any] = {
    "j": _Letters("a,b,v,g,d,e,zh,z,i,j,k,l,m,n,o,p,r,s,t,u,f,h,c,ch,sh,sch,,y,,e,ju,ja,e"),
    "telegram": iuliia.TELEGRAM,
}
_ALL_SYSTEMS: dict[str, Any] = {**SYSTEMS, **VARIANT_SYSTEMS}
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
    text = _ALL_SYSTEMS[system].translate(name.replace("ё", "е").replace("Ё", "Е"))
    text = unicodedata.normalize("NFKD", _DASHES.sub("-", _MARKS.sub("", text)))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.upper().split())


def _russian_letters(name: str) -> bool:
    """Whether every Cyrillic letter of a name is of the Russian alphabet (a Bashkir or Tatar name is not)."""
    return all(char in _RUSSIAN for char in name.lower() if "\u0400" <= char <= "\u04ff")


def _russian_names(names: list[str]) -> list[str]:
    """The names in Cyrillic with Russian letters only: the ones the transliterated sources write in Latin."""
    return [n for n in names if language(n) == "ru" and _russian_letters(n)]


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
        russian = _russian_names(names)
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


def russian_name_variants(registry: pd.DataFrame, country: str = "RU") -> list[dict[str, object]]:
    """Queries for the `ror-variants:translit-<system>` sources: every Russian name of an active record in Latin
    capitals in each of `VARIANT_SYSTEMS`, expected to find the record in the whole registry."""
    rows: list[dict[str, object]] = []
    active = registry[registry["status"].eq("active") & registry["country_code"].eq(country)]
    for row in active.itertuples(index=False):
        data = pd.Series(row._asdict())
        for name in _russian_names(record_names(data)):
            for system in VARIANT_SYSTEMS:
                query = latin_capitals(name, system)
                rows.append(dev_query(query, data["city"], country, data["ror_id"], f"ror-variants:translit-{system}"))
    return rows

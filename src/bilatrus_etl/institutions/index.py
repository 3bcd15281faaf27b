"""The registry as the matcher searches it: one `Record` per ROR record and the lookups built over them.

`RegistryIndex` indexes every name of a record (display name, labels in every language, aliases; acronyms
only as acronyms) by match key and by the key's words in sorted order, per country as the list fuzzy
retrieval scores (with three-letter word-start postings for blocking, and character n-grams: `ngrams`), acronyms (given, and spelt from
Cyrillic names) by key, and the registry's words (`Vocabulary`). It answers what a record is called, whether
a city agrees with a record's cities, and which record a withdrawn or inactive one was succeeded by.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from bilatrus_etl.institutions.alignment import eponyms
from bilatrus_etl.institutions.bilingual import learn_words, read_word
from bilatrus_etl.institutions.cities import city_agreement, city_words
from bilatrus_etl.institutions.methods import ResolveError
from bilatrus_etl.institutions.ngrams import NgramIndex
from bilatrus_etl.institutions.normalise import (
    TABLE_WORDS,
    clean_text,
    derived_acronyms,
    english_word,
    iso9_read,
    legal_form_length,
    match_key,
    name_words,
    raw_words,
)
from bilatrus_etl.institutions.ror_schema import short_ror_id
from bilatrus_etl.institutions.vocabulary import LEGAL_VOCABULARY, Vocabulary


@dataclass(frozen=True)
class Record:
    """One ROR record as the matcher sees it (keys and words as `match_key` makes them)."""

    ror_id: str
    name: str
    city: str | None
    cities: tuple[str, ...]
    country: str | None
    status: str
    successors: tuple[str, ...]
    acronyms: frozenset[str]
    acronym_words: frozenset[str]
    eponyms: frozenset[str]
    vocabulary: frozenset[str]
    city_words: frozenset[str]


@dataclass(frozen=True)
class Entry:
    """One name of a record in its country's list: the record's position and the name's match key."""

    record: int
    key: str


class RegistryIndex:
    """Lookups over a registry DataFrame (see `bilatrus_etl.institutions.registry`); records by position."""

    def __init__(self, registry: pd.DataFrame, follow_successors: bool = True) -> None:
        self.follow_successors = follow_successors
        self.records: list[Record] = []
        self.by_id: dict[str, int] = {}
        self.exact: dict[str, set[int]] = defaultdict(set)
        self.sorted_exact: dict[str, set[int]] = defaultdict(set)
        self.acronym: dict[str, set[int]] = defaultdict(set)
        self.entries: dict[str, list[Entry]] = defaultdict(list)
        self.entry_keys: dict[str, list[str]] = {}
        self.postings: dict[str, dict[str, list[int]]] = {}
        self.ngrams: dict[str, NgramIndex] = {}  # country -> character n-grams of its names' keys (`entry_keys`)
        self.record_keys: list[list[str]] = []
        self.record_frequency: Counter[str] = Counter()
        # country -> first word -> (record position, `name_words` of a name): the names a cut name may start
        self.name_starts: dict[str, dict[str, list[tuple[int, tuple[str, ...]]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.vocabulary = Vocabulary(())
        self.place_words: frozenset[str] = frozenset()
        self.latin_words: frozenset[str] = frozenset()  # the match-key words of the registry's Latin names
        self.place_adjectives: dict[str, str] = {}
        self.learned_words: dict[str, str] = {}  # stem of a Russian word -> English word (`bilingual`)
        self._build(registry)

    def _build(self, registry: pd.DataFrame) -> None:
        for column in ("ror_id", "display_name", "labels"):
            if column not in registry.columns:
                raise ResolveError(
                    f"registry table lacks column {column!r}; build it with bilatrus_etl.institutions.registry"
                )
        words: set[str] = set()
        self.place_words = frozenset(
            word
            for column in ("city", "cities")
            if column in registry.columns
            for value in registry[column]
            for city in _listed(value)
            for word in city_words(city)
        )
        # a city's own words that read as a place adjective ("Petropavlovsk-Kamchatskiy": "kamchacki" -> "kamchack")
        self.place_adjectives = {
            stem: w for w in self.place_words if (stem := english_word(w)) != w and w.startswith(stem)
        }
        self.latin_words = frozenset(
            word
            for display, labels in zip(registry["display_name"], registry["labels"], strict=True)
            for name in [str(display), *_listed(labels)]
            if name.isascii()
            for word in match_key(name).split()
        )
        self.learned_words = learn_words(self._bilingual_pairs(registry), self.latin_words | TABLE_WORDS)
        for row in registry.itertuples(index=False):
            data = row._asdict()
            ror = short_ror_id(data["ror_id"])
            if not ror or ror in self.by_id:
                continue
            names = list(dict.fromkeys([str(data["display_name"]), *_listed(data.get("labels"))]))
            keys = {name: self.key(name) for name in names}
            acronyms = _listed(data.get("acronyms"))
            acronym_keys = frozenset(k for k in (match_key(a).replace(" ", "") for a in acronyms) if k)
            acronym_words = frozenset(
                word
                for acronym in acronyms
                for word in (*match_key(acronym).split(), match_key(acronym).replace(" ", ""))
                if len(word) >= 3
            )
            city = clean_text(data.get("city")) or None
            cities = tuple(dict.fromkeys([*([city] if city else []), *_listed(data.get("cities"))]))
            acronym_keys |= derived_acronyms(names)
            record = Record(
                ror_id=ror,
                name=str(data["display_name"]),
                city=city,
                cities=cities,
                country=clean_text(data.get("country_code")).upper() or None,
                status=clean_text(data.get("status")).lower() or "active",
                successors=tuple(_listed(data.get("successor_ror_ids"))),
                acronyms=acronym_keys,
                acronym_words=acronym_words,
                eponyms=frozenset().union(*(eponyms(n) for n in names)) if names else frozenset(),
                vocabulary=frozenset(word for key in keys.values() for word in key.split()),
                city_words=frozenset().union(*(city_words(c) for c in cities)) if cities else frozenset(),
            )
            position = len(self.records)
            self.records.append(record)
            self.record_keys.append([k for k in keys.values() if k])
            self.by_id[ror] = position
            for name in names:
                if name in acronyms and name != names[0]:
                    continue
                key = keys[name]
                if not key:
                    continue
                self.exact[key].add(position)
                self.entries[record.country or ""].append(Entry(position, key))
                for form in _starting_forms(name):
                    self.name_starts[record.country or ""][form[0]].append((position, form))
            for key in acronym_keys:
                self.acronym[key].add(position)
            words.update(word for name in names for word in raw_words(name))
            self.record_frequency.update({word for key in keys.values() for word in key.split()})
        self.vocabulary = Vocabulary(words)
        for key, positions in self.exact.items():
            self.sorted_exact[" ".join(sorted(key.split()))].update(positions)
        self.entry_keys = {country: [entry.key for entry in items] for country, items in self.entries.items()}
        self.ngrams = {country: NgramIndex(keys) for country, keys in self.entry_keys.items()}
        for country, items in self.entries.items():
            postings: dict[str, list[int]] = defaultdict(list)
            for index, entry in enumerate(items):
                entry_words = set(entry.key.split()) | self.records[entry.record].acronym_words
                for prefix in {word[:3] for word in entry_words if len(word) >= 3 and not word.isdigit()}:
                    postings[prefix].append(index)
            self.postings[country] = dict(postings)

    def key(self, name: str) -> str:
        """A name's `match_key`, a Russian adjective of a place read as the place: of a registry city ("kazansk"
        -> "kazan"), or of a word of the registry's Latin names it derives from (`place_of`); a Russian word the
        tables do not read, in the English the registry's bilingual names taught (`bilingual`)."""
        return " ".join(
            self.place_of(read_word(word, self.learned_words, self.latin_words)) for word in match_key(name).split()
        )

    def _bilingual_pairs(self, registry: pd.DataFrame) -> list[tuple[str, str]]:
        """(key of a Russian name, key of an English name) for every two such names of one record, the record's
        acronyms (given, or spelt from its Russian names) left out: they are no words to learn."""
        pairs: list[tuple[str, str]] = []
        acronyms = registry["acronyms"] if "acronyms" in registry.columns else [None] * len(registry)
        for display, labels, given in zip(registry["display_name"], registry["labels"], acronyms, strict=True):
            names = list(dict.fromkeys([str(display), *_listed(labels)]))
            short = {match_key(a).replace(" ", "") for a in _listed(given)} | derived_acronyms(names)

            def words(key: str, short: set[str] = short) -> str:
                return " ".join(w for w in key.split() if w not in short)

            russian = [words(self.key(n)) for n in names if any("\u0400" <= char <= "\u04ff" for char in n)]
            english = [words(self.key(n)) for n in names if n.isascii()]
            pairs.extend((r, e) for r in russian for e in english if r and e)
        return pairs

    def place_of(self, word: str) -> str:
        """The place a Russian place adjective's "-sk" stem (`normalise.english_word`) derives from: a registry
        city ("kazansk" -> "kazan"), else the shortest word of the registry's Latin names that is the stem with a
        noun's ending ("samarsk" -> "samara", "iaroslavsk" -> "iaroslavl", "mordovsk" -> "mordovia", "chuvashsk"
        -> "chuvash", "sakhalinsk" -> "sakhalin", though "Yuzhno-Sakhalinsk" is a city); a word the Latin names
        hold as it is ("tomsk") stays."""
        if word in self.place_adjectives:
            return self.place_adjectives[word]
        stem = word[:-2]
        if word.endswith("ck") and word not in self.place_words:  # "surguck" -> "surgut", "cherepoveck" -> "cherepovec"
            known = self.place_words | self.latin_words  # "kamchack" -> "kamchatka"
            return next((stem + end for end in ("t", "c", "tka") if stem + end in known), word)
        if not word.endswith("sk") or len(stem) < 3:
            return word
        if stem in self.place_words:
            return stem
        if word in self.latin_words:
            return word
        # "penzensk" -> "penza", "sochinsk" -> "sochi": a suffix "-en-" / "-in-" before "-sk" when nothing else fits;
        # then the irregular stems: "zh" for "g" ("kaluzhsk" -> "kaluga"), a fleeting "o" ("vologodsk" -> "vologda",
        # "iugorsk" -> "iugra"), a suffix "-im-" / "-in-" after a short stem ("ufimsk" -> "ufa", "tuvinsk" -> "tuva")
        stems = [stem, *([stem[:-2]] if stem.endswith(("en", "in")) and len(stem) >= 6 else [])]
        stems += _irregular_stems(stem)
        found: list[str] = []
        for base in stems:
            found = [base + end for end in _PLACE_ENDINGS if base + end in self.latin_words]
            if found:
                break
        if not found and iso9_read(stem) != stem:  # "ksabarovsk": "Xabarovskij" in ISO 9's ASCII form
            return self.place_of(iso9_read(word))
        return min(found, key=len) if found else word

    def word_weight(self, word: str) -> float:
        """The inverse document frequency of a match-key word among the registry's records (a word no record
        has weighs most)."""
        return math.log((len(self.records) + 1) / (self.record_frequency[word] + 0.5))

    def record_name(self, ror_id: str | None) -> str | None:
        """The display name of a ROR id known to the registry."""
        position = self.by_id.get(short_ror_id(ror_id) or "")
        return self.records[position].name if position is not None else None

    def city_agrees(self, city: Any, position: int) -> bool | None:
        """True when any of the record's cities agrees, False when all disagree, None when unknown."""
        verdicts = [city_agreement(city, other) for other in self.records[position].cities]
        if any(v is True for v in verdicts):
            return True
        if any(v is False for v in verdicts):
            return False
        return None

    def final_id(self, position: int) -> str:
        """The record's ROR id, or (following successors) the id of the active record that succeeded it."""
        record = self.records[position]
        if not self.follow_successors:
            return record.ror_id
        seen = {record.ror_id}
        while record.status in {"withdrawn", "inactive"} and len(record.successors) == 1:
            successor = record.successors[0]
            if successor in seen:
                break
            seen.add(successor)
            next_position = self.by_id.get(successor)
            if next_position is None:
                return successor
            record = self.records[next_position]
        return record.ror_id


# How the name of a place ends after its adjective's stem ("samar|a", "iaroslav|l", "mordov|ia", "balkar|ian").
_PLACE_ENDINGS = ("", "a", "o", "ia", "i", "l", "ian", "an")
_FLEETING_O = re.compile(r"o(?=[bcdfghklmnprstvz]$)")


def _irregular_stems(stem: str) -> list[str]:
    """Stems of a place a Russian adjective's stem may stand for when the regular ones fit nothing (`place_of`)."""
    found = []
    if stem.endswith("zh"):
        found.append(stem[:-2] + "g")
    if len(stem) >= 5 and _FLEETING_O.search(stem):
        found.append(_FLEETING_O.sub("", stem))
    if stem.endswith(("im", "in")) and len(stem) >= 4:
        found.append(stem[:-2])
    return [s for s in found if len(s) >= 2]


def _starting_forms(name: str) -> set[tuple[str, ...]]:
    """A name's `name_words`, with and without a leading legal form, when two words or more."""
    words = raw_words(name)
    forms = {name_words(words)}
    if words and (words[0] in LEGAL_VOCABULARY or not match_key(words[0])):
        forms.add(name_words(words[legal_form_length(words) :]))
    return {form for form in forms if len(form) >= 2}


def _listed(value: Any) -> list[str]:
    """A list cell as Python strings, whether it holds a list, a tuple, a NumPy array or nothing."""
    if value is None or isinstance(value, (str, float)):
        return [value] if isinstance(value, str) and value else []
    return [str(item) for item in value]

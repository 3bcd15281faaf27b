"""The matcher's stages of a person's name: with a kind of body (a short form), or with the city (a renamed body).

"Sechenov University" names the record of the focus country whose names hold the person's name "Sechenov" and
the kind "university" ("I.M. Sechenov First Moscow State Medical University"), when exactly one record does;
and a long legal name ("... I.M. SECHENOV FIRST MOSCOW STATE MEDICAL UNIVERSITY ...") names the record whose
short form is that person and that kind ("Sechenov University"), again when no other record holds both. The
person's name is compared with `alignment.same_person`, so a surname spelt two ways still agrees. A person's
name that is also a place (a city "Kirov", a town "Pushkin") is not taken for a person; a record of another
city is not taken; several records holding the pair leave the name to the scored stage (unmatched, with its
candidates). After the scored stage, a renamed body ("N.N. Petrov National Medical Research Center of Oncology"
/ "Institute of Oncology NN Petrov") is the one record of its city named after the same person, when the two
names share one more word that is no title or place.
"""

from __future__ import annotations

from bilatrus_etl.institutions.alignment import (
    DROPPABLE,
    GENERIC_WORDS,
    eponyms,
    looks_like_eponym,
    same_person,
)
from bilatrus_etl.institutions.cities import city_words
from bilatrus_etl.institutions.index import Entry, RegistryIndex
from bilatrus_etl.institutions.methods import MatchResult
from bilatrus_etl.institutions.stages import KINDS, Query, usable

PERSON_KIND_SCORE = 88.0
PERSON_CITY_SCORE = 85.0


def _short_form(key: str) -> tuple[tuple[str, ...], str] | None:
    """The person's name and the kind of a short form ("sechenov universiti", "patrice lumumba universiti"):
    one or two words that are no generic word, then one kind of body; titles ("state", "national") aside."""
    words = [word for word in key.split() if word not in DROPPABLE]
    if len(words) not in (2, 3) or words[-1] not in KINDS:
        return None
    person = tuple(words[:-1])
    if any(word in GENERIC_WORDS or word in KINDS or len(word) < 3 or word.isdigit() for word in person):
        return None
    return person, words[-1]


def _holds(words: list[str], person: tuple[str, ...], kind: str) -> bool:
    """Whether a name's words hold the kind and every word of the person's name (spelt either way)."""
    return kind in words and all(any(same_person(part, word) for word in words) for part in person)


def _entries_with(index: RegistryIndex, country: str, word: str) -> list[Entry]:
    """The country's names that may hold a word: those with a word of the same first three letters."""
    items = index.entries.get(country, [])
    return [items[i] for i in index.postings.get(country, {}).get(word[:3], ())]


def _records_holding(index: RegistryIndex, query: Query, person: tuple[str, ...], kind: str) -> set[int]:
    """The positions of the country's usable records one of whose names holds the person and the kind."""
    found: set[int] = set()
    for entry in _entries_with(index, query.country or "", person[-1]):
        if entry.record not in found and _holds(entry.key.split(), person, kind) and usable(index, entry.record, query):
            found.add(entry.record)
    return found


def _is_person(index: RegistryIndex, word: str, query: Query, position: int) -> bool:
    """Whether a word is a person's name of a record, not a place: a named eponym, or a surname-like word."""
    record = index.records[position]
    places = index.place_words | record.city_words | city_words(query.city)
    if word in places or any(same_person(word, place) for place in places):
        return False
    return any(same_person(word, known) for known in record.eponyms) or looks_like_eponym(word, frozenset())


def _decide(index: RegistryIndex, query: Query, person: tuple[str, ...], kind: str) -> MatchResult | None:
    positions = _records_holding(index, query, person, kind)
    ids = {index.final_id(p) for p in positions}
    if len(ids) != 1:
        return None  # no record, or several: not this stage's to decide
    position = min(positions)
    if index.city_agrees(query.city, position) is False:
        return None
    if not _is_person(index, person[-1], query, position):
        return None
    return MatchResult(ids.pop(), "person+kind", PERSON_KIND_SCORE)


def person_kind_match(index: RegistryIndex, query: Query) -> MatchResult | None:
    """The one record of the focus country a person's name and a kind of body point to (see the module)."""
    if not query.country:
        return None
    short = _short_form(query.key)
    if short is not None:  # the query is the short form
        return _decide(index, query, *short)
    # The query is the long name: the records whose short form is one of its people and its kind.
    words = query.key.split()
    people = {word for word in words if looks_like_eponym(word, eponyms(query.name))}
    kinds = [word for word in words if word in KINDS]
    if not people or len(set(kinds)) != 1:
        return None
    kind = kinds[0]
    shorts = {
        short
        for entry in (e for word in people for e in _entries_with(index, query.country, word))
        if (short := _short_form(entry.key)) is not None
        and short[1] == kind
        and len(short[0]) == 1
        and any(same_person(short[0][0], word) for word in people)
    }
    if len(shorts) != 1:
        return None
    ((person, _),) = shorts
    return _decide(index, query, person, kind)


def person_city_match(index: RegistryIndex, query: Query) -> MatchResult | None:
    """A renamed body ("N.N. Petrov National Medical Research Center of Oncology" / "Institute of Oncology NN
    Petrov"): the one record of the query's city named after the person the query is named after (initials or
    "named after" on both sides), sharing with it one more word that is no title or place (a subject, or the
    kind of body)."""
    people = eponyms(query.name)
    if not query.country or not people:
        return None
    places = index.place_words | city_words(query.city)
    words = set(query.key.split()) - places - DROPPABLE
    found: set[int] = set()
    for word in people:
        for entry in _entries_with(index, query.country, word):
            record = index.records[entry.record]
            if entry.record in found or not any(same_person(word, known) for known in record.eponyms):
                continue
            if usable(index, entry.record, query) and index.city_agrees(query.city, entry.record):
                found.add(entry.record)
    ids = {index.final_id(p) for p in found}
    if len(ids) != 1:
        return None  # nobody, or several bodies of the city named after that person
    position = min(found)
    record_words = {w for key in index.record_keys[position] for w in key.split()}
    shared = {w for w in words & record_words if not any(same_person(w, person) for person in people)}
    if not shared:
        return None
    return MatchResult(ids.pop(), "person+city", PERSON_CITY_SCORE)

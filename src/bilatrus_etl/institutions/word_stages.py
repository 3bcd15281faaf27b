"""The matcher's stages that line up a name's words one by one: the guarded fuzzy match and the prefix of a cut name.

A fuzzy match must align every meaningful word of the query (spelling variants allowed, or a word glued to
another: "waterway" / "water") and may differ by an eponym ("Lobachevsky") or, in the same city, by one rare
word the record adds; a city disagreement vetoes it. The prefix stage takes a long name cut at a source's field
length for the one registry name that starts with its words. Both take the registry index and one `Query`
(`stages`) and return a `MatchResult` or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from bilatrus_etl.institutions.alignment import (
    DROPPABLE,
    GENERIC_WORDS,
    NON_DISTINCTIVE,
    STATUS_WORDS,
    align,
    count_distinctive,
    distinctive_words,
    eponyms,
    looks_like_eponym,
    self_locating,
)
from bilatrus_etl.institutions.cities import city_words
from bilatrus_etl.institutions.index import Entry, RegistryIndex
from bilatrus_etl.institutions.methods import MatchResult
from bilatrus_etl.institutions.normalise import STOPWORDS, legal_form_length, name_words, raw_words, skeleton
from bilatrus_etl.institutions.stages import Query, usable

_CANDIDATES = 25
_RETRIEVAL_CUTOFF = 60.0
_MIN_FUZZY_SORT_RATIO = 70.0
_PREFIX_SHORTEST = 40  # names cut at a source's field length are at least this long
_SHORT_TAIL_CUT = 60  # a long name ending in one to three letters ("... OF S") was cut too
_WHOLE_WORD_CUT = 50  # a name this long may have been cut after a whole word
# ... unless that word is the kind of body: a name that ends with its kind is whole ("FEDERAL STATE BUDGETARY
# INSTITUTION OF SCIENCE VORONEZH STATE UNIVERSITY" is long for its legal form, not cut before "OF ARCHITECTURE")
_ENDS_A_NAME = frozenset(
    comparable
    for word in ("university", "academy", "institute", "center", "universitet", "akademiya", "institut", "tsentr")
    for comparable in name_words([word])
)


@dataclass(frozen=True)
class _Accepted:
    ror_id: str
    city_agrees: bool | None
    complete: bool
    score: float


def fuzzy_match(index: RegistryIndex, query: Query) -> MatchResult | None:
    """The institution whose name aligns with every meaningful word of the query (`_judge`), clearly ahead."""
    key, city = query.key, query.city
    countries = [query.country] if query.country else list(index.entries)
    query_eponyms = eponyms(query.name)
    accepted: list[_Accepted] = []
    # A fuzzy match must align at least one distinctive word, and aligned words share their first
    # letters: only names sharing a three-letter word start with a distinctive query word are scored.
    prefixes = {
        word[:3]
        for word in key.split()
        if len(word) >= 3 and not word.isdigit() and word not in NON_DISTINCTIVE and word not in DROPPABLE
    }
    for code in countries:
        postings = index.postings.get(code)
        if not postings or not prefixes:
            continue
        subset = sorted(set().union(*(postings.get(prefix, ()) for prefix in prefixes)))
        if not subset:
            continue
        choices = index.entry_keys[code]
        hits = process.extract(
            key,
            [choices[i] for i in subset],
            scorer=fuzz.token_set_ratio,
            limit=_CANDIDATES,
            score_cutoff=_RETRIEVAL_CUTOFF,
        )
        for _, _, position in hits:
            entry = index.entries[code][subset[position]]
            if not usable(index, entry.record, query):
                continue
            decision = _judge(index, key, query_eponyms, city, entry)
            if decision is not None:
                accepted.append(decision)
    return _pick(accepted)


def _judge(index: RegistryIndex, key: str, query_eponyms: frozenset[str], city: Any, entry: Entry) -> _Accepted | None:
    """Whether one retrieved name may be the query's institution, and on what footing."""
    record = index.records[entry.record]
    agrees = index.city_agrees(city, entry.record)
    if agrees is False:
        return None
    alignment = align(key, entry.key, record.acronym_words, same_city=agrees is True)
    sort_ratio = fuzz.token_sort_ratio(key, entry.key)
    if alignment.aligned < 2 or alignment.distinctive < 1:
        return None
    places = record.city_words | city_words(city)
    extra = {
        w
        for w in (set(key.split()) ^ set(entry.key.split())) - STATUS_WORDS
        if not looks_like_eponym(w, query_eponyms | record.eponyms)
    }
    if extra and count_distinctive(" ".join(w for w in set(key.split()) - alignment.query_left if w not in places)) < 1:
        return None  # only a city name in common ("Moscow State University" / "Moscow University")
    if agrees is None and not self_locating(entry.key):
        return None
    if alignment.complete:
        return _Accepted(index.final_id(entry.record), agrees, True, sort_ratio)
    if agrees is not True or sort_ratio < _MIN_FUZZY_SORT_RATIO:
        return None
    # Same city: the names may differ by one word that names a person (an eponym), by the city
    # itself, or by one distinctive query word found in another of the record's names.
    places = record.city_words | city_words(city)
    leftover = alignment.leftover - places
    if not leftover:
        return _Accepted(index.final_id(entry.record), agrees, True, sort_ratio)
    if len(leftover) != 1:
        return None
    (token,) = leftover
    if token in alignment.candidate_left:
        ok = looks_like_eponym(token, record.eponyms)
    else:
        ok = looks_like_eponym(token, query_eponyms) or (token in record.vocabulary and token not in GENERIC_WORDS)
    return _Accepted(index.final_id(entry.record), agrees, False, sort_ratio) if ok else None


def _pick(accepted: list[_Accepted]) -> MatchResult | None:
    """The best accepted institution, unless another is on the same footing and scores within 5."""
    if not accepted:
        return None
    best: dict[str, _Accepted] = {}
    for item in accepted:
        current = best.get(item.ror_id)
        if current is None or (item.complete, item.score) > (current.complete, current.score):
            best[item.ror_id] = item
    ranked = sorted(best.values(), key=lambda a: (a.city_agrees is True, a.complete, a.score), reverse=True)
    top = ranked[0]
    if len(ranked) > 1:
        runner = ranked[1]
        same_footing = (runner.city_agrees is True, runner.complete) == (top.city_agrees is True, top.complete)
        if same_footing and top.score - runner.score < 5:
            return None
    method = "fuzzy+city" if top.city_agrees else "fuzzy"
    return MatchResult(top.ror_id, method, round(float(top.score), 1))


# Stop words no whole name ends with ("a" and "i" may be initials, or Russian "и" before a cut), and those a cut
# leaves one or two letters after ("OF TH", "OF S"; not "AND CO").
_CUT_STOP_WORDS = STOPWORDS - {"a", "i"}
_CUT_BEFORE_LETTERS = frozenset({"of", "the", "for"})


def ends_in_cut_word(index: RegistryIndex, name: str) -> bool:
    """A name of a cut's length whose last word is the start of a registry word and no word itself ("... NATIONAL
    MEDICAL RESEARCH CENTE"): the fuzzy stage would read the word as the one it starts and the name as any that
    goes on from there (a Russian word may also be the start of a longer one: only that stage is left out)."""
    raw = raw_words(name)
    return len(name) >= _PREFIX_SHORTEST and len(raw) >= 3 and index.vocabulary.is_cut_word(raw[-1])


def cut_after_stop_word(name: str) -> bool:
    """Whether a name was visibly cut just after a stop word: it ends with one ("... STATE UNIVERSITY OF") or with
    one and a letter or two ("... WATER PROBLEMS OF A", "... OF TH"). No whole name ends so, and the stages that
    read a name as whole would take it for the shorter name it starts with ("Novosibirsk State University" for
    "NOVOSIBIRSK STATE UNIVERSITY OF" ECONOMICS ...): only `prefix_match` may complete it."""
    raw = raw_words(name)
    if len(raw) < 3:
        return False
    last = raw[-1]
    return last in _CUT_STOP_WORDS or (raw[-2] in _CUT_BEFORE_LETTERS and len(last) <= 2 and not last.isdigit())


def prefix_match(index: RegistryIndex, query: Query) -> MatchResult | None:
    """A long name cut at the source's field length: the one registry name that starts with its words.

    A name looks cut when its last word is a stop word ("... OF TECHNOLOGY AND") or the start of one ("OF TH"),
    one letter ("... ACADEMY OF S"), the start of a registry word ("ECONOMI", "PHYSIO"), two or three letters
    after a stop word ("OF EC") or a long name, or when the name is very long and does not end with its kind of
    body (a long legal form before "... STATE UNIVERSITY" is no cut).
    Words are compared as written (`name_words`: only spellings folded, nothing rewritten), with and without a
    leading legal form; the cut word must start the registry name's next word. When the cut falls inside a
    phrase the normaliser rewrites ("OF THE RUSSIAN ACAD" / "RAS"), up to three words that tell no institution
    apart are dropped, and then the rest must hold two distinctive words and may go on in any way."""
    if len(query.name) < _PREFIX_SHORTEST:
        return None
    raw = raw_words(query.name)
    if len(raw) < 3:
        return None
    last = raw[-1]
    # one letter, the start of a stop word ("OF TH"), up to three letters after a stop word ("OF EC") or after
    # a long name
    short_tail = not last.isdigit() and (
        len(last) == 1
        or any(stop.startswith(last) for stop in STOPWORDS)
        or (len(last) <= 3 and (raw[-2] in STOPWORDS or len(query.name) >= _SHORT_TAIL_CUT))
    )
    if last in STOPWORDS:
        whole, partial = raw[:-1], ""
    elif short_tail or index.vocabulary.is_cut_word(last):
        whole, partial = raw[:-1], skeleton(last)
    elif len(query.name) >= _WHOLE_WORD_CUT and not set(name_words([last])) & _ENDS_A_NAME:
        whole, partial = raw, ""  # a long name ending in a whole word, not a kind of body ("... STATE UNIVERSITY")
    else:
        return None  # the name ends with a whole word: not cut
    words = raw_words(index.vocabulary.repair(" ".join(whole)))
    legal = legal_form_length(words)
    for start in dict.fromkeys((0, legal)):
        body = name_words(words[start:])
        form = len(name_words(words[start:legal]))  # the leading legal form's words in `body` (none from `legal`)
        for dropped in range(4):
            head = body[: len(body) - dropped]
            # the distinctive words are the name's own, past its legal form: a legal form alone names no one
            if len(head) < 2 or count_distinctive(" ".join(head[form:])) < (1 if dropped == 0 else 2):
                break
            if dropped and distinctive_words(body[len(body) - dropped]):
                break  # only words that tell no institution apart may be dropped
            ids = _completions(index, query, head, partial if dropped == 0 else "", exact_ok=dropped > 0)
            if len(ids) == 1:
                return MatchResult(ids.pop(), "prefix", 90.0)
            if ids:
                return None  # the words left fit several institutions
    return None


def _completions(index: RegistryIndex, query: Query, head: tuple[str, ...], partial: str, exact_ok: bool) -> set[str]:
    """The institutions with a name that starts with `head`, its next word starting with `partial`."""
    found: set[str] = set()
    size = len(head)
    for code in [query.country] if query.country else list(index.name_starts):
        for position, form in index.name_starts.get(code, {}).get(head[0], ()):
            if form[:size] != head or (len(form) == size and not exact_ok):
                continue
            if partial and (len(form) == size or not form[size].startswith(partial)):
                continue
            if usable(index, position, query) and index.city_agrees(query.city, position) is not False:
                found.add(index.final_id(position))
    return found

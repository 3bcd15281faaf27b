"""The matcher's rule stages on whole names: exact name, acronym, and the scored stage's word check.

`Query` (one variant of a participant's name) and `usable` are shared by every stage; the stages that align
words one by one (fuzzy, prefix of a cut name) live in `word_stages`, the stage of a person's name and a kind
of body in `eponym_stage`. Each stage takes the registry index and one `Query` and returns a `MatchResult`, or
None to let the next stage try; each prefers no match over a wrong one. The scored stage, judging the query
against each of the record's names, lets either name lack a person's name or a title, and in the same city the
kind of higher school differ, the record's name add two words or the query one rare word. A city disagreement (or no city) lowers the
score of an exact name held by one record of the country (to 90 when the name is distinctive, else 85) instead
of vetoing it; only a numbered name ("Clinical Hospital No. 8") needs its city. A name that adds the federal
district to its city ("Kazan Privolzhskii Federal University") is exact without it, in that city (95).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from bilatrus_etl.institutions.alignment import (
    DROPPABLE,
    NON_DISTINCTIVE,
    STATUS_WORDS,
    align,
    count_distinctive,
    distinctive_words,
    eponyms,
    looks_like_eponym,
    numbered,
    people_words,
    self_locating,
)
from bilatrus_etl.institutions.candidates import CITY_PENALTY, Candidate
from bilatrus_etl.institutions.cities import city_words, normalise_city, without_region
from bilatrus_etl.institutions.index import RegistryIndex
from bilatrus_etl.institutions.methods import MatchResult
from bilatrus_etl.institutions.normalise import match_key, skeleton

_REGION_DROPPED_SCORE = 95.0  # an exact name once the federal district added to its city is gone
_CITY_DISAGREES_SCORE = 90.0  # an exact, distinctive name whose registry record lies in another city
_CITY_UNCONFIRMED_SCORE = 100.0 - CITY_PENALTY  # an exact name the city does not confirm, one record holds
# Words the scored stage lets either name lack ("National Research ...", "All-Russian ...", "Federal ...").
_SOFT_WORDS = STATUS_WORDS | {skeleton("all"), skeleton("federal")}
# Words a name may add or lack once two distinctive words align: the country, and "sciences" ("... RAN" / "...
# Rossiiskoi akademii nauk", "Institute of Humanitarian Sciences" / "Institute of Humanities").
_GENERIC_WORDS = frozenset(skeleton(word) for word in ("russian", "russia", "science", "sciences"))
# Titles of the state a body serves, which a renamed body swaps for one another ("All-Union" / "All-Russian").
_TITLES = frozenset(match_key(word) for word in ("russian", "union", "soviet", "ussr", "national"))
# Kinds of higher school a body is renamed between ("... Academy" became "... University").
KINDS = frozenset(skeleton(word) for word in ("university", "academy", "institute"))
# Words that say what kind of body a name is, not which: a name held by few records may go with them or without.
_BODY_WORDS = frozenset(
    skeleton(word)
    for word in (
        "institute",
        "university",
        "academy",
        "center",
        "foundation",
        "fund",
        "society",
        "association",
        "company",
        "corporation",
        "enterprise",
        "production",
        "research",
        "scientific",
        "ras",
    )
)
_RARE_RECORDS = 2
_INSTITUTE = skeleton("institute")
_RESEARCH = frozenset(skeleton(word) for word in ("research", "scientific"))
_EXTRA_WORDS = 2


@dataclass(frozen=True)
class Query:
    """One variant of a participant's name as the stages see it: mended name, its match key, the rest as given."""

    name: str
    key: str
    city: Any
    country: str | None
    short_name: str
    excluded: frozenset[str]


def usable(index: RegistryIndex, position: int, query: Query) -> bool:
    """Whether a record may answer the query: not excluded by an override, of the query's country."""
    record = index.records[position]
    if record.ror_id in query.excluded or index.final_id(position) in query.excluded:
        return False
    return not query.country or not record.country or record.country == query.country


def exact_match(index: RegistryIndex, query: Query) -> MatchResult | None:
    """The one institution whose name has the query's key (in any word order), confirmed or not by the city."""
    key, city = query.key, query.city
    words = key.split()
    if set(words) & KINDS and all(word in DROPPABLE or word in KINDS for word in words):
        return None  # titles and a kind of body only ("National Research University"): no one institution
    positions = [p for p in index.exact.get(key, ()) if usable(index, p, query)]
    if not positions:  # the same words in another order ("Lomonosov Moscow ..." / "... named after Lomonosov")
        sorted_key = " ".join(sorted(key.split()))
        positions = [p for p in index.sorted_exact.get(sorted_key, ()) if usable(index, p, query)]
    if not positions:
        return _exact_without_region(index, query)
    agreements = {p: index.city_agrees(city, p) for p in positions}
    agreeing = [p for p in positions if agreements[p]]
    pool = agreeing or [p for p in positions if agreements[p] is None]
    if pool:
        ids = {index.final_id(p) for p in pool}
        if len(ids) != 1:
            return None
        if agreeing or self_locating(key):
            return MatchResult(ids.pop(), "exact", 100.0)
    # The city does not confirm the name (it names another place, or none is known). A city disagreement
    # lowers the score of an exact name the country's registry holds once; it does not veto it. Only a
    # numbered name ("Clinical Hospital No. 8") names an institution together with its city alone, or with the
    # record's city written in the name itself ("Moscow Clinical Research Center 52").
    ids = {index.final_id(p) for p in positions}
    if len(ids) != 1 or (numbered(key) and not any(set(words) & index.records[p].city_words for p in positions)):
        return None
    if pool:  # no city known, a name without a distinctive word ("Southern Federal University")
        return MatchResult(ids.pop(), "exact", _CITY_UNCONFIRMED_SCORE)
    # Every candidate lies in another city: a name that carries a person or a place, two words that tell
    # bodies apart, or one that no other record's name has ("Chechen") loses less than a generic one.
    places = city_words(city).union(*(index.records[p].city_words for p in positions))
    place_words = set(key.split()) & places
    proper = any(looks_like_eponym(t, index.records[p].eponyms) for t in key.split() for p in positions)
    rare = [w for w in distinctive_words(key) if len(w) >= 5 and index.record_frequency[w] <= 1]
    if place_words or proper or count_distinctive(key) >= 2 or rare:
        return MatchResult(ids.pop(), "exact", _CITY_DISAGREES_SCORE)
    return MatchResult(ids.pop(), "exact", _CITY_UNCONFIRMED_SCORE)


def _exact_without_region(index: RegistryIndex, query: Query) -> MatchResult | None:
    """The one record of the query's city whose name is the query's without the federal district it adds to its
    city's name ("Kazan Privolzhskii Federal University" / "Kazan Federal University"): the city must agree."""
    key = without_region(query.key, query.city)
    if key is None:
        return None
    positions = [
        p
        for p in (*index.exact.get(key, ()), *index.sorted_exact.get(" ".join(sorted(key.split())), ()))
        if usable(index, p, query) and index.city_agrees(query.city, p)
    ]
    ids = {index.final_id(p) for p in positions}
    return MatchResult(ids.pop(), "exact", _REGION_DROPPED_SCORE) if len(ids) == 1 else None


def acronym_match(index: RegistryIndex, query: Query) -> MatchResult | None:
    """The one institution of the query's city whose acronym is the short name, a one-word name, or the word
    before the kind of body in a two-word name ("HSE University")."""
    name, key, city, short_name = query.name, query.key, query.city, query.short_name
    if not normalise_city(city):
        return None
    tried = [match_key(short_name)] if short_name else []
    words = key.split()
    if len(name.split()) == 1:
        tried.append(key)
    elif len(words) == 2 and words[1] in KINDS and words[0] not in KINDS:
        tried.append(words[0])  # an acronym and the kind of body: "HSE University", "ITMO University"
    for text in tried:
        acronym = text.replace(" ", "")
        if len(acronym) < 2:
            continue
        positions = [
            p for p in index.acronym.get(acronym, ()) if usable(index, p, query) and index.city_agrees(city, p)
        ]
        ids = {index.final_id(p) for p in positions}
        if len(ids) != 1:
            continue
        if text == tried[0] and short_name and len(words) >= 2 and not _name_supports(index, key, positions):
            continue
        return MatchResult(ids.pop(), "acronym+city", 95.0)
    return None


def _name_supports(index: RegistryIndex, key: str, positions: list[int]) -> bool:
    """The long name does not contradict the record an acronym points to."""
    return any(fuzz.token_set_ratio(key, other) >= 70 for p in positions for other in index.record_keys[p])


def scored_match(
    index: RegistryIndex, ranked: list[Candidate], query: Query, threshold: float, margin: float
) -> MatchResult | None:
    """The best-scored candidate (of `ranked`, the three best for the query) when it is clearly good, clearly
    ahead of the runner-up, and its words and the query's account for each other. A best one whose words do not
    (another body of the city sharing most words: "Yaroslavl State University" for "... State Medical
    University") is set aside when it is in a close race or in the query's own city, and the next one is judged
    the same way against the candidate after it."""
    ranked = [c for c in ranked if c.ror_id not in query.excluded]
    if not ranked or ranked[0].score < threshold:
        return None
    explained = _explained(index, ranked[0], query)
    if explained is False and len(ranked) > 1 and (_close(ranked, margin) or ranked[0].city_agrees is True):
        ranked = ranked[1:]
        if ranked[0].score < threshold:
            return None
        explained = _explained(index, ranked[0], query)
    top = ranked[0]
    if _close(ranked, margin) or top.city_agrees is False or (top.city_agrees is None and not self_locating(query.key)):
        return None
    return MatchResult(top.ror_id, "scored", top.score) if explained else None


def _close(ranked: list[Candidate], margin: float) -> bool:
    """Whether the first candidate is less than `margin` ahead of the second."""
    return len(ranked) > 1 and ranked[0].score - ranked[1].score < margin


def _explained(index: RegistryIndex, candidate: Candidate, query: Query) -> bool | None:
    """Whether a candidate's words and the query's account for each other (None: not a record of the index)."""
    position = index.by_id.get(candidate.ror_id)
    if position is None:
        return None
    same_city = candidate.city_agrees is True
    return any(_words_explained(index, position, query, key, same_city) for key in index.record_keys[position])


def _words_explained(index: RegistryIndex, position: int, query: Query, name_key: str, same_city: bool) -> bool:
    """Whether the words of the query and of one name of the record account for each other (the scored stage)."""
    record = index.records[position]
    places = record.city_words | city_words(query.city)
    alignment = align(query.key, name_key, record.acronym_words, same_city=same_city)
    aligned_words = set(query.key.split()) - alignment.query_left
    aligned_distinctive = count_distinctive(" ".join(w for w in aligned_words if w not in places))
    if same_city and any(word.isdigit() for word in aligned_words):
        aligned_distinctive += 1  # a number tells the bodies of one city apart ("City Clinical Hospital No. 9")
    if aligned_distinctive < 1:
        return False
    # Every query word must be found in the record's name, and every word of the record's name in the query,
    # except a person's name on either side ("Institute of Solid State Physics" / "Osipyan Institute of Solid
    # State Physics RAS", "Ilya Glazunov Russian Academy ..."), a place, or a title ("national", "all").
    people = people_words(query.key, eponyms(query.name) | record.eponyms)
    query_left = alignment.query_left - places - _SOFT_WORDS - people
    unexplained = {
        w for w in alignment.candidate_left - places - _SOFT_WORDS if not looks_like_eponym(w, record.eponyms)
    }
    if aligned_distinctive >= 2:
        query_left, unexplained = query_left - _GENERIC_WORDS, unexplained - _GENERIC_WORDS
    # In the same city, a name held by few records ("Basis", "Kharkevich") may go with a kind of body or none
    # ("Basis Foundation" / "BASIS", "Kharkevich RAS" / "Kharkevich Institute"): what either side leaves is a
    # kind of body, and what aligns holds a word, no place, at most _RARE_RECORDS records have.
    # A kind on each side is two kinds, not one kind or none: that is a renamed body's case, below.
    left = query_left | unexplained
    one_side = not (query_left and unexplained)
    if same_city and left and one_side and left <= _BODY_WORDS and _rare_word(index, aligned_words - places):
        return True
    # In the same city, a body renamed to another kind of higher school ("... Academy" / "... University")
    # keeps every other word: the kind alone may differ. A research institute is no higher school: a name whose
    # kind is "institute" and that says "research" or "scientific" is not a school renamed ("Finance Academy" /
    # "Financial Research Institute").
    if same_city and len(query_left) == len(unexplained) == 1 and query_left | unexplained <= KINDS:
        return not _research_institute(query.key, query_left) and not _research_institute(name_key, unexplained)
    # In the same city, a name calling the body two kinds ("Научно-исследовательский центр «Институт
    # эндокринологии»") may name one kind more than the record's name, when the other kind aligns.
    kinds = KINDS | {skeleton("center")}
    if same_city and not unexplained and len(query_left) == 1 and query_left <= kinds and aligned_words & kinds:
        return True
    # In the same city, a renamed body may have swapped one title for another ("Russian Research Centre Kurchatov
    # Institute" / "National Research Centre ...", "All-Union Institute ..." / "All-Russian Institute ..."): each
    # side has a title the other lacks, and that is all either side leaves unexplained. One title alone is no
    # swap ("Russian State University for the Humanities" is not "State University of Humanities").
    query_set, name_set = set(query.key.split()), set(name_key.split())
    swapped = (query_set - name_set) & _TITLES and (name_set - query_set) & _TITLES
    if same_city and swapped and query_left | unexplained <= _TITLES:
        return True
    # In the same city, the query may add one rare word to a name it holds whole, when two distinctive words
    # besides places align: a person's name ("Osipyan Institute of Solid State Physics RAS"), a former
    # patron's ("... of the Rosselkhozakademiya") - a word at most _RARE_RECORDS records hold, so it names no
    # other body of the registry; a common word ("Pedagogical", "Medical") still tells bodies apart.
    if query_left:
        return (
            same_city
            and not unexplained
            and len(query_left) == 1
            and index.record_frequency[min(query_left)] <= _RARE_RECORDS
            and aligned_distinctive >= 2
        )
    # In the same city, the record's name may add one rare word (a nickname such as "Voenmeh", a word found in
    # at most _RARE_RECORDS records), or up to _EXTRA_WORDS words that are no kind of body when the query has two
    # distinctive words besides places ("Moscow State Automobile and Road Technical University" / "... Road
    # Construction ..."); a bare name ("Saint Petersburg State University") is not one with a word added.
    if not unexplained:
        return True
    if not same_city:
        return False
    rare = len(unexplained) == 1 and index.record_frequency[min(unexplained)] <= _RARE_RECORDS
    return rare or (len(unexplained) <= _EXTRA_WORDS and aligned_distinctive >= 2 and not unexplained & NON_DISTINCTIVE)


def _research_institute(key: str, kind: frozenset[str] | set[str]) -> bool:
    """Whether a name whose kind (the word left over) is "institute" calls itself a research body."""
    return _INSTITUTE in kind and bool(set(key.split()) & _RESEARCH)


def _rare_word(index: RegistryIndex, words: set[str]) -> bool:
    """Whether one of the words tells institutions apart and at most _RARE_RECORDS records' names hold it."""
    return any(
        len(word) >= 4 and not word.isdigit() and index.record_frequency[word] <= _RARE_RECORDS
        for word in distinctive_words(" ".join(sorted(words)))
    )

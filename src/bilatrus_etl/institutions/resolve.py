"""Institution names: normalisation and matching of participants to ROR organisations.

`normalise_name` turns the many spellings of one institution (CORDIS upper-case legal names with legal-form
prefixes and Soviet orders, ROR labels, transliterated Russian, Cyrillic) into one comparable text.
`Matcher` finds, for one participant (name, city, country, optional PIC and short name), the ROR record it
is, trying in turn: curated overrides, PIC links, exact normalised names (in any word order), acronym within
the same city, a guarded fuzzy match, a prefix match for names cut at a field length, and a scored match
(threshold and margin over the runner-up). Each name is first mended against the registry's vocabulary
(glued, split and misspelt words) and tried also without a '*' short name and a faculty/department tail.
It prefers no match over a wrong one: a fuzzy or scored match must align every meaningful word of the query
(spelling variants allowed, or a word glued to another: "waterway" / "water") and may differ by an eponym
("Lobachevsky") or, in the same city, by one rare word the record adds.
A city disagreement (or no city) lowers the score of an exact name held by one record of the country (to 90
when the name is distinctive, else 85) instead of vetoing it; only a numbered name ("Clinical Hospital No. 8")
needs its city. A city disagreement vetoes the fuzzy stages. `Matcher.candidates`
lists the best-scored records of a name with their scores (the runner-up of every decision).
Withdrawn or inactive ROR records are followed to their successor.
"""

from __future__ import annotations

import bisect
import csv
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.institutions.registry import read_registries, short_ror_id
from bilatrus_etl.resources import REFERENCE_DIR

DEFAULT_OVERRIDES = REFERENCE_DIR / "institution_overrides.csv"
OVERRIDE_COLUMNS: tuple[str, ...] = ("name_pattern", "city", "country", "pic", "ror_id", "note")
RESULT_COLUMNS: tuple[str, ...] = (
    "ror_id", "ror_name", "method", "score", "institution_key", "runner_up_ror_id", "runner_up_name", "runner_up_score",
)
METHODS: tuple[str, ...] = (
    "override", "pic", "exact", "acronym+city", "fuzzy+city", "fuzzy", "prefix", "scored", "none",
)

_ROR_ID = re.compile(r"^0[a-z0-9]{6}[0-9]{2}$")
_COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}  # CORDIS codes that differ from ISO 3166-1
_CANDIDATES = 25
_RETRIEVAL_CUTOFF = 60.0
_TOKEN_SIMILARITY = 85.0
_MIN_FUZZY_SORT_RATIO = 70.0
_CITY_DISAGREES_SCORE = 90.0  # an exact, distinctive name whose registry record lies in another city
_PREFIX_SHORTEST = 40  # names cut at a source's field length are at least this long
_SHORT_TAIL_CUT = 60  # a long name ending in one to three letters ("... OF S") was cut too
CITY_PENALTY = 15.0  # what a city disagreement takes off a candidate's score
_CITY_UNCONFIRMED_SCORE = 100.0 - CITY_PENALTY  # an exact name the city does not confirm, one record holds
# The scored stage (after the rule stages): the best candidate is taken when its score reaches SCORE_THRESHOLD
# and leads the runner-up by SCORE_MARGIN. Calibrated on the development split of scripts/evaluate_matching.py
# (`--calibrate`): the lowest pair keeping precision >= 0.98 there.
SCORE_THRESHOLD = 78.0
SCORE_MARGIN = 8.0
_RETRIEVE = 40
_KEEP_CANDIDATES = 10
REVIEW_SCORE = 70.0  # an unmatched row whose runner-up scores this much is worth a look


class ResolveError(BilatrusError):
    """Unusable matcher input (a missing column, a bad overrides file); the message names the file."""


class Candidate(NamedTuple):
    """One registry record scored against a name: mean of rapidfuzz token_set and token_sort ratios of the
    match keys (0-100), less `CITY_PENALTY` when the cities disagree; `city_agrees` is None when unknown."""

    ror_id: str
    name: str
    score: float
    city_agrees: bool | None


class MatchResult(NamedTuple):
    """What the matcher decided for one participant: `(ror_id or None, method, score 0-100)`."""

    ror_id: str | None
    method: str
    score: float


# --- normalisation -------------------------------------------------------------------------------

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "i", "є": "e", "ґ": "g", "ў": "u",
}
_APOSTROPHES = re.compile(r"[\u0027\u2019\u2018\u02bc\u02b9\u02bb\u0060\u00b4]")
_TOKEN_MAP = {
    "univ": "university", "inst": "institute", "acad": "academy",
    "st": "saint", "ste": "saint", "sankt": "saint", "sv": "saint", "peterburg": "petersburg",
    "petersbourg": "petersburg", "peterburgh": "petersburg", "centre": "center", "ctr": "center",
    "cent": "center", "natl": "national", "nat": "national", "organisation": "organization",
    "modelling": "modeling", "sci": "science", "res": "research", "techn": "technical", "moskva": "moscow",
    "govt": "government", "lab": "laboratory", "labs": "laboratory", "dept": "department",
    "spb": "saint petersburg", "nauch": "nauchno", "gos": "gosudarstvennyi", "fed": "federal",
    "north": "northern", "south": "southern", "east": "eastern", "west": "western",
    "physico": "physical", "physicotechnical": "physical technical", "fiziko": "fizicheskii",
    "allrussian": "all russian", "allunion": "all union", "scientificresearch": "scientific research",
}
_STOPWORDS = frozenset({"of", "the", "for", "and", "in", "at", "on", "a", "an", "under", "to", "by", "with", "i"})
_EPONYM_MARKERS = frozenset(
    {"named", "after", "imeni", "im", "them", "academician", "academic", "professor", "prof", "name", "nm"}
)
_KEEP_SHORT = frozenset({"ai", "it", "rf", "sb", "ub", "un", "eu", "uk", "us", "ii", "iv", "vi"})
_LEGAL_TOKENS = frozenset({
    "fsbi", "fsbsi", "fsbei", "fsaei", "fsei", "fsi", "fsue", "fgbu", "fgbun", "fgbnu", "fgbou", "fgaou",
    "fgou", "fgup", "fbun", "fbu", "fgu", "fgku", "gbou", "gaou", "gou", "gbuz", "gbu", "gup", "mup", "ano",
    "nko", "oao", "zao", "ooo", "ao", "pao", "llc", "ltd", "jsc", "cjsc", "ojsc", "pjsc", "inc", "gmbh",
    "plc", "vo", "vpo", "spo", "dpo", "nou", "chou", "nochu", "anoo", "fgboy", "fgaoy", "fsbsei", "fsfei",
    "fsfi", "fbi", "fgbuz", "fkuz", "limited", "company", "co", "corp", "corporation", "incorporated",
})
_QUALIFIER = (
    r"(?:federal|federalnoe|state|budget|budgetary|autonomous|unitary|treasury|funded|public|private|non|"
    r"nonstate|municipal|regional|scientific|educational|research|governmental|government|profit|nonprofit|"
    r"commercial|noncommercial|health|care|healthcare|medical|professional|republican|higher|independent|"
    r"military|special|preschool|general|additional|joint|stock|open|closed|limited|liability|official)"
)
_LEGAL_PHRASES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # English legal forms: "federal state budgetary educational institution higher professional education";
        # one field at most ("institution of science Science Center ..." keeps the name's own first word)
        rf"\b(?:{_QUALIFIER} ){{1,7}}(?:institution|establishment|enterprise|organization|entity|partnership)"
        r"(?: (?:science|higher (?:professional |vocational )?(?:education|school)|additional professional "
        r"education|vocational education|culture|healthcare|health care|education))?\b",
        r"\b(?:open |closed |public |private |non public )?joint stock company\b",
        r"\blimited liability company\b",
        r"\bstate scientific (?:center|centre) (?:russia|rf)\b",
        # transliterated Russian legal forms: "federalnoe gosudarstvennoe byudzhetnoe uchrezhdenie nauki"
        r"\b(?:\w+(?:noe|noye|noie|naya|naia|naja|oe|oye) ){1,6}(?:uchrezhdenie|uchrezhdeniye|uchrezhdeniie|"
        r"predpriyatie|predpriiatie|predpriyatiye|obshchestvo|obschestvo|organizatsiya|organizatsiia)"
        r"(?: nauki| vysshego(?: professionalnogo)? obrazovaniya| vysshego(?: professionalnogo)? obrazovaniia"
        r"| dopolnitelnogo professionalnogo obrazovaniya| zdravookhraneniya| zdravookhraneniia)?\b",
        r"\bobshchestvo s ogranichennoi otvetstvennostyu\b",
        r"\bobshchestvo s ogranichennoi otvetstvennostiu\b",
    )
)
_ACADEMY_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\brussian academy (?:of )?medical sciences?\b", "rams"),
        (r"\brossi\w* akademi\w* meditsinskikh nauk\b", "rams"),
        (r"\brussian academy (?:of )?agricultural sciences?\b", "raas"),
        (r"\brossi\w* akademi\w* selskokhoziaistvennykh nauk\b", "raas"),
        (r"\brussian academy (?:of )?education\b", "rae"),
        (r"\b(?:the )?russian academy (?:of )?sciences?\b", "ras"),
        (r"\bacademy (?:of )?sciences? (?:of )?(?:the )?(?:russia|russian federation)\b", "ras"),
        (r"\brossi\w* akademi\w* nauk\b", "ras"),
        (r"\bran\b", "ras"),
        (r"\bsiberian branch (?:of )?(?:the )?ras\b", "sb ras"),
        (r"\bsiberian branch\b", "sb"),
        (r"\bsibirskogo otdeleniia ras\b|\bsibirskogo otdeleniya ras\b|\bso ras\b", "sb ras"),
        (r"\bural branch (?:of )?(?:the )?ras\b|\buralskogo otdeleni\w* ras\b|\buro ras\b", "ub ras"),
        (r"\bural branch\b", "ub"),
        (
            r"\bfar east(?:ern)? branch (?:of )?(?:the )?ras\b|\bdalnevostochnogo otdeleni\w* ras\b|\bdvo ras\b",
            "feb ras",
        ),
        (r"\bfar east(?:ern)? branch\b", "feb"),
        (r"\brussian federation\b", "russia"),
    )
)
# Cheap tests that tell whether the phrase lists above can apply at all (most names skip them).
_ACADEMY_HINT = re.compile(r"acad|nauk|\bran\b|branch|otdeleni|federation")
_LEGAL_HINT = re.compile(
    r"institution|establishment|enterprise|organization|entity|partnership|company|state scientific|"
    r"uchrezhdeni|predpri|obshchestvo|obschestvo|organizats"
)
# Supervising bodies appended to a name ("... of the Ministry of Health of the Russian Federation").
_SUPERVISOR_SUFFIX = re.compile(
    r"\b(?:ministry (?:of )?(?:the )?(?:health(?:care)?|defen[cs]e|education(?: (?:and )?science)?|"
    r"science (?:and )?higher education|agriculture|emergency situations|internal affairs|justice|finance|"
    r"culture|industry (?:and )?trade)(?: (?:of )?(?:the )?russia)?|minzdrava rossii|minzdrav rossii|"
    r"minoborony rossii|federal medical (?:and )?biological agency(?: (?:of )?russia)?|fmba(?: (?:of )?russia)?|"
    r"rospotrebnadzor|national research center kurchatov institute)\s*$"
)
_PAREN = re.compile(r"\(([^()]*)\)")
_TYPE_WORDS = frozenset({"university", "institute", "academy", "school", "center", "college", "conservatory"})


def _transliterate(text: str) -> str:
    out = []
    for char in text:
        lower = char.lower()
        if lower in _CYRILLIC:
            out.append(_CYRILLIC[lower])
        else:
            out.append(char)
    return "".join(out)


def _fold(text: str) -> str:
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    text = _transliterate(text)
    text = unicodedata.normalize("NFKD", text)
    return "".join(char for char in text if not unicodedata.combining(char))


def _drop_parentheses(text: str) -> str:
    """Parenthesised asides ("(Russia)", "(State University)", "(KSC RAS)") are not part of the name."""
    previous = None
    while previous != text:
        previous, text = text, _PAREN.sub(" ", text)
    return text.replace("(", " ").replace(")", " ")


def normalise_name(name: Any) -> str:
    """A comparable form of an institution name: lower case ASCII words, legal forms and noise removed.

    >>> normalise_name("FEDERAL STATE BUDGETARY INSTITUTION OF SCIENCE P.N. LEBEDEV PHYSICAL INSTITUTE OF RAS")
    'lebedev physical institute ras'
    """
    if name is None or (isinstance(name, float) and name != name) or name is pd.NA:
        return ""
    return _normalise_text(str(name))


@lru_cache(maxsize=200_000)
def _normalise_text(name: str) -> str:
    text = _words(name)
    text = _drop_legal_forms(text)
    return _drop_status_and_supervisor(text)


def _words(name: str) -> str:
    """ASCII lower-case words: transliterated, punctuation and asides gone, abbreviations spelt out."""
    text = _APOSTROPHES.sub("", _fold(name).lower())
    text = text.replace("&", " and ").replace("+", " and ")
    text = re.sub(r"\bn\.\s?a\.|\bim\.", " named after ", text)
    text = _drop_parentheses(text)
    text = re.sub(r"\b(?:saint|st|sankt)[\s.-]*peter(?:s)?burg\b", " saint petersburg ", text)
    mapped = [word for token in re.findall(r"[a-z0-9]+", text) for word in _TOKEN_MAP.get(token, token).split()]
    return " ".join(token for token in _drop_honours(mapped) if token not in _STOPWORDS)


# Soviet and Russian state decorations carried in legal names ("ORDER OF LENIN AND ORDER OF THE RED BANNER OF
# LABOUR ...", "ordena trudovogo krasnogo znameni"): words that may follow "order", in English and transliterated.
_HONOUR_START = frozenset({"order", "orders", "ordena", "ordenov", "orden"})
_HONOUR_WORDS = frozenset({
    "of", "the", "and", "lenin", "lenina", "red", "banner", "labour", "labor", "october", "revolution",
    "friendship", "peoples", "people", "badge", "honour", "honor", "trudovogo", "krasnogo", "znameni",
    "oktiabrskoi", "oktyabrskoi", "oktjabrskoj", "revoliutsii", "revolyutsii", "druzhby", "narodov", "znak",
    "pocheta", "glory", "slavy", "twice", "dvazhdy", "dignity", "merit", "fatherland", "patriotic", "war",
    "degree", "st", "nd", "workers", "awarded", "holder", "holders", "decorated", "zhukov", "kutuzov",
    "suvorov", "nevsky", "alexander", "trudovogo", "otechestvennoi", "voiny", "stepeni", "za", "zaslugi",
    "pered", "otechestvom", "i", "ii", "iii",
})
_HONOUR_NAMES = frozenset({
    "lenin", "lenina", "banner", "october", "friendship", "badge", "znameni", "oktiabrskoi", "oktyabrskoi",
    "oktjabrskoj", "druzhby", "pocheta", "glory", "slavy", "merit", "zaslugi", "patriotic", "otechestvennoi",
})


def _drop_honours(tokens: list[str]) -> list[str]:
    """Remove "order of Lenin and of the Red Banner of Labour"-like runs (only when a decoration is named)."""
    if not _HONOUR_START.intersection(tokens):
        return tokens
    out: list[str] = []
    index = 0
    while index < len(tokens):
        if tokens[index] in _HONOUR_START:
            end = index + 1
            while end < len(tokens) and (tokens[end] in _HONOUR_WORDS or tokens[end] in _HONOUR_START):
                end += 1
            if _HONOUR_NAMES.intersection(tokens[index:end]):
                while out and out[-1] in {"twice", "dvazhdy", "awarded", "holder", "the", "of", "and", "thrice"}:
                    out.pop()
                index = end
                continue
        out.append(tokens[index])
        index += 1
    return out


def _drop_legal_forms(text: str) -> str:
    """Academy names to short forms (ras, sb ras), legal forms, eponym markers and initials removed."""
    if _ACADEMY_HINT.search(text):
        for pattern, replacement in _ACADEMY_PHRASES:
            text = pattern.sub(replacement, text)
    if _LEGAL_HINT.search(text):
        for pattern in _LEGAL_PHRASES:
            text = pattern.sub(" ", text)
    tokens = [t for t in _strip_legal_tokens(text.split()) if t not in _EPONYM_MARKERS]
    return " ".join(t for t in tokens if t.isdigit() or len(t) > 2 or t in _KEEP_SHORT)


def _drop_status_and_supervisor(text: str) -> str:
    """Titles that do not tell institutions apart: "federal research center", "national research
    university", "... of the Ministry of Health" (kept when nothing else would remain)."""
    text = re.sub(r"^federal research center (?=institute\b)", "", text)
    without_status = re.sub(r"\bnational research university\b", " ", text).split()
    if any(word in _TYPE_WORDS for word in without_status):
        text = " ".join(without_status)
    stripped = _SUPERVISOR_SUFFIX.sub("", text).strip()
    if stripped and stripped != text and len(stripped.split()) >= 2:
        text = stripped
    return text


def _strip_legal_tokens(tokens: list[str]) -> list[str]:
    start, end = 0, len(tokens)
    while start < end and tokens[start] in _LEGAL_TOKENS:
        start += 1
    while end > start and tokens[end - 1] in _LEGAL_TOKENS:
        end -= 1
    kept = tokens[start:end]
    return kept if kept else [t for t in tokens if t not in _LEGAL_TOKENS] or tokens


_SKELETON_STEPS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"shch|sch", "sh"),
        (r"tch", "ch"),
        (r"kh", "h"),
        (r"ts|tz", "c"),
        (r"x", "ks"),
        (r"ph", "f"),
        (r"w", "v"),
        (r"[yj]", "i"),
        (r"ie", "e"),
        (r"(.)\1+", r"\1"),
    )
)


@lru_cache(maxsize=400_000)
def skeleton(word: str) -> str:
    """Collapse transliteration variants of one word: Moskovskiy/Moskovskij/Moskovsky -> moskovski."""
    for pattern, replacement in _SKELETON_STEPS:
        word = pattern.sub(replacement, word)
    return word


def match_key(name: Any) -> str:
    """The key names are compared on: `normalise_name` then `skeleton` of each word."""
    return " ".join(skeleton(token) for token in normalise_name(name).split())


def institution_key(ror_id: str | None, normalised_name: str, country: str | None) -> str:
    """`ror:<id>` when matched, else `name:<normalised name>|<country>` (stable across programmes)."""
    ident = short_ror_id(ror_id) if isinstance(ror_id, str) else None
    if ident:
        return f"ror:{ident}"
    return f"name:{normalised_name}|{(country or '').strip().upper()}"


# --- cities --------------------------------------------------------------------------------------

_CITY_NOISE = re.compile(
    r"\b(?:g|gorod|city|urban okrug|okrug|oblast|region|obl|raion|district|town|pos|poselok|settlement|"
    r"selo|rabochii|municipal|krai|kray|republic)\b"
)
_CITY_ALIASES = {
    "moskva": "moscow", "moskou": "moscow", "moskau": "moscow", "moscou": "moscow", "mosca": "moscow",
    "saint petersburg": "saint petersburg", "st petersburg": "saint petersburg", "sankt peterburg": "saint petersburg",
    "petersburg": "saint petersburg", "leningrad": "saint petersburg", "spb": "saint petersburg",
    "ekaterinburg": "yekaterinburg", "sverdlovsk": "yekaterinburg", "nizhnii novgorod": "nizhny novgorod",
    "nizhniy novgorod": "nizhny novgorod", "nizhni novgorod": "nizhny novgorod", "n novgorod": "nizhny novgorod",
    "kazan": "kazan", "rostov na donu": "rostov on don", "rostov": "rostov on don", "togliatti": "tolyatti",
    "koroliov": "korolyov", "korolev": "korolyov", "kaliningrad moscow": "korolyov",
}
# Science towns that CORDIS and ROR place either under the town or under the big city next to it.
_METRO_GROUPS: dict[str, frozenset[str]] = {
    "moscow": frozenset({
        "moscow", "troitsk", "zelenograd", "dolgoprudny", "dolgoprudnyy", "khimki", "korolyov", "podolsk",
        "pushchino", "chernogolovka", "fryazino", "zhukovsky", "zhukovskiy", "balashikha", "mytishchi",
        "krasnogorsk", "lyubertsy", "vidnoye", "vidnoe", "shatura", "protvino", "skolkovo", "reutov",
        "obolensk", "sergiev posad", "serpukhov", "kolomna", "odintsovo", "moscow oblast", "moskovskaya",
        "istra", "elektrostal", "lytkarino", "kotelniki", "krasnoznamensk", "yubileyny",
    }),
    "saint petersburg": frozenset({
        "saint petersburg", "gatchina", "pushkin", "peterhof", "petergof", "kronstadt", "sestroretsk",
        "pavlovsk", "kolpino", "metallostroy", "metallostroi", "lomonosov", "zelenogorsk", "krasnoye selo",
        "repino", "koltushi", "sosnovy bor", "vsevolozhsk", "pesochny", "pesochnyy", "strelna",
    }),
    "novosibirsk": frozenset({"novosibirsk", "akademgorodok", "koltsovo", "krasnoobsk", "berdsk"}),
    "obninsk": frozenset({"obninsk"}),
}


@lru_cache(maxsize=50_000)
def normalise_city(city: Any) -> str:
    """A comparable city name: `St.-Petersburg`, `SANKT-PETERBURG`, `Saint Petersburg` -> `saint petersburg`."""
    if city is None or (isinstance(city, float) and city != city):
        return ""
    text = _APOSTROPHES.sub("", _fold(str(city)).lower())
    text = re.sub(r"\bsaint[\s.-]*|\bst[\s.-]+|\bsankt[\s.-]*", "saint ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = _CITY_NOISE.sub(" ", text)
    text = " ".join(text.split())
    text = text.replace("saint peterburg", "saint petersburg")
    return _CITY_ALIASES.get(text, text)


def _metro(city: str) -> str:
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


# --- words ---------------------------------------------------------------------------------------

# Words two names of one institution may differ by ("National Research Tomsk Polytechnic University").
_DROPPABLE = frozenset(
    skeleton(word)
    for word in (
        "national", "research", "state", "russia", "scientific", "ras", "public",
        "autonomous", "budgetary", "named", "nauchno", "issledovatelskii", "gosudarstvennyi", "natsionalnyi",
        "federalnyi", "rossiiskii", "corporation", "company", "limited", "group", "holding",
    )
)
# Titles a name may carry or not without becoming another body ("National Research ... University").
_STATUS_WORDS = frozenset(skeleton(word) for word in ("national", "research", "ras"))
# Query words the scored stage lets the record's name lack ("National Research ...").
_SOFT_QUERY_WORDS = _STATUS_WORDS
_RARE_RECORDS = 2
# Branch words a name may omit when the city already says which branch it is.
_SOFT = frozenset(skeleton(word) for word in ("sb", "ub", "feb", "rams", "branch"))
# Common words that are never a person's or a body's own name (used to recognise eponyms).
_GENERIC = frozenset(
    skeleton(word)
    for word in (
        "institute", "university", "academy", "state", "national", "research", "scientific", "science",
        "sciences", "center", "federal", "russian", "russia", "ras", "sb", "ub", "feb", "rams", "hospital",
        "clinical", "city", "regional", "school", "college", "technical", "technological", "medical",
        "pedagogical", "agrarian", "agricultural", "engineering", "economics", "management", "law", "physics",
        "chemistry", "biology", "problems", "foundation", "society", "library", "museum", "ministry",
        "department", "branch", "laboratory", "international", "all", "union", "central", "main", "first",
        "new", "higher", "polytechnic", "children", "childrens", "republican", "district", "moscow", "saint",
        "petersburg", "siberian", "ural", "far", "eastern", "northern", "southern", "western", "north", "south",
        "east", "west", "protein", "basin", "origin", "margin", "domain", "berlin", "vitamin", "design",
        "informatics", "mechanics", "optics", "electronics", "plastics", "genetics", "agency", "service",
    )
)
# Words that say what kind of body something is, not which one: a fuzzy match needs one more word.
_NON_DISTINCTIVE = frozenset(
    skeleton(word)
    for word in (
        "institute", "university", "academy", "school", "college", "center", "state", "national", "research",
        "scientific", "science", "sciences", "federal", "russian", "russia", "ras", "sb", "ub", "feb", "rams",
        "hospital", "clinical", "city", "regional", "international", "all", "union", "central", "main", "first",
        "new", "higher", "republican", "district", "northern", "southern", "eastern", "western", "far", "branch",
        "department", "laboratory", "foundation", "society", "ministry", "agency", "company", "corporation",
        "children", "childrens", "infectious", "polyclinic", "clinic", "dispensary", "gymnasium",
    )
)
# Surname endings; not -sky/-skii, which transliterated Russian adjectives share ("khristianskii").
_EPONYM_SUFFIX = re.compile(r"(?:ov|ev|ova|eva|in|ina|ich|enko|dze|shvili)$")
_INITIAL_THEN_NAME = re.compile(r"(?:\b[A-ZА-ЯЁ]\.\s?){1,2}\s?([A-Za-zА-Яа-яЁё'’\-]{3,})")
_DOUBLE_INITIAL_NAME = re.compile(r"\b[A-Z]{2}\s([A-Z][a-z]{2,})")
_NAMED_AFTER = re.compile(
    r"(?:named\s+after|n\.\s?a\.|\bim\.|\bimeni|\bthem\.|имени|им\.)\s*(?:academician\s+|professor\s+|prof\.\s*|"
    r"академика\s+|профессора\s+)?(?:(?:[A-ZА-ЯЁ]\.\s?){0,2}|[A-Z]{2}\s)([A-Za-zА-Яа-яЁё'’\-]{3,})",
    re.IGNORECASE,
)


def eponyms(name: Any) -> frozenset[str]:
    """Skeleton words that are people's names in a name: after initials or after 'named after'/'im.'."""
    if not isinstance(name, str):
        return frozenset()
    found: set[str] = set()
    for pattern in (_INITIAL_THEN_NAME, _DOUBLE_INITIAL_NAME, _NAMED_AFTER):
        for match in pattern.finditer(name):
            for token in match_key(match.group(1)).split():
                found.add(token)
    return frozenset(found - _GENERIC)


def _looks_like_eponym(token: str, known: frozenset[str]) -> bool:
    if token in known:
        return True
    return len(token) >= 5 and token not in _GENERIC and not token.isdigit() and bool(_EPONYM_SUFFIX.search(token))


def _tokens_align(token: str, others: frozenset[str]) -> bool:
    if token in others:
        return True
    if len(token) < 4 or token.isdigit():
        return False
    return any(
        len(other) >= 4 and other[0] == token[0]
        and (fuzz.ratio(token, other) >= _TOKEN_SIMILARITY or _compound_of(token, other))
        for other in others
    )


_COMPOUND_STEM = 5


def _compound_of(first: str, second: str) -> bool:
    """Whether one word is the other with a second word glued on ("waterway" / "water"): the shorter one a
    whole word of five letters or more that starts the longer one."""
    short, long = sorted((first, second), key=len)
    return len(short) >= _COMPOUND_STEM and len(long) - len(short) >= 3 and long.startswith(short)


@dataclass(frozen=True)
class Alignment:
    """How two names' words line up: what is left over on each side after matching words."""

    query_left: frozenset[str]
    candidate_left: frozenset[str]
    aligned: int
    distinctive: int

    @property
    def complete(self) -> bool:
        return not self.query_left and not self.candidate_left

    @property
    def leftover(self) -> frozenset[str]:
        return self.query_left | self.candidate_left


def _merge_compounds(tokens: list[str], others: frozenset[str]) -> list[str]:
    """Join neighbours that the other name writes as one word ("radio engineering" ~ "radioengineering")."""
    merged: list[str] = []
    index = 0
    while index < len(tokens):
        if index + 1 < len(tokens) and tokens[index] + tokens[index + 1] in others:
            merged.append(tokens[index] + tokens[index + 1])
            index += 2
        else:
            merged.append(tokens[index])
            index += 1
    return merged


def align(query: str, candidate: str, acronyms: frozenset[str] = frozenset(), same_city: bool = False) -> Alignment:
    """Align the words of two match keys; droppable words (national, state, ...) never count as left over.

    A query word equal to one of the candidate's acronyms counts as aligned; with `same_city`, branch
    words (SB, UB, FEB) may be left over too.
    """
    q_list, c_list = query.split(), candidate.split()
    q_tokens = frozenset(_merge_compounds(q_list, frozenset(c_list)))
    c_tokens = frozenset(_merge_compounds(c_list, frozenset(q_list)))
    q_left = frozenset(t for t in q_tokens if not _tokens_align(t, c_tokens) and t not in acronyms)
    c_left = frozenset(t for t in c_tokens if not _tokens_align(t, q_tokens))
    aligned = sum(1 for t in q_tokens - q_left if t not in _DROPPABLE)
    distinctive = sum(
        1 for t in q_tokens - q_left if t not in _DROPPABLE and t not in _NON_DISTINCTIVE and not t.isdigit()
    )
    ignorable = _DROPPABLE | _SOFT if same_city else _DROPPABLE
    return Alignment(q_left - ignorable, c_left - ignorable, aligned, distinctive)


# --- overrides -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    """One curated decision about a name (exact, or a `re:` pattern on `normalise_name`).

    `ror_id` is the institution; None means "no ROR record" (ror_id cell `none`); `excluded` (cell
    `not:<id>`) only forbids one ROR record for that name and lets matching go on.
    """

    key: str | None
    pattern: re.Pattern[str] | None
    city: str
    country: str
    ror_id: str | None
    excluded: str | None
    note: str
    line: int

    def applies(self, name_key: str, normalised: str, city: Any, country: str | None) -> bool:
        if self.country and country and self.country != country:
            return False
        if self.city and city_agreement(self.city, city) is not True:
            return False
        if self.pattern is not None:
            return bool(self.pattern.search(normalised))
        return self.key == name_key


@dataclass
class Overrides:
    """Curated name decisions and PIC links, as read from `institution_overrides.csv`."""

    rules: list[Override] = field(default_factory=list)
    pic_links: dict[str, str | None] = field(default_factory=dict)

    def lookup(
        self, name_key: str, normalised: str, city: Any, country: str | None
    ) -> tuple[Override | None, frozenset[str]]:
        """The first deciding rule for a name (or None) and the ROR ids its exclusion rules forbid."""
        excluded: set[str] = set()
        for rule in self.rules:
            if rule.applies(name_key, normalised, city, country):
                if rule.excluded:
                    excluded.add(rule.excluded)
                else:
                    return rule, frozenset(excluded)
        return None, frozenset(excluded)


def _parse_ror_cell(value: str, source: Path, line: int) -> tuple[str | None, str | None]:
    """(ror_id, excluded) from a cell holding a ROR id, `none` or `not:<ROR id>`."""
    text = (value or "").strip()
    if text.lower() == "none":
        return None, None
    negate = text.lower().startswith("not:")
    ident = short_ror_id(text[4:] if negate else text)
    if not ident or not _ROR_ID.match(ident):
        raise ResolveError(
            f"overrides file {source}, line {line}: ror_id {value!r} is not a ROR id (like 010pmpe69), "
            "'none' or 'not:<ROR id>'"
        )
    return (None, ident) if negate else (ident, None)


def load_overrides(path: str | Path | None) -> Overrides:
    """Read the curated overrides CSV (columns: name_pattern, city, country, pic, ror_id, note)."""
    if path is None:
        return Overrides()
    source = Path(path)
    if not source.is_file():
        raise ResolveError(f"overrides file {source} does not exist; pass an existing CSV or none")
    with source.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in ("name_pattern", "ror_id") if column not in (reader.fieldnames or [])]
        if missing:
            raise ResolveError(
                f"overrides file {source} lacks column(s) {', '.join(missing)}; expected {', '.join(OVERRIDE_COLUMNS)}"
            )
        overrides = Overrides()
        for line, row in enumerate(reader, start=2):
            rule = _override_row(row, source, line, overrides)
            if rule is not None:
                overrides.rules.append(rule)
    return overrides


def _override_row(row: dict[str, str], source: Path, line: int, overrides: Overrides) -> Override | None:
    pattern_text = (row.get("name_pattern") or "").strip()
    pic = (row.get("pic") or "").strip()
    ror_id, excluded = _parse_ror_cell(row.get("ror_id") or "", source, line)
    if pic:
        if excluded:
            raise ResolveError(f"overrides file {source}, line {line}: a PIC link needs a ROR id or 'none', not 'not:'")
        overrides.pic_links[pic] = ror_id
    if not pattern_text:
        if not pic:
            raise ResolveError(f"overrides file {source}, line {line}: give a name_pattern or a pic")
        return None
    pattern = None
    key = None
    if pattern_text.startswith("re:"):
        try:
            pattern = re.compile(pattern_text[3:])
        except re.error as exc:
            raise ResolveError(f"overrides file {source}, line {line}: bad regular expression: {exc}") from exc
    else:
        key = match_key(pattern_text)
        if not key:
            raise ResolveError(
                f"overrides file {source}, line {line}: name_pattern {pattern_text!r} is empty once normalised"
            )
    return Override(
        key=key,
        pattern=pattern,
        city=(row.get("city") or "").strip(),
        country=(row.get("country") or "").strip().upper(),
        ror_id=ror_id,
        excluded=excluded,
        note=(row.get("note") or "").strip(),
        line=line,
    )


# --- the matcher ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
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
class _Query:
    name: str
    key: str
    city: Any
    country: str | None
    short_name: str
    excluded: frozenset[str]


@dataclass(frozen=True)
class _Candidate:
    record: int
    key: str


@dataclass(frozen=True)
class _Accepted:
    ror_id: str
    city_agrees: bool | None
    complete: bool
    score: float


class Matcher:
    """Match participants to ROR records of a registry DataFrame (see `bilatrus_etl.institutions.registry`)."""

    def __init__(
        self,
        registry: pd.DataFrame,
        overrides: Overrides | None = None,
        pic_links: Mapping[str, str | None] | None = None,
        follow_successors: bool = True,
        score_threshold: float = SCORE_THRESHOLD,
        score_margin: float = SCORE_MARGIN,
    ) -> None:
        self.overrides = overrides or Overrides()
        self.score_threshold = score_threshold
        self.score_margin = score_margin
        self.pic_links: dict[str, str | None] = {**self.overrides.pic_links, **dict(pic_links or {})}
        self.follow_successors = follow_successors
        self._records: list[_Record] = []
        self._by_id: dict[str, int] = {}
        self._exact: dict[str, set[int]] = defaultdict(set)
        self._acronym: dict[str, set[int]] = defaultdict(set)
        self._choices: dict[str, list[_Candidate]] = defaultdict(list)
        self._choice_keys: dict[str, list[str]] = {}
        self._postings: dict[str, dict[str, list[int]]] = {}
        self._record_keys: list[list[str]] = []
        self._vocabulary: set[str] = set()
        self._sorted_vocabulary: list[str] = []
        self._record_frequency: Counter[str] = Counter()
        self._vocabulary_by_initial: dict[str, list[str]] = defaultdict(list)
        self._mended: dict[str, list[str]] = {}
        self._candidate_cache: dict[tuple[Any, ...], list[Candidate]] = {}
        self._sorted_exact: dict[str, set[int]] = defaultdict(set)
        self._cache: dict[tuple[Any, ...], MatchResult] = {}
        self._index(registry)

    @classmethod
    def from_registry(
        cls,
        registry: pd.DataFrame,
        overrides_path: str | Path | None = DEFAULT_OVERRIDES,
        pic_links: Mapping[str, str | None] | None = None,
        follow_successors: bool = True,
    ) -> Matcher:
        """A matcher with the curated overrides file (the project's, unless another path or None is given)."""
        if overrides_path == DEFAULT_OVERRIDES and not DEFAULT_OVERRIDES.is_file():
            overrides_path = None
        return cls(registry, load_overrides(overrides_path), pic_links, follow_successors)

    # indexing

    def _index(self, registry: pd.DataFrame) -> None:
        for column in ("ror_id", "display_name", "labels"):
            if column not in registry.columns:
                raise ResolveError(f"registry table lacks column {column!r}; build it with bilatrus_etl.institutions.registry")
        for row in registry.itertuples(index=False):
            data = row._asdict()
            ror = short_ror_id(data["ror_id"])
            if not ror or ror in self._by_id:
                continue
            names = list(dict.fromkeys([str(data["display_name"]), *_listed(data.get("labels"))]))
            keys = {name: match_key(name) for name in names}
            acronyms = _listed(data.get("acronyms"))
            acronym_keys = frozenset(k for k in (match_key(a).replace(" ", "") for a in acronyms) if k)
            acronym_words = frozenset(
                word
                for acronym in acronyms
                for word in (*match_key(acronym).split(), match_key(acronym).replace(" ", ""))
                if len(word) >= 3
            )
            city = _clean(data.get("city")) or None
            cities = tuple(dict.fromkeys([*([city] if city else []), *_listed(data.get("cities"))]))
            acronym_keys |= derived_acronyms(names)
            record = _Record(
                ror_id=ror,
                name=str(data["display_name"]),
                city=city,
                cities=cities,
                country=_clean(data.get("country_code")).upper() or None,
                status=_clean(data.get("status")).lower() or "active",
                successors=tuple(_listed(data.get("successor_ror_ids"))),
                acronyms=acronym_keys,
                acronym_words=acronym_words,
                eponyms=frozenset().union(*(eponyms(n) for n in names)) if names else frozenset(),
                vocabulary=frozenset(word for key in keys.values() for word in key.split()),
                city_words=frozenset().union(*(_city_words(c) for c in cities)) if cities else frozenset(),
            )
            position = len(self._records)
            self._records.append(record)
            self._record_keys.append([k for k in keys.values() if k])
            self._by_id[ror] = position
            for name in names:
                if name in acronyms and name != names[0]:
                    continue
                key = keys[name]
                if not key:
                    continue
                self._exact[key].add(position)
                country = record.country or ""
                self._choices[country].append(_Candidate(position, key))
            for key in acronym_keys:
                self._acronym[key].add(position)
            self._vocabulary.update(word for name in names for word in _raw_words(name))
            self._record_frequency.update({word for key in keys.values() for word in key.split()})
        self._vocabulary.update(_STOPWORDS, _LEGAL_VOCABULARY)
        self._sorted_vocabulary = sorted(self._vocabulary)
        for word in self._vocabulary:
            if len(word) >= _TYPO_SHORTEST:
                self._vocabulary_by_initial[word[0]].append(word)
        self._sorted_exact = defaultdict(set)
        for key, positions in self._exact.items():
            self._sorted_exact[" ".join(sorted(key.split()))].update(positions)
        self._choice_keys = {country: [c.key for c in items] for country, items in self._choices.items()}
        for country, items in self._choices.items():
            postings: dict[str, list[int]] = defaultdict(list)
            for index, candidate in enumerate(items):
                words = set(candidate.key.split()) | self._records[candidate.record].acronym_words
                for prefix in {word[:3] for word in words if len(word) >= 3 and not word.isdigit()}:
                    postings[prefix].append(index)
            self._postings[country] = dict(postings)

    # public API

    def record_name(self, ror_id: str | None) -> str | None:
        """The display name of a ROR id known to the registry."""
        position = self._by_id.get(short_ror_id(ror_id) or "")
        return self._records[position].name if position is not None else None

    def learn_pic(self, pic: str, ror_id: str | None) -> None:
        """Remember that a PIC is this institution (or explicitly none)."""
        self.pic_links[str(pic).strip()] = short_ror_id(ror_id)

    def match(
        self,
        name: Any,
        city: Any = None,
        country: Any = None,
        pic: Any = None,
        short_name: Any = None,
    ) -> MatchResult:
        """Decide which ROR record one participant is; `MatchResult(None, 'none', 0.0)` when unsure."""
        country_code = _COUNTRY_ALIASES.get(_clean(country).upper(), _clean(country).upper()) or None
        pic_text = _clean(pic)
        cache_key = (_clean(name), normalise_city(city), country_code, pic_text, _clean(short_name))
        if cache_key in self._cache and pic_text not in self.pic_links:
            return self._cache[cache_key]
        result = self._decide(_clean(name), city, country_code, pic_text, _clean(short_name))
        self._cache[cache_key] = result
        return result

    # stages

    def _decide(self, name: str, city: Any, country: str | None, pic: str, short_name: str) -> MatchResult:
        key = match_key(name)
        rule, excluded = self.overrides.lookup(key, normalise_name(name), city, country)
        if rule is not None:
            return MatchResult(rule.ror_id, "override", 100.0)
        if pic and pic in self.pic_links:
            return MatchResult(self.pic_links[pic], "pic", 100.0)
        if not key:
            return MatchResult(None, "none", 0.0)
        for variant, variant_short in self._variants(name, short_name):
            variant_key = match_key(self.repair(variant))
            if not variant_key:
                continue
            query = _Query(variant, variant_key, city, country, variant_short, excluded)
            for stage in (self._exact_match, self._acronym_match, self._fuzzy_match, self._prefix_match,
                          self._scored_match):
                result = stage(query)
                if result is not None:
                    return result
        return MatchResult(None, "none", 0.0)

    @staticmethod
    def _variants(name: str, short_name: str) -> list[tuple[str, str]]:
        """The name as given, then without a short name after '*' and without a faculty/department tail."""
        variants = [(name, short_name)]
        if "*" in name:
            head, _, tail = name.partition("*")
            if head.strip():
                variants.append((head.strip(), short_name or tail.strip()))
        for text, short in list(variants):
            cut = _SUBUNIT_TAIL.sub("", text).strip()
            if cut and cut != text:
                variants.append((cut, short))
        return list(dict.fromkeys(variants))

    def repair(self, name: str) -> str:
        """Mend words the source glued, split or misspelt, against the registry's (and legal forms') words.

        "INSTITUTEOF" -> "institute of", "UNI VERSITY" -> "university", "BUDGETRY" -> "budgetary". A name whose
        words are all known comes back unchanged.
        """
        vocabulary = self._vocabulary
        if not vocabulary or all(w in vocabulary or w.isdigit() or len(w) < 3 for w in _raw_words(name)):
            return name
        words = _raw_words(_drop_parentheses(_fold(name)))
        out: list[str] = []
        index = 0
        while index < len(words):
            word = words[index]
            following = words[index + 1] if index + 1 < len(words) else ""
            if following and word + following in vocabulary and (word not in vocabulary or following not in vocabulary):
                out.append(word + following)
                index += 2
                continue
            if word in vocabulary or word.isdigit() or len(word) < 3:
                out.append(word)
            else:
                out.extend(self._mend_word(word))
            index += 1
        return " ".join(out)

    def _mend_word(self, word: str) -> list[str]:
        cached = self._mended.get(word)
        if cached is not None:
            return cached
        vocabulary = self._vocabulary
        result = [word]
        splits = [
            (word[:i], word[i:]) for i in range(2, len(word) - 1)
            if word[:i] in vocabulary and word[i:] in vocabulary and max(i, len(word) - i) >= 4
        ]
        if splits:
            result = list(max(splits, key=lambda pair: min(len(pair[0]), len(pair[1]))))
        elif len(word) >= _TYPO_SHORTEST and word.isalpha():
            limit = 1 if len(word) < 9 else 2
            close = [
                (Levenshtein.distance(word, other, score_cutoff=limit), other)
                for other in self._vocabulary_by_initial.get(word[0], ())
                if abs(len(other) - len(word)) <= limit
            ]
            close = [(d, other) for d, other in close if d <= limit]
            if close:
                best = min(d for d, _ in close)
                winners = [other for d, other in close if d == best]
                if len(winners) == 1:
                    result = winners
        self._mended[word] = result
        return result

    def candidates(self, name: Any, city: Any = None, country: Any = None, limit: int = 5) -> list[Candidate]:
        """The registry records closest to a name, best first, one per institution (see `Candidate`)."""
        text = _clean(name)
        country_code = _COUNTRY_ALIASES.get(_clean(country).upper(), _clean(country).upper()) or None
        cache_key = (text, normalise_city(city), country_code)
        cached = self._candidate_cache.get(cache_key)
        if cached is not None:
            return cached[:limit]
        found: dict[str, Candidate] = {}
        keys = {match_key(self.repair(v)) for v, _ in self._variants(text, "")} - {""} if text else set()
        codes = [country_code] if country_code else list(self._choices)
        for key in keys:
            # Only names sharing the first three letters of a word with the query are scored (blocking).
            words = [w for w in key.split() if len(w) >= 3 and not w.isdigit()]
            prefixes = {w[:3] for w in distinctive_words(" ".join(words))} or {w[:3] for w in words}
            for code in codes:
                postings = self._postings.get(code) or {}
                subset = sorted(set().union(*(postings.get(prefix, ()) for prefix in prefixes)))
                if not subset:
                    continue
                choices = self._choice_keys[code]
                hits = process.extract(
                    key, [choices[i] for i in subset], scorer=fuzz.token_set_ratio, limit=_RETRIEVE, score_cutoff=50
                )
                for _, set_ratio, position in hits:
                    candidate = self._choices[code][subset[position]]
                    agrees = self._city_agrees(city, candidate.record)
                    score = (set_ratio + fuzz.token_sort_ratio(key, candidate.key)) / 2
                    score -= CITY_PENALTY if agrees is False else 0.0
                    ror = self._final_id(candidate.record)
                    if ror not in found or score > found[ror].score:
                        found[ror] = Candidate(ror, self.record_name(ror) or ror, round(score, 1), agrees)
        ranked = sorted(found.values(), key=lambda c: (-c.score, c.ror_id))[:_KEEP_CANDIDATES]
        self._candidate_cache[cache_key] = ranked
        return ranked[:limit]

    def _scored_match(self, query: _Query) -> MatchResult | None:
        """The best-scored candidate when it is clearly good and clearly ahead of the runner-up."""
        ranked = [c for c in self.candidates(query.name, query.city, query.country, 2) if c.ror_id not in query.excluded]
        if not ranked or ranked[0].score < self.score_threshold:
            return None
        top = ranked[0]
        if len(ranked) > 1 and top.score - ranked[1].score < self.score_margin:
            return None
        if top.city_agrees is False or (top.city_agrees is None and not _self_locating(query.key)):
            return None
        position = self._by_id.get(top.ror_id)
        if position is None:
            return None
        places = self._records[position].city_words | _city_words(query.city)
        best_key = max(self._record_keys[position], key=lambda k: fuzz.token_set_ratio(query.key, k), default="")
        alignment = align(query.key, best_key, self._records[position].acronym_words, same_city=top.city_agrees is True)
        aligned_words = set(query.key.split()) - alignment.query_left
        if _distinctive_words(" ".join(w for w in aligned_words if w not in places)) < 1:
            return None
        # Every query word must be found in the record's name; the record's name may add only a person's or
        # a place's name ("Institute of Solid State Physics" / "Osipyan Institute of Solid State Physics RAS").
        if alignment.query_left - places - _SOFT_QUERY_WORDS:
            return None
        record_eponyms = self._records[position].eponyms
        unexplained = [w for w in alignment.candidate_left - places if not _looks_like_eponym(w, record_eponyms)]
        # In the same city, the record's name may add one rare word (a nickname such as "Voenmeh", a word
        # found in at most _RARE_RECORDS records); a common word ("medical") names another kind of body.
        if unexplained and not (
            top.city_agrees is True and len(unexplained) == 1 and self._record_frequency[unexplained[0]] <= _RARE_RECORDS
        ):
            return None
        return MatchResult(top.ror_id, "scored", top.score)

    def _prefix_match(self, query: _Query) -> MatchResult | None:
        """A long name cut at the source's field length: the one registry name that starts with its words.

        The cut word is compared as written (not mended, not mapped: "PHYSIO" starts "physiotherapy"); when the
        cut falls inside a phrase the normaliser rewrites ("OF THE RUSSIAN FED"), up to three more words are
        dropped, and then the rest must hold two distinctive words."""
        if len(query.name) < _PREFIX_SHORTEST:
            return None
        raw = query.name.split()
        cut = _raw_words(raw[-1])
        short_tail = bool(cut) and len(cut[-1]) <= 3 and not cut[-1].isdigit() and len(query.name) >= _SHORT_TAIL_CUT
        if not cut or not (short_tail or self._is_cut_word(cut[-1])):
            return None  # the name ends with a whole word: not cut
        for dropped in range(1, min(4, len(raw) - 1) + 1):
            last_words = _raw_words(raw[-dropped]) if dropped == 1 else []
            partial = skeleton(last_words[-1]) if last_words else ""
            head = match_key(self.repair(" ".join(raw[:-dropped])))
            if len(head.split()) < 2 or _distinctive_words(head) < (1 if dropped == 1 else 2):
                continue
            loose = len(partial) < 3 or partial in _STOPWORDS  # "... OF THE DAIRY I": any continuation
            ids = set()
            for code in ([query.country] if query.country else list(self._choices)):
                for candidate in self._choices.get(code, ()):
                    if candidate.key == head and dropped > 1:  # the words left are a whole name already
                        rest = ""
                        loose_here = True
                    else:
                        rest = candidate.key[len(head):] if candidate.key.startswith(head + " ") else None
                        loose_here = loose
                    if rest is not None and (loose_here or any(w.startswith(partial) for w in rest.split())):
                        if self._usable(candidate.record, query) and self._city_agrees(query.city, candidate.record) is not False:
                            ids.add(self._final_id(candidate.record))
            if len(ids) == 1:
                return MatchResult(ids.pop(), "prefix", 90.0)
            if ids:
                return None  # the words left fit several records
        return None

    def _is_cut_word(self, word: str) -> bool:
        """A word that is no registry word but the start of one ("ECONOMI", "FED", "S")."""
        if word in self._vocabulary or word.isdigit():
            return False
        index = bisect.bisect_left(self._sorted_vocabulary, word)
        return index < len(self._sorted_vocabulary) and self._sorted_vocabulary[index].startswith(word)

    def _usable(self, position: int, query: _Query) -> bool:
        record = self._records[position]
        if record.ror_id in query.excluded or self._final_id(position) in query.excluded:
            return False
        return not query.country or not record.country or record.country == query.country

    def _exact_match(self, query: _Query) -> MatchResult | None:
        key, city = query.key, query.city
        positions = [p for p in self._exact.get(key, ()) if self._usable(p, query)]
        if not positions:  # the same words in another order ("Lomonosov Moscow ..." / "... named after Lomonosov")
            sorted_key = " ".join(sorted(key.split()))
            positions = [p for p in self._sorted_exact.get(sorted_key, ()) if self._usable(p, query)]
        if not positions:
            return None
        agreements = {p: self._city_agrees(city, p) for p in positions}
        agreeing = [p for p in positions if agreements[p]]
        pool = agreeing or [p for p in positions if agreements[p] is None]
        if pool:
            ids = {self._final_id(p) for p in pool}
            if len(ids) != 1:
                return None
            if agreeing or _self_locating(key):
                return MatchResult(ids.pop(), "exact", 100.0)
        # The city does not confirm the name (it names another place, or none is known). A city disagreement
        # lowers the score of an exact name the country's registry holds once; it does not veto it. Only a
        # numbered name ("Clinical Hospital No. 8") names an institution together with its city alone.
        ids = {self._final_id(p) for p in positions}
        if len(ids) != 1 or _numbered(key):
            return None
        if pool:  # no city known, a name without a distinctive word ("Southern Federal University")
            return MatchResult(ids.pop(), "exact", _CITY_UNCONFIRMED_SCORE)
        # Every candidate lies in another city: a name that carries a person or a place, two words that tell
        # bodies apart, or one that no other record's name has ("Chechen") loses less than a generic one.
        places = _city_words(city).union(*(self._records[p].city_words for p in positions))
        place_words = set(key.split()) & places
        proper = any(_looks_like_eponym(t, self._records[p].eponyms) for t in key.split() for p in positions)
        rare = [w for w in distinctive_words(key) if len(w) >= 5 and self._record_frequency[w] <= 1]
        if place_words or proper or _distinctive_words(key) >= 2 or rare:
            return MatchResult(ids.pop(), "exact", _CITY_DISAGREES_SCORE)
        return MatchResult(ids.pop(), "exact", _CITY_UNCONFIRMED_SCORE)

    def _acronym_match(self, query: _Query) -> MatchResult | None:
        name, key, city, short_name = query.name, query.key, query.city, query.short_name
        if not normalise_city(city):
            return None
        tried = [short_name] if short_name else []
        if len(name.split()) == 1:
            tried.append(name)
        for text in tried:
            acronym = match_key(text).replace(" ", "")
            if len(acronym) < 2:
                continue
            positions = [
                p for p in self._acronym.get(acronym, ())
                if self._usable(p, query) and self._city_agrees(city, p)
            ]
            ids = {self._final_id(p) for p in positions}
            if len(ids) != 1:
                continue
            if text != name and len(key.split()) >= 2 and not self._name_supports(key, positions):
                continue
            return MatchResult(ids.pop(), "acronym+city", 95.0)
        return None

    def _name_supports(self, key: str, positions: list[int]) -> bool:
        """The long name does not contradict the record an acronym points to."""
        return any(fuzz.token_set_ratio(key, other) >= 70 for p in positions for other in self._record_keys[p])

    def _fuzzy_match(self, query: _Query) -> MatchResult | None:
        key, city = query.key, query.city
        countries = [query.country] if query.country else list(self._choices)
        query_eponyms = eponyms(query.name)
        accepted: list[_Accepted] = []
        # A fuzzy match must align at least one distinctive word, and aligned words share their first
        # letters: only names sharing a three-letter word start with a distinctive query word are scored.
        prefixes = {
            word[:3] for word in key.split()
            if len(word) >= 3 and not word.isdigit() and word not in _NON_DISTINCTIVE and word not in _DROPPABLE
        }
        for code in countries:
            postings = self._postings.get(code)
            if not postings or not prefixes:
                continue
            subset = sorted(set().union(*(postings.get(prefix, ()) for prefix in prefixes)))
            if not subset:
                continue
            choices = self._choice_keys[code]
            hits = process.extract(
                key, [choices[i] for i in subset], scorer=fuzz.token_set_ratio, limit=_CANDIDATES,
                score_cutoff=_RETRIEVAL_CUTOFF,
            )
            for _, _, position in hits:
                candidate = self._choices[code][subset[position]]
                if not self._usable(candidate.record, query):
                    continue
                decision = self._judge(key, query_eponyms, city, candidate)
                if decision is not None:
                    accepted.append(decision)
        return self._pick(accepted)

    def _judge(self, key: str, query_eponyms: frozenset[str], city: Any, candidate: _Candidate) -> _Accepted | None:
        record = self._records[candidate.record]
        agrees = self._city_agrees(city, candidate.record)
        if agrees is False:
            return None
        alignment = align(key, candidate.key, record.acronym_words, same_city=agrees is True)
        sort_ratio = fuzz.token_sort_ratio(key, candidate.key)
        if alignment.aligned < 2 or alignment.distinctive < 1:
            return None
        places = record.city_words | _city_words(city)
        extra = {
            w for w in (set(key.split()) ^ set(candidate.key.split())) - _STATUS_WORDS
            if not _looks_like_eponym(w, query_eponyms | record.eponyms)
        }
        if extra and _distinctive_words(
            " ".join(w for w in set(key.split()) - alignment.query_left if w not in places)
        ) < 1:
            return None  # only a city name in common ("Moscow State University" / "Moscow University")
        if agrees is None and not _self_locating(candidate.key):
            return None
        if alignment.complete:
            return _Accepted(self._final_id(candidate.record), agrees, True, sort_ratio)
        if agrees is not True or sort_ratio < _MIN_FUZZY_SORT_RATIO:
            return None
        # Same city: the names may differ by one word that names a person (an eponym), by the city
        # itself, or by one distinctive query word found in another of the record's names.
        places = record.city_words | _city_words(city)
        leftover = alignment.leftover - places
        if not leftover:
            return _Accepted(self._final_id(candidate.record), agrees, True, sort_ratio)
        if len(leftover) != 1:
            return None
        (token,) = leftover
        if token in alignment.candidate_left:
            ok = _looks_like_eponym(token, record.eponyms)
        else:
            ok = _looks_like_eponym(token, query_eponyms) or (token in record.vocabulary and token not in _GENERIC)
        return _Accepted(self._final_id(candidate.record), agrees, False, sort_ratio) if ok else None

    @staticmethod
    def _pick(accepted: list[_Accepted]) -> MatchResult | None:
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

    # helpers

    def _city_agrees(self, city: Any, position: int) -> bool | None:
        """True when any of the record's cities agrees, False when all disagree, None when unknown."""
        verdicts = [city_agreement(city, other) for other in self._records[position].cities]
        if any(v is True for v in verdicts):
            return True
        if any(v is False for v in verdicts):
            return False
        return None

    def _final_id(self, position: int) -> str:
        record = self._records[position]
        if not self.follow_successors:
            return record.ror_id
        seen = {record.ror_id}
        while record.status in {"withdrawn", "inactive"} and len(record.successors) == 1:
            successor = record.successors[0]
            if successor in seen:
                break
            seen.add(successor)
            next_position = self._by_id.get(successor)
            if next_position is None:
                return successor
            record = self._records[next_position]
        return record.ror_id


_SUBUNIT_TAIL = re.compile(
    r"\s*[,;(*]\s*(?:the\s+)?(?:faculty|department|dept|chair|laboratory|lab|division|section|sector|unit|"
    r"kafedra|fakultet|otdel|laboratoriia|laboratoriya)\b.*$",
    re.IGNORECASE,
)
# Words of legal forms (English and transliterated Russian) that sources misspell; a query word that is no
# registry word is corrected to the nearest of these or of the registry's words.
_LEGAL_VOCABULARY = frozenset({
    "federal", "state", "budgetary", "budget", "autonomous", "unitary", "institution", "establishment",
    "enterprise", "educational", "education", "higher", "professional", "vocational", "science", "scientific",
    "organization", "organisation", "government", "governmental", "municipal", "nonprofit", "noncommercial",
    "treasury", "company", "joint", "stock", "limited", "liability", "public", "private", "closed", "open",
    "federalnoe", "gosudarstvennoe", "biudzhetnoe", "byudzhetnoe", "avtonomnoe", "kazennoe", "unitarnoe",
    "uchrezhdenie", "obrazovatelnoe", "nauchnoe", "nauki", "vysshego", "obrazovaniya", "obrazovaniia",
    "professionalnogo", "predpriyatie", "predpriiatie", "obshchestvo", "aktsionernoe", "nekommercheskaya",
    "organizatsiya", "zdravookhraneniya", "dopolnitelnogo",
})
_TYPO_SHORTEST = 5


def _raw_words(name: Any) -> list[str]:
    """Lower-case ASCII words of a name as written (transliterated, nothing dropped or mapped)."""
    return re.findall(r"[a-z0-9]+", _APOSTROPHES.sub("", _fold(str(name)).lower()))


_ACRONYM_SKIP = frozenset({"и", "имени", "им", "в", "на", "по", "при", "для", "of", "and", "the", "named", "after"})


def derived_acronyms(names: Iterable[str]) -> frozenset[str]:
    """Acronyms spelt from the initials of Cyrillic names ("Московский государственный университет" -> "mgu"),
    cut before "имени" (the eponym is not part of the usual acronym); keys as `match_key` makes them."""
    found: set[str] = set()
    for name in names:
        if not any("\u0400" <= char <= "\u04ff" for char in name):
            continue
        head = re.split(r"\bимени\b|\bим\.", name, maxsplit=1)[0]
        words = [w for w in re.findall(r"[А-Яа-яЁё]+", head) if w.lower() not in _ACRONYM_SKIP]
        if 2 <= len(words) <= 6:
            initials = "".join(w[0] for w in words)
            key = "".join(_fold(initials).lower().split())
            if len(key) >= 3:
                found.add(key)
    return frozenset(found)


def distinctive_words(key: str) -> list[str]:
    """The words of a match key that tell one institution from another (not "institute", "state", numbers)."""
    return [w for w in key.split() if w not in _NON_DISTINCTIVE and w not in _DROPPABLE and not w.isdigit()]


def _distinctive_words(key: str) -> int:
    return len(distinctive_words(key))


def words_align(word: str, others: Iterable[str]) -> bool:
    """Whether a match-key word is one of `others`, allowing a spelling slip in words of four letters or more."""
    return _tokens_align(word, frozenset(others))


def _numbered(key: str) -> bool:
    """Whether a name carries a number ("City Hospital No. 40", "46th Central Research Institute")."""
    return any(any(char.isdigit() for char in word) for word in key.split())


def _self_locating(key: str) -> bool:
    """Whether a name identifies one institution without its city: no number, some distinctive word."""
    words = key.split()
    if any(word.isdigit() for word in words):
        return False
    return any(word not in _NON_DISTINCTIVE and word not in _DROPPABLE for word in words)


def _city_words(city: Any) -> frozenset[str]:
    return frozenset(skeleton(word) for word in normalise_city(city).split() if len(word) >= 4)


def _listed(value: Any) -> list[str]:
    """A list cell as Python strings, whether it holds a list, a tuple, a NumPy array or nothing."""
    if value is None or isinstance(value, (str, float)):
        return [value] if isinstance(value, str) and value else []
    return [str(item) for item in value]


def _clean(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value).strip()
    return "" if text.upper() in {"NA", "NAN", "NONE", "NULL"} else text


# --- batches -------------------------------------------------------------------------------------

_STRENGTH = {"override": 4, "exact": 3, "acronym+city": 2, "fuzzy+city": 2, "prefix": 1, "scored": 1, "fuzzy": 1}


def resolve_frame(frame: pd.DataFrame, matcher: Matcher, runner_up: bool = True) -> pd.DataFrame:
    """Add ror_id, ror_name, method, score and institution_key to a participants frame, and (unless
    `runner_up` is False) the runner-up: the best-scored other record (`Matcher.candidates`), which for an
    unmatched row is the record it came closest to.

    Columns read: name (required), city, country, pic, short_name (optional). Every other column is
    carried through. Rows left unmatched whose PIC was matched elsewhere in the frame get that match
    (method 'pic') when the frame's matched rows agree on it.
    """
    if "name" not in frame.columns:
        raise ResolveError(f"participants table lacks the column 'name' (it has: {', '.join(map(str, frame.columns))})")
    column = {c: frame[c] if c in frame.columns else pd.Series([None] * len(frame), index=frame.index)
              for c in ("name", "city", "country", "pic", "short_name")}
    results = [
        matcher.match(n, c, k, p, s)
        for n, c, k, p, s in zip(
            column["name"], column["city"], column["country"], column["pic"], column["short_name"], strict=True
        )
    ]
    results = _propagate_pics(results, [_clean(p) for p in column["pic"]])
    out = frame.copy()
    out["ror_id"] = [r.ror_id for r in results]
    out["ror_name"] = [matcher.record_name(r.ror_id) for r in results]
    out["method"] = [r.method for r in results]
    out["score"] = [r.score for r in results]
    out["institution_key"] = _institution_keys(results, column["name"], column["country"], column["pic"])
    if runner_up:
        runners = [
            next((c for c in matcher.candidates(n, c_, k, 3) if c.ror_id != r.ror_id), None)
            for n, c_, k, r in zip(column["name"], column["city"], column["country"], results, strict=True)
        ]
        out["runner_up_ror_id"] = [c.ror_id if c else None for c in runners]
        out["runner_up_name"] = [c.name if c else None for c in runners]
        out["runner_up_score"] = [c.score if c else None for c in runners]
    return out


def _propagate_pics(results: list[MatchResult], pics: list[str]) -> list[MatchResult]:
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for result, pic in zip(results, pics, strict=True):
        if pic and result.ror_id and result.method in _STRENGTH:
            votes[pic][result.ror_id] += _STRENGTH[result.method]
    consensus = {pic: counter.most_common(1)[0][0] for pic, counter in votes.items() if len(counter) == 1}
    return [
        MatchResult(consensus[pic], "pic", 100.0) if result.method == "none" and pic in consensus else result
        for result, pic in zip(results, pics, strict=True)
    ]


def _institution_keys(
    results: list[MatchResult], names: Iterable[Any], countries: Iterable[Any], pics: Iterable[Any]
) -> list[str]:
    names = [normalise_name(n) for n in names]
    countries = [_clean(c).upper() for c in countries]
    pics = [_clean(p) for p in pics]
    usual_name: dict[str, str] = {}
    by_pic: dict[str, Counter[str]] = defaultdict(Counter)
    for result, name, pic in zip(results, names, pics, strict=True):
        if pic and not result.ror_id and name:
            by_pic[pic][name] += 1
    for pic, counter in by_pic.items():
        usual_name[pic] = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[0][0]
    return [
        institution_key(result.ror_id, usual_name.get(pic, name) if pic else name, country)
        for result, name, country, pic in zip(results, names, countries, pics, strict=True)
    ]


_INPUT_ALIASES = {
    "name": ("name", "legal_name", "organisation_name", "organization_name"),
    "city": ("city",),
    "country": ("country", "country_code"),
    "pic": ("pic", "organisationid", "organizationid"),
    "short_name": ("short_name", "shortname", "legal_short_name"),
}


def resolve_csv(
    registry_paths: list[Path],
    input_csv: Path,
    output_csv: Path,
    overrides_path: str | Path | None = DEFAULT_OVERRIDES,
) -> pd.DataFrame:
    """Analyst entry point: match the participants of a CSV and write it back with the match columns.

    The input needs a `name` column; `city`, `country`, `pic` and `short_name` are used when present and
    every other column is carried through. The output adds ror_id (empty when none), ror_name, method,
    score and institution_key.
    """
    source = Path(input_csv)
    if not registry_paths:
        raise ResolveError("no ROR registry given; pass at least one --registry PATH (a ROR dump .zip or .json)")
    if not source.is_file():
        raise ResolveError(f"input file {source} does not exist")
    try:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ResolveError(f"input file {source} is not a readable CSV: {exc}") from exc
    renames: dict[str, str] = {}
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for canonical, aliases in _INPUT_ALIASES.items():
        if canonical in frame.columns:
            continue
        original = next((lower[a] for a in aliases if a in lower), None)
        if original is not None and original not in renames:
            renames[original] = canonical
    if "name" not in frame.columns and "name" not in renames.values():
        raise ResolveError(
            f"input file {source} has no column 'name' (it has: {', '.join(map(str, frame.columns)) or 'none'}); "
            "add a 'name' column holding the organisation names"
        )
    clashes = [column for column in RESULT_COLUMNS if column in frame.columns]
    if clashes:
        raise ResolveError(f"input file {source} already has column(s) {', '.join(clashes)}; rename them first")
    registry = read_registries(registry_paths)
    matcher = Matcher.from_registry(registry, overrides_path)
    working = frame.rename(columns=renames)
    resolved = resolve_frame(working, matcher)
    resolved = resolved.rename(columns={new: old for old, new in renames.items()})
    for column in ("ror_id", "ror_name", "runner_up_ror_id", "runner_up_name"):
        resolved[column] = resolved[column].fillna("")
    output = Path(output_csv)
    output.parent.mkdir(parents=True, exist_ok=True)
    resolved.to_csv(output, index=False, encoding="utf-8")
    return resolved

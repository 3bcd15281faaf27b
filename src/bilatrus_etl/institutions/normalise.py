"""Institution names to comparable keys: transliteration, legal forms, Soviet orders, spelling variants.

`normalise_name` turns the many spellings of one institution (CORDIS upper-case legal names with legal-form
prefixes and Soviet orders, ROR labels, transliterated Russian, Cyrillic) into one comparable text;
`match_key` adds `skeleton`, which collapses transliteration variants of each word. Also here: the words of a
name as written (`raw_words`), acronyms spelt from Cyrillic names, the variants of a name the matcher tries
(`trimmed_variants`), `institution_key` and the cleaning of one input cell (`clean_text`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pandas as pd

from bilatrus_etl.institutions.legal_forms import drop_honours, drop_legal_forms, drop_status_and_supervisor
from bilatrus_etl.institutions.ror_schema import short_ror_id
from bilatrus_etl.institutions.russian import RUSSIAN_ENDINGS, RUSSIAN_PHRASES, RUSSIAN_STEMS

_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "і": "i",
    "ї": "i",
    "є": "e",
    "ґ": "g",
    "ў": "u",
}
_APOSTROPHES = re.compile(r"[\u0027\u2019\u2018\u02bc\u02b9\u02bb\u0060\u00b4]")
_TOKEN_MAP = {
    "akademika": "academician",  # "imeni akademika ...": the genitive of the title, not of "akademiia"
    "professora": "professor",
    "univ": "university",
    "inst": "institute",
    "acad": "academy",
    "st": "saint",
    "ste": "saint",
    "sankt": "saint",
    "sv": "saint",
    "peterburg": "petersburg",
    "petersbourg": "petersburg",
    "peterburgh": "petersburg",
    "centre": "center",
    "centres": "centers",
    "ctr": "center",
    "cent": "center",
    "natl": "national",
    "nat": "national",
    "organisation": "organization",
    "modelling": "modeling",
    "sci": "science",
    "res": "research",
    "techn": "technical",
    "tech": "technical",
    "med": "medical",
    "moskva": "moscow",
    "govt": "government",
    "lab": "laboratory",
    "labs": "laboratory",
    "dept": "department",
    "spb": "saint petersburg",
    "nauch": "nauchno",
    "gos": "gosudarstvennyi",
    "fed": "federal",
    "north": "northern",
    "south": "southern",
    "east": "eastern",
    "west": "western",
    "physico": "physical",
    "humanitarian": "humanities",  # "Гуманитарный университет": "University of Humanities", "Humanitarian University"
    "physicotechnical": "physical technical",
    "fiziko": "fizicheskii",
    "allrussian": "all russian",
    "allunion": "all union",
    "scientificresearch": "scientific research",
}
_RUSSIAN_PHRASES = re.compile("|".join(rf"\b({pattern})\b" for pattern in RUSSIAN_PHRASES))
_PHRASE_ENGLISH = tuple(RUSSIAN_PHRASES.values())
_MEDICAL_BIOLOGICAL = re.compile(r"\bmedical[\s-]+(?:and[\s-]+)?biological\b")
_PHYSICAL_CULTURE = re.compile(r"\bphysical\s+culture\b")
STOPWORDS = frozenset({"of", "the", "for", "and", "in", "at", "on", "a", "an", "under", "to", "by", "with", "i"})
_PAREN = re.compile(r"\(([^()]*)\)")
# An academy branch in parentheses is part of the name: "Geological Institute (SB RAS)" is not the Geological
# Institute of the academy itself.
_BRANCH_ASIDE = re.compile(r"\(\s*((?:sb|ub|feb|so|uro|dvo)\s+ra[sn])\s*\)")


def _transliterate(text: str) -> str:
    out = []
    for char in text:
        lower = char.lower()
        if lower in _CYRILLIC:
            out.append(_CYRILLIC[lower])
        else:
            out.append(char)
    return "".join(out)


def fold(text: str) -> str:
    """ASCII text: Cyrillic transliterated, accents dropped (ASCII text comes back as it is)."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    text = _transliterate(text)
    text = unicodedata.normalize("NFKD", text)
    return "".join(char for char in text if not unicodedata.combining(char))


def plain_lower(text: str) -> str:
    """`fold`ed, lower case, apostrophes removed: the text names and cities are read from."""
    return _APOSTROPHES.sub("", fold(text).lower())


def drop_parentheses(text: str) -> str:
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
    text = drop_trailing_initials(_words(name))
    text = drop_legal_forms(text)
    return drop_status_and_supervisor(text)


def drop_trailing_initials(text: str) -> str:
    """A name followed by its own initials ("siberian federal university sfu", "... higher school economics hse"):
    the initials go. Only a last word of three to six letters that the words just before it spell out."""
    words = text.split()
    last = words[-1] if words else ""
    size = len(last)
    if 3 <= size <= 6 and last.isalpha() and len(words) > size:
        if "".join(word[0] for word in words[-1 - size : -1]) == last:
            return " ".join(words[:-1])
    return text


def _words(name: str) -> str:
    """ASCII lower-case words: transliterated, punctuation and asides gone, abbreviations spelt out."""
    text = plain_lower(name)
    text = text.replace("&", " and ").replace("+", " and ")
    text = nominative_eponym(text)
    text = re.sub(r"\bn\.\s?a\.|\bim\.", " named after ", text)
    text = re.sub(r"\bno\.?\s*(?=\d)", " ", text)  # "No. 9", "№179" (NFKC: "No179"): the number alone
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", r"\1", text)  # "46th", "1st": the number alone
    text = drop_parentheses(_BRANCH_ASIDE.sub(r" \1 ", text))
    text = _RUSSIAN_PHRASES.sub(lambda m: _PHRASE_ENGLISH[(m.lastindex or 1) - 1], text)
    text = _MEDICAL_BIOLOGICAL.sub(" biomedical ", text)  # the English of "медико-биологический" both ways
    text = _PHYSICAL_CULTURE.sub(" physical education ", text)  # "физическая культура", both ways
    text = re.sub(r"\b(?:saint|st|sankt)[\s.-]*peter(?:s)?burg\b", " saint petersburg ", text)
    mapped = [word for token in re.findall(r"[a-z0-9]+", text) for word in _TOKEN_MAP.get(token, token).split()]
    return " ".join(token for token in drop_honours(mapped) if token not in STOPWORDS)


# A man's surname after Russian "имени" / "им." ("imeni", "im." once transliterated) is in the genitive: "имени
# академика С.П. Королёва" names Korolyov, "им. Д.И. Менделеева" Mendeleyev, "им. проф. М.А. Бонч-Бруевича"
# Bonch-Bruevich, "им. Н.Э. Баумана" Bauman, "им. М.В. Келдыша" Keldysh (a consonant, then "-a"). Only there is
# the case certain (a woman's surname after "имени" ends in "-oi": "Ахматовой"), so "Petrova" elsewhere stays
# Petrova, never Petrov.
_GENITIVE_EPONYM = re.compile(
    r"\b(imeni|im\.)\s*(?:(akademika|professora|prof\.)\s*)?((?:[a-z]{1,2}\.\s?|[a-z]\s){0,2})"
    r"(?!akademika\b|professora\b)([a-z][a-z-]{2,}?[bcdfghklmnprstvxz])a\b"
)


def nominative_eponym(text: str) -> str:
    """A `plain_lower` text with a man's surname after "imeni" / "im." in the nominative ("imeni akademika s.p.
    koroleva" -> "imeni akademika s.p. korolev")."""
    return _GENITIVE_EPONYM.sub(lambda m: " ".join(part for part in m.groups() if part), text)


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
        (r"(.)\1+", r"\1"),  # before "ie": BGN's "-IYE-" ("RASTENIYEVODSTVA") is ICAO's "-IE-"
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


_ENGLISH = {skeleton(stem): " ".join(map(skeleton, english.split())) for stem, english in RUSSIAN_STEMS.items()}
TABLE_WORDS = frozenset(word for english in _ENGLISH.values() for word in english.split())  # what the tables read
_LONGEST_ENDING = max(len(ending) for ending in RUSSIAN_ENDINGS)


@lru_cache(maxsize=100_000)
def english_word(word: str) -> str:
    """The English word(s) of one skeleton word of a Russian name ("gosudarstvenaia" -> "state"): a stem of
    `russian.RUSSIAN_STEMS` followed by a case ending, also when written in ISO 9 (`iso9_read`: "ksimii" ->
    chemistry); else the word."""
    english = _stem_english(word) or _stem_english(iso9_read(word))
    if english:
        return english
    # an adjective of a place ("kazanskii", "habarovskaia", "donecki"): its "-sk" stem, which `alignment` aligns
    # with the place ("kazansk" ~ "kazan", "habarovsk"; "doneck", "-tsk" once `skeleton` wrote "ts" as "c")
    place = _PLACE_ADJECTIVE.fullmatch(word)
    return place.group(1) if place else word


def case_stems(word: str, shortest: int = 3) -> list[str]:
    """The stems a skeleton Russian word may have: the word less one of `RUSSIAN_ENDINGS`, longest stem first, none
    shorter than `shortest`."""
    return [
        word[:cut]
        for cut in range(len(word), max(len(word) - _LONGEST_ENDING, shortest) - 1, -1)
        if word[cut:] in RUSSIAN_ENDINGS
    ]


def _stem_english(word: str) -> str | None:
    stem = next((s for s in case_stems(word) if s in _ENGLISH), None)
    if stem is not None:
        return _ENGLISH[stem]
    if word.endswith("e") and word[:-1] + "i" in _ENGLISH:  # a neuter noun in "-ie", "upravlenie" (skeleton "-e")
        return _ENGLISH[word[:-1] + "i"]
    return None


def iso9_read(word: str) -> str:
    """A skeleton word as if written in ISO 9's ASCII form (GOST 7.79 system B), which writes "х" as "x" and "ц"
    as "cz" ("XIMII", "MEDICZINSKIJ"): `skeleton` made "x" "ks"; read as "kh" ("h") and "ts" ("c") instead. Only
    tried where the word as written is no Russian word the tables read."""
    return word.replace("ks", "h").replace("cz", "c")


_PLACE_ADJECTIVE = re.compile(r"([a-z]{2,}[sc]k)(?:i|aia|oe|ogo|oi|ih|ie|e|im|imi|omu|uiu)")


def rewritten(word: str) -> bool:
    """Whether the normaliser reads a raw word itself: a spelling it rewrites ("physico", "centre", "univ") or a
    Russian word it reads in English ("ekonomicheskikh"). Mending a name against the registry's vocabulary
    leaves these alone ("physico" is no misspelt "physics", "ekonomicheskikh" no misspelt "ekologicheskikh")."""
    if word in _TOKEN_MAP:
        return True
    folded = skeleton(word)
    return english_word(folded) != folded


def match_key(name: Any) -> str:
    """The key names are compared on: `normalise_name`, then `skeleton` of each word, Russian words in English."""
    return " ".join(english_word(skeleton(token)) for token in normalise_name(name).split())


def institution_key(ror_id: str | None, normalised_name: str, country: str | None) -> str:
    """`ror:<id>` when matched, else `name:<normalised name>|<country>` (stable across programmes)."""
    ident = short_ror_id(ror_id) if isinstance(ror_id, str) else None
    if ident:
        return f"ror:{ident}"
    return f"name:{normalised_name}|{(country or '').strip().upper()}"


def raw_words(name: Any) -> list[str]:
    """Lower-case ASCII words of a name as written (transliterated, a genitive surname after "imeni" read in the
    nominative, nothing dropped or mapped)."""
    return re.findall(r"[a-z0-9]+", nominative_eponym(plain_lower(str(name))))


def comparable_word(word: str) -> list[str]:
    """One raw word as `name_words` compares it: abbreviations spelt out, transliteration variants collapsed."""
    return [skeleton(part) for part in _TOKEN_MAP.get(word, word).split()]


def name_words(words: Iterable[str]) -> tuple[str, ...]:
    """Raw words (`raw_words`) in order as comparable words, stop words and initials dropped and nothing else:
    the words a name cut at a field length shares with the whole name (legal forms, academies not rewritten)."""
    return tuple(part for word in words if word not in STOPWORDS and len(word) > 1 for part in comparable_word(word))


def legal_form_length(words: list[str]) -> int:
    """How many leading raw words are a legal form alone ("federal state budgetary institution of science")."""
    return max((end for end in range(1, min(len(words), 12) + 1) if not match_key(" ".join(words[:end]))), default=0)


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
            key = "".join(fold(initials).lower().split())
            if len(key) >= 3:
                found.add(key)
    return frozenset(found)


# A faculty or department after the institution's name ("..., Faculty of Physics", "... (Department of ...)").
_SUBUNIT_TAIL = re.compile(
    r"\s*[,;(*]\s*(?:the\s+)?(?:faculty|department|dept|chair|laboratory|lab|division|section|sector|unit|"
    r"kafedra|fakultet|otdel|laboratoriia|laboratoriya)\b.*$",
    re.IGNORECASE,
)


def trimmed_variants(name: str, short_name: str) -> list[tuple[str, str]]:
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


def clean_text(value: Any) -> str:
    """One input cell as text: None, NaN and the spellings of a missing value ("NA", "null") become ""."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value).strip()
    return "" if text.upper() in {"NA", "NAN", "NONE", "NULL"} else text

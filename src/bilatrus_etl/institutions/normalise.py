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

from bilatrus_etl.institutions.ror_schema import short_ror_id

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
    "ctr": "center",
    "cent": "center",
    "natl": "national",
    "nat": "national",
    "organisation": "organization",
    "modelling": "modeling",
    "sci": "science",
    "res": "research",
    "techn": "technical",
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
    "physicotechnical": "physical technical",
    "fiziko": "fizicheskii",
    "allrussian": "all russian",
    "allunion": "all union",
    "scientificresearch": "scientific research",
}
STOPWORDS = frozenset({"of", "the", "for", "and", "in", "at", "on", "a", "an", "under", "to", "by", "with", "i"})
_EPONYM_MARKERS = frozenset(
    {"named", "after", "imeni", "im", "them", "academician", "academic", "professor", "prof", "name", "nm"}
)
_KEEP_SHORT = frozenset({"ai", "it", "rf", "sb", "ub", "un", "eu", "uk", "us", "ii", "iv", "vi"})
_LEGAL_TOKENS = frozenset(
    {
        "fsbi",
        "fsbsi",
        "fsbei",
        "fsaei",
        "fsei",
        "fsi",
        "fsue",
        "fgbu",
        "fgbun",
        "fgbnu",
        "fgbou",
        "fgaou",
        "fgou",
        "fgup",
        "fbun",
        "fbu",
        "fgu",
        "fgku",
        "gbou",
        "gaou",
        "gou",
        "gbuz",
        "gbu",
        "gup",
        "mup",
        "ano",
        "nko",
        "oao",
        "zao",
        "ooo",
        "ao",
        "pao",
        "llc",
        "ltd",
        "jsc",
        "cjsc",
        "ojsc",
        "pjsc",
        "inc",
        "gmbh",
        "plc",
        "vo",
        "vpo",
        "spo",
        "dpo",
        "nou",
        "chou",
        "nochu",
        "anoo",
        "fgboy",
        "fgaoy",
        "fsbsei",
        "fsfei",
        "fsfi",
        "fbi",
        "fgbuz",
        "fkuz",
        "limited",
        "company",
        "co",
        "corp",
        "corporation",
        "incorporated",
    }
)
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
    text = _words(name)
    text = _drop_legal_forms(text)
    return _drop_status_and_supervisor(text)


def _words(name: str) -> str:
    """ASCII lower-case words: transliterated, punctuation and asides gone, abbreviations spelt out."""
    text = plain_lower(name)
    text = text.replace("&", " and ").replace("+", " and ")
    text = re.sub(r"\bn\.\s?a\.|\bim\.", " named after ", text)
    text = drop_parentheses(text)
    text = re.sub(r"\b(?:saint|st|sankt)[\s.-]*peter(?:s)?burg\b", " saint petersburg ", text)
    mapped = [word for token in re.findall(r"[a-z0-9]+", text) for word in _TOKEN_MAP.get(token, token).split()]
    return " ".join(token for token in _drop_honours(mapped) if token not in STOPWORDS)


# Soviet and Russian state decorations carried in legal names ("ORDER OF LENIN AND ORDER OF THE RED BANNER OF
# LABOUR ...", "ordena trudovogo krasnogo znameni"): words that may follow "order", in English and transliterated.
_HONOUR_START = frozenset({"order", "orders", "ordena", "ordenov", "orden"})
_HONOUR_WORDS = frozenset(
    {
        "of",
        "the",
        "and",
        "lenin",
        "lenina",
        "red",
        "banner",
        "labour",
        "labor",
        "october",
        "revolution",
        "friendship",
        "peoples",
        "people",
        "badge",
        "honour",
        "honor",
        "trudovogo",
        "krasnogo",
        "znameni",
        "oktiabrskoi",
        "oktyabrskoi",
        "oktjabrskoj",
        "revoliutsii",
        "revolyutsii",
        "druzhby",
        "narodov",
        "znak",
        "pocheta",
        "glory",
        "slavy",
        "twice",
        "dvazhdy",
        "dignity",
        "merit",
        "fatherland",
        "patriotic",
        "war",
        "degree",
        "st",
        "nd",
        "workers",
        "awarded",
        "holder",
        "holders",
        "decorated",
        "zhukov",
        "kutuzov",
        "suvorov",
        "nevsky",
        "alexander",
        "otechestvennoi",
        "voiny",
        "stepeni",
        "za",
        "zaslugi",
        "pered",
        "otechestvom",
        "i",
        "ii",
        "iii",
    }
)
_HONOUR_NAMES = frozenset(
    {
        "lenin",
        "lenina",
        "banner",
        "october",
        "friendship",
        "badge",
        "znameni",
        "oktiabrskoi",
        "oktyabrskoi",
        "oktjabrskoj",
        "druzhby",
        "pocheta",
        "glory",
        "slavy",
        "merit",
        "zaslugi",
        "patriotic",
        "otechestvennoi",
    }
)


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


def raw_words(name: Any) -> list[str]:
    """Lower-case ASCII words of a name as written (transliterated, nothing dropped or mapped)."""
    return re.findall(r"[a-z0-9]+", plain_lower(str(name)))


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

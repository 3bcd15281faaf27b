"""The words of a legal name that do not tell institutions apart: legal forms (English and transliterated
Russian, with typos), academy names and branches, eponym markers, Soviet honours and supervising bodies.

`normalise.normalise_name` calls these in order: `drop_honours` on the words, then `drop_legal_forms` and
`drop_status_and_supervisor` on the text.
"""

from __future__ import annotations

import re

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
# Transliteration variants of the Russian words of legal forms: я as "ya", "ia" or "ja" (or dropped after и), х as
# "kh", "h" or "x", ц as "ts", "c" or "cz", щ as "shch", "sch", "shh" or "sc", ж as "zh" or "j".
_YA = r"(?:ya|ia|ja|a)"
_KH = r"(?:kh|h|x)"
_UCHREZHDENIE = r"uchre(?:zh|j)deni(?:e|ye|ie|je)"
_PREDPRIYATIE = r"predpri(?:ya|ia|ja)ti(?:e|ye|ie|je)"
_OBSHCHESTVO = r"ob(?:shch|sch|shh|sc)estvo"
_ORGANIZATSIYA = rf"organiza(?:ts|cz|c)i{_YA}"
_OBRAZOVANIYA = rf"obrazovani{_YA}"
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
        # transliterated Russian legal forms: "federalnoe gosudarstvennoe byudzhetnoe uchrezhdenie nauki", in
        # every system CORDIS names use ("-ya" / "-ia" / "-ja", "kh" / "h" / "x", "ts" / "c" / "cz", "shch" / "sch")
        rf"\b(?:\w+(?:noe|noye|noie|noje|aya|aia|aja|oe|oye|oje) ){{1,6}}(?:{_UCHREZHDENIE}|{_PREDPRIYATIE}|"
        rf"{_OBSHCHESTVO}|{_ORGANIZATSIYA})"
        rf"(?: nauki| vysshego(?: professionalnogo)? {_OBRAZOVANIYA}| dopolnitelnogo professionalnogo {_OBRAZOVANIYA}"
        rf"| zdravoo{_KH}raneni{_YA})?\b",
        rf"\b{_OBSHCHESTVO} s ogranichenno[iyj]{{1,2}} otvetstvennost(?:yu|iu|ju|u)\b",
    )
)
_ACADEMY_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\brussian academy (?:of )?medical sciences?\b", "rams"),
        (r"\brossi\w* akademi\w* medi(?:ts|cz|c)insk\w* nauk\b", "rams"),
        (r"\brussian academy (?:of )?agricultural sciences?\b", "raas"),
        (r"\brossi\w* akademi\w* selsko(?:kh|h|x)oz\w* nauk\b", "raas"),
        (r"\brussian academy (?:of )?education\b", "rae"),
        (r"\b(?:the )?russian academy (?:of )?sciences?\b", "ras"),
        (r"\bacademy (?:of )?sciences? (?:of )?(?:the )?(?:russia|russian federation)\b", "ras"),
        (r"\brossi\w* akademi\w* nauk\b", "ras"),
        (r"\bran\b", "ras"),
        (r"\bsiberian branch (?:of )?(?:the )?ras\b", "sb ras"),
        (r"\bsiberian branch\b", "sb"),
        (r"\bsibirskogo otdeleni\w* ras\b|\bso ras\b", "sb ras"),
        (r"\bural branch (?:of )?(?:the )?ras\b|\buralskogo otdeleni\w* ras\b|\buro ras\b", "ub ras"),
        (r"\bural branch\b", "ub"),
        (
            r"\bfar east(?:ern)? branch (?:of )?(?:the )?ras\b|\bdalnevostochnogo otdeleni\w* ras\b|\bdvo ras\b",
            "feb ras",
        ),
        (r"\bfar east(?:ern)? branch\b", "feb"),
        (r"\brussian federation\b", "russia"),
        (r"\brossi\w* federa(?:ts|cz|c)i\w*\b|\brossii\b", "russia"),
    )
)
# Cheap tests that tell whether the phrase lists above can apply at all (most names skip them).
_ACADEMY_HINT = re.compile(r"acad|nauk|\bran\b|branch|otdeleni|federation|federa(?:ts|cz|c)i|rossii")
_LEGAL_HINT = re.compile(
    r"institution|establishment|enterprise|organization|entity|partnership|company|state scientific|"
    r"uchre(?:zh|j)deni|predpri|ob(?:shch|sch|shh|sc)estvo|organiza(?:ts|cz|c)i"
)
# Supervising bodies appended to a name ("... of the Ministry of Health of the Russian Federation").
_SUPERVISOR_SUFFIX = re.compile(
    r"\b(?:ministry (?:of )?(?:the )?(?:health(?:care)?|defen[cs]e|education(?: (?:and )?science)?|"
    r"science (?:and )?higher education|agriculture|emergency situations|internal affairs|interior|justice|finance|"
    r"culture|industry (?:and )?trade)(?: (?:of )?(?:the )?russia)?|minzdrava rossii|minzdrav rossii|"
    r"(?:the )?interior ministry(?: (?:of )?(?:the )?russia)?|"
    # "Минсельхоза России", "МВД России": a ministry's or a federal service's short name and the country
    r"min(?:zdrav|obrnauk|sel(?:kh|x|h)oz|kultur|trans|prosveshcheni|energ|promtorg|sport|tsifr|iust|yust|prirod)\w* "
    r"(?:russia|rossii)|(?:mvd|mchs|fsin|fsb|fns|fms) (?:russia|rossii)|minoborony rossii|federal (?:medical (?:and )?biological|biomedical) agency(?: (?:of )?russia)?|fmba(?: (?:of )?russia)?|"
    r"ministerstv\w* (?:zdravoo(?:kh|x|h)raneni\w*(?: so(?:ts|cz|c)ialnogo razviti\w*)?|oborony|vnutrenni(?:kh|x|h) del)"
    r"(?: russia| rf)?|minzdrava russia|"
    r"federalnogo (?:mediko biologicheskogo|biomedical) agentstva(?: russia)?|"
    r"(?:pri )?(?:government|pravitelstv\w*) (?:republic|respublik\w*) \w+|"
    r"rospotrebnadzor|national research center kurchatov institute|"
    r"nat[sc]ional\w* issledovatel\w* (?:tsentr|centr)\w* kurchatovsk\w* institut\w*)\s*$"
)
# "National research university", in English or transliterated Russian: a title, not part of the name.
_RESEARCH_UNIVERSITY = re.compile(
    r"\b(?:national research university|nat[sc]ional\w* issledovatel\w* universitet\w*)\b"
)
# The status a reform gave many institutes and centres ("Federal Research Center 'Karelian Research Center of
# RAS'"), and the older "State Scientific Center (of the Russian Federation)" ("GOSUDARSTVENNYI NAUCHNYI TSENTR -
# NAUCHNO-ISSLEDOVATELSKII INSTITUT ATOMNYKH REAKTOROV"), in English or transliterated Russian: a title when the
# rest of the name is a body of its own.
_FEDERAL_CENTER = re.compile(
    r"^(?:federal (?:research|scientific|science) center|federal\w* (?:issledovatel|nauchn)\w* (?:tsentr|centr)\w*|"
    r"(?:state (?:scientific|research) cent(?:er|re)|gosudarstvenn\w* nauchn\w* (?:tsentr|centr)\w*)"
    r"(?: russian federation| russia| rf)?) "
)
# Kinds of body, in English and transliterated Russian.
_TYPE_WORDS = frozenset(
    {"university", "institute", "academy", "school", "center", "college", "conservatory"}
    | {"universitet", "institut", "akademiya", "akademiia", "shkola", "tsentr", "kolledzh", "konservatoriya"}
)


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


def drop_honours(tokens: list[str]) -> list[str]:
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


def drop_legal_forms(text: str) -> str:
    """Academy names to short forms (ras, sb ras), legal forms, eponym markers and initials removed."""
    if _ACADEMY_HINT.search(text):
        for pattern, replacement in _ACADEMY_PHRASES:
            text = pattern.sub(replacement, text)
    if _LEGAL_HINT.search(text):
        for pattern in _LEGAL_PHRASES:
            text = pattern.sub(" ", text)
    tokens = [t for t in strip_legal_tokens(text.split()) if t not in _EPONYM_MARKERS]
    return " ".join(t for t in tokens if t.isdigit() or len(t) > 2 or t in _KEEP_SHORT)


def drop_status_and_supervisor(text: str) -> str:
    """Titles that do not tell institutions apart: a leading "federal research center" before a body of its own,
    "national research university", "... of the Ministry of Health" (kept when nothing else would remain)."""
    status = _FEDERAL_CENTER.match(text)
    if status and _TYPE_WORDS.intersection(text[status.end() :].split()):
        text = text[status.end() :]
    without_status = _RESEARCH_UNIVERSITY.sub(" ", text).split()
    if any(word in _TYPE_WORDS for word in without_status):
        text = " ".join(without_status)
    stripped = _SUPERVISOR_SUFFIX.sub("", text).strip()
    if stripped and stripped != text and len(stripped.split()) >= 2:
        text = stripped
    return text


def strip_legal_tokens(tokens: list[str]) -> list[str]:
    start, end = 0, len(tokens)
    while start < end and tokens[start] in _LEGAL_TOKENS:
        start += 1
    while end > start and tokens[end - 1] in _LEGAL_TOKENS:
        end -= 1
    kept = tokens[start:end]
    return kept if kept else [t for t in tokens if t not in _LEGAL_TOKENS] or tokens

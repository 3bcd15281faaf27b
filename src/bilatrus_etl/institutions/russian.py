"""Russian words of institution names in English: the common words of Russian names (transliterated, or
Cyrillic once `normalise.fold` has transliterated them) read as the English words ROR and CORDIS write.

A Russian name and its English name share the proper names but not the common words ("Московский
авиационный институт" / "Moscow Aviation Institute"), and Russian words change their endings with case and
gender ("государственный", "государственная", "государственного"). `normalise.english_word` reads one word of
a match key: a stem of `RUSSIAN_STEMS` followed by one of `RUSSIAN_ENDINGS` becomes the English word(s) for it.
Only the words that say what kind of body, subject or place a name has are listed, not the names of
particular institutions; the subjects are in `russian_subjects`.
"""

from __future__ import annotations

from bilatrus_etl.institutions.russian_subjects import RUSSIAN_SUBJECTS

# Stem (transliterated as `fold` does, before `skeleton`) -> English words.
RUSSIAN_STEMS: dict[str, str] = {
    # kinds of body
    "universitet": "university",
    "institut": "institute",
    "akademi": "academy",
    "tsentr": "center",
    "bolnits": "hospital",
    "biblioteka": "library",
    "bibliotek": "library",
    "fond": "foundation",
    "obshchestv": "society",
    "otdeleni": "branch",
    "filial": "branch",
    "laboratori": "laboratory",
    "observatori": "observatory",
    "kolledzh": "college",
    "shkol": "school",
    "uchilishch": "college",
    "konservatori": "conservatory",
    "ministerstv": "ministry",
    "minzdrav": "ministry health",
    "obedineni": "association",
    # titles and qualifiers
    "gosudarstvenn": "state",
    "natsionaln": "national",
    "federaln": "federal",
    "rossiisk": "russian",
    "vserossiisk": "all russian",
    "vsesoiuzn": "all union",
    "vsesoyuzn": "all union",
    "rossi": "russia",
    "nauchn": "scientific",
    "issledovatelsk": "research",
    "issledovani": "research",
    "obedinenn": "joint",
    "tsentraln": "central",
    "mezhdunarodn": "international",
    "proizvodstvenn": "production",
    "eksperimentaln": "experimental",
    "klinichesk": "clinical",
    "vyssh": "higher",
    "nov": "new",
    "sotsialn": "social",
    "gorodsk": "city",
    "oblastn": "regional",
    "regionaln": "regional",
    "detsk": "children",
    "det": "children",
    "perv": "first",
    "prezident": "president",
    "kraev": "regional",
    "blagotvoritel": "charitable",
    "blagotvoriteln": "charitable",
    "vnutrenn": "internal",
    # subjects (`russian_subjects`)
    **RUSSIAN_SUBJECTS,
    # places that are not one city's name
    "moskovsk": "moscow",
    "peterburgsk": "petersburg",
    "sibirsk": "siberian",
    "privolzhsk": "volga region",
    "povolzhsk": "volga region",
    "severokavkazsk": "north caucasian",
    "uralsk": "ural",
    "dalnevostochn": "far eastern",
    "daln": "far",
    "kitai": "china",
    "azi": "asia",
    "severn": "northern",
    "severo": "northern",
    "sever": "northern",
    "iuzhn": "southern",
    "yuzhn": "southern",
    "zapadn": "western",
    "vostochn": "eastern",
    "vostok": "eastern",
    "russk": "russian",
    "evropeisk": "european",
    "baltiisk": "baltic",
    "kavkazsk": "caucasian",
    "tikhookeansk": "pacific",
    "nizhegorodsk": "nizhny novgorod",
    "respublikansk": "republican",
    "respublik": "republic",
    "khristiansk": "christian",
}
# Phrases whose words read one by one are not what English names say (`normalise` reads them first, on the
# transliterated text): "физической культуры" is physical education, "твёрдого тела" solid state.
RUSSIAN_PHRASES: dict[str, str] = {
    r"fizichesk\w* kultur\w*": "physical education",
    r"tverd\w* tela": "solid state",
    r"nii": "nauchno issledovatelskii institut",  # НИИ
    # the other abbreviations of kinds of body, with "ц" as "ts" or ISO 9's "cz"
    r"(?:ts|cz)nii": "tsentralnyi nauchno issledovatelskii institut",  # ЦНИИ
    r"ni(?:ts|cz)": "nauchno issledovatelskii tsentr",  # НИЦ
    r"nmi(?:ts|cz)": "natsionalnyi meditsinskii issledovatelskii tsentr",  # НМИЦ
    r"fi(?:ts|cz)": "federalnyi issledovatelskii tsentr",  # ФИЦ
    r"fn(?:ts|cz)": "federalnyi nauchnyi tsentr",  # ФНЦ
    r"gn(?:ts|cz)": "gosudarstvennyi nauchnyi tsentr",  # ГНЦ
    r"mediko[\s-]+biologichesk\w*": "biomedical",
    r"selsk\w* (?:kh|x|h)oz\w*": "agriculture",  # "сельского хозяйства"
    r"narodn\w* (?:kh|x|h)oz\w*": "national economy",  # "народного хозяйства"
    r"plemenn\w* del\w*": "breeding",  # "племенного дела"
    r"osob\w* chist\w*": "high purity",  # "особо чистых"
    r"serdechno[\s-]+sosudist\w*": "cardiovascular",  # "сердечно-сосудистой"
    r"chel(?:iu|yu|ju)stno[\s-]+li(?:ts|cz)ev\w*": "maxillofacial",  # "челюстно-лицевой"
    r"pute[ijy] soob(?:shch|sch|shh|sc|sh)eni\w*": "transport",  # "путей сообщения"
}
# Russian case and gender endings as `skeleton` writes them ("ый"/"ий" -> "i", "ая" -> "aia", "ых" -> "ih").
RUSSIAN_ENDINGS = frozenset(
    {
        "",
        "a",
        "e",
        "i",
        "o",
        "u",
        "ia",
        "iu",
        "aia",
        "oe",
        "ogo",
        "ego",
        "oi",
        "ei",
        "omu",
        "emu",
        "im",
        "imi",
        "ih",
        "om",
        "em",
        "ov",
        "ev",
        "am",
        "ami",
        "ah",
        "iam",
        "iami",
        "iah",
        "uiu",
    }
)

"""Deterministic synthetic CORDIS and ROR inputs in the official file layouts.

`write_mirror(dest)` writes a MIRROR FOLDER: every file under its official file name (the last segment of
its official URL), so the pipeline can read it through `BILATRUS_MIRROR` exactly as it would read the real
downloads. It serves `make demo` (a small mirror, no network), the tests (tiny fixture mirrors) and the
benchmark (scale 1.0 = full size of the real files, 4.0 = four times).

Everything here is invented: organisation identifiers (PICs), ROR ids, projects, amounts. Names of
well-known Russian institutions are used so that institution matching has realistic work to do. The
folder carries a `SYNTHETIC.txt` marker and a `manifest.json` (`"synthetic": true`) that also records
what a reader should find: records per file, the exact malformed lines, RU participations per programme
and the PIC -> ROR ground truth.

Same seed and scale give byte-identical files (fixed zip timestamps, no clock, no set or hash order).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import gc
import hashlib
import itertools
import json
import multiprocessing
import os
import random
import sys
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

__all__ = [
    "FULL_SCALE",
    "LEGACY_ORGANIZATION_COLUMNS",
    "LEGACY_PROJECT_COLUMNS",
    "MALFORMED_KINDS",
    "MANIFEST_FILE",
    "MARKER_FILE",
    "ORGANIZATION_COLUMNS",
    "PROGRAMME_FILES",
    "PROJECT_COLUMNS",
    "REFERENCE_FILES",
    "ROR_JSON_MEMBER",
    "ROR_ZIP",
    "RU_SHARE",
    "revise_mirror",
    "write_mirror",
]

GENERATOR_VERSION = 1
MARKER_FILE = "SYNTHETIC.txt"
MANIFEST_FILE = "manifest.json"
ROR_RELEASE = "v2.0-2025-12-16"  # the release the source catalog names, so any mirror serves it as-is
ROR_ZIP = f"{ROR_RELEASE}-ror-data.zip"
ROR_JSON_MEMBER = f"{ROR_RELEASE}-ror-data_schema_v2.json"
ROR_CSV_MEMBER = f"{ROR_RELEASE}-ror-data_schema_v2.csv"
ZIP_DATE_TIME = (2025, 10, 21, 0, 0, 0)
ZIP_COMPRESSLEVEL = 1  # deflate level: fast; readers do not care, determinism does not depend on it
REFERENCE_DATE = date(2025, 10, 1)  # "today" of the synthetic snapshot: decides CLOSED vs SIGNED
RU_CUTOFF = date(2022, 3, 1)  # no Russian participation in projects starting on or after this day
PROGRAMMES: tuple[str, ...] = ("FP6", "FP7", "H2020", "HE")
_PIC_RANGE = (880_000_000, 1_000_000_000)  # PICs of the world's organisations
_MALFORMED_PIC_BASE = 870_000_000  # PICs of malformed (extra) rows: below _PIC_RANGE, never a real member

# Full scale (scale=1.0): (projects, participations) per programme, close to the real files.
FULL_SCALE: dict[str, tuple[int, int]] = {
    "FP6": (10_000, 75_000),
    "FP7": (25_800, 140_000),
    "H2020": (35_000, 180_000),
    "HE": (15_000, 100_000),
}
# Share of participations that are Russian (exact: round(participations * share), HE at least 2).
RU_SHARE: dict[str, float] = {"FP6": 0.016, "FP7": 0.012, "H2020": 0.005, "HE": 0.0005}

LEGACY_PROJECT_COLUMNS: tuple[str, ...] = (
    "rcn", "reference", "acronym", "status", "programme", "topics", "frameworkProgramme", "title",
    "startDate", "endDate", "projectUrl", "objective", "totalCost", "ecMaxContribution", "call",
    "fundingScheme", "coordinator", "coordinatorCountry", "participants", "participantCountries", "subjects",
)
LEGACY_ORGANIZATION_COLUMNS: tuple[str, ...] = (
    "projectRcn", "projectReference", "projectAcronym", "role", "id", "name", "shortName", "activityType",
    "endOfParticipation", "ecContribution", "country", "street", "city", "postCode", "organizationUrl",
    "contactType", "contactTitle", "contactFirstNames", "contactLastNames", "contactFunction",
    "contactTelephoneNumber", "contactFaxNumber",
)
PROJECT_COLUMNS: tuple[str, ...] = (
    "id", "acronym", "status", "title", "startDate", "endDate", "totalCost", "ecMaxContribution",
    "legalBasis", "topics", "ecSignatureDate", "frameworkProgramme", "masterCall", "subCall",
    "fundingScheme", "nature", "objective", "contentUpdateDate", "rcn", "grantDoi",
)
ORGANIZATION_COLUMNS: tuple[str, ...] = (
    "projectID", "projectAcronym", "organisationID", "vatNumber", "name", "shortName", "SME",
    "activityType", "street", "postCode", "city", "country", "nutsCode", "geolocation", "organizationURL",
    "contactForm", "contentUpdateDate", "rcn", "order", "role", "ecContribution", "netEcContribution",
    "totalCost", "endOfParticipation", "active",
)
EUROSCIVOC_COLUMNS = ("projectID", "euroSciVocCode", "euroSciVocPath", "euroSciVocTitle", "euroSciVocDescription")
LEGALBASIS_COLUMNS = ("projectID", "legalBasis", "title", "uniqueProgrammePart")
TOPICS_COLUMNS = ("projectID", "topic", "title")
WEBITEM_COLUMNS = ("language", "availableLanguages", "uri", "title", "type", "source", "represents", "projectID")
WEBLINK_COLUMNS = (
    "physUrl", "id", "availableLanguages", "status", "archivedDate", "type", "source", "represents", "projectID",
)

PROGRAMME_FILES: dict[str, tuple[str, ...]] = {
    "FP6": ("cordis-fp6projects.csv", "cordis-fp6organizations.csv"),
    "FP7": ("cordis-fp7projects-csv.zip",),
    "H2020": ("cordis-h2020projects-csv.zip",),
    "HE": ("cordis-HORIZONprojects-csv.zip",),
}
REFERENCE_FILES: tuple[str, ...] = (
    "cordisref-countries.csv",
    "cordisref-FP7programmes.csv",
    "cordisref-H2020programmes.csv",
    "cordisref-organizationActivityType.csv",
    "cordisref-projectFundingSchemeCategory.csv",
)
MALFORMED_KINDS: tuple[str, ...] = ("too_many_fields", "stray_quote", "too_few_fields")

# --------------------------------------------------------------------------------------------------
# Countries: CORDIS code -> (ISO code, English, German, French, style, capital lat, lng, VAT prefix, cities)

_COUNTRIES: dict[str, tuple[str, str, str, str, str, float, float, str, tuple[str, ...]]] = {
    "AT": ("AT", "Austria", "Österreich", "Autriche", "de", 48.21, 16.37, "ATU", ("WIEN", "GRAZ", "INNSBRUCK", "LINZ", "SALZBURG")),
    "BE": ("BE", "Belgium", "Belgien", "Belgique", "nl", 50.85, 4.35, "BE", ("BRUXELLES", "LEUVEN", "GENT", "LIEGE", "ANTWERPEN")),
    "BG": ("BG", "Bulgaria", "Bulgarien", "Bulgarie", "en", 42.70, 23.32, "BG", ("SOFIA", "PLOVDIV", "VARNA")),
    "CY": ("CY", "Cyprus", "Zypern", "Chypre", "en", 35.17, 33.36, "CY", ("NICOSIA", "LIMASSOL")),
    "CZ": ("CZ", "Czechia", "Tschechien", "Tchéquie", "en", 50.08, 14.44, "CZ", ("PRAHA", "BRNO", "OSTRAVA")),
    "DE": ("DE", "Germany", "Deutschland", "Allemagne", "de", 52.52, 13.40, "DE", ("BERLIN", "MUENCHEN", "HAMBURG", "KOELN", "STUTTGART", "DRESDEN", "AACHEN", "HEIDELBERG", "KARLSRUHE", "JUELICH")),
    "DK": ("DK", "Denmark", "Dänemark", "Danemark", "en", 55.68, 12.57, "DK", ("KOBENHAVN", "AARHUS", "ODENSE", "KONGENS LYNGBY")),
    "EE": ("EE", "Estonia", "Estland", "Estonie", "en", 59.44, 24.75, "EE", ("TALLINN", "TARTU")),
    "EL": ("GR", "Greece", "Griechenland", "Grèce", "el", 37.98, 23.73, "EL", ("ATHINA", "THESSALONIKI", "PATRA", "IRAKLEIO")),
    "ES": ("ES", "Spain", "Spanien", "Espagne", "es", 40.42, -3.70, "ES", ("MADRID", "BARCELONA", "VALENCIA", "SEVILLA", "BILBAO", "ZARAGOZA")),
    "FI": ("FI", "Finland", "Finnland", "Finlande", "en", 60.17, 24.94, "FI", ("HELSINKI", "ESPOO", "TAMPERE", "OULU", "TURKU")),
    "FR": ("FR", "France", "Frankreich", "France", "fr", 48.86, 2.35, "FR", ("PARIS", "LYON", "GRENOBLE", "TOULOUSE", "MARSEILLE", "STRASBOURG", "MONTPELLIER")),
    "HR": ("HR", "Croatia", "Kroatien", "Croatie", "en", 45.81, 15.98, "HR", ("ZAGREB", "SPLIT", "RIJEKA")),
    "HU": ("HU", "Hungary", "Ungarn", "Hongrie", "en", 47.50, 19.04, "HU", ("BUDAPEST", "DEBRECEN", "SZEGED")),
    "IE": ("IE", "Ireland", "Irland", "Irlande", "en", 53.35, -6.26, "IE", ("DUBLIN", "CORK", "GALWAY", "LIMERICK")),
    "IT": ("IT", "Italy", "Italien", "Italie", "it", 41.90, 12.50, "IT", ("ROMA", "MILANO", "TORINO", "BOLOGNA", "NAPOLI", "PISA", "PADOVA", "FIRENZE")),
    "LT": ("LT", "Lithuania", "Litauen", "Lituanie", "en", 54.69, 25.28, "LT", ("VILNIUS", "KAUNAS")),
    "LU": ("LU", "Luxembourg", "Luxemburg", "Luxembourg", "fr", 49.61, 6.13, "LU", ("LUXEMBOURG", "ESCH-SUR-ALZETTE")),
    "LV": ("LV", "Latvia", "Lettland", "Lettonie", "en", 56.95, 24.11, "LV", ("RIGA", "JELGAVA")),
    "MT": ("MT", "Malta", "Malta", "Malte", "en", 35.90, 14.51, "MT", ("MSIDA", "VALLETTA")),
    "NL": ("NL", "Netherlands", "Niederlande", "Pays-Bas", "nl", 52.37, 4.90, "NL", ("AMSTERDAM", "DELFT", "UTRECHT", "EINDHOVEN", "LEIDEN", "WAGENINGEN", "GRONINGEN")),
    "PL": ("PL", "Poland", "Polen", "Pologne", "pl", 52.23, 21.01, "PL", ("WARSZAWA", "KRAKOW", "WROCLAW", "POZNAN", "GDANSK")),
    "PT": ("PT", "Portugal", "Portugal", "Portugal", "pt", 38.72, -9.14, "PT", ("LISBOA", "PORTO", "COIMBRA", "BRAGA")),
    "RO": ("RO", "Romania", "Rumänien", "Roumanie", "en", 44.43, 26.10, "RO", ("BUCURESTI", "CLUJ-NAPOCA", "IASI", "TIMISOARA")),
    "SE": ("SE", "Sweden", "Schweden", "Suède", "en", 59.33, 18.07, "SE", ("STOCKHOLM", "GOTEBORG", "LUND", "UPPSALA", "LINKOPING")),
    "SI": ("SI", "Slovenia", "Slowenien", "Slovénie", "en", 46.06, 14.51, "SI", ("LJUBLJANA", "MARIBOR")),
    "SK": ("SK", "Slovakia", "Slowakei", "Slovaquie", "en", 48.15, 17.11, "SK", ("BRATISLAVA", "KOSICE")),
    "UK": ("GB", "United Kingdom", "Vereinigtes Königreich", "Royaume-Uni", "en", 51.51, -0.13, "GB", ("LONDON", "CAMBRIDGE", "OXFORD", "EDINBURGH", "MANCHESTER", "GLASGOW", "BRISTOL", "CARDIFF", "BELFAST")),
    "CH": ("CH", "Switzerland", "Schweiz", "Suisse", "de", 47.38, 8.54, "CHE", ("ZURICH", "LAUSANNE", "GENEVE", "BASEL", "BERN")),
    "NO": ("NO", "Norway", "Norwegen", "Norvège", "en", 59.91, 10.75, "NO", ("OSLO", "TRONDHEIM", "BERGEN", "TROMSO")),
    "IS": ("IS", "Iceland", "Island", "Islande", "en", 64.15, -21.94, "IS", ("REYKJAVIK",)),
    "IL": ("IL", "Israel", "Israel", "Israël", "en", 32.08, 34.78, "IL", ("TEL AVIV", "JERUSALEM", "HAIFA", "REHOVOT")),
    "TR": ("TR", "Türkiye", "Türkei", "Turquie", "en", 39.93, 32.86, "TR", ("ANKARA", "ISTANBUL", "IZMIR")),
    "RS": ("RS", "Serbia", "Serbien", "Serbie", "en", 44.79, 20.45, "RS", ("BEOGRAD", "NOVI SAD", "NIS")),
    "RU": ("RU", "Russia", "Russland", "Russie", "ru", 55.75, 37.62, "RU", ("MOSCOW",)),
    "US": ("US", "United States", "Vereinigte Staaten", "États-Unis", "en", 38.90, -77.04, "", ("CAMBRIDGE", "NEW YORK", "BERKELEY", "WASHINGTON", "BOSTON")),
    "CN": ("CN", "China", "China", "Chine", "en", 39.90, 116.40, "", ("BEIJING", "SHANGHAI", "WUHAN", "NANJING")),
    "BR": ("BR", "Brazil", "Brasilien", "Brésil", "pt", -23.55, -46.63, "", ("SAO PAULO", "RIO DE JANEIRO", "CAMPINAS")),
    "IN": ("IN", "India", "Indien", "Inde", "en", 28.61, 77.21, "", ("NEW DELHI", "BANGALORE", "MUMBAI")),
    "ZA": ("ZA", "South Africa", "Südafrika", "Afrique du Sud", "en", -25.75, 28.19, "", ("PRETORIA", "CAPE TOWN", "JOHANNESBURG")),
    "UA": ("UA", "Ukraine", "Ukraine", "Ukraine", "en", 50.45, 30.52, "UA", ("KYIV", "KHARKIV", "LVIV", "ODESA")),
    "JP": ("JP", "Japan", "Japan", "Japon", "en", 35.68, 139.69, "", ("TOKYO", "KYOTO", "OSAKA")),
    "CA": ("CA", "Canada", "Kanada", "Canada", "en", 45.42, -75.70, "", ("TORONTO", "MONTREAL", "VANCOUVER", "OTTAWA")),
    "AU": ("AU", "Australia", "Australien", "Australie", "en", -35.28, 149.13, "", ("SYDNEY", "MELBOURNE", "CANBERRA")),
    "AR": ("AR", "Argentina", "Argentinien", "Argentine", "es", -34.60, -58.38, "", ("BUENOS AIRES", "CORDOBA")),
    "MX": ("MX", "Mexico", "Mexiko", "Mexique", "es", 19.43, -99.13, "", ("MEXICO CITY", "GUADALAJARA")),
    "KR": ("KR", "South Korea", "Südkorea", "Corée du Sud", "en", 37.57, 126.98, "", ("SEOUL", "DAEJEON")),
    "EG": ("EG", "Egypt", "Ägypten", "Égypte", "en", 30.04, 31.24, "", ("CAIRO", "ALEXANDRIA")),
    "MA": ("MA", "Morocco", "Marokko", "Maroc", "fr", 34.02, -6.84, "", ("RABAT", "CASABLANCA")),
    "TN": ("TN", "Tunisia", "Tunesien", "Tunisie", "fr", 36.81, 10.18, "", ("TUNIS", "SFAX")),
    "KZ": ("KZ", "Kazakhstan", "Kasachstan", "Kazakhstan", "en", 43.24, 76.89, "", ("ALMATY", "ASTANA")),
    "BY": ("BY", "Belarus", "Belarus", "Biélorussie", "en", 53.90, 27.56, "", ("MINSK",)),
    "GE": ("GE", "Georgia", "Georgien", "Géorgie", "en", 41.72, 44.79, "", ("TBILISI",)),
    "AM": ("AM", "Armenia", "Armenien", "Arménie", "en", 40.18, 44.51, "", ("YEREVAN",)),
}
_ADJECTIVE: dict[str, str] = {
    "AT": "AUSTRIAN", "BE": "BELGIAN", "BG": "BULGARIAN", "CY": "CYPRUS", "CZ": "CZECH", "DE": "GERMAN",
    "DK": "DANISH", "EE": "ESTONIAN", "EL": "HELLENIC", "ES": "SPANISH", "FI": "FINNISH", "FR": "FRENCH",
    "HR": "CROATIAN", "HU": "HUNGARIAN", "IE": "IRISH", "IT": "ITALIAN", "LT": "LITHUANIAN",
    "LU": "LUXEMBOURG", "LV": "LATVIAN", "MT": "MALTA", "NL": "NETHERLANDS", "PL": "POLISH",
    "PT": "PORTUGUESE", "RO": "ROMANIAN", "SE": "SWEDISH", "SI": "SLOVENIAN", "SK": "SLOVAK",
    "UK": "BRITISH", "CH": "SWISS", "NO": "NORWEGIAN", "IS": "ICELANDIC", "IL": "ISRAEL", "TR": "TURKISH",
    "RS": "SERBIAN", "US": "AMERICAN", "CN": "CHINESE", "BR": "BRAZILIAN", "IN": "INDIAN",
    "ZA": "SOUTH AFRICAN", "UA": "UKRAINIAN", "JP": "JAPAN", "CA": "CANADIAN", "AU": "AUSTRALIAN",
    "AR": "ARGENTINE", "MX": "MEXICAN", "KR": "KOREA", "EG": "EGYPTIAN", "MA": "MOROCCAN",
    "TN": "TUNISIAN", "KZ": "KAZAKH", "BY": "BELARUSIAN", "GE": "GEORGIAN", "AM": "ARMENIAN",
}
_LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "AT": ("GMBH",), "BE": ("NV", "SA", "BVBA", "SPRL"), "BG": ("OOD", "EOOD"), "CY": ("LIMITED", "LTD"),
    "CZ": ("S.R.O.", "A.S."), "DE": ("GMBH", "AG", "GMBH & CO KG"), "DK": ("A/S", "APS"), "EE": ("OU", "AS"),
    "EL": ("ANONYMI ETAIREIA", "EPE", "IKE"), "ES": ("SL", "SA", "S.L."), "FI": ("OY", "OYJ"),
    "FR": ("SAS", "SA", "SARL"), "HR": ("D.O.O.",), "HU": ("KFT", "ZRT"), "IE": ("LIMITED", "DAC"),
    "IT": ("SRL", "SPA", "S.R.L."), "LT": ("UAB",), "LU": ("SARL", "SA"), "LV": ("SIA",), "MT": ("LIMITED",),
    "NL": ("BV", "B.V."), "PL": ("SP Z O.O.", "SA"), "PT": ("LDA", "SA"), "RO": ("SRL", "SA"),
    "SE": ("AB",), "SI": ("D.O.O.",), "SK": ("S.R.O.",), "UK": ("LTD", "LIMITED", "PLC"), "CH": ("AG", "SA", "GMBH"),
    "NO": ("AS",), "IS": ("EHF",), "IL": ("LTD",), "TR": ("AS", "LTD STI"), "RS": ("DOO",), "US": ("INC", "LLC", "CORPORATION"),
    "CN": ("CO LTD",), "JP": ("CO LTD", "KK"),
}
_HES_TEMPLATES: dict[str, tuple[str, ...]] = {
    "de": ("UNIVERSITAET {C}", "TECHNISCHE UNIVERSITAET {C}", "HOCHSCHULE {C}", "FACHHOCHSCHULE {C}", "MEDIZINISCHE UNIVERSITAET {C}"),
    "fr": ("UNIVERSITE DE {C}", "UNIVERSITÉ {C} {R}", "ECOLE NATIONALE SUPERIEURE DE {C}", "INSTITUT NATIONAL POLYTECHNIQUE DE {C}"),
    "it": ("UNIVERSITA DEGLI STUDI DI {C}", "POLITECNICO DI {C}", "UNIVERSITA DI {C}"),
    "es": ("UNIVERSIDAD DE {C}", "UNIVERSIDAD POLITECNICA DE {C}", "UNIVERSITAT DE {C}", "UNIVERSIDAD AUTONOMA DE {C}"),
    "nl": ("UNIVERSITEIT {C}", "TECHNISCHE UNIVERSITEIT {C}", "HOGESCHOOL {C}", "KATHOLIEKE UNIVERSITEIT {C}"),
    "pt": ("UNIVERSIDADE DE {C}", "UNIVERSIDADE NOVA DE {C}", "INSTITUTO POLITECNICO DE {C}"),
    "el": ("PANEPISTIMIO {C}", "ARISTOTELIO PANEPISTIMIO {C}", "POLYTECHNEIO {C}", "TECHNOLOGIKO EKPAIDEFTIKO IDRYMA {C}"),
    "pl": ("UNIWERSYTET {C}", "POLITECHNIKA {C}", "UNIWERSYTET MEDYCZNY W {C}"),
    "en": ("UNIVERSITY OF {C}", "{C} UNIVERSITY", "{C} UNIVERSITY OF TECHNOLOGY", "{C} METROPOLITAN UNIVERSITY", "UNIVERSITY COLLEGE {C}"),
}
_REC_TEMPLATES: tuple[str, ...] = (
    "{A} INSTITUTE FOR {F}", "{C} CENTRE FOR {F} RESEARCH", "INSTITUTE OF {F} {C}", "{A} CENTRE FOR {F}",
    "RESEARCH INSTITUTE FOR {F} - {C}", "{A} FOUNDATION FOR {F} RESEARCH",
)
_PUB_TEMPLATES: tuple[str, ...] = (
    "{C} CITY COUNCIL", "MINISTRY OF {F} OF {N}", "{A} AGENCY FOR {F}", "REGIONAL DEVELOPMENT AGENCY OF {C}",
    "{C} UNIVERSITY HOSPITAL", "{A} INSTITUTE OF PUBLIC HEALTH", "MUNICIPALITY OF {C}",
)
_OTH_TEMPLATES: tuple[str, ...] = (
    "{A} ASSOCIATION FOR {F}", "{W} FOUNDATION", "EUROPEAN NETWORK FOR {F}", "{C} CHAMBER OF COMMERCE",
    "{A} PLATFORM FOR {F}", "{W} CLUSTER {C}",
)
_FIELDS: tuple[str, ...] = (
    "APPLIED MATHEMATICS", "SOLID STATE PHYSICS", "MARINE SCIENCES", "RENEWABLE ENERGY", "MOLECULAR MEDICINE",
    "ENVIRONMENTAL RESEARCH", "INFORMATION TECHNOLOGY", "ADVANCED MATERIALS", "FOOD SAFETY", "CLIMATE STUDIES",
    "TRANSPORT RESEARCH", "SOCIAL SCIENCES", "NANOTECHNOLOGY", "BIOTECHNOLOGY", "ROBOTICS", "PHOTONICS",
    "AGRICULTURE", "WATER MANAGEMENT", "NUCLEAR SAFETY", "SPACE RESEARCH", "PUBLIC HEALTH", "ECONOMIC POLICY",
    "SUSTAINABLE DEVELOPMENT", "CULTURAL HERITAGE", "DIGITAL INNOVATION", "GEOSCIENCES", "ASTROPHYSICS",
    "NEUROSCIENCE", "CATALYSIS", "POLAR RESEARCH", "EDUCATION", "SECURITY STUDIES", "MICROELECTRONICS",
    "INFECTIOUS DISEASES", "FORESTRY", "OCEANOGRAPHY", "ARTIFICIAL INTELLIGENCE", "QUANTUM TECHNOLOGIES",
)
_SYLLABLES_A: tuple[str, ...] = (
    "NOVA", "TECH", "BIO", "GEO", "INNO", "ALPHA", "OMNI", "VERA", "TERRA", "AQUA", "SOLAR", "NEURO", "PHOTO",
    "QUANT", "ECO", "AERO", "MEDI", "AGRI", "CYBER", "NANO", "OPTI", "ROBO", "DATA", "HYDRO", "THERMO",
    "META", "POLY", "CARBO", "ELECTRO", "LUMI",
)
_SYLLABLES_B: tuple[str, ...] = (
    "TEK", "GEN", "SYS", "LAB", "VISION", "WORKS", "LOGIC", "SENSE", "CORE", "WAVE", "NET", "FLOW", "MED",
    "CELL", "GRID", "LINK", "TRONIC", "METRICS", "PHARM", "SPHERE", "STRUCT", "QUEST", "NOVA", "VOLT",
    "CHEM", "SCAPE", "MATIC", "GENIX", "BOTS", "FORM",
)
_SECTORS: tuple[str, ...] = (
    "SYSTEMS", "SOLUTIONS", "TECHNOLOGIES", "ENGINEERING", "CONSULTING", "BIOTECH", "ENERGY", "ROBOTICS",
    "MATERIALS", "PHARMA", "SOFTWARE", "INNOVATION", "ANALYTICS", "PHOTONICS", "MEDICAL", "AEROSPACE",
    "AGRITECH", "DIAGNOSTICS", "NETWORKS", "LABS",
)
_STREET_WORDS: tuple[str, ...] = (
    "MAIN STREET", "RUE DE LA SCIENCE", "HAUPTSTRASSE", "VIA ROMA", "CALLE MAYOR", "KERKSTRAAT", "AVENUE DU PROGRES",
    "CAMPUS", "TECHNOLOGY PARK", "UNIVERSITY ROAD", "SCIENCE PARK", "INDUSTRIESTRASSE", "VIA DELLE SCIENZE",
    "STATION ROAD", "RUE DES ECOLES", "PARKWEG",
)

# Participation weights by country (non-Russian slots; Russian slots are placed exactly, see RU_SHARE).
_BASE_WEIGHTS: dict[str, float] = {
    "DE": 13.5, "UK": 12.0, "FR": 10.5, "IT": 9.5, "ES": 8.5, "NL": 6.0, "BE": 4.5, "SE": 3.5, "CH": 3.0,
    "AT": 2.7, "EL": 2.6, "DK": 2.0, "FI": 1.8, "PT": 1.8, "PL": 1.6, "IL": 1.4, "NO": 1.5, "IE": 1.3,
    "CZ": 0.9, "HU": 0.9, "SI": 0.6, "RO": 0.6, "TR": 0.5, "BG": 0.4, "SK": 0.3, "EE": 0.3, "LT": 0.3,
    "LV": 0.2, "CY": 0.2, "LU": 0.15, "MT": 0.1, "HR": 0.3, "RS": 0.2, "IS": 0.1,
    "US": 0.8, "CN": 0.4, "BR": 0.25, "IN": 0.3, "ZA": 0.3, "UA": 0.3, "JP": 0.1, "CA": 0.2, "AU": 0.2,
    "AR": 0.15, "MX": 0.1, "KR": 0.1, "EG": 0.1, "MA": 0.1, "TN": 0.06, "KZ": 0.05, "BY": 0.07, "GE": 0.05,
    "AM": 0.05,
}
_WEIGHT_CHANGES: dict[str, dict[str, float]] = {
    "FP6": {"CN": 0.3, "HR": 0.1, "RS": 0.1},
    "FP7": {},
    "H2020": {"US": 0.9, "CN": 0.6, "ES": 9.5, "UK": 11.0, "PT": 2.3},
    "HE": {"UK": 3.0, "CH": 1.5, "US": 0.6, "CN": 0.2, "UA": 0.6, "TR": 1.2, "BY": 0.0, "ES": 10.0, "IT": 10.5},
}
_ASSOCIATED = frozenset({"CH", "NO", "IS", "IL", "TR", "RS"})
_THIRD_WITHOUT_EC = frozenset({"US", "CN", "JP", "CA", "AU", "KR", "BR", "IN", "MX", "RU", "CH", "UK"})
_EU = frozenset(c for c in _BASE_WEIGHTS if c not in {"US", "CN", "BR", "IN", "ZA", "UA", "JP", "CA", "AU", "AR", "MX", "KR", "EG", "MA", "TN", "KZ", "BY", "GE", "AM"} and c not in _ASSOCIATED)

# --------------------------------------------------------------------------------------------------
# Russian institutions: curated (with ROR shape where "in ROR") and generated.

_RU_CITIES: dict[str, tuple[float, float, int, str, str, tuple[str, ...]]] = {
    # name: (lat, lng, geonames_id, subdivision code, subdivision name, CORDIS spellings)
    "Moscow": (55.75222, 37.61556, 524901, "MOW", "Moscow", ("MOSCOW", "Moscow", "MOSKVA", "MOSCOW ")),
    "Saint Petersburg": (59.93863, 30.31413, 498817, "SPE", "St.-Petersburg", ("SAINT PETERSBURG", "ST PETERSBURG", "SANKT-PETERBURG", "St. Petersburg", "SAINT-PETERSBURG")),
    "Novosibirsk": (55.0415, 82.9346, 1496747, "NVS", "Novosibirsk Oblast", ("NOVOSIBIRSK", "Novosibirsk")),
    "Kazan": (55.78874, 49.12214, 551487, "TA", "Tatarstan Republic", ("KAZAN", "Kazan", "KAZAN'")),
    "Tomsk": (56.49771, 84.97437, 1489425, "TOM", "Tomsk Oblast", ("TOMSK", "Tomsk")),
    "Yekaterinburg": (56.8519, 60.6122, 1486209, "SVE", "Sverdlovsk Oblast", ("YEKATERINBURG", "EKATERINBURG", "Ekaterinburg")),
    "Nizhny Novgorod": (56.32867, 44.00205, 520555, "NIZ", "Nizhny Novgorod Oblast", ("NIZHNY NOVGOROD", "NIZHNIY NOVGOROD", "NIZHNI NOVGOROD")),
    "Samara": (53.20007, 50.15, 499099, "SAM", "Samara Oblast", ("SAMARA",)),
    "Krasnoyarsk": (56.01839, 92.86717, 1502026, "KYA", "Krasnoyarsk Krai", ("KRASNOYARSK",)),
    "Irkutsk": (52.29778, 104.29639, 2023469, "IRK", "Irkutsk Oblast", ("IRKUTSK",)),
    "Vladivostok": (43.10562, 131.87353, 2013348, "PRI", "Primorye", ("VLADIVOSTOK",)),
    "Apatity": (67.56414, 33.3931, 581357, "MUR", "Murmansk", ("APATITY",)),
    "Dubna": (56.73333, 37.16667, 564719, "MOS", "Moscow Oblast", ("DUBNA",)),
    "Dolgoprudny": (55.93583, 37.51417, 565348, "MOS", "Moscow Oblast", ("DOLGOPRUDNY", "DOLGOPRUDNYY")),
    "Pushchino": (54.8325, 37.62056, 504341, "MOS", "Moscow Oblast", ("PUSHCHINO",)),
    "Chernogolovka": (56.0, 38.38333, 569154, "MOS", "Moscow Oblast", ("CHERNOGOLOVKA",)),
    "Petrozavodsk": (61.78491, 34.34691, 509820, "KR", "Karelia", ("PETROZAVODSK",)),
    "Arkhangelsk": (64.5401, 40.5433, 581049, "ARK", "Arkhangelsk Oblast", ("ARKHANGELSK", "ARCHANGELSK")),
    "Kaliningrad": (54.70649, 20.51095, 554234, "KGD", "Kaliningrad Oblast", ("KALININGRAD",)),
    "Rostov-on-Don": (47.23135, 39.72328, 501175, "ROS", "Rostov Oblast", ("ROSTOV-ON-DON", "ROSTOV NA DONU")),
    "Perm": (58.01046, 56.25017, 511196, "PER", "Perm Krai", ("PERM",)),
    "Ufa": (54.74306, 55.96779, 479561, "BA", "Bashkortostan Republic", ("UFA",)),
    "Murmansk": (68.97917, 33.09251, 524305, "MUR", "Murmansk", ("MURMANSK",)),
}


@dataclass(frozen=True)
class _RuSpec:
    key: str
    name: str  # CORDIS legal name (current programmes)
    short: str
    city: str
    activity: str
    weight: float
    ror: str | None = None  # ROR display name; None = not in ROR (unmatchable)
    aliases: tuple[str, ...] = ()
    acronym: str | None = None
    ror_types: tuple[str, ...] = ("education",)
    parent: str | None = None
    label_ru: str | None = None
    domain: str | None = None
    established: int | None = None
    fp6_name: str | None = None  # older CORDIS legal name used in FP6/FP7
    from_programme: str = "FP6"
    status: str = "active"


_RAS = "OF THE RUSSIAN ACADEMY OF SCIENCES"
_FSBIS = "FEDERAL STATE BUDGETARY INSTITUTION OF SCIENCE "
_RU_CURATED: tuple[_RuSpec, ...] = (
    _RuSpec("msu", "M.V. LOMONOSOV MOSCOW STATE UNIVERSITY", "MSU", "Moscow", "HES", 10.0,
            "Lomonosov Moscow State University", ("Moscow State University", "MGU"), "MSU", ("education", "funder"),
            None, "Московский государственный университет имени М. В. Ломоносова", "msu.ru", 1755,
            "MOSCOW STATE UNIVERSITY"),
    _RuSpec("spbu", "SAINT PETERSBURG STATE UNIVERSITY", "SPBU", "Saint Petersburg", "HES", 7.0,
            "Saint Petersburg State University", ("St Petersburg University",), "SPbU", ("education",),
            None, "Санкт-Петербургский государственный университет", "spbu.ru", 1724,
            "ST. PETERSBURG STATE UNIVERSITY"),
    _RuSpec("kurchatov", 'NATIONAL RESEARCH CENTRE "KURCHATOV INSTITUTE"', "NRC KI", "Moscow", "REC", 5.0,
            "Kurchatov Institute", ("National Research Centre Kurchatov Institute",), "NRC KI", ("facility",),
            None, "Курчатовский институт", "nrcki.ru", 1943, 'RUSSIAN RESEARCH CENTRE "KURCHATOV INSTITUTE"'),
    _RuSpec("lebedev", "P.N. LEBEDEV PHYSICAL INSTITUTE OF THE RUSSIAN ACADEMY OF SCIENCES", "LPI RAS", "Moscow", "REC", 4.0,
            "Lebedev Physical Institute", ("P.N. Lebedev Physical Institute of the Russian Academy of Sciences",), "LPI",
            ("facility",), "ras", "Физический институт им. П. Н. Лебедева РАН", "lebedev.ru", 1934),
    _RuSpec("ioffe", _FSBIS + "IOFFE PHYSICAL-TECHNICAL INSTITUTE " + _RAS, "IOFFE", "Saint Petersburg", "REC", 4.0,
            "Ioffe Institute", ("Ioffe Physical-Technical Institute",), None, ("facility",), "ras",
            "Физико-технический институт им. А. Ф. Иоффе", "ioffe.ru", 1918,
            "A.F. IOFFE PHYSICO-TECHNICAL INSTITUTE " + _RAS),
    _RuSpec("nsu", "NOVOSIBIRSK STATE UNIVERSITY", "NSU", "Novosibirsk", "HES", 3.0,
            "Novosibirsk State University", (), "NSU", ("education",), None, "Новосибирский государственный университет",
            "nsu.ru", 1959),
    _RuSpec("binp", "BUDKER INSTITUTE OF NUCLEAR PHYSICS, SIBERIAN BRANCH " + _RAS, "BINP SB RAS", "Novosibirsk", "REC", 3.0,
            "Budker Institute of Nuclear Physics", (), "BINP", ("facility",), "sbras", "Институт ядерной физики им. Г. И. Будкера СО РАН",
            "inp.nsk.su", 1958),
    _RuSpec("kfu", 'FEDERAL STATE AUTONOMOUS EDUCATIONAL INSTITUTION OF HIGHER EDUCATION "KAZAN (VOLGA REGION) FEDERAL UNIVERSITY"',
            "KFU", "Kazan", "HES", 2.5, "Kazan Federal University", ("Kazan (Volga region) Federal University",), "KFU",
            ("education",), None, "Казанский (Приволжский) федеральный университет", "kpfu.ru", 1804, "KAZAN STATE UNIVERSITY"),
    _RuSpec("tsu", "NATIONAL RESEARCH TOMSK STATE UNIVERSITY", "TSU", "Tomsk", "HES", 2.5,
            "Tomsk State University", ("National Research Tomsk State University",), "TSU", ("education",), None,
            "Томский государственный университет", "tsu.ru", 1878, "TOMSK STATE UNIVERSITY"),
    _RuSpec("tpu", "NATIONAL RESEARCH TOMSK POLYTECHNIC UNIVERSITY", "TPU", "Tomsk", "HES", 2.0,
            "Tomsk Polytechnic University", (), "TPU", ("education",), None, "Томский политехнический университет", "tpu.ru", 1896),
    _RuSpec("urfu", "URAL FEDERAL UNIVERSITY NAMED AFTER THE FIRST PRESIDENT OF RUSSIA B.N. YELTSIN", "URFU", "Yekaterinburg", "HES", 2.5,
            "Ural Federal University", ("Ural Federal University named after the first President of Russia B. N. Yeltsin",), "UrFU",
            ("education",), None, "Уральский федеральный университет", "urfu.ru", 1920, "URAL STATE TECHNICAL UNIVERSITY"),
    _RuSpec("iap", "INSTITUTE OF APPLIED PHYSICS " + _RAS, "IAP RAS", "Nizhny Novgorod", "REC", 3.0,
            "Institute of Applied Physics", (), "IAP RAS", ("facility",), "ras", "Институт прикладной физики РАН", "iapras.ru", 1977),
    _RuSpec("unn", "LOBACHEVSKY STATE UNIVERSITY OF NIZHNI NOVGOROD", "UNN", "Nizhny Novgorod", "HES", 2.0,
            "Lobachevsky State University of Nizhny Novgorod", ("National Research Lobachevsky State University of Nizhny Novgorod",),
            "UNN", ("education",), None, None, "unn.ru", 1916, "NIZHNY NOVGOROD STATE UNIVERSITY"),
    _RuSpec("hse", "NATIONAL RESEARCH UNIVERSITY HIGHER SCHOOL OF ECONOMICS", "HSE", "Moscow", "HES", 3.0,
            "National Research University Higher School of Economics", ("Higher School of Economics",), "HSE",
            ("education",), None, "Национальный исследовательский университет «Высшая школа экономики»", "hse.ru", 1992,
            "STATE UNIVERSITY - HIGHER SCHOOL OF ECONOMICS"),
    _RuSpec("mipt", "MOSCOW INSTITUTE OF PHYSICS AND TECHNOLOGY (STATE UNIVERSITY)", "MIPT", "Dolgoprudny", "HES", 3.0,
            "Moscow Institute of Physics and Technology", ("Phystech",), "MIPT", ("education",), None,
            "Московский физико-технический институт", "mipt.ru", 1951),
    _RuSpec("jinr", "JOINT INSTITUTE FOR NUCLEAR RESEARCH", "JINR", "Dubna", "REC", 3.0,
            "Joint Institute for Nuclear Research", (), "JINR", ("facility",), None, "Объединённый институт ядерных исследований",
            "jinr.ru", 1956),
    _RuSpec("inr", "INSTITUTE FOR NUCLEAR RESEARCH " + _RAS, "INR RAS", "Moscow", "REC", 1.5,
            "Institute for Nuclear Research", (), "INR RAS", ("facility",), "ras", None, "inr.ru", 1970),
    _RuSpec("iki", "SPACE RESEARCH INSTITUTE " + _RAS, "IKI RAS", "Moscow", "REC", 2.0,
            "Space Research Institute", ("IKI RAN",), "IKI", ("facility",), "ras", "Институт космических исследований РАН", "iki.rssi.ru", 1965),
    _RuSpec("ocean", "P.P. SHIRSHOV INSTITUTE OF OCEANOLOGY " + _RAS, "IO RAS", "Moscow", "REC", 2.0,
            "Shirshov Institute of Oceanology", (), "IO RAS", ("facility",), "ras", None, "ocean.ru", 1946),
    _RuSpec("aari", "ARCTIC AND ANTARCTIC RESEARCH INSTITUTE", "AARI", "Saint Petersburg", "REC", 2.5,
            "Arctic and Antarctic Research Institute", (), "AARI", ("government",), None, None, "aari.ru", 1920,
            "STATE INSTITUTION ARCTIC AND ANTARCTIC RESEARCH INSTITUTE"),
    _RuSpec("kola", _FSBIS + "FEDERAL RESEARCH CENTRE KOLA SCIENCE CENTRE " + _RAS, "KSC RAS", "Apatity", "REC", 1.5,
            "Kola Science Centre", ("Federal Research Centre Kola Science Centre of the Russian Academy of Sciences",), "KSC RAS",
            ("facility",), "ras", None, "ksc.ru", 1930, "KOLA SCIENCE CENTRE " + _RAS),
    _RuSpec("ifaran", "A.M. OBUKHOV INSTITUTE OF ATMOSPHERIC PHYSICS RUSSIAN ACADEMY OF SCIENCES", "IFARAN", "Moscow", "REC", 1.5,
            "A.M. Obukhov Institute of Atmospheric Physics", (), "IAP RAS", ("facility",), "ras", None, "ifaran.ru", 1956),
    _RuSpec("chemphys", "N.N. SEMENOV FEDERAL RESEARCH CENTER FOR CHEMICAL PHYSICS, RUSSIAN ACADEMY OF SCIENCES", "FRCCP RAS", "Moscow", "REC", 1.2,
            "N.N. Semenov Federal Research Center for Chemical Physics", ("Semenov Institute of Chemical Physics",), None,
            ("facility",), "ras", None, "chph.ras.ru", 1931, "N.N. SEMENOV INSTITUTE OF CHEMICAL PHYSICS " + _RAS),
    _RuSpec("zioc", "N.D. ZELINSKY INSTITUTE OF ORGANIC CHEMISTRY " + _RAS, "ZIOC RAS", "Moscow", "REC", 1.2,
            "N. D. Zelinsky Institute for Organic Chemistry", (), "ZIOC", ("facility",), "ras", None, "zioc.ru", 1934),
    _RuSpec("icg", "INSTITUTE OF CYTOLOGY AND GENETICS OF THE SIBERIAN BRANCH " + _RAS, "ICG SB RAS", "Novosibirsk", "REC", 1.5,
            "Institute of Cytology and Genetics", (), "ICG SB RAS", ("facility",), "sbras", None, "bionet.nsc.ru", 1957),
    _RuSpec("catalysis", "BORESKOV INSTITUTE OF CATALYSIS SIBERIAN BRANCH " + _RAS, "BIC SB RAS", "Novosibirsk", "REC", 2.0,
            "Boreskov Institute of Catalysis", (), "BIC", ("facility",), "sbras", None, "catalysis.ru", 1958),
    _RuSpec("itmo", "SAINT PETERSBURG NATIONAL RESEARCH UNIVERSITY OF INFORMATION TECHNOLOGIES, MECHANICS AND OPTICS", "ITMO",
            "Saint Petersburg", "HES", 2.5, "ITMO University", ("St. Petersburg National Research University of Information Technologies, Mechanics and Optics",),
            "ITMO", ("education",), None, "Университет ИТМО", "itmo.ru", 1900,
            "ST. PETERSBURG STATE UNIVERSITY OF INFORMATION TECHNOLOGIES, MECHANICS AND OPTICS"),
    _RuSpec("spbpu", "PETER THE GREAT ST. PETERSBURG POLYTECHNIC UNIVERSITY", "SPBPU", "Saint Petersburg", "HES", 2.5,
            "Peter the Great St. Petersburg Polytechnic University", ("Saint Petersburg State Polytechnical University",), "SPbPU",
            ("education",), None, "Санкт-Петербургский политехнический университет Петра Великого", "spbstu.ru", 1899,
            "SAINT-PETERSBURG STATE POLYTECHNICAL UNIVERSITY"),
    _RuSpec("bmstu", "BAUMAN MOSCOW STATE TECHNICAL UNIVERSITY", "BMSTU", "Moscow", "HES", 1.5,
            "Bauman Moscow State Technical University", (), "BMSTU", ("education",), None, None, "bmstu.ru", 1830),
    _RuSpec("misis", "NATIONAL UNIVERSITY OF SCIENCE AND TECHNOLOGY MISIS", "NUST MISIS", "Moscow", "HES", 1.5,
            "National University of Science and Technology", ("MISiS",), "NUST MISIS", ("education",), None, None, "misis.ru", 1918,
            "MOSCOW STATE INSTITUTE OF STEEL AND ALLOYS (TECHNOLOGICAL UNIVERSITY)"),
    _RuSpec("skoltech", "AUTONOMOUS NON-PROFIT ORGANIZATION FOR HIGHER EDUCATION SKOLKOVO INSTITUTE OF SCIENCE AND TECHNOLOGY",
            "SKOLTECH", "Moscow", "HES", 2.0, "Skolkovo Institute of Science and Technology", ("Skoltech",), "Skoltech",
            ("education",), None, "Сколковский институт науки и технологий", "skoltech.ru", 2011, None, "H2020"),
    _RuSpec("rfbr", "RUSSIAN FOUNDATION FOR BASIC RESEARCH", "RFBR", "Moscow", "PUB", 1.5,
            "Russian Foundation for Basic Research", (), "RFBR", ("funder",), None, "Российский фонд фундаментальных исследований",
            "rfbr.ru", 1992, None, "FP6", "inactive"),
    _RuSpec("minobr", "MINISTRY OF SCIENCE AND HIGHER EDUCATION OF THE RUSSIAN FEDERATION", "MINOBRNAUKI", "Moscow", "PUB", 1.0,
            "Ministry of Science and Higher Education of the Russian Federation", ("Minobrnauki",), None, ("government",), None,
            None, "minobrnauki.gov.ru", 2018, "MINISTRY OF EDUCATION AND SCIENCE OF THE RUSSIAN FEDERATION"),
    _RuSpec("cardio", "FEDERAL STATE BUDGETARY INSTITUTION NATIONAL MEDICAL RESEARCH CENTER OF CARDIOLOGY OF THE MINISTRY OF HEALTH OF THE RUSSIAN FEDERATION",
            "NMRCC", "Moscow", "PUB", 1.0, "National Medical Research Center of Cardiology", ("Russian Cardiology Research and Production Complex",),
            None, ("healthcare",), None, None, "cardioweb.ru", 1976),
    _RuSpec("narfu", "NORTHERN (ARCTIC) FEDERAL UNIVERSITY NAMED AFTER M.V. LOMONOSOV", "NARFU", "Arkhangelsk", "HES", 1.5,
            "Northern (Arctic) Federal University", ("NArFU",), "NArFU", ("education",), None, None, "narfu.ru", 1929),
    _RuSpec("sfu", "SIBERIAN FEDERAL UNIVERSITY", "SFU", "Krasnoyarsk", "HES", 1.2,
            "Siberian Federal University", (), "SibFU", ("education",), None, None, "sfu-kras.ru", 2006),
    _RuSpec("isu", "IRKUTSK STATE UNIVERSITY", "ISU", "Irkutsk", "HES", 1.0,
            "Irkutsk State University", (), "ISU", ("education",), None, None, "isu.ru", 1918),
    _RuSpec("fefu", "FAR EASTERN FEDERAL UNIVERSITY", "FEFU", "Vladivostok", "HES", 1.0,
            "Far Eastern Federal University", (), "FEFU", ("education",), None, None, "dvfu.ru", 1899),
    _RuSpec("samara", "SAMARA NATIONAL RESEARCH UNIVERSITY", "SAMARA UNIVERSITY", "Samara", "HES", 1.0,
            "Samara University", ("Samara National Research University",), None, ("education",), None, None, "ssau.ru", 1942,
            "SAMARA STATE AEROSPACE UNIVERSITY NAMED AFTER ACADEMICIAN S.P. KOROLEV"),
    _RuSpec("bfu", "IMMANUEL KANT BALTIC FEDERAL UNIVERSITY", "IKBFU", "Kaliningrad", "HES", 1.0,
            "Immanuel Kant Baltic Federal University", (), "IKBFU", ("education",), None, None, "kantiana.ru", 1947),
    _RuSpec("sfedu", "SOUTHERN FEDERAL UNIVERSITY", "SFEDU", "Rostov-on-Don", "HES", 1.0,
            "Southern Federal University", (), "SFedU", ("education",), None, None, "sfedu.ru", 1915),
    _RuSpec("karelia", _FSBIS + "KARELIAN RESEARCH CENTRE " + _RAS, "KARRC RAS", "Petrozavodsk", "REC", 1.0,
            "Karelian Research Centre", (), "KarRC RAS", ("facility",), "ras", None, "krc.karelia.ru", 1946),
    _RuSpec("igras", "INSTITUTE OF GEOGRAPHY " + _RAS, "IG RAS", "Moscow", "REC", 1.2,
            "Institute of Geography", (), "IG RAS", ("facility",), "ras", None, "igras.ru", 1918),
    _RuSpec("sevin", "A.N. SEVERTSOV INSTITUTE OF ECOLOGY AND EVOLUTION " + _RAS, "IPEE RAS", "Moscow", "REC", 1.0,
            "A.N. Severtsov Institute of Ecology and Evolution", (), "IPEE RAS", ("facility",), "ras", None, "sev-in.ru", 1934),
    _RuSpec("forest", "CENTRE FOR FOREST ECOLOGY AND PRODUCTIVITY RUSSIAN ACADEMY OF SCIENCE", "CEPF RAS", "Moscow", "PUB", 0.8,
            "Center for Forest Ecology and Productivity", (), "CEPF RAS", ("facility",), "ras", None, "cepl.rssi.ru", 1991),
    # Not in ROR: companies, NGOs, small bodies (must stay unmatched).
    _RuSpec("nanotech", 'LIMITED LIABILITY COMPANY "NANOTECH SOLUTIONS"', "NANOTECH", "Moscow", "PRC", 1.0),
    _RuSpec("sibgeo", 'JOINT STOCK COMPANY "SIBERIAN GEOPHYSICAL SURVEY"', "SIBGEO", "Novosibirsk", "PRC", 0.8),
    _RuSpec("ecoc", 'AUTONOMOUS NON-PROFIT ORGANIZATION "CENTRE FOR ECOLOGICAL INITIATIVES"', "", "Saint Petersburg", "OTH", 0.8),
    _RuSpec("photon", "OOO OPTOELECTRONIC SYSTEMS PHOTONICA", "PHOTONICA", "Saint Petersburg", "PRC", 0.6),
    _RuSpec("volga", "VOLGA REGIONAL DEVELOPMENT AGENCY", "VRDA", "Kazan", "PUB", 0.5),
)
# Parents and organisations that are only in ROR (never participate).
_RU_ROR_ONLY: tuple[_RuSpec, ...] = (
    _RuSpec("ras", "", "", "Moscow", "PUB", 0.0, "Russian Academy of Sciences", ("RAS",), "RAN", ("government", "funder"),
            None, "Российская академия наук", "ras.ru", 1724),
    _RuSpec("sbras", "", "", "Novosibirsk", "PUB", 0.0, "Siberian Branch of the Russian Academy of Sciences", (), "SB RAS",
            ("government",), "ras", "Сибирское отделение РАН", "sbras.ru", 1957),
    _RuSpec("ubras", "", "", "Yekaterinburg", "PUB", 0.0, "Ural Branch of the Russian Academy of Sciences", (), "UB RAS",
            ("government",), "ras", None, "uran.ru", 1932),
    _RuSpec("febras", "", "", "Vladivostok", "PUB", 0.0, "Far Eastern Branch of the Russian Academy of Sciences", (), "FEB RAS",
            ("government",), "ras", None, "febras.ru", 1932),
    _RuSpec("rsf", "", "", "Moscow", "PUB", 0.0, "Russian Science Foundation", (), "RSF", ("funder",), None,
            "Российский научный фонд", "rscf.ru", 2013),
    _RuSpec("msu-marine", "", "", "Moscow", "REC", 0.0, "Lomonosov Moscow State University Marine Research Center",
            ("Marine Research Center of Moscow State University",), None, ("facility",), "msu", None, "marine-rc.ru", 2012),
    _RuSpec("msu-sinp", "", "", "Moscow", "REC", 0.0, "Skobeltsyn Institute of Nuclear Physics", ("SINP MSU",), "SINP MSU",
            ("facility",), "msu", None, "sinp.msu.ru", 1946),
    _RuSpec("spbu-hospital", "", "", "Saint Petersburg", "PUB", 0.0, "Saint Petersburg State University Hospital", (), None,
            ("healthcare",), "spbu", None, None, 1998, None, "FP6", "withdrawn"),
)
_RU_FIELDS: tuple[tuple[str, str], ...] = (
    ("SOLID STATE PHYSICS", "Solid State Physics"), ("GEOCHEMISTRY", "Geochemistry"), ("MARINE BIOLOGY", "Marine Biology"),
    ("APPLIED MATHEMATICS", "Applied Mathematics"), ("ORGANIC CHEMISTRY", "Organic Chemistry"),
    ("INORGANIC CHEMISTRY", "Inorganic Chemistry"), ("ASTRONOMY", "Astronomy"), ("LASER PHYSICS", "Laser Physics"),
    ("SEMICONDUCTOR PHYSICS", "Semiconductor Physics"), ("PLANT PHYSIOLOGY", "Plant Physiology"),
    ("MOLECULAR BIOLOGY", "Molecular Biology"), ("BIOCHEMICAL PHYSICS", "Biochemical Physics"),
    ("ECONOMICS", "Economics"), ("SOCIOLOGY", "Sociology"), ("HISTORY", "History"), ("LINGUISTICS", "Linguistics"),
    ("PERMAFROST STUDIES", "Permafrost Studies"), ("VOLCANOLOGY AND SEISMOLOGY", "Volcanology and Seismology"),
    ("COMPUTATIONAL TECHNOLOGIES", "Computational Technologies"), ("ELECTROPHYSICS", "Electrophysics"),
    ("METAL PHYSICS", "Metal Physics"), ("HIGH CURRENT ELECTRONICS", "High Current Electronics"),
    ("ATMOSPHERIC OPTICS", "Atmospheric Optics"), ("CHEMICAL KINETICS AND COMBUSTION", "Chemical Kinetics and Combustion"),
    ("SOIL SCIENCE", "Soil Science"), ("FOREST SCIENCE", "Forest Science"), ("WATER PROBLEMS", "Water Problems"),
    ("NORTHERN ENVIRONMENTAL PROBLEMS", "Northern Environmental Problems"), ("INDUSTRIAL ECOLOGY", "Industrial Ecology"),
    ("ARCHAEOLOGY AND ETHNOGRAPHY", "Archaeology and Ethnography"), ("PHILOSOPHY AND LAW", "Philosophy and Law"),
    ("COAL CHEMISTRY", "Coal Chemistry"), ("BIOPHYSICS", "Biophysics"), ("CELL BIOPHYSICS", "Cell Biophysics"),
    ("THEORETICAL PHYSICS", "Theoretical Physics"), ("CONTROL SCIENCES", "Control Sciences"),
    ("PROBLEMS OF ECOLOGY", "Problems of Ecology"), ("MATHEMATICAL PROBLEMS OF BIOLOGY", "Mathematical Problems of Biology"),
)
_RU_BRANCHES: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    ("SIBERIAN BRANCH OF THE RUSSIAN ACADEMY OF SCIENCES", "SB RAS", "sbras", ("Novosibirsk", "Tomsk", "Irkutsk", "Krasnoyarsk")),
    ("URAL BRANCH OF THE RUSSIAN ACADEMY OF SCIENCES", "UB RAS", "ubras", ("Yekaterinburg", "Perm", "Ufa")),
    ("FAR EASTERN BRANCH OF THE RUSSIAN ACADEMY OF SCIENCES", "FEB RAS", "febras", ("Vladivostok",)),
    ("RUSSIAN ACADEMY OF SCIENCES", "RAS", "ras", ("Moscow", "Saint Petersburg", "Nizhny Novgorod", "Kazan", "Pushchino", "Chernogolovka")),
)
_RU_UNI_KINDS: tuple[tuple[str, str], ...] = (
    ("STATE TECHNICAL UNIVERSITY", "State Technical University"), ("STATE MEDICAL UNIVERSITY", "State Medical University"),
    ("STATE PEDAGOGICAL UNIVERSITY", "State Pedagogical University"), ("STATE AGRARIAN UNIVERSITY", "State Agrarian University"),
    ("STATE UNIVERSITY OF ECONOMICS", "State University of Economics"),
)
_RU_COMPANY_WORDS: tuple[str, ...] = (
    "SIBTECH", "URALMASH INNOVATIONS", "BALTIC ENGINEERING", "VOLGA BIOTECH", "NORTHERN LIGHTS ENERGY", "ARCTIC SURVEY",
    "NEVA PHOTONICS", "TAIGA SOFTWARE", "KAMA MATERIALS", "ALTAI AGRO", "OKA ROBOTICS", "PECHORA GEO", "LADOGA WATER",
    "YENISEI DATA", "BAIKAL ECOLOGY",
)

# --------------------------------------------------------------------------------------------------
# Programme structure: funding schemes with programme codes and participant counts.


@dataclass(frozen=True)
class _Scheme:
    code: str
    weight: float
    lo: int
    hi: int
    legal: tuple[str, ...]
    ec: tuple[float, float]  # EC contribution range per ordinary participant (EUR)
    months: tuple[int, int] = (24, 48)
    ru_ok: bool = True  # can a Russian organisation take part


_FP6_THEMATIC = ("FP6-IST", "FP6-NMP", "FP6-LIFESCIHEALTH", "FP6-SUSTDEV", "FP6-AEROSPACE", "FP6-FOOD", "FP6-CITIZENS")
_FP7_THEMATIC = ("FP7-ICT", "FP7-HEALTH", "FP7-KBBE", "FP7-NMP", "FP7-ENERGY", "FP7-ENVIRONMENT", "FP7-TRANSPORT",
                 "FP7-SSH", "FP7-SPACE", "FP7-SECURITY")
_H2020_COLLAB = ("H2020-EU.2.1.1.", "H2020-EU.3.1.", "H2020-EU.3.2.", "H2020-EU.3.3.", "H2020-EU.3.4.", "H2020-EU.3.5.",
                 "H2020-EU.3.6.", "H2020-EU.3.7.", "H2020-EU.2.1.3.", "H2020-EU.1.2.1.", "H2020-EU.1.4.")
_HE_COLLAB = ("HORIZON.2.1", "HORIZON.2.2", "HORIZON.2.3", "HORIZON.2.4", "HORIZON.2.5", "HORIZON.2.6", "HORIZON.1.3")

_SCHEMES: dict[str, tuple[_Scheme, ...]] = {
    "FP6": (
        _Scheme("IP", 6, 10, 35, _FP6_THEMATIC, (0, 0), (36, 60)),
        _Scheme("NOE", 2, 10, 40, _FP6_THEMATIC, (0, 0), (48, 60)),
        _Scheme("STREP", 22, 4, 14, _FP6_THEMATIC + ("FP6-INCO",), (0, 0), (24, 42)),
        _Scheme("CA", 6, 6, 25, _FP6_THEMATIC, (0, 0), (24, 48)),
        _Scheme("SSA", 14, 1, 10, _FP6_THEMATIC + ("FP6-INCO", "FP6-INFRASTRUCTURES", "FP6-POLICIES", "FP6-SOCIETY"), (0, 0), (12, 30)),
        _Scheme("I3", 1.5, 10, 40, ("FP6-INFRASTRUCTURES",), (0, 0), (48, 60)),
        _Scheme("CRAFT", 5, 5, 12, ("FP6-SME",), (0, 0), (18, 24)),
        _Scheme("RTN", 3, 5, 15, ("FP6-MOBILITY",), (0, 0), (36, 48)),
        _Scheme("EST", 4, 1, 3, ("FP6-MOBILITY",), (0, 0), (36, 48), False),
        _Scheme("TOK", 2, 1, 2, ("FP6-MOBILITY",), (0, 0), (24, 48), False),
        _Scheme("EIF", 14, 1, 1, ("FP6-MOBILITY",), (0, 0), (12, 24), False),
        _Scheme("OIF", 3, 1, 1, ("FP6-MOBILITY",), (0, 0), (24, 36), False),
        _Scheme("IIF", 2, 1, 1, ("FP6-MOBILITY",), (0, 0), (12, 24), False),
        _Scheme("ERG", 5, 1, 1, ("FP6-MOBILITY",), (0, 0), (24, 36), False),
        _Scheme("IRG", 3, 1, 1, ("FP6-MOBILITY",), (0, 0), (24, 36), False),
    ),
    "FP7": (
        _Scheme("CP", 10, 5, 20, _FP7_THEMATIC, (60_000, 600_000), (24, 48)),
        _Scheme("CP-FP", 6, 4, 14, _FP7_THEMATIC + ("FP7-EURATOM-FISSION",), (60_000, 450_000), (24, 42)),
        _Scheme("CP-IP", 3, 10, 35, _FP7_THEMATIC, (100_000, 900_000), (36, 60)),
        _Scheme("NoE", 0.8, 8, 35, _FP7_THEMATIC, (50_000, 400_000), (48, 60)),
        _Scheme("CSA-CA", 3, 5, 25, _FP7_THEMATIC + ("FP7-INCO",), (20_000, 200_000), (24, 36)),
        _Scheme("CSA-SA", 4, 1, 12, _FP7_THEMATIC + ("FP7-INCO", "FP7-SIS", "FP7-REGIONS"), (20_000, 250_000), (12, 36)),
        _Scheme("ERC-SG", 8, 1, 2, ("FP7-IDEAS-ERC",), (1_000_000, 1_800_000), (60, 60), False),
        _Scheme("ERC-AG", 6, 1, 2, ("FP7-IDEAS-ERC",), (1_500_000, 2_500_000), (60, 60), False),
        _Scheme("MC-IEF", 14, 1, 1, ("FP7-PEOPLE",), (150_000, 270_000), (24, 24), False),
        _Scheme("MC-IOF", 2, 1, 1, ("FP7-PEOPLE",), (200_000, 300_000), (36, 36), False),
        _Scheme("MC-IIF", 2, 1, 1, ("FP7-PEOPLE",), (150_000, 250_000), (24, 24), False),
        _Scheme("MC-ERG", 5, 1, 1, ("FP7-PEOPLE",), (45_000, 45_000), (36, 36), False),
        _Scheme("MC-CIG", 6, 1, 1, ("FP7-PEOPLE",), (100_000, 100_000), (48, 48), False),
        _Scheme("MC-ITN", 4, 4, 15, ("FP7-PEOPLE",), (200_000, 900_000), (48, 48)),
        _Scheme("MC-IRSES", 3, 3, 12, ("FP7-PEOPLE",), (20_000, 150_000), (36, 48)),
        _Scheme("MC-IAPP", 1.5, 2, 6, ("FP7-PEOPLE",), (200_000, 800_000), (48, 48)),
        _Scheme("BSG-SME", 3, 5, 12, ("FP7-SME",), (50_000, 300_000), (24, 24)),
        _Scheme("CP-CSA-Infra", 1, 10, 30, ("FP7-INFRASTRUCTURES",), (50_000, 700_000), (48, 48)),
        _Scheme("JTI-CS", 3, 1, 3, ("FP7-JTI",), (100_000, 600_000), (18, 36), False),
    ),
    "H2020": (
        _Scheme("RIA", 12, 3, 25, _H2020_COLLAB, (100_000, 700_000), (36, 48)),
        _Scheme("IA", 6, 3, 25, _H2020_COLLAB, (80_000, 900_000), (36, 48)),
        _Scheme("CSA", 6, 1, 20, _H2020_COLLAB + ("H2020-EU.4.", "H2020-EU.5."), (20_000, 300_000), (18, 36)),
        _Scheme("ERC-STG", 4, 1, 1, ("H2020-EU.1.1.",), (1_400_000, 1_500_000), (60, 60), False),
        _Scheme("ERC-COG", 3, 1, 1, ("H2020-EU.1.1.",), (1_900_000, 2_000_000), (60, 60), False),
        _Scheme("ERC-ADG", 2, 1, 1, ("H2020-EU.1.1.",), (2_300_000, 2_500_000), (60, 60), False),
        _Scheme("ERC-POC", 2, 1, 1, ("H2020-EU.1.1.",), (150_000, 150_000), (18, 18), False),
        _Scheme("MSCA-IF-EF-ST", 14, 1, 1, ("H2020-EU.1.3.2.",), (150_000, 270_000), (24, 24), False),
        _Scheme("MSCA-IF-GF", 2, 2, 2, ("H2020-EU.1.3.2.",), (230_000, 270_000), (36, 36), False),
        _Scheme("MSCA-ITN-ETN", 4, 5, 25, ("H2020-EU.1.3.1.",), (250_000, 1_000_000), (48, 48)),
        _Scheme("MSCA-RISE", 3, 4, 15, ("H2020-EU.1.3.3.",), (20_000, 300_000), (36, 48)),
        _Scheme("SME-1", 10, 1, 1, ("H2020-EU.2.3.1.",), (50_000, 50_000), (6, 6), False),
        _Scheme("SME-2", 4, 1, 3, ("H2020-EU.2.3.1.",), (500_000, 2_500_000), (24, 24), False),
        _Scheme("ECSEL-RIA", 0.5, 10, 60, ("H2020-EU.2.1.1.",), (50_000, 1_000_000), (36, 36)),
        _Scheme("CS2-RIA", 3, 1, 6, ("H2020-EU.3.4.5.4.",), (100_000, 800_000), (24, 36), False),
        _Scheme("ERA-NET-Cofund", 1, 8, 30, _H2020_COLLAB, (50_000, 1_000_000), (60, 60)),
    ),
    "HE": (
        _Scheme("HORIZON-RIA", 10, 3, 25, _HE_COLLAB, (150_000, 800_000), (36, 48)),
        _Scheme("HORIZON-IA", 5, 3, 30, _HE_COLLAB, (100_000, 1_000_000), (36, 48)),
        _Scheme("HORIZON-CSA", 5, 1, 20, _HE_COLLAB + ("HORIZON.4.1",), (30_000, 300_000), (24, 36)),
        _Scheme("HORIZON-ERC", 8, 1, 1, ("HORIZON.1.1",), (1_500_000, 2_500_000), (60, 60), False),
        _Scheme("HORIZON-ERC-POC", 2, 1, 1, ("HORIZON.1.1",), (150_000, 150_000), (18, 18), False),
        _Scheme("HORIZON-TMA-MSCA-PF-EF", 10, 1, 2, ("HORIZON.1.2",), (160_000, 260_000), (24, 24), False),
        _Scheme("HORIZON-TMA-MSCA-DN", 3, 5, 25, ("HORIZON.1.2",), (250_000, 1_000_000), (48, 48)),
        _Scheme("HORIZON-TMA-MSCA-SE", 2, 4, 15, ("HORIZON.1.2",), (30_000, 300_000), (48, 48)),
        _Scheme("HORIZON-EIC", 4, 1, 6, ("HORIZON.3.1",), (300_000, 3_000_000), (24, 48), False),
        _Scheme("HORIZON-EIC-ACC", 3, 1, 1, ("HORIZON.3.1",), (1_000_000, 2_500_000), (24, 24), False),
        _Scheme("HORIZON-AG", 3, 3, 20, _HE_COLLAB, (100_000, 600_000), (36, 48)),
        _Scheme("HORIZON-COFUND", 0.5, 10, 40, _HE_COLLAB, (100_000, 1_500_000), (60, 84)),
        _Scheme("HORIZON-JU-RIA", 1, 5, 30, ("HORIZON.2.4", "HORIZON.2.5"), (100_000, 900_000), (36, 48)),
    ),
}
_START_YEARS: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = {
    "FP6": ((2003, 2004, 2005, 2006, 2007, 2008, 2009), (3, 20, 25, 22, 18, 10, 2)),
    "FP7": ((2007, 2008, 2009, 2010, 2011, 2012, 2013, 2014, 2015, 2016), (2, 12, 13, 13, 13, 14, 13, 12, 6, 2)),
    "H2020": ((2014, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023), (3, 11, 12, 13, 13, 14, 14, 12, 6, 2)),
    "HE": ((2021, 2022, 2023, 2024, 2025), (10, 25, 25, 25, 15)),
}
_FP6_PRIORITY = {
    "FP6-IST": "IST", "FP6-NMP": "NMP", "FP6-LIFESCIHEALTH": "LSH", "FP6-SUSTDEV": "SUSTDEV", "FP6-AEROSPACE": "AERO",
    "FP6-FOOD": "FOOD", "FP6-CITIZENS": "CITIZENS", "FP6-INCO": "INCO", "FP6-INFRASTRUCTURES": "INFRASTRUCTURES",
    "FP6-POLICIES": "SSP", "FP6-SOCIETY": "SOCIETY", "FP6-SME": "SME", "FP6-MOBILITY": "MOBILITY",
}
_FP6_TITLES = {
    "FP6-IST": "Information Society Technologies", "FP6-NMP": "Nanotechnologies and nanosciences, knowledge-based multifunctional materials and new production processes and devices",
    "FP6-LIFESCIHEALTH": "Life sciences, genomics and biotechnology for health", "FP6-SUSTDEV": "Sustainable development, global change and ecosystems",
    "FP6-AEROSPACE": "Aeronautics and space", "FP6-FOOD": "Food quality and safety", "FP6-CITIZENS": "Citizens and governance in a knowledge-based society",
    "FP6-INCO": "Specific measures in support of international cooperation", "FP6-INFRASTRUCTURES": "Research infrastructures",
    "FP6-POLICIES": "Scientific support to policies", "FP6-SOCIETY": "Science and society", "FP6-SME": "Horizontal research activities involving SMEs",
    "FP6-MOBILITY": "Human resources and mobility",
}
_FP7_PROGRAMMES: tuple[tuple[int, str, str, str], ...] = (
    (845, "FP7-IDEAS-ERC", 'Specific programme: "Ideas" implementing the Seventh Framework Programme', 'Specific programme: "Ideas"'),
    (846, "FP7-COOPERATION", 'Specific Programme "Cooperation" implementing the Seventh Framework Programme', 'Specific Programme "Cooperation"'),
    (847, "FP7-CAPACITIES", 'Specific Programme "Capacities" implementing the Seventh Framework Programme', 'Specific Programme "Capacities"'),
    (848, "FP7-PEOPLE", 'Specific programme "People" implementing the Seventh Framework Programme', 'Specific Programme "People"'),
    (851, "FP7-KBBE", 'Specific Programme "Cooperation": Food, Agriculture and Biotechnology', "Food, agriculture and fisheries, and biotechnology"),
    (852, "FP7-HEALTH", 'Specific Programme "Cooperation": Health', "Health"),
    (853, "FP7-ICT", 'Specific Programme "Cooperation": Information and communication technologies', "Information and communication technologies"),
    (854, "FP7-NMP", 'Specific Programme "Cooperation": Nanosciences, Nanotechnologies, Materials and new Production Technologies', "Nanosciences, nanotechnologies, materials and new production technologies"),
    (855, "FP7-ENVIRONMENT", 'Specific Programme "Cooperation": Environment (including Climate Change)', "Environment (including Climate Change)"),
    (856, "FP7-ENERGY", 'Specific Programme "Cooperation": Energy', "Energy"),
    (857, "FP7-TRANSPORT", 'Specific Programme "Cooperation": Transport (including Aeronautics)', "Transport (including Aeronautics)"),
    (859, "FP7-INFRASTRUCTURES", 'Specific Programme "Capacities": Research infrastructures', "Research infrastructures"),
    (860, "FP7-REGIONS", 'Specific Programme "Capacities": Regions of knowledge', "Regions of knowledge"),
    (861, "FP7-SECURITY", 'Specific Programme "Cooperation": Security', "Security"),
    (862, "FP7-SME", 'Specific Programme "Capacities": Research for the benefit of SMEs', "Research for the benefit of SMEs"),
    (863, "FP7-SPACE", 'Specific Programme "Cooperation": Space', "Space"),
    (864, "FP7-SSH", 'Specific Programme "Cooperation": Socio-economic Sciences and Humanities', "Socio-economic Sciences and Humanities"),
    (865, "FP7-INCO", 'Specific Programme "Capacities": International co-operation', "International co-operation"),
    (866, "FP7-SIS", 'Specific Programme "Capacities": Science in society', "Science in society"),
    (868, "FP7-EURATOM-FISSION", "EURATOM: Nuclear fission and radiation protection", "Nuclear fission and radiation protection"),
    (870, "FP7-JTI", 'Specific Programme "Cooperation": Joint Technology Initiatives', "Joint Technology Initiatives"),
)
_H2020_PROGRAMMES: tuple[tuple[int, str, str], ...] = (
    (664087, "H2020-EU.1.1.", "EXCELLENT SCIENCE - European Research Council (ERC)"),
    (664109, "H2020-EU.1.2.1.", "FET Open"),
    (664111, "H2020-EU.1.3.1.", "Fostering new skills by means of excellent initial training of researchers"),
    (664113, "H2020-EU.1.3.2.", "Nurturing excellence by means of cross-border and cross-sector mobility"),
    (664115, "H2020-EU.1.3.3.", "Stimulating innovation by means of cross-fertilisation of knowledge"),
    (664121, "H2020-EU.1.4.", "EXCELLENT SCIENCE - Research Infrastructures"),
    (664147, "H2020-EU.2.1.1.", "INDUSTRIAL LEADERSHIP - Leadership in enabling and industrial technologies - Information and Communication Technologies (ICT)"),
    (664173, "H2020-EU.2.1.3.", "INDUSTRIAL LEADERSHIP - Leadership in enabling and industrial technologies - Advanced materials"),
    (664223, "H2020-EU.2.3.1.", "Mainstreaming SME support, especially through a dedicated instrument"),
    (664237, "H2020-EU.3.1.", "SOCIETAL CHALLENGES - Health, demographic change and well-being"),
    (664281, "H2020-EU.3.2.", "SOCIETAL CHALLENGES - Food security, sustainable agriculture and forestry, marine, maritime and inland water research, and the bioeconomy"),
    (664321, "H2020-EU.3.3.", "SOCIETAL CHALLENGES - Secure, clean and efficient energy"),
    (664357, "H2020-EU.3.4.", "SOCIETAL CHALLENGES - Smart, Green And Integrated Transport"),
    (664407, "H2020-EU.3.4.5.4.", "ITD Airframe"),
    (664389, "H2020-EU.3.5.", "SOCIETAL CHALLENGES - Climate action, Environment, Resource Efficiency and Raw Materials"),
    (664435, "H2020-EU.3.6.", "SOCIETAL CHALLENGES - Europe In A Changing World - Inclusive, Innovative And Reflective Societies"),
    (664463, "H2020-EU.3.7.", "SOCIETAL CHALLENGES - Secure societies - Protecting freedom and security of Europe and its citizens"),
    (664481, "H2020-EU.4.", "SPREADING EXCELLENCE AND WIDENING PARTICIPATION"),
    (664495, "H2020-EU.5.", "SCIENCE WITH AND FOR SOCIETY"),
)
_HE_TITLES: dict[str, str] = {
    "HORIZON.1.1": "European Research Council (ERC)", "HORIZON.1.2": "Marie Skłodowska-Curie Actions (MSCA)",
    "HORIZON.1.3": "Research infrastructures", "HORIZON.2.1": "Health", "HORIZON.2.2": "Culture, creativity and inclusive society",
    "HORIZON.2.3": "Civil Security for Society", "HORIZON.2.4": "Digital, Industry and Space",
    "HORIZON.2.5": "Climate, Energy and Mobility", "HORIZON.2.6": "Food, Bioeconomy Natural Resources, Agriculture and Environment",
    "HORIZON.3.1": "The European Innovation Council (EIC)", "HORIZON.4.1": "Widening participation and spreading excellence",
}
_FUNDING_SCHEME_TITLES: dict[str, str] = {
    "IP": "Integrated Project", "NOE": "Network of Excellence", "STREP": "Specific Targeted Research Project",
    "CA": "Coordination Action", "SSA": "Specific Support Action", "I3": "Integrated Infrastructure Initiative",
    "CRAFT": "Co-operative research projects", "RTN": "Marie Curie Research Training Networks",
    "EST": "Marie Curie Host Fellowships - Early Stage Training", "TOK": "Marie Curie Host Fellowships - Transfer of Knowledge",
    "EIF": "Marie Curie Intra-European Fellowships", "OIF": "Marie Curie Outgoing International Fellowships",
    "IIF": "Marie Curie Incoming International Fellowships", "ERG": "Marie Curie European Reintegration Grants",
    "IRG": "Marie Curie International Reintegration Grants",
    "CP": "Collaborative project (generic)", "CP-FP": "Small or medium-scale focused research project",
    "CP-IP": "Large-scale integrating project", "NoE": "Network of Excellence", "CSA-CA": "Coordination (or networking) actions",
    "CSA-SA": "Support actions", "ERC-SG": "ERC Starting Grant", "ERC-AG": "ERC Advanced Grant",
    "MC-IEF": "Intra-European Fellowships (IEF)", "MC-IOF": "International Outgoing Fellowships (IOF)",
    "MC-IIF": "International Incoming Fellowships (IIF)", "MC-ERG": "European Re-integration Grants (ERG)",
    "MC-CIG": "Support for training and career development of researchers (CIG)", "MC-ITN": "Networks for Initial Training (ITN)",
    "MC-IRSES": "International Research Staff Exchange Scheme (IRSES)", "MC-IAPP": "Industry-Academia Partnerships and Pathways (IAPP)",
    "BSG-SME": "Research for SMEs", "CP-CSA-Infra": "Combination of CP & CSA for research infrastructures", "JTI-CS": "Joint Technology Initiatives - Clean Sky",
    "RIA": "Research and Innovation action", "IA": "Innovation action", "CSA": "Coordination and support action",
    "ERC-STG": "Starting Grant", "ERC-COG": "Consolidator Grant", "ERC-ADG": "Advanced Grant", "ERC-POC": "Proof of Concept Grant",
    "MSCA-IF-EF-ST": "Standard EF", "MSCA-IF-GF": "Global Fellowships", "MSCA-ITN-ETN": "European Training Networks",
    "MSCA-RISE": "Research and Innovation Staff Exchange", "SME-1": "SME instrument phase 1", "SME-2": "SME instrument phase 2",
    "ECSEL-RIA": "ECSEL Research and Innovation Action", "CS2-RIA": "Research and Innovation action", "ERA-NET-Cofund": "ERA-NET Cofund",
    "HORIZON-RIA": "HORIZON Research and Innovation Actions", "HORIZON-IA": "HORIZON Innovation Actions",
    "HORIZON-CSA": "HORIZON Coordination and Support Actions", "HORIZON-ERC": "HORIZON ERC Grants",
    "HORIZON-ERC-POC": "HORIZON ERC Proof of Concept Grants", "HORIZON-TMA-MSCA-PF-EF": "HORIZON TMA MSCA Postdoctoral Fellowships - European Fellowships",
    "HORIZON-TMA-MSCA-DN": "HORIZON TMA MSCA Doctoral Networks", "HORIZON-TMA-MSCA-SE": "HORIZON TMA MSCA Staff Exchanges",
    "HORIZON-EIC": "HORIZON EIC Grants", "HORIZON-EIC-ACC": "HORIZON EIC Accelerator", "HORIZON-AG": "HORIZON Action Grant Budget-Based",
    "HORIZON-COFUND": "HORIZON Programme Cofund Actions", "HORIZON-JU-RIA": "HORIZON JU Research and Innovation Actions",
}
_ACTIVITY_TYPES: tuple[tuple[str, str], ...] = (
    ("HES", "Higher or Secondary Education Establishments"),
    ("REC", "Research Organisations"),
    ("PRC", "Private for-profit entities (excluding Higher or Secondary Education Establishments)"),
    ("PUB", "Public bodies (excluding Research Organisations and Secondary or Higher Education Establishments)"),
    ("OTH", "Other"),
)

# --------------------------------------------------------------------------------------------------
# Text vocabulary for titles and objectives.

_TECH: tuple[str, ...] = (
    "graphene-based sensors", "quantum-safe communication", "machine learning", "high-temperature superconductors",
    "marine ecosystem models", "permafrost monitoring", "precision agriculture", "hydrogen storage", "solid-state batteries",
    "cell therapies", "digital twins", "satellite remote sensing", "low-carbon cement", "bio-based plastics",
    "neutron scattering", "plasma diagnostics", "photonic integrated circuits", "antimicrobial peptides",
    "climate services", "Arctic observing systems", "smart grids", "additive manufacturing", "edge computing",
    "seismic early warning", "wastewater reuse", "genome editing", "soil carbon accounting", "laser spectroscopy",
    "cybersecurity frameworks", "urban mobility platforms", "heritage digitisation", "neuromorphic hardware",
)
_APPLICATIONS: tuple[str, ...] = (
    "sustainable cities", "rare diseases", "the Arctic region", "energy-efficient buildings", "food safety",
    "coastal resilience", "clean aviation", "personalised medicine", "inclusive societies", "circular economy",
    "biodiversity monitoring", "industrial automation", "nuclear safety", "water quality", "public health",
    "space weather forecasting", "migration policy", "renewable energy integration", "fisheries management",
    "research infrastructures",
)
_ADJECTIVES: tuple[str, ...] = (
    "Advanced", "Integrated", "Novel", "Scalable", "Resilient", "Open", "Next-generation", "Sustainable", "Smart",
    "Robust", "Cross-border", "Low-cost", "Trustworthy", "Adaptive", "Multi-scale",
)
_ACRONYM_A: tuple[str, ...] = (
    "ARC", "BIO", "CLIM", "DIGI", "ECO", "FUT", "GRAPH", "HYD", "INNO", "LUM", "MAR", "NEO", "OPT", "POL", "QUAN",
    "ROB", "SOL", "TERR", "URB", "VIS", "WAT", "XEN", "ZEN", "ATOM", "CELL", "GEO", "PERMA", "SIB", "NORD", "TAIGA",
)
_ACRONYM_B: tuple[str, ...] = (
    "NET", "LAB", "EX", "SENSE", "CARE", "FLOW", "GRID", "MAP", "TWIN", "ICE", "SEA", "AIR", "LINK", "NOVA", "TECH",
    "BASE", "CORE", "EDGE", "PATH", "SCOPE", "MAT", "GEN", "ACT", "FIT", "WISE",
)
_SENTENCES: tuple[str, ...] = (
    "The project will develop {t} for {a}.",
    "{ACR} brings together {n} partners from academia and industry to advance {t}.",
    "Our objective is to establish a new generation of {t}, validated in {a}.",
    "Building on recent advances in {t2}, we will combine them with {t} in a common methodology.",
    "The consortium will demonstrate the approach in {n} pilot sites; results will be shared through open-access publications.",
    "Expected impacts include lower costs, better {a} and new business opportunities for SMEs.",
    "The work plan is organised in {n} work packages covering research, validation, dissemination and exploitation.",
    "Special attention is paid to ethics, gender balance and the \"open science\" principles of the programme.",
    "Key challenges are: (i) scalability; (ii) robustness; (iii) cost of deployment.",
    "We will test the hypothesis that {t} can improve {a} by at least {n}0 per cent.",
    "Training of early-career researchers is a core activity; secondments between partners are foreseen.",
    "The action strengthens cooperation with partner countries in Eastern Europe and Central Asia on {a}.",
    "Data will be managed according to the FAIR principles and deposited in a trusted repository.",
    "A stakeholder board of end users will steer the \"co-design\" of {t}.",
    "Field campaigns in the Barents Sea, Siberia and the Baltic will provide unique observations.",
    "Results will feed into EU policies on {a} and into international standards.",
)

# --------------------------------------------------------------------------------------------------
# Small helpers.


def _money_dot(value: float) -> str:
    """ecContribution style: `50000.0`, `145037.5`, `84503.42`."""
    return repr(round(value, 2))


def _money_comma(value: float) -> str:
    """totalCost style: `71429`, `211562,5`, `562093,75` (decimal comma, no `.0`)."""
    text = repr(round(value, 2))
    text = text.removesuffix(".0")
    return text.replace(".", ",")


def _quote_row(fields: Sequence[str]) -> str:
    return '"' + '";"'.join([f.replace('"', '""') for f in fields]) + '"\n'


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, 28))


def _acronym_of(name: str) -> str:
    skip = {"OF", "THE", "FOR", "DE", "DI", "DU", "LA", "AND", "DES", "DEGLI", "W", "-", "&"}
    letters = [w[0] for w in name.replace('"', "").split() if w not in skip and w[:1].isalpha()]
    return "".join(letters[:8])


def _ror_id(rng: random.Random, used: set[str]) -> str:
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
    while True:
        number = rng.randrange(0, 32**6)
        digits = []
        rest = number
        for _ in range(6):
            digits.append(alphabet[rest % 32])
            rest //= 32
        checksum = 98 - ((number * 100) % 97)
        ident = f"https://ror.org/0{''.join(reversed(digits))}{checksum:02d}"
        if ident not in used:
            used.add(ident)
            return ident


def _title_case(text: str) -> str:
    small = {"of", "the", "and", "for", "named", "after"}
    words = [w.lower() if w.lower() in small and i else w.capitalize() for i, w in enumerate(text.split())]
    return " ".join(words)


def _cum(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


# --------------------------------------------------------------------------------------------------
# The world: organisations shared by all programmes.


class _Org:
    __slots__ = (
        "activity",
        "cities",
        "city",
        "country",
        "first",
        "geo",
        "name",
        "names",
        "pic",
        "postcode",
        "rcn",
        "ror_id",
        "ru_key",
        "short",
        "sme",
        "street",
        "url",
        "vat",
        "weight",
    )

    def __init__(self, pic: str, name: str, short: str, activity: str, country: str, city: str, street: str,
                 postcode: str, vat: str, url: str, sme: str, geo: str, rcn: str, weight: float) -> None:
        self.pic = pic
        self.name = name
        self.short = short
        self.activity = activity
        self.country = country
        self.city = city
        self.street = street
        self.postcode = postcode
        self.vat = vat
        self.url = url
        self.sme = sme
        self.geo = geo
        self.rcn = rcn
        self.weight = weight
        self.names: dict[str, str] = {}
        self.cities: dict[str, str] = {}
        self.ru_key: str | None = None
        self.ror_id: str | None = None
        self.first = 0

    def name_in(self, programme: str) -> str:
        return self.names.get(programme, self.name)

    def city_in(self, programme: str) -> str:
        return self.cities.get(programme, self.city)


@dataclass
class _World:
    pools: dict[str, list[_Org]]
    cum: dict[str, list[float]]
    ru: list[_Org]
    ror_records: list[dict[str, Any]]
    ru_truth: list[dict[str, Any]]


def _postcode(rng: random.Random, country: str) -> str:
    if country == "UK":
        return f"{rng.choice('BCEGLMNOS')}{rng.choice('ABEHLMNRSTWX')}{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    if country == "NL":
        return f"{rng.randint(1000, 9999)} {rng.choice('ABCDEGHJKLMNPRSTVWXZ')}{rng.choice('ABCDEGHJKLMNPRSTVWXZ')}"
    if country == "RU":
        return f"{rng.randint(101000, 690000)}"
    if country in {"AT", "BE", "CH", "DK", "HU", "LU", "NO", "SI", "AU", "ZA", "CY", "BG", "GE", "AM", "TN"}:
        return f"{rng.randint(1000, 9999)}"
    if country in {"IE", "MT", "IS", "IL"}:
        return "" if rng.random() < 0.4 else f"{rng.randint(100, 999)}"
    return f"{rng.randint(10000, 99999)}"


def _vat(rng: random.Random, country: str, activity: str) -> str:
    prefix = _COUNTRIES[country][7]
    if not prefix or rng.random() < (0.45 if activity in {"HES", "REC", "PUB"} else 0.15):
        return ""
    return f"{prefix}{rng.randint(10**7, 10**10 - 1)}"


def _geo(rng: random.Random, lat: float, lng: float, spread: float) -> str:
    return f"{round(lat + rng.uniform(-spread, spread), 7)},{round(lng + rng.uniform(-spread, spread), 7)}"


def _build_name(rng: random.Random, country: str, activity: str, used: set[str]) -> tuple[str, str]:
    _iso, en_name, _de, _fr, style, _lat, _lng, _vp, cities = _COUNTRIES[country]
    adjective = _ADJECTIVE[country]
    for attempt in range(12):
        city = rng.choice(cities)
        if activity == "HES":
            template = rng.choice(_HES_TEMPLATES.get(style, _HES_TEMPLATES["en"]))
            name = template.format(C=city, R=rng.choice(("I", "II", "III")))
        elif activity == "REC":
            name = rng.choice(_REC_TEMPLATES).format(A=adjective, C=city, F=rng.choice(_FIELDS))
        elif activity == "PUB":
            name = rng.choice(_PUB_TEMPLATES).format(A=adjective, C=city, F=rng.choice(_FIELDS), N=en_name.upper())
        elif activity == "OTH":
            word = rng.choice(_SYLLABLES_A) + rng.choice(_SYLLABLES_B)
            name = rng.choice(_OTH_TEMPLATES).format(A=adjective, C=city, F=rng.choice(_FIELDS), W=word)
        else:
            legal = rng.choice(_LEGAL_FORMS.get(country, ("LTD",)))
            name = f"{rng.choice(_SYLLABLES_A)}{rng.choice(_SYLLABLES_B)} {rng.choice(_SECTORS)} {legal}"
            if rng.random() < 0.15:
                name = " ".join(w.capitalize() if len(w) > 3 and "." not in w else w for w in name.split())
        if attempt >= 8:
            name = f"{name} {city}"
        if name not in used:
            used.add(name)
            return name, city
    name = f"{name} ({len(used)})"
    used.add(name)
    return name, city


def _country_weights(programme: str) -> dict[str, float]:
    weights = dict(_BASE_WEIGHTS)
    weights.update(_WEIGHT_CHANGES.get(programme, {}))
    return {c: w for c, w in weights.items() if w > 0}


def _build_world(seed: int, scale: float) -> _World:
    rng = random.Random(f"bilatrus-synthetic:{seed}:world")
    pool_total = round(60_000 * scale) + 400
    mean_weights = {c: sum(_country_weights(p).get(c, 0.0) for p in PROGRAMMES) / 4 for c in _BASE_WEIGHTS}
    weight_sum = sum(mean_weights.values())
    sizes = {c: max(4, round(pool_total * w / weight_sum)) for c, w in mean_weights.items()}
    n_ru_generated = min(len(_RU_FIELDS) * len(_RU_BRANCHES) + 60, round(250 * scale))
    n_orgs = sum(sizes.values()) + len(_RU_CURATED) + n_ru_generated
    pics = rng.sample(range(*_PIC_RANGE), n_orgs)
    rcns = rng.sample(range(1_900_000, 3_000_000), n_orgs)
    next_id = iter(range(n_orgs))
    used_names: set[str] = set()
    activities = ("HES", "REC", "PRC", "PUB", "OTH")
    activity_cum = _cum((26, 24, 36, 7, 7))
    pools: dict[str, list[_Org]] = {}
    cum: dict[str, list[float]] = {}
    for country in _BASE_WEIGHTS:
        lat, lng = _COUNTRIES[country][5], _COUNTRIES[country][6]
        city_geo = {c: (lat, lng) if i == 0 else (lat + rng.uniform(-1.5, 1.5), lng + rng.uniform(-1.5, 1.5))
                    for i, c in enumerate(_COUNTRIES[country][8])}
        orgs: list[_Org] = []
        for rank in range(sizes[country]):
            activity = activities[bisect.bisect_right(activity_cum, rng.random() * activity_cum[-1])]
            name, city = _build_name(rng, country, activity, used_names)
            i = next(next_id)
            short = "" if rng.random() < 0.2 else _acronym_of(name)
            sme = "True" if activity == "PRC" and rng.random() < 0.55 else ("" if rng.random() < 0.004 else "False")
            url = "" if rng.random() < 0.6 else f"http://www.{_acronym_of(name).lower() or 'org'}{i}.example.{country.lower()}"
            street = f"{rng.choice(_STREET_WORDS)} {rng.randint(1, 200)}"
            weight = (2.0 if activity in {"HES", "REC"} else 1.0) / (rank + 1) ** 0.85
            org = _Org(str(pics[i]), name, short, activity, country, city, street, _postcode(rng, country),
                       _vat(rng, country, activity), url, sme, _geo(rng, *city_geo[city], 0.05), str(rcns[i]), weight)
            if rng.random() < 0.03:
                org.names["FP6"] = name.title()
            if rng.random() < 0.002:
                org.street = f"{street}\nBUILDING {rng.randint(1, 9)}"  # a newline inside a quoted field
            orgs.append(org)
        rng.shuffle(orgs)
        pools[country] = orgs
        cum[country] = _cum([o.weight for o in orgs])
    ru, ror_records, truth = _build_russia(rng, pics, rcns, next_id, n_ru_generated, used_names)
    ror_records.extend(_foreign_ror_records(rng, pools, {r["id"] for r in ror_records}))
    return _World(pools, cum, ru, ror_records, truth)


def _ru_org(rng: random.Random, spec: _RuSpec, pic: int, rcn: int) -> _Org:
    lat, lng = _RU_CITIES[spec.city][0], _RU_CITIES[spec.city][1]
    spellings = _RU_CITIES[spec.city][5]
    vat = "" if rng.random() < 0.4 else f"RU{rng.randint(10**9, 10**10 - 1)}"
    street = rng.choice(("LENINSKY PROSPEKT", "UNIVERSITETSKAYA NAB.", "PROFSOYUZNAYA", "PR. AKADEMIKA LAVRENTIEVA",
                         "UL. KREMLEVSKAYA", "PR. LENINA", "UL. GAGARINA", "VOROBYOVY GORY"))
    org = _Org(str(pic), spec.name, spec.short, spec.activity, "RU", spellings[0], f"{street} {rng.randint(1, 120)}",
               _postcode(rng, "RU"), vat, f"http://www.{spec.domain}" if spec.domain and rng.random() < 0.5 else "",
               "True" if spec.activity == "PRC" and rng.random() < 0.5 else "False", _geo(rng, lat, lng, 0.05), str(rcn),
               spec.weight)
    org.ru_key = spec.key
    org.first = PROGRAMMES.index(spec.from_programme)
    for programme in PROGRAMMES:
        org.cities[programme] = rng.choice(spellings)
    if spec.fp6_name:
        org.names["FP6"] = spec.fp6_name
        org.names["FP7"] = spec.fp6_name if rng.random() < 0.5 else spec.name
    return org


def _generated_ru_specs(rng: random.Random, count: int, used_names: set[str]) -> list[_RuSpec]:
    specs: list[_RuSpec] = []
    combos = [(f, b) for f in _RU_FIELDS for b in _RU_BRANCHES]
    rng.shuffle(combos)
    universities = [(c, k) for c in _RU_CITIES for k in _RU_UNI_KINDS]
    rng.shuffle(universities)
    companies = list(_RU_COMPANY_WORDS)
    n = 0
    while len(specs) < count and (combos or universities):
        n += 1
        roll = rng.random()
        if roll < 0.65 and combos:
            (field_upper, field_title), (branch, branch_short, parent, cities) = combos.pop()
            prefix = rng.choice(("", "", _FSBIS, "FSBIS "))
            name = f"{prefix}INSTITUTE OF {field_upper} OF THE {branch}"
            city = rng.choice(cities)
            in_ror = rng.random() < 0.6
            display = f"Institute of {field_title}" + (f" {branch_short}" if rng.random() < 0.4 else "")
            short = f"I{_acronym_of(field_upper)} {branch_short}"
            spec = _RuSpec(f"gen-rec-{n}", name, short, city, "REC", 0.6, display if in_ror else None,
                           (f"Institute of {field_title} of the {_title_case(branch)}",),
                           short if rng.random() < 0.5 else None, ("facility",), parent, None, None, rng.randint(1930, 1995))
        elif roll < 0.9 and universities:
            city, (kind_upper, kind_title) = universities.pop()
            city_upper = city.upper()
            prefix = rng.choice(("", "FEDERAL STATE BUDGETARY EDUCATIONAL INSTITUTION OF HIGHER EDUCATION "))
            name = f"{prefix}{city_upper} {kind_upper}"
            in_ror = rng.random() < 0.6
            spec = _RuSpec(f"gen-hes-{n}", name, _acronym_of(f"{city_upper} {kind_upper}"), city, "HES", 0.5,
                           f"{city} {kind_title}" if in_ror else None, (), None, ("education",), None, None, None,
                           rng.randint(1918, 1990))
        else:
            word = companies.pop() if companies else f"{rng.choice(_ACRONYM_A)}{rng.choice(_ACRONYM_B)}"
            form = rng.choice(('LIMITED LIABILITY COMPANY "{W}"', 'JOINT STOCK COMPANY "{W}"', "OOO {W}"))
            spec = _RuSpec(f"gen-prc-{n}", form.format(W=word), word.split()[0], rng.choice(tuple(_RU_CITIES)), "PRC", 0.3)
        if spec.name in used_names:
            continue
        used_names.add(spec.name)
        specs.append(spec)
    return specs


def _ror_record(rng: random.Random, spec: _RuSpec, ror_id: str, parent_id: str | None, parent_label: str | None) -> dict[str, Any]:
    lat, lng, geonames_id, sub_code, sub_name, _spellings = _RU_CITIES[spec.city]
    names: list[dict[str, Any]] = [{"lang": "en", "types": ["label", "ror_display"], "value": spec.ror}]
    for alias in spec.aliases:
        names.append({"lang": "en", "types": ["alias"], "value": alias})
    if spec.acronym:
        names.append({"lang": None, "types": ["acronym"], "value": spec.acronym})
    if spec.label_ru:
        names.append({"lang": "ru", "types": ["label"], "value": spec.label_ru})
    created = date(2018, 11, 14) + timedelta(days=rng.randrange(0, 2400))
    modified = created + timedelta(days=rng.randrange(0, 900))
    relationships: list[dict[str, str]] = []
    if parent_id and parent_label:
        relationships.append({"label": parent_label, "type": "parent", "id": parent_id})
    return {
        "admin": {"created": {"date": created.isoformat(), "schema_version": "1.0"},
                  "last_modified": {"date": modified.isoformat(), "schema_version": "2.1"}},
        "domains": [spec.domain] if spec.domain else [],
        "established": spec.established,
        "external_ids": [],
        "id": ror_id,
        "links": [{"type": "website", "value": f"https://{spec.domain}"}] if spec.domain else [],
        "locations": [{"geonames_details": {"continent_code": "EU", "continent_name": "Europe", "country_code": "RU",
                                            "country_name": "Russia", "country_subdivision_code": sub_code,
                                            "country_subdivision_name": sub_name, "lat": lat, "lng": lng,
                                            "name": spec.city}, "geonames_id": geonames_id}],
        "names": names,
        "relationships": relationships,
        "status": spec.status,
        "types": list(spec.ror_types),
    }


def _build_russia(rng: random.Random, pics: list[int], rcns: list[int], next_id: Iterable[int], n_generated: int,
                  used_names: set[str]) -> tuple[list[_Org], list[dict[str, Any]], list[dict[str, Any]]]:
    ids = iter(next_id)
    specs = list(_RU_CURATED) + _generated_ru_specs(rng, n_generated, used_names)
    used_ror: set[str] = set()
    ror_ids: dict[str, str] = {}
    all_specs = list(_RU_ROR_ONLY) + specs
    for spec in all_specs:
        if spec.ror:
            ror_ids[spec.key] = _ror_id(rng, used_ror)
    labels = {s.key: s.ror for s in all_specs if s.ror}
    records: list[dict[str, Any]] = []
    by_key: dict[str, dict[str, Any]] = {}
    for spec in all_specs:
        if not spec.ror:
            continue
        parent_id = ror_ids.get(spec.parent) if spec.parent else None
        record = _ror_record(rng, spec, ror_ids[spec.key], parent_id, labels.get(spec.parent) if spec.parent else None)
        records.append(record)
        by_key[spec.key] = record
    for spec in all_specs:  # children listed on their parents, as ROR does
        if spec.ror and spec.parent and spec.parent in by_key:
            by_key[spec.parent]["relationships"].append({"label": spec.ror, "type": "child", "id": ror_ids[spec.key]})
    if "rfbr" in by_key and "rsf" in ror_ids:
        by_key["rfbr"]["relationships"].append({"label": "Russian Science Foundation", "type": "successor", "id": ror_ids["rsf"]})
        by_key["rsf"]["relationships"].append({"label": "Russian Foundation for Basic Research", "type": "predecessor", "id": ror_ids["rfbr"]})
    orgs: list[_Org] = []
    truth: list[dict[str, Any]] = []
    for spec in specs:
        i = next(ids)
        org = _ru_org(rng, spec, pics[i], rcns[i])
        org.ror_id = ror_ids.get(spec.key)
        orgs.append(org)
        truth.append({"pic": org.pic, "cordis_name": spec.name, "names_by_programme": {p: org.name_in(p) for p in PROGRAMMES if org.name_in(p) != spec.name},
                      "city": spec.city, "ror_id": org.ror_id, "ror_name": spec.ror})
    return orgs, records, truth


def _foreign_ror_records(rng: random.Random, pools: dict[str, list[_Org]], used: set[str]) -> list[dict[str, Any]]:
    """A few non-Russian records, so that filtering a dump on country is exercised."""
    records: list[dict[str, Any]] = []
    for country in ("DE", "FR", "FI", "UA", "US", "EL", "UK"):
        iso, en_name = _COUNTRIES[country][0], _COUNTRIES[country][1]
        candidates = [o for o in pools[country] if o.activity in {"HES", "REC"}][:4]
        for org in candidates:
            ror_id = _ror_id(rng, used)
            records.append({
                "admin": {"created": {"date": "2018-11-14", "schema_version": "1.0"},
                          "last_modified": {"date": "2025-03-04", "schema_version": "2.1"}},
                "domains": [], "established": None, "external_ids": [], "id": ror_id, "links": [],
                "locations": [{"geonames_details": {"continent_code": "NA" if country == "US" else "EU",
                                                    "continent_name": "North America" if country == "US" else "Europe",
                                                    "country_code": iso, "country_name": en_name,
                                                    "lat": _COUNTRIES[country][5], "lng": _COUNTRIES[country][6],
                                                    "name": org.city.title()}, "geonames_id": 1000000 + len(records)}],
                "names": [{"lang": "en", "types": ["label", "ror_display"], "value": org.name.title()}],
                "relationships": [], "status": "active",
                "types": ["education" if org.activity == "HES" else "facility"],
            })
    return records


# --------------------------------------------------------------------------------------------------
# Projects and participations of one programme.


class _Part:
    __slots__ = ("cost", "ec", "ended", "order", "org", "role")

    def __init__(self, org: _Org, role: str, order: int) -> None:
        self.org = org
        self.role = role
        self.order = order
        self.ec: float | None = None
        self.cost: float | None = None
        self.ended = False


class _Project:
    __slots__ = (
        "acronym",
        "ec",
        "end",
        "legal",
        "master_call",
        "objective",
        "parts",
        "pid",
        "rcn",
        "scheme",
        "signature",
        "start",
        "status",
        "sub_call",
        "subjects",
        "title",
        "topic",
        "topic_title",
        "total",
        "update",
        "url",
    )

    def __init__(self) -> None:
        self.parts: list[_Part] = []


_ID_RANGES: dict[str, tuple[int, int]] = {
    "FP6": (1_000, 80_000), "FP7": (200_000, 632_000), "H2020": (633_000, 1_010_000), "HE": (101_000_000, 101_300_000),
}
_RCN_RANGES: dict[str, tuple[int, int]] = {
    "FP6": (50_000, 150_000), "FP7": (150_000, 300_000), "H2020": (300_000, 700_000), "HE": (700_000, 1_000_000),
}


class _Text:
    """Pre-built sentences so objectives cost a join, not a format, per project."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sentences = [
            rng.choice(_SENTENCES).format(t=rng.choice(_TECH), t2=rng.choice(_TECH), a=rng.choice(_APPLICATIONS),
                                          n=rng.randint(3, 12), ACR="The consortium")
            for _ in range(1500)
        ]

    def acronym(self) -> str:
        rng = self.rng
        text = rng.choice(_ACRONYM_A) + rng.choice(_ACRONYM_B)
        roll = rng.random()
        if roll < 0.1:
            text = text.capitalize()
        elif roll < 0.15:
            text += str(rng.randint(2, 9))
        elif roll < 0.18:
            text = text[:3] + "-" + text[3:]
        return text

    def title(self) -> str:
        rng = self.rng
        core = f"{rng.choice(_ADJECTIVES)} {rng.choice(_TECH)} for {rng.choice(_APPLICATIONS)}"
        roll = rng.random()
        if roll < 0.08:
            core += f': towards "{rng.choice(_TECH)}"; a co-design approach'
        elif roll < 0.2:
            core += f" and {rng.choice(_APPLICATIONS)}: a {rng.choice(_ADJECTIVES).lower()} framework combining {rng.choice(_TECH)} and {rng.choice(_TECH)}"
        return core + " (synthetic)"

    def objective(self) -> str:
        rng = self.rng
        sentences = self.sentences
        n = len(sentences)
        parts = [sentences[int(rng.random() * n)] for _ in range(3 + int(rng.random() * 7))]
        if rng.random() < 0.06:
            cut = rng.randint(1, len(parts) - 1)
            return " ".join(parts[:cut]) + "\n\n" + " ".join(parts[cut:])
        return " ".join(parts)


def _counts(rng: random.Random, schemes: Sequence[_Scheme], n_projects: int, n_parts: int) -> tuple[list[_Scheme], list[int]]:
    chosen = rng.choices(schemes, cum_weights=_cum([s.weight for s in schemes]), k=n_projects)
    counts = [s.lo if s.lo == s.hi else round(rng.triangular(s.lo, s.hi, s.lo + (s.hi - s.lo) * 0.25)) for s in chosen]
    diff = n_parts - sum(counts)
    flexible = [i for i, s in enumerate(chosen) if s.hi > s.lo]
    if not flexible:
        flexible = list(range(n_projects))
    guard = 0
    while diff != 0 and guard < 50 * (abs(diff) + 10):
        guard += 1
        i = flexible[rng.randrange(len(flexible))]
        scheme = chosen[i]
        if diff > 0 and counts[i] < max(scheme.hi * 2, scheme.lo + 2):
            counts[i] += 1
            diff -= 1
        elif diff < 0 and counts[i] > max(1, scheme.lo):
            counts[i] -= 1
            diff += 1
    if diff != 0:  # tiny scales: put the rest anywhere
        for i in itertools.cycle(range(n_projects)):
            if diff == 0:
                break
            if diff > 0:
                counts[i] += 1
                diff -= 1
            elif counts[i] > 1:
                counts[i] -= 1
                diff += 1
    return chosen, counts


def _codes(programme: str, scheme: _Scheme, legal: str, start: date, rng: random.Random) -> tuple[str, str, str, str]:
    """(topic, topic title, master call, sub call)."""
    year = start.year - 1
    n = rng.randint(1, 30)
    if programme == "FP6":
        priority = _FP6_PRIORITY[legal]
        return (f"{priority}-{year}-{rng.randint(1, 4)}.{rng.randint(1, 9)}.{rng.randint(1, 12)}",
                _FP6_TITLES[legal], f"FP6-{year}-{priority}-{rng.randint(1, 6)}", "")
    if programme == "FP7":
        if legal == "FP7-IDEAS-ERC":
            kind = "StG" if scheme.code == "ERC-SG" else "AdG"
            panel = rng.choice(("PE1", "PE3", "PE6", "LS2", "LS9", "SH2", "SH3"))
            call = f"ERC-{year}-{kind}"
            return f"ERC-{kind.upper()}-{panel}", f"ERC {kind} {panel}", call, call
        if legal == "FP7-PEOPLE":
            call = f"FP7-PEOPLE-{year}-{scheme.code.split('-', 1)[1]}"
            return call, scheme.code, call, call
        theme = legal.split("-", 1)[1]
        call = f"FP7-{theme}-{year}-{rng.randint(1, 8)}"
        return f"{theme}-{year}.{rng.randint(1, 9)}.{rng.randint(1, 6)}", f"{theme.title()} topic {n}", call, call
    if programme == "H2020":
        if legal == "H2020-EU.1.1.":
            kind = scheme.code.split("-")[1]
            call = f"ERC-{year}-{kind}"
            return call, f"ERC {kind}", call, call
        if legal.startswith("H2020-EU.1.3."):
            kind = {"H2020-EU.1.3.1.": "ITN", "H2020-EU.1.3.2.": "IF", "H2020-EU.1.3.3.": "RISE"}[legal]
            topic = f"MSCA-{kind}-{year}"
            return topic, f"Marie Skłodowska-Curie {kind}", f"H2020-{topic}", f"H2020-{topic}"
        if legal == "H2020-EU.2.3.1.":
            topic = f"SMEInst-{n:02d}-{year}"
            return topic, "SME instrument", f"H2020-SMEInst-{year}", f"H2020-SMEInst-{year}-{scheme.code[-1]}"
        prefix = {"H2020-EU.2.1.1.": "ICT", "H2020-EU.3.1.": "SC1-PM", "H2020-EU.3.2.": "SFS", "H2020-EU.3.3.": "LC-SC3",
                  "H2020-EU.3.4.": "MG", "H2020-EU.3.5.": "SC5", "H2020-EU.3.6.": "TRANSFORMATIONS",
                  "H2020-EU.3.7.": "SU-DRS", "H2020-EU.2.1.3.": "NMBP", "H2020-EU.1.2.1.": "FETOPEN",
                  "H2020-EU.1.4.": "INFRAIA", "H2020-EU.4.": "WIDESPREAD", "H2020-EU.5.": "SwafS",
                  "H2020-EU.3.4.5.4.": "JTI-CS2"}.get(legal, "H2020")
        topic = f"{prefix}-{n:02d}-{year}"
        master = f"H2020-{prefix}-{year}"
        return topic, f"{prefix} topic {n}", master, f"{master}-{rng.choice(('single-stage', 'two-stage', 'RTD'))}"
    # Horizon Europe
    if legal == "HORIZON.1.1":
        kind = "POC" if scheme.code.endswith("POC") else rng.choice(("STG", "COG", "ADG", "SyG"))
        call = f"ERC-{year + 1}-{kind}"
        return call, f"ERC {kind}", call, call
    if legal == "HORIZON.1.2":
        kind = scheme.code.rsplit("-", 2)[-2] if scheme.code.endswith("EF") else scheme.code.rsplit("-", 1)[-1]
        call = f"HORIZON-MSCA-{year + 1}-{kind}-01"
        return f"{call}-01", f"MSCA {kind}", call, call
    cluster = {"HORIZON.2.1": "CL1", "HORIZON.2.2": "CL2", "HORIZON.2.3": "CL3", "HORIZON.2.4": "CL4",
               "HORIZON.2.5": "CL5", "HORIZON.2.6": "CL6", "HORIZON.1.3": "INFRA", "HORIZON.3.1": "EIC",
               "HORIZON.4.1": "WIDERA"}.get(legal, "CL4")
    destination = rng.choice(("DIGITAL", "HEALTH", "D1", "D2", "D3", "RESILIENCE", "TWIN-TRANSITION", "ACCESS"))
    call = f"HORIZON-{cluster}-{year + 1}-{destination}-{rng.randint(1, 3):02d}"
    return f"{call}-{n:02d}", f"{cluster} {destination} topic {n}", call, call


def _pick(rng: random.Random, world: _World, country: str, taken: set[str]) -> _Org:
    pool = world.pools[country]
    cw = world.cum[country]
    total = cw[-1]
    for _ in range(6):
        org = pool[bisect.bisect_right(cw, rng.random() * total)]
        if org.pic not in taken:
            return org
    for org in pool:
        if org.pic not in taken:
            return org
    return org


def _generate_programme(programme: str, world: _World, seed: int, scale: float) -> tuple[list[_Project], random.Random]:
    rng = random.Random(f"bilatrus-synthetic:{seed}:{programme}")
    full_projects, full_parts = FULL_SCALE[programme]
    n_projects = max(1, round(full_projects * scale))
    n_parts = max(n_projects, round(full_parts * scale))
    schemes, counts = _counts(rng, _SCHEMES[programme], n_projects, n_parts)
    lo, hi = _ID_RANGES[programme]
    ids = rng.sample(range(lo, hi), n_projects)
    rlo, rhi = _RCN_RANGES[programme]
    rcns = rng.sample(range(rlo, rhi), n_projects)
    years, year_weights = _START_YEARS[programme]
    year_cum = _cum(year_weights)
    text = _Text(rng)
    weights = _country_weights(programme)
    participant_countries = list(weights)
    participant_cum = _cum([weights[c] for c in participant_countries])
    coordinator_countries = [c for c in participant_countries if c in _EU or c in _ASSOCIATED or (programme == "HE" and c == "UK")]
    coordinator_cum = _cum([weights[c] for c in coordinator_countries])
    n_slots = sum(counts)
    slot_countries = rng.choices(participant_countries, cum_weights=participant_cum, k=n_slots)
    coord_countries = rng.choices(coordinator_countries, cum_weights=coordinator_cum, k=n_projects)
    projects: list[_Project] = []
    slot = 0
    for index in range(n_projects):
        scheme = schemes[index]
        count = counts[index]
        project = _Project()
        project.scheme = scheme
        project.pid = str(ids[index])
        if programme == "FP6":  # FP6 contract numbers: zero-padded 0xxxxx and 5xxxxx
            number = ids[index] if ids[index] < 45_000 else 500_000 + ids[index] - 45_000
            project.pid = f"{number:06d}"
        project.rcn = str(rcns[index])
        project.acronym = text.acronym()
        project.title = text.title()
        project.objective = text.objective()
        project.legal = rng.choice(scheme.legal)
        year = years[bisect.bisect_right(year_cum, rng.random() * year_cum[-1])]
        project.start = date(year, rng.randint(1, 12), 1 if rng.random() < 0.7 else rng.randint(1, 28))
        project.end = _add_months(project.start, rng.randint(*scheme.months)) - timedelta(days=1)
        project.signature = project.start - timedelta(days=rng.randint(10, 200))
        project.topic, project.topic_title, project.master_call, project.sub_call = _codes(programme, scheme, project.legal, project.start, rng)
        if programme in {"FP6", "FP7"}:
            project.status = "TERMINATED" if rng.random() < 0.01 else "CLOSED"
        else:
            project.status = "CLOSED" if project.end < REFERENCE_DATE else "SIGNED"
            if rng.random() < 0.01:
                project.status = "TERMINATED"
        project.update = f"{REFERENCE_DATE.year}-0{rng.randint(6, 9)}-{rng.randint(10, 28)} {rng.randint(0, 23):02d}:{rng.choice((0, 15, 30, 45)):02d}:00"
        project.url = f"http://www.{project.acronym.lower().replace('-', '')}.eu" if rng.random() < 0.3 else ""
        project.subjects = ";".join(sorted(set(rng.choices(("INF", "IPS", "SCI", "ENV", "MED", "BIO", "ENE", "SOC", "TRA"), k=rng.randint(1, 3)))))
        taken: set[str] = set()
        for order in range(1, count + 1):
            country = coord_countries[index] if order == 1 else slot_countries[slot + order - 1]
            org = _pick(rng, world, country, taken)
            if scheme.code.startswith(("SME", "HORIZON-EIC")) and order == 1:
                for _ in range(6):  # SME instrument and EIC: companies
                    if org.activity == "PRC":
                        break
                    org = _pick(rng, world, country, taken)
            elif count == 1:
                for _ in range(4):  # single beneficiaries are mostly universities and research bodies
                    if org.activity in {"HES", "REC"}:
                        break
                    org = _pick(rng, world, country, taken)
            taken.add(org.pic)
            project.parts.append(_Part(org, "coordinator" if order == 1 else "participant", order))
        slot += count
        projects.append(project)
    _place_russia(programme, projects, world, rng, n_parts)
    _assign_roles_and_money(programme, projects, rng)
    return projects, rng


def _place_russia(programme: str, projects: list[_Project], world: _World, rng: random.Random, n_parts: int) -> None:
    target = round(n_parts * RU_SHARE[programme])
    if programme == "HE":
        target = max(2, target)
    available = [o for o in world.ru if o.first <= PROGRAMMES.index(programme)]
    ru_cum = _cum([o.weight for o in available])
    eligible = [p for p in projects if p.scheme.ru_ok and len(p.parts) >= 3 and p.start < RU_CUTOFF]
    if programme in {"FP6", "FP7"}:
        coordinated = [p for p in eligible if p.scheme.code in {"SSA", "CA", "CSA-SA", "CSA-CA"}]
        n_coord = min(len(coordinated), round(target * 0.02))
    else:
        coordinated, n_coord = [], 0
    slots = [(p, i) for p in eligible for i in range(1, len(p.parts))]
    chosen = rng.sample(slots, min(len(slots), target - n_coord))
    chosen += [(p, 0) for p in rng.sample(coordinated, n_coord)]
    # the best-known institutions take the first slots, so even a tiny demo mirror has them
    leading = sorted(available, key=lambda o: (-o.weight, o.pic))[:3]
    for n, (project, i) in enumerate(chosen):
        taken = {part.org.pic for part in project.parts}
        org = available[bisect.bisect_right(ru_cum, rng.random() * ru_cum[-1])]
        if n < len(leading):
            org = leading[n]
        for _ in range(8):
            if org.pic not in taken:
                break
            org = available[bisect.bisect_right(ru_cum, rng.random() * ru_cum[-1])]
        if org.pic in taken:
            org = next((o for o in available if o.pic not in taken), org)
        project.parts[i].org = org


def _without_ec(programme: str, part: _Part, rng: random.Random) -> bool:
    """Does this participation get no EU money (partners, most Russians after FP7, rich third countries)?"""
    country = part.org.country
    if part.role in {"partner", "associatedPartner", "internationalPartner"}:
        return True
    if country == "RU":
        if programme == "HE":
            return True
        if programme == "H2020":
            return rng.random() < 0.75
        return programme == "FP7" and rng.random() < 0.15
    return (country in _THIRD_WITHOUT_EC and programme in {"H2020", "HE"} and rng.random() < 0.8
            and part.role != "coordinator")


def _assign_roles_and_money(programme: str, projects: list[_Project], rng: random.Random) -> None:
    for project in projects:
        scheme = project.scheme
        n = len(project.parts)
        for part in project.parts[1:]:
            roll = rng.random()
            if programme == "H2020":
                if scheme.code == "MSCA-IF-GF":
                    part.role = "partner"
                elif roll < 0.07:
                    part.role = "thirdParty"
                elif roll < 0.10 or (part.org.country == "RU" and roll < 0.3):
                    part.role = "partner"
                elif roll < 0.102:
                    part.role = "internationalPartner"
            elif programme == "HE":
                if roll < 0.07:
                    part.role = "thirdParty"
                elif roll < 0.12:
                    part.role = "associatedPartner"
        if programme == "FP6":
            total = sum(rng.uniform(80_000, 900_000) for _ in range(max(1, n)))
            project.ec = round(total * rng.uniform(0.5, 0.75), 2)
            project.total = round(total, 2)
            if rng.random() < 0.02:
                project.total = 0.0
            continue
        ec_total = 0.0
        cost_total = 0.0
        lo, hi = scheme.ec
        for part in project.parts:
            org = part.org
            if _without_ec(programme, part, rng):
                ec = 0.0
            else:
                ec = lo if lo == hi else rng.uniform(lo, hi)
                if part.role == "coordinator" and n > 1:
                    ec *= 1.3
                if part.role == "thirdParty":
                    ec *= 0.2 if rng.random() < 0.6 else 0.0
                if org.country == "RU":
                    ec *= 0.15  # Russian partners received small amounts (mostly INCO and staff exchanges)
                roll = rng.random()
                if roll < 0.35:
                    ec = float(round(ec))
                elif roll < 0.55:
                    ec = round(ec * 4) / 4
                else:
                    ec = round(ec, 2)
            rate = 1.0 if org.activity in {"HES", "REC", "PUB", "OTH"} and not scheme.code.endswith("IA") else 0.7
            if programme == "FP7" and not scheme.code.startswith(("ERC", "MC")):
                rate = 0.75 if org.activity != "PRC" else 0.5
            cost = ec / rate if ec > 0 else (round(rng.uniform(10_000, 300_000), 2) if rng.random() < 0.6 else 0.0)
            part.ec = round(ec, 2)
            part.cost = round(cost, 2) if rng.random() < 0.5 else float(round(cost))
            ec_total += part.ec
            cost_total += part.cost
            russian_after_cutoff = org.country == "RU" and project.end >= RU_CUTOFF
            if (russian_after_cutoff and rng.random() < 0.6) or rng.random() < 0.03:
                part.ended = True
        project.ec = round(ec_total, 2)
        project.total = round(max(cost_total, ec_total), 2)
        if scheme.code in {"ERC-POC", "HORIZON-AG", "HORIZON-ERC-POC"} and rng.random() < 0.3:
            project.total = 0.0  # lump sums: total cost "not declared"


# --------------------------------------------------------------------------------------------------
# Writing CSV with exact bookkeeping of lines, records and malformed lines.


class _CsvSink:
    """Writes records into a binary handle, counting physical lines and records."""

    def __init__(self, fh: IO[bytes], columns: Sequence[str], *, bom: bool = False, crlf: bool = False,
                 quote_header: bool = False, quote_all: bool = True) -> None:
        self.fh = fh
        self.columns = tuple(columns)
        self.newline = "\r\n" if crlf else "\n"
        self.quote_all = quote_all
        self.buffer: list[str] = []
        self.size = 0
        self.lines = 0  # physical lines written so far
        self.records = 0  # valid data records
        self.rows = 0  # valid + malformed data rows
        self.malformed: list[dict[str, Any]] = []
        header = _quote_row(columns) if quote_header else ";".join(columns) + "\n"
        if crlf:
            header = header[:-1] + "\r\n"
        self._emit(("\ufeff" if bom else "") + header)

    def _emit(self, text: str) -> None:
        self.buffer.append(text)
        self.lines += text.count("\n")
        self.size += len(text)
        if self.size > 1 << 20:
            self.flush()

    def row(self, fields: Sequence[str]) -> None:
        if self.quote_all:
            text = _quote_row(fields)
        else:
            text = ";".join(_quote_min(f) for f in fields) + "\n"
        if self.newline != "\n":
            text = text[:-1] + self.newline
        self.records += 1
        self.rows += 1
        self._emit(text)

    def line(self, text: str) -> None:
        """One valid record given as its finished text (quoted, ending in a newline)."""
        self.records += 1
        self.rows += 1
        self._emit(text)

    def lines_of(self, texts: list[str]) -> None:
        """Many valid records at once (finished texts)."""
        if texts:
            self.records += len(texts)
            self.rows += len(texts)
            self._emit("".join(texts))

    def bad(self, text: str, kind: str, note: str) -> None:
        self.rows += 1
        self.malformed.append({"line": self.lines + 1, "record": self.rows, "kind": kind, "note": note})
        self._emit(text)

    def flush(self) -> None:
        if self.buffer:
            self.fh.write("".join(self.buffer).encode("utf-8"))
            self.buffer = []
            self.size = 0

    def summary(self) -> dict[str, Any]:
        self.flush()
        return {"columns": list(self.columns), "records": self.records, "malformed": len(self.malformed),
                "malformed_lines": self.malformed, "physical_lines": self.lines}


def _quote_min(value: str) -> str:
    if any(ch in value for ch in ';"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _malformed_line(fields: Sequence[str], kind: str, text_index: int) -> str:
    """One physical line that a strict `;`/`"` CSV reader must reject, with balanced quotes."""
    clean = [f.replace("\r", " ").replace("\n", " ") for f in fields]
    quoted = ['"' + f.replace('"', '""') + '"' for f in clean]
    if kind == "too_many_fields":
        value = clean[text_index].replace('"', "").replace(";", ",") or "UNNAMED"
        quoted[text_index] = f"{value}; EXTRA"  # unquoted value with a bare separator: one field too many
        if not clean[-1]:
            # DuckDB silently accepts one surplus field when the last value is empty (and shifts the
            # columns): keep the surplus visible to every strict reader.
            quoted[-1] = '"-"'
    elif kind == "stray_quote":
        value = clean[text_index].replace('"', "").replace(";", ",") or "UNNAMED"
        head, _, tail = value.partition(" ")
        quoted[text_index] = f'"{head} "QUOTED" {tail or "X"}"'  # quote not doubled inside a quoted field
    elif kind == "too_few_fields":
        quoted = quoted[: max(2, len(quoted) // 2)]
    else:
        raise ValueError(f"unknown malformed kind {kind!r}")
    return ";".join(quoted) + "\n"


def _malformed_positions(rng: random.Random, n_records: int, k: int) -> list[int]:
    """Indices (0-based, into the valid records) before which a malformed line goes; never the first 5 rows."""
    if k <= 0 or n_records == 0:
        return []
    low = min(5, n_records - 1)
    candidates = range(low, n_records)
    return sorted(rng.sample(candidates, min(k, len(candidates))))


def _write_rows(sink: _CsvSink, texts: Iterable[str], n_rows: int, rng: random.Random, k: int,
                make_bad: Callable[[int], Sequence[str]], text_index: int, note: str, first_kind: int = 0) -> None:
    """Write finished record texts, slipping `k` malformed lines in before randomly chosen records."""
    positions = _malformed_positions(rng, n_rows, k)
    cursor = 0
    next_bad = positions[0] if positions else -1
    chunk: list[str] = []
    for index, text in enumerate(texts):
        if index == next_bad:
            sink.lines_of(chunk)
            chunk = []
            while cursor < len(positions) and positions[cursor] == index:
                kind = MALFORMED_KINDS[(first_kind + cursor) % len(MALFORMED_KINDS)]
                sink.bad(_malformed_line(make_bad(index), kind, text_index), kind, note)
                cursor += 1
            next_bad = positions[cursor] if cursor < len(positions) else -1
        chunk.append(text)
        if len(chunk) >= 4096:
            sink.lines_of(chunk)
            chunk = []
    sink.lines_of(chunk)


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    info._compresslevel = ZIP_COMPRESSLEVEL  # type: ignore[attr-defined]  # honoured by ZipFile.open(..., "w")
    if hasattr(info, "compress_level"):
        info.compress_level = ZIP_COMPRESSLEVEL  # Python >= 3.13 name
    return info


# --------------------------------------------------------------------------------------------------
# Row builders.


def _project_row(programme: str, p: _Project) -> list[str]:
    return [
        p.pid, p.acronym, p.status, p.title, p.start.isoformat(), p.end.isoformat(), _money_comma(p.total),
        _money_comma(p.ec), p.legal, p.topic, p.signature.isoformat(), "HORIZON" if programme == "HE" else programme,
        p.master_call, p.sub_call, p.scheme.code, "", p.objective, p.update, p.rcn,
        f"10.3030/{p.pid}" if programme != "FP7" or p.rcn[-1] in "02468" else "",
    ]


def _organization_row(programme: str, p: _Project, part: _Part) -> list[str]:
    org = part.org
    return [
        p.pid, p.acronym, org.pic, org.vat, org.name_in(programme), org.short, org.sme, org.activity, org.street,
        org.postcode, org.city_in(programme), org.country, "", org.geo, org.url,
        f"https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/contact-form/project/{org.pic}/{p.pid}",
        p.update, org.rcn, str(part.order), part.role, _money_dot(part.ec or 0.0), _money_dot(part.ec or 0.0),
        _money_comma(part.cost or 0.0), "True" if part.ended else "False", "",
    ]


_CONTACT_FORM = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/contact-form/project/"


def _organization_texts(programme: str, projects: Sequence[_Project]) -> Iterable[str]:
    """The same text as `_quote_row(_organization_row(...))`, with organisation fields quoted once."""
    cache: dict[str, str] = {}
    for p in projects:
        head = _quote_row([p.pid, p.acronym])[:-1]
        for part in p.parts:
            org = part.org
            fragment = cache.get(org.pic)
            if fragment is None:
                fragment = _quote_row([org.pic, org.vat, org.name_in(programme), org.short, org.sme, org.activity,
                                       org.street, org.postcode, org.city_in(programme), org.country, "", org.geo,
                                       org.url])[:-1]
                cache[org.pic] = fragment
            ec = _money_dot(part.ec or 0.0)
            yield (f'{head};{fragment};"{_CONTACT_FORM}{org.pic}/{p.pid}";"{p.update}";"{org.rcn}";"{part.order}";'
                   f'"{part.role}";"{ec}";"{ec}";"{_money_comma(part.cost or 0.0)}";"{"True" if part.ended else "False"}";""\n')


def _legacy_org_texts(projects: Sequence[_Project], with_pic: dict[int, bool]) -> Iterable[str]:
    """The same text as `_quote_row(_legacy_org_row(...))`, with organisation fields quoted once."""
    cache: dict[str, str] = {}
    for p in projects:
        head = _quote_row([p.rcn, p.pid, p.acronym])[:-1]
        for part in p.parts:
            org = part.org
            fragment = cache.get(org.pic)
            if fragment is None:
                fragment = _quote_row([org.name_in("FP6"), org.short, org.activity])[:-1]
                cache[org.pic] = fragment
            tail = _quote_row([org.country, org.street, org.city_in("FP6"), org.postcode, org.url])[:-1]
            yield (f'{head};"{part.role}";"{org.pic if with_pic[id(part)] else ""}";{fragment};'
                   f'"{"True" if part.ended else "False"}";"";{tail};"";"";"";"";"";"";""\n')


def _legacy_project_row(p: _Project) -> list[str]:
    coordinator = p.parts[0]
    others = p.parts[1:]
    return [
        p.rcn, p.pid, p.acronym, p.status, p.legal, p.topic, "FP6", p.title, p.start.isoformat(), p.end.isoformat(),
        p.url, p.objective, _money_comma(p.total), _money_comma(p.ec), p.master_call, p.scheme.code,
        coordinator.org.name_in("FP6"), coordinator.org.country, ";".join(x.org.name_in("FP6") for x in others),
        ";".join(x.org.country for x in others), p.subjects,
    ]


def _legacy_org_row(p: _Project, part: _Part, with_pic: bool) -> list[str]:
    org = part.org
    return [
        p.rcn, p.pid, p.acronym, part.role, org.pic if with_pic else "", org.name_in("FP6"), org.short, org.activity,
        "True" if part.ended else "False", "", org.country, org.street, org.city_in("FP6"), org.postcode, org.url,
        "", "", "", "", "", "", "",
    ]


# --------------------------------------------------------------------------------------------------
# Writers per file.


def _programme_stats(programme: str, projects: list[_Project]) -> dict[str, Any]:
    countries: dict[str, int] = {}
    roles: dict[str, int] = {}
    ru_parts = 0
    ru_projects = 0
    ru_orgs: dict[str, None] = {}
    ru_coord = 0
    ru_with_ec = 0
    ru_ec = 0.0
    ru_ended = 0
    n_parts = 0
    for p in projects:
        has_ru = False
        for part in p.parts:
            n_parts += 1
            c = part.org.country
            countries[c] = countries.get(c, 0) + 1
            roles[part.role] = roles.get(part.role, 0) + 1
            if c == "RU":
                has_ru = True
                ru_parts += 1
                ru_orgs[part.org.pic] = None
                if part.role == "coordinator":
                    ru_coord += 1
                if part.ec:
                    ru_with_ec += 1
                    ru_ec += part.ec
                if part.ended:
                    ru_ended += 1
        ru_projects += has_ru
    return {
        "projects": len(projects),
        "participations": n_parts,
        "ru_participations": ru_parts,
        "ru_projects": ru_projects,
        "ru_organisations": len(ru_orgs),
        "ru_coordinators": ru_coord,
        "ru_participations_with_ec_contribution": None if programme == "FP6" else ru_with_ec,
        "ru_ec_contribution": None if programme == "FP6" else f"{ru_ec:.2f}",
        "ru_end_of_participation_true": ru_ended,
        "ru_latest_project_start": max((p.start for p in projects if any(x.org.country == "RU" for x in p.parts)), default=None),
        "countries": dict(sorted(countries.items())),
        "roles": dict(sorted(roles.items())),
    }


def _write_fp6(dest: Path, projects: list[_Project], rng: random.Random, k: int, text: _Text) -> dict[str, Any]:
    files: dict[str, Any] = {}
    extra_ids = iter(rng.sample(range(60_000, 99_999), max(1, k)))
    path = dest / PROGRAMME_FILES["FP6"][0]
    with path.open("wb") as fh:
        sink = _CsvSink(fh, LEGACY_PROJECT_COLUMNS, quote_all=True)

        def bad_project(index: int) -> list[str]:
            row = _legacy_project_row(projects[index])
            row[0] = str(next(extra_ids) + 900_000)  # rcn of a project that exists nowhere else
            row[1] = f"{int(row[0]) - 300_000:06d}"  # 66xxxx: a reference used nowhere else
            row[7] = text.title()
            return row

        _write_rows(sink, (_quote_row(_legacy_project_row(p)) for p in projects), len(projects), rng, k, bad_project, 7,
                    "extra project row, not counted in records", first_kind=0)
        files[path.name] = {"kind": "csv", "programme": "FP6", "layout": "legacy-project", **sink.summary()}
    path = dest / PROGRAMME_FILES["FP6"][1]
    pic_rng = random.Random(rng.random())
    with_pic = {id(part): pic_rng.random() >= 0.2 for p in projects for part in p.parts}
    parts = [(p, part) for p in projects for part in p.parts]
    with path.open("wb") as fh:
        sink = _CsvSink(fh, LEGACY_ORGANIZATION_COLUMNS, quote_all=True)

        def bad_org(index: int) -> list[str]:
            p, part = parts[index]
            row = _legacy_org_row(p, part, True)
            row[3] = "participant"
            row[4] = str(_MALFORMED_PIC_BASE + index)
            row[5] = f"SYNTHETIC MALFORMED PARTNER {index}"
            row[10] = "DE"
            return row

        _write_rows(sink, _legacy_org_texts(projects, with_pic), len(parts), rng, k,
                    bad_org, 5, "extra participation row (not RU), not counted in records", first_kind=1)
        summary = sink.summary()
        summary["rows_without_pic"] = sum(1 for v in with_pic.values() if not v)
        files[path.name] = {"kind": "csv", "programme": "FP6", "layout": "legacy-organization", **summary}
    return files


def _write_current(dest: Path, programme: str, projects: list[_Project], rng: random.Random, k: int, text: _Text) -> dict[str, Any]:
    name = PROGRAMME_FILES[programme][0]
    path = dest / name
    members: dict[str, Any] = {}
    lo, hi = _ID_RANGES[programme]
    used_ids = {p.pid for p in projects}

    def fresh_id() -> str:
        while True:
            candidate = str(rng.randrange(lo, hi))
            if candidate not in used_ids:
                used_ids.add(candidate)
                return candidate
    with zipfile.ZipFile(path, "w") as zf:
        def member(member_name: str, columns: Sequence[str], rows: Iterable[Sequence[str] | str], n: int = 0,
                   bad: Callable[[int], Sequence[str]] | None = None, text_index: int = 0, note: str = "") -> None:
            with zf.open(_zip_info(member_name), "w") as fh:
                sink = _CsvSink(fh, columns, quote_all=True)
                if bad is None:
                    for fields in rows:
                        sink.row(fields)
                else:
                    _write_rows(sink, (r if isinstance(r, str) else _quote_row(r) for r in rows), n, rng, k, bad,
                                text_index, note,
                                first_kind=(PROGRAMMES.index(programme) + len(member_name)) % len(MALFORMED_KINDS))
                members[member_name] = sink.summary()

        ev_rows = [(p.pid, f"/{code}", f"/{path_}", title, "")
                   for p, (code, path_, title) in zip(projects[:50], itertools.cycle((
                       ("29/33/1", "natural sciences/physical sciences/optics/laser physics", "laser physics"),
                       ("23/61/5", "engineering and technology/environmental engineering/energy and fuels", "energy and fuels"),
                       ("21/13", "natural sciences/biological sciences/ecology", "ecology"))))]
        member("euroSciVoc.csv", EUROSCIVOC_COLUMNS, ev_rows)
        titles = {code: title for _rcn, code, title, *_ in _FP7_PROGRAMMES} if programme == "FP7" else (
            {code: title for _rcn, code, title in _H2020_PROGRAMMES} if programme == "H2020" else _HE_TITLES)
        member("legalBasis.csv", LEGALBASIS_COLUMNS,
               ([p.pid, p.legal, titles.get(p.legal, p.legal), "True"] for p in projects))
        parts = [(p, part) for p in projects for part in p.parts]

        def bad_org(index: int) -> list[str]:
            p, part = parts[index]
            row = _organization_row(programme, p, part)
            row[2] = str(_MALFORMED_PIC_BASE + index)
            row[4] = f"SYNTHETIC MALFORMED PARTNER {index} GMBH"
            row[11] = "DE"
            row[19] = "participant"
            return row

        member("organization.csv", ORGANIZATION_COLUMNS, _organization_texts(programme, projects),
               len(parts), bad_org, 4, "extra participation row (not RU), not counted in records")

        def bad_project(index: int) -> list[str]:
            row = _project_row(programme, projects[index])
            row[0] = fresh_id()
            row[3] = text.title()
            return row

        member("project.csv", PROJECT_COLUMNS, (_project_row(programme, p) for p in projects), len(projects),
               bad_project, 3, "extra project row with an id used nowhere else, not counted in records")
        member("topics.csv", TOPICS_COLUMNS, ([p.pid, p.topic, p.topic_title] for p in projects))
        member("webItem.csv", WEBITEM_COLUMNS, ())
        member("webLink.csv", WEBLINK_COLUMNS,
               ([f"http://www.{p.acronym.lower()}.eu", str(1000 + i), "en", "", "", "relatedWebsite", "", "project", p.pid]
                for i, p in enumerate(projects[:20])))
    return {name: {"kind": "zip", "programme": programme, "members": members}}


def _write_reference(dest: Path) -> dict[str, Any]:
    files: dict[str, Any] = {}

    def put(name: str, header: str, lines: list[str], *, bom: bool, crlf: bool) -> None:
        newline = "\r\n" if crlf else "\n"
        text = ("\ufeff" if bom else "") + header + newline + "".join(line + newline for line in lines)
        (dest / name).write_bytes(text.encode("utf-8"))
        files[name] = {"kind": "csv", "layout": "cordisref", "records": len(lines), "bom": bom,
                       "line_terminator": "CRLF" if crlf else "LF", "columns": header.replace('"', "").split(";")}

    rows: list[str] = []
    for code in sorted(list(_COUNTRIES) + ["XK"]):
        if code == "XK":
            iso, names = "NULL", {"de": "Kosovo", "en": "Kosovo", "fr": "Kosovo"}
        else:
            iso, en, de, fr = _COUNTRIES[code][:4]
            names = {"de": de, "en": en, "fr": fr}
        for language, label in sorted(names.items(), key=lambda item: item[1]):
            rows.append(f'"{code}";"{iso}";"{label}";"{language}"')
    put("cordisref-countries.csv", '"euCode";"isoCode";"name";"language"', rows, bom=True, crlf=False)

    rows = []
    for rcn, code, title, short in _FP7_PROGRAMMES:
        rows.append(f"{rcn};{code};{_quote_min(title)};{_quote_min(short)};en")
    put("cordisref-FP7programmes.csv", "RCN;Code;Title;ShortTitle;Language", rows, bom=True, crlf=False)

    rows = [f"{rcn};{code};{_quote_min(title)};;en" for rcn, code, title in _H2020_PROGRAMMES]
    put("cordisref-H2020programmes.csv", "rcn;code;title;shortTitle;language", rows, bom=False, crlf=True)

    rows = [f"{code};{title};;en" for code, title in _ACTIVITY_TYPES]
    put("cordisref-organizationActivityType.csv", "Code;Title;description;language", rows, bom=False, crlf=True)

    codes: list[str] = []
    for programme in PROGRAMMES:
        for scheme in _SCHEMES[programme]:
            if scheme.code not in codes:
                codes.append(scheme.code)
    rows = [f"{code};{_quote_min(_FUNDING_SCHEME_TITLES.get(code, code))};;en" for code in codes]
    put("cordisref-projectFundingSchemeCategory.csv", "code;title;description;language", rows, bom=False, crlf=False)
    return files


def _write_ror(dest: Path, world: _World, filler: int = 0, seed: int = 42) -> dict[str, Any]:
    """The ROR zip: the world's records, then `filler` invented records of other countries (synthetic_ror)."""
    from bilatrus_etl_synthetic import ror as synthetic_ror

    records = sorted(world.ror_records, key=lambda r: r["id"])
    extra = synthetic_ror.filler_records(filler, seed, taken={r["id"] for r in records}) if filler else iter(())
    columns = ("id", "admin.created.date", "admin.last_modified.date", "domains", "established", "links.type.website",
               "locations.geonames_details.country_code", "locations.geonames_details.country_name",
               "locations.geonames_details.lat", "locations.geonames_details.lng", "locations.geonames_details.name",
               "locations.geonames_id", "names.types.acronym", "names.types.alias", "names.types.label",
               "names.types.ror_display", "relationships", "status", "types")
    lines = [",".join(columns)]
    path = dest / ROR_ZIP
    count = 0
    with zipfile.ZipFile(path, "w") as zf:
        with zf.open(_zip_info(ROR_JSON_MEMBER), "w") as fh:
            fh.write(b"[")
            for r in itertools.chain(records, extra):  # one record a line: the C encoder (indent is pure Python)
                fh.write(((",\n" if count else "\n") + json.dumps(r, ensure_ascii=False)).encode("utf-8"))
                lines.append(_ror_csv_line(r))
                count += 1
            fh.write(b"\n]\n")
        with zf.open(_zip_info(ROR_CSV_MEMBER), "w") as fh:
            fh.write(("\n".join(lines) + "\n").encode("utf-8"))
    ru = sum(1 for r in records if r["locations"][0]["geonames_details"]["country_code"] == "RU")
    return {ROR_ZIP: {"kind": "zip", "layout": "ror-dump-v2",
                      "members": {ROR_JSON_MEMBER: {"records": count, "ru_records": ru},
                                  ROR_CSV_MEMBER: {"records": count}}}}


def _ror_csv_line(r: dict[str, Any]) -> str:
    loc = r["locations"][0]
    geo = loc["geonames_details"]

    def names_of(kind: str) -> str:
        return "; ".join((f"{n['lang']}: " if n["lang"] and kind == "label" else "") + n["value"]
                         for n in r["names"] if kind in n["types"])

    values = [r["id"], r["admin"]["created"]["date"], r["admin"]["last_modified"]["date"], "; ".join(r["domains"]),
              "" if r["established"] is None else str(r["established"]),
              "; ".join(link["value"] for link in r["links"]), geo["country_code"], geo["country_name"],
              str(geo["lat"]), str(geo["lng"]), geo["name"], str(loc["geonames_id"]), names_of("acronym"),
              names_of("alias"), names_of("label"), names_of("ror_display"),
              "; ".join(f"{x['type']}: {x['id']}" for x in r["relationships"]), r["status"], "; ".join(r["types"])]
    return ",".join('"' + v.replace('"', '""') + '"' if any(ch in v for ch in ',"\n') else v for v in values)


def _marker_text(seed: int, scale: float) -> str:
    return (
        "SYNTHETIC DATA - NOT REAL CORDIS OR ROR CONTENT\n"
        "\n"
        "Every file in this folder was generated by bilatrus_etl_synthetic.write_mirror\n"
        f"(generator version {GENERATOR_VERSION}, seed {seed}, scale {scale!r}).\n"
        "The files follow the official CORDIS and ROR layouts and file names so that the pipeline can run\n"
        "on them without network, but projects, organisation identifiers (PICs), ROR ids and amounts are\n"
        "invented. Names of some real Russian institutions are used to exercise institution matching.\n"
        "Outputs built from this folder must be flagged as synthetic. See manifest.json for what the\n"
        "files contain, the malformed lines placed on purpose, and the expected counts.\n"
    )


def _default_malformed(scale: float) -> int:
    return 5 if scale >= 0.5 else 2


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_WORLDS: dict[tuple[int, float], _World] = {}


def _world(seed: int, scale: float) -> _World:
    """The world of one (seed, scale), built once per process (forked workers inherit the parent's)."""
    key = (seed, scale)
    if key not in _WORLDS:
        _WORLDS.clear()
        _WORLDS[key] = _build_world(seed, scale)
    return _WORLDS[key]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: millions of small acyclic objects make it quadratic."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _programme_job(dest: str, programme: str, seed: int, scale: float, k: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Generate and write one programme's files; return (file entries, expected counts)."""
    with _gc_paused():
        return _programme_files(Path(dest), programme, seed, scale, k)


def _programme_files(dest: Path, programme: str, seed: int, scale: float, k: int) -> tuple[dict[str, Any], dict[str, Any]]:
    projects, rng = _generate_programme(programme, _world(seed, scale), seed, scale)
    text = _Text(random.Random(f"bilatrus-synthetic:{seed}:{programme}:extra"))
    if programme == "FP6":
        files = _write_fp6(dest, projects, rng, k, text)
    else:
        files = _write_current(dest, programme, projects, rng, k, text)
    stats = _programme_stats(programme, projects)
    latest = stats["ru_latest_project_start"]
    stats["ru_latest_project_start"] = latest.isoformat() if latest else None
    return files, stats


def _run_jobs(dest: Path, selected: Sequence[str], seed: int, scale: float, k: int,
              workers: int) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    if workers <= 1 or len(selected) <= 1:
        return {p: _programme_job(str(dest), p, seed, scale, k) for p in selected}
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    biggest_first = sorted(selected, key=lambda p: -FULL_SCALE[p][1])
    with ProcessPoolExecutor(max_workers=min(workers, len(selected)), mp_context=context) as pool:
        futures = {p: pool.submit(_programme_job, str(dest), p, seed, scale, k) for p in biggest_first}
        return {p: futures[p].result() for p in selected}


def write_mirror(dest: Path, *, scale: float = 0.01, seed: int = 42, malformed_lines: int | None = None,
                 programmes: Sequence[str] = PROGRAMMES, workers: int | None = None,
                 ror_records: int | None = None) -> dict[str, Any]:
    """Write a synthetic mirror folder of official-layout CORDIS and ROR files; return its manifest.

    `ror_records` brings the ROR dump to that many records with invented records of other countries
    (synthetic_ror; the benchmark passes the real dump's size, synthetic_ror.FULL_ROR_RECORDS); default: the
    world's own few hundred.

    `scale` 1.0 is full size (see FULL_SCALE); `malformed_lines` is per data CSV (project and
    organisation files of each programme), default 5 at scale >= 0.5 and 2 below. Files of a programme
    do not depend on which other programmes are written, nor on `workers` (processes used for the
    programmes; default: 1 below scale 0.5, else one per CPU up to the number of programmes).
    The manifest is also written as manifest.json.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    unknown = [p for p in programmes if p not in PROGRAMMES]
    if unknown:
        raise ValueError(f"unknown programme(s) {unknown}; choose from {list(PROGRAMMES)}")
    k = _default_malformed(scale) if malformed_lines is None else int(malformed_lines)
    if k < 0:
        raise ValueError("malformed_lines must be >= 0")
    if workers is None:
        workers = 1 if scale < 0.5 else max(1, min(len(programmes), os.cpu_count() or 1))
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    selected = [p for p in PROGRAMMES if p in programmes]
    try:
        with _gc_paused():
            world = _world(seed, scale)
            results = _run_jobs(dest, selected, seed, scale, k, workers)
    finally:
        _WORLDS.clear()
    files: dict[str, Any] = {}
    stats: dict[str, Any] = {}
    for programme in selected:
        programme_files, programme_stats = results[programme]
        files.update(programme_files)
        stats[programme] = programme_stats
    files.update(_write_reference(dest))
    ror_filler = max(0, int(ror_records or 0) - len(world.ror_records))
    files.update(_write_ror(dest, world, ror_filler, seed))
    (dest / MARKER_FILE).write_text(_marker_text(seed, scale), encoding="utf-8")
    files[MARKER_FILE] = {"kind": "marker"}
    for name, entry in files.items():
        path = dest / name
        entry["bytes"] = path.stat().st_size
        entry["sha256"] = _sha256(path)
    malformed: dict[str, list[list[Any]]] = {}
    for name, entry in files.items():
        if entry.get("kind") == "csv" and entry.get("malformed_lines"):
            malformed[name] = [[m["line"], m["kind"]] for m in entry["malformed_lines"]]
        for member_name, member in entry.get("members", {}).items():
            if member.get("malformed_lines"):
                malformed[f"{name}/{member_name}"] = [[m["line"], m["kind"]] for m in member["malformed_lines"]]
    manifest: dict[str, Any] = {
        "synthetic": True,
        "generator": "bilatrus_etl_synthetic",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "scale": scale,
        "ror_records": ror_records,
        "programmes": [p for p in PROGRAMMES if p in programmes],
        "malformed_lines_per_file": k,
        "malformed_kinds": list(MALFORMED_KINDS),
        "notes": {
            "line": "physical 1-based line number in the file (header is line 1; quoted fields may span lines)",
            "record": "1-based ordinal among data rows incl. malformed ones; DuckDB reject_errors.line = record + 1",
            "records": "valid data records only; malformed rows are extra rows on top of them",
            "money": "project totalCost/ecMaxContribution and organisation totalCost use a decimal comma "
                     "(e.g. 211562,5); organisation ecContribution/netEcContribution use a dot (e.g. 50000.0); "
                     "FP6 organisations have no ecContribution",
            "countries": "CORDIS codes: Greece EL, United Kingdom UK (see cordisref-countries.csv for ISO codes)",
            "fp6_participants": "participants and participantCountries are ';'-joined lists in the same order; "
                                "the coordinator is not repeated in them",
            "russia": f"no Russian participation in projects starting on or after {RU_CUTOFF.isoformat()}",
        },
        "files": files,
        "malformed": malformed,
        "expected": stats,
        "ror": {"file": ROR_ZIP, "member": ROR_JSON_MEMBER,
                "records": len(world.ror_records) + ror_filler, "filler_records": ror_filler,
                "ru_records": sum(1 for r in world.ror_records if r["locations"][0]["geonames_details"]["country_code"] == "RU"),
                "ru_ground_truth": world.ru_truth},
    }
    (dest / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest



# --------------------------------------------------------------------------------------------------
# Revisions: the next month's files of the same programmes.

_ORG_FILE = {"FP6": ("cordis-fp6organizations.csv", None), "FP7": ("cordis-fp7projects-csv.zip", "organization.csv"),
             "H2020": ("cordis-h2020projects-csv.zip", "organization.csv"),
             "HE": ("cordis-HORIZONprojects-csv.zip", "organization.csv")}
_ORG_PIC_NAME = {"FP6": (LEGACY_ORGANIZATION_COLUMNS.index("id"), LEGACY_ORGANIZATION_COLUMNS.index("name"))}
_REVISED_PROGRAMME = "FP7"
_REVISION_EXTRA_EC = 10_000.0
_ADDED_EC = 25_000.0


def _clean_fields(line: str, width: int) -> list[str] | None:
    """The fields of a physical line that is one whole, well-formed record (malformed lines are left alone)."""
    import csv

    if not line.endswith("\n"):
        return None
    fields = next(csv.reader([line], delimiter=";"), [])
    return fields if len(fields) == width and _quote_row(fields) == line else None


def _read_org_lines(dest: Path, programme: str) -> tuple[list[str], dict[str, bytes] | None]:
    """The programme's organisation file as lines (and, for a zip, every member's bytes in order)."""
    name, member = _ORG_FILE[programme]
    path = dest / name
    if member is None:
        return path.read_text(encoding="utf-8").splitlines(keepends=True), None
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info.filename) for info in zf.infolist()}
    return members[member].decode("utf-8").splitlines(keepends=True), members


def _write_org_lines(dest: Path, programme: str, lines: list[str], members: dict[str, bytes] | None) -> None:
    name, member = _ORG_FILE[programme]
    path = dest / name
    text = "".join(lines).encode("utf-8")
    temporary = path.with_name(f".{name}.tmp")
    if member is None:
        temporary.write_bytes(text)
    else:
        with zipfile.ZipFile(temporary, "w") as zf:
            for member_name, data in (members or {}).items():
                with zf.open(_zip_info(member_name), "w") as fh:
                    fh.write(text if member_name == member else data)
    os.replace(temporary, path)


def revise_mirror(dest: Path) -> dict[str, Any]:
    """Change a mirror written by `write_mirror` as a monthly CORDIS update would; return what changed.

    In the FP7 organisation file (organization.csv of the FP7 zip): one Russian participation removed, one added
    (a Russian organisation joins a project it was not in, EUR 25,000), one revised (its EC contribution raised by
    EUR 10,000); and one Russian organisation renamed in every programme's organisation file. Only whole,
    well-formed lines are touched (the malformed lines placed on purpose stay as they were). Each call is the
    next round (1, 2, ...), deterministic for the mirror's seed; the round is recorded under `revisions` in
    manifest.json, whose `expected` counts keep describing the original files.
    """
    dest = Path(dest)
    manifest_file = dest / MANIFEST_FILE
    if not manifest_file.is_file():
        raise ValueError(f"{dest} holds no synthetic mirror (no {MANIFEST_FILE}): write one first (`bilatrus demo`).")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    round_number = len(manifest.get("revisions", [])) + 1
    rng = random.Random(f"bilatrus-synthetic-revise:{manifest.get('seed')}:{round_number}")
    width = len(ORGANIZATION_COLUMNS)
    col = {name: ORGANIZATION_COLUMNS.index(name) for name in
           ("projectID", "projectAcronym", "organisationID", "name", "country", "order", "role", "ecContribution",
            "netEcContribution", "totalCost", "endOfParticipation", "contactForm", "contentUpdateDate")}
    lines, members = _read_org_lines(dest, _REVISED_PROGRAMME)
    clean = {i: f for i, line in enumerate(lines[1:], start=1) if (f := _clean_fields(line, width)) is not None}
    russian = [i for i, f in clean.items() if f[col["country"]] == "RU" and f[col["organisationID"]]]
    participants = [i for i in russian if clean[i][col["role"]] == "participant"]
    if len(russian) < 3 or not participants:
        raise ValueError(f"the {_REVISED_PROGRAMME} files of {dest} have too few Russian participations to revise "
                         f"({len(russian)}): write the mirror with a larger --scale")
    removed_line = rng.choice(participants)
    revised_line = rng.choice([i for i in russian if i != removed_line])
    pics = sorted({clean[i][col["organisationID"]] for i in russian})
    untouched = [p for p in pics if p not in {clean[removed_line][col["organisationID"]], clean[revised_line][col["organisationID"]]}]
    renamed_pic = rng.choice(untouched or pics)
    joining = clean[rng.choice([i for i in russian if i not in (removed_line, revised_line)] or russian)]
    in_project: dict[str, set[str]] = {}
    for f in clean.values():
        in_project.setdefault(f[col["projectID"]], set()).add(f[col["organisationID"]])
    candidates = sorted(p for p, orgs in in_project.items() if joining[col["organisationID"]] not in orgs)
    project_id = rng.choice(candidates)
    project_lines = [f for f in clean.values() if f[col["projectID"]] == project_id]

    def key(f: list[str]) -> dict[str, str]:
        return {"programme": _REVISED_PROGRAMME, "project_id": f[col["projectID"]], "pic": f[col["organisationID"]],
                "name": f[col["name"]]}

    revised = list(clean[revised_line])
    old_ec = revised[col["ecContribution"]]
    new_ec = _money_dot(float(old_ec or 0) + _REVISION_EXTRA_EC)
    revised[col["ecContribution"]] = revised[col["netEcContribution"]] = new_ec
    lines[revised_line] = _quote_row(revised)
    added = list(joining)
    added[col["projectID"]] = project_id
    added[col["projectAcronym"]] = project_lines[0][col["projectAcronym"]]
    added[col["contentUpdateDate"]] = project_lines[0][col["contentUpdateDate"]]
    added[col["contactForm"]] = f"{_CONTACT_FORM}{joining[col['organisationID']]}/{project_id}"
    added[col["order"]] = str(max(int(f[col["order"]] or 0) for f in project_lines) + 1)
    added[col["role"]] = "participant"
    added[col["ecContribution"]] = added[col["netEcContribution"]] = _money_dot(_ADDED_EC)
    added[col["totalCost"]] = _money_comma(_ADDED_EC)
    added[col["endOfParticipation"]] = "False"
    record = {
        "round": round_number,
        "removed": [key(clean[removed_line])],
        "added": [{**key(added), "role": "participant", "ec_contribution": _ADDED_EC}],
        "revised": [{**key(revised), "field": "ecContribution", "from": old_ec, "to": new_ec}],
    }
    lines = [line for i, line in enumerate(lines) if i != removed_line] + [_quote_row(added)]
    _write_org_lines(dest, _REVISED_PROGRAMME, lines, members)
    record["renamed"] = _rename_everywhere(dest, renamed_pic, round_number)
    record["summary"] = (f"1 Russian participation removed, 1 added and 1 revised in {_REVISED_PROGRAMME}; organisation "
                         f"{renamed_pic} renamed to {record['renamed']['to']!r}")
    for name, entry in manifest.get("files", {}).items():
        if (dest / name).is_file():
            entry["bytes"] = (dest / name).stat().st_size
            entry["sha256"] = _sha256(dest / name)
    manifest.setdefault("revisions", []).append(record)
    manifest_file.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return record


def _rename_everywhere(dest: Path, pic: str, round_number: int) -> dict[str, Any]:
    """Give organisation `pic` a new name in every programme's organisation file; return old, new and lines."""
    new_name = ""
    old_names: set[str] = set()
    changed: dict[str, int] = {}
    for programme in PROGRAMMES:
        if not (dest / _ORG_FILE[programme][0]).is_file():
            continue
        pic_at, name_at = _ORG_PIC_NAME.get(programme, (ORGANIZATION_COLUMNS.index("organisationID"),
                                                        ORGANIZATION_COLUMNS.index("name")))
        width = len(LEGACY_ORGANIZATION_COLUMNS if programme == "FP6" else ORGANIZATION_COLUMNS)
        lines, members = _read_org_lines(dest, programme)
        count = 0
        for i, line in enumerate(lines[1:], start=1):
            fields = _clean_fields(line, width)
            if fields is None or fields[pic_at] != pic:
                continue
            old_names.add(fields[name_at])
            new_name = new_name or f"{fields[name_at]} (RENAMED {round_number})"
            fields[name_at] = new_name
            lines[i] = _quote_row(fields)
            count += 1
        if count:
            _write_org_lines(dest, programme, lines, members)
            changed[programme] = count
    return {"pic": pic, "from": sorted(old_names), "to": new_name, "lines": changed}

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bilatrus_etl_synthetic",
                                     description="Write a synthetic CORDIS/ROR mirror folder (official layouts).")
    parser.add_argument("dest", type=Path, help="folder to write (created if missing)")
    parser.add_argument("--scale", type=float, default=0.01, help="1.0 = full size of the real files (default 0.01)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--malformed-lines", type=int, default=None, help="malformed lines per data CSV")
    parser.add_argument("--programmes", default=",".join(PROGRAMMES), help="comma-separated subset of FP6,FP7,H2020,HE")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: auto; output does not depend on it)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        manifest = write_mirror(args.dest, scale=args.scale, seed=args.seed, malformed_lines=args.malformed_lines,
                                programmes=tuple(p.strip() for p in args.programmes.split(",") if p.strip()),
                                workers=args.workers)
    except ValueError as exc:
        parser.error(str(exc))
    elapsed = time.perf_counter() - started
    total = sum(entry.get("bytes", 0) for entry in manifest["files"].values())
    for programme, entry in manifest["expected"].items():
        print(f"{programme:6} projects {entry['projects']:>8,}  participations {entry['participations']:>9,}  "
              f"RU {entry['ru_participations']:>6,}")
    print(f"wrote {len(manifest['files'])} files, {total / 1e6:.1f} MB, to {args.dest} in {elapsed:.1f} s (synthetic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

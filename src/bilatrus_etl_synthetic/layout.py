"""The official file layouts the synthetic mirror imitates, and the text formats of their values.

Owns the file and member names, the column lists of each layout, the programmes and their full-scale sizes, the
kinds of malformed line, the dates that fix the synthetic snapshot, and the small formatters every writer shares
(money with a decimal dot or comma, `;`-separated quoting, deterministic zip entries, a file's sha256).
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bilatrus_etl.settings import PROGRAMMES as PROGRAMMES  # the programmes the pipeline knows, re-exported

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
PIC_RANGE = (880_000_000, 1_000_000_000)  # PICs of the world's organisations
MALFORMED_PIC_BASE = 870_000_000  # PICs of malformed (extra) rows: below PIC_RANGE, never a real member

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
    "rcn",
    "reference",
    "acronym",
    "status",
    "programme",
    "topics",
    "frameworkProgramme",
    "title",
    "startDate",
    "endDate",
    "projectUrl",
    "objective",
    "totalCost",
    "ecMaxContribution",
    "call",
    "fundingScheme",
    "coordinator",
    "coordinatorCountry",
    "participants",
    "participantCountries",
    "subjects",
)
LEGACY_ORGANIZATION_COLUMNS: tuple[str, ...] = (
    "projectRcn",
    "projectReference",
    "projectAcronym",
    "role",
    "id",
    "name",
    "shortName",
    "activityType",
    "endOfParticipation",
    "ecContribution",
    "country",
    "street",
    "city",
    "postCode",
    "organizationUrl",
    "contactType",
    "contactTitle",
    "contactFirstNames",
    "contactLastNames",
    "contactFunction",
    "contactTelephoneNumber",
    "contactFaxNumber",
)
PROJECT_COLUMNS: tuple[str, ...] = (
    "id",
    "acronym",
    "status",
    "title",
    "startDate",
    "endDate",
    "totalCost",
    "ecMaxContribution",
    "legalBasis",
    "topics",
    "ecSignatureDate",
    "frameworkProgramme",
    "masterCall",
    "subCall",
    "fundingScheme",
    "nature",
    "objective",
    "contentUpdateDate",
    "rcn",
    "grantDoi",
)
ORGANIZATION_COLUMNS: tuple[str, ...] = (
    "projectID",
    "projectAcronym",
    "organisationID",
    "vatNumber",
    "name",
    "shortName",
    "SME",
    "activityType",
    "street",
    "postCode",
    "city",
    "country",
    "nutsCode",
    "geolocation",
    "organizationURL",
    "contactForm",
    "contentUpdateDate",
    "rcn",
    "order",
    "role",
    "ecContribution",
    "netEcContribution",
    "totalCost",
    "endOfParticipation",
    "active",
)
EUROSCIVOC_COLUMNS = ("projectID", "euroSciVocCode", "euroSciVocPath", "euroSciVocTitle", "euroSciVocDescription")
LEGALBASIS_COLUMNS = ("projectID", "legalBasis", "title", "uniqueProgrammePart")
TOPICS_COLUMNS = ("projectID", "topic", "title")
WEBITEM_COLUMNS = ("language", "availableLanguages", "uri", "title", "type", "source", "represents", "projectID")
WEBLINK_COLUMNS = (
    "physUrl",
    "id",
    "availableLanguages",
    "status",
    "archivedDate",
    "type",
    "source",
    "represents",
    "projectID",
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
CONTACT_FORM = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/contact-form/project/"


def money_dot(value: float) -> str:
    """ecContribution style: `50000.0`, `145037.5`, `84503.42`."""
    return repr(round(value, 2))


def money_comma(value: float) -> str:
    """totalCost style: `71429`, `211562,5`, `562093,75` (decimal comma, no `.0`)."""
    text = repr(round(value, 2))
    text = text.removesuffix(".0")
    return text.replace(".", ",")


def quote_row(fields: Sequence[str]) -> str:
    """One record with every field quoted (CORDIS's style), ending in a newline."""
    return '"' + '";"'.join([f.replace('"', '""') for f in fields]) + '"\n'


def quote_min(value: str) -> str:
    """A field quoted only when it must be (the cordisref tables' style)."""
    if any(ch in value for ch in ';"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def zip_info(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed time stamp and mode, so the same content gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    info._compresslevel = ZIP_COMPRESSLEVEL  # type: ignore[attr-defined]  # honoured by ZipFile.open(..., "w")
    if hasattr(info, "compress_level"):
        info.compress_level = ZIP_COMPRESSLEVEL  # Python >= 3.13 name
    return info


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

"""The legacy CORDIS layout: FP6 (and older FP7 single-file) project and organisation exports.

`;`-separated, quoted, money with decimal commas (`1234567,89`); the participants and
participantCountries columns of the project file are themselves `;`-joined lists inside quotes. FP6 has
no per-participant EC contribution.

project file: rcn;reference;acronym;status;programme;topics;frameworkProgramme;title;startDate;endDate;
projectUrl;objective;totalCost;ecMaxContribution;call;fundingScheme;coordinator;coordinatorCountry;
participants;participantCountries;subjects
organisation file: projectRcn;projectReference (or projectID);projectAcronym;role;id (the PIC);name;
shortName;activityType;endOfParticipation;ecContribution;country;street;city;postCode;organizationUrl;
then contact fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from bilatrus_etl.ingest.readers.columns import FileRef, Layout, col, name_key
from bilatrus_etl.ingest.readers.land import LandedFile, land_csv

SOURCE_FORMAT = "legacy_csv"

PROJECT_LAYOUT = Layout(
    "legacy CORDIS project file",
    (
        col("project_id", "reference", "projectReference", "projectID", "project_id", "id", required=True),
        col("rcn", "rcn"),
        col("acronym", "acronym", "projectAcronym", required=True),
        col("status", "status"),
        col("title", "title", "projectTitle", required=True),
        col("programme_code", "programme", "legalBasis", "specificProgramme"),
        col("topic", "topics", "topic"),
        col("funding_scheme", "fundingScheme", "funding_scheme"),
        col("call", "call", "callIdentifier"),
        col("start_date", "startDate", "start_date"),
        col("end_date", "endDate", "end_date"),
        col("total_cost", "totalCost", "total_cost"),
        col("ec_max_contribution", "ecMaxContribution", "ecContribution", "ec_max_contribution"),
    ),
)

ORGANIZATION_LAYOUT = Layout(
    "legacy CORDIS organisation file",
    (
        col("project_id", "projectReference", "projectID", "project_id", "project_reference", required=True),
        col("project_rcn", "projectRcn"),
        col("project_acronym", "projectAcronym", "project_acronym"),
        col("role", "role", required=True),
        col("pic", "id", "pic", "organisationID", "organizationID"),
        col("name", "name", "legalName", "organisationName", "organizationName", required=True),
        col("short_name", "shortName", "short_name"),
        col("activity_type", "activityType", "activity_type"),
        col("end_of_participation", "endOfParticipation"),
        col("ec_contribution", "ecContribution", "ec_contribution"),
        col("country", "country", "countryCode", "country_code", required=True),
        col("street", "street"),
        col("city", "city"),
        col("post_code", "postCode", "postalCode"),
        col("organization_url", "organizationUrl", "organisationUrl", "url"),
    ),
)


def recognises(names: Sequence[str], role: str) -> bool:
    """True when a header has the marks of the legacy layout for this role ('projects'/'organizations')."""
    keys = {name_key(n) for n in names}
    if role == "projects":
        return "reference" in keys and "id" not in keys
    return "projectrcn" in keys or ("id" in keys and not keys & {"organisationid", "organizationid"})


def land_file(
    con: duckdb.DuckDBPyConnection, path: Path, role: str, ref: FileRef, *, encoding: str = "utf-8"
) -> LandedFile:
    """Land a legacy project file ('projects') or organisation file ('organizations') of one programme."""
    if role == "projects":
        return land_csv(con, path, PROJECT_LAYOUT, "land_project", ref, SOURCE_FORMAT, encoding=encoding)
    return land_csv(con, path, ORGANIZATION_LAYOUT, "land_participation", ref, SOURCE_FORMAT, encoding=encoding)

"""The current CORDIS layout: project.csv and organization.csv inside the FP7, H2020 and Horizon Europe zips.

The official files are `;`-separated and quoted; copies re-exported with `,` (as the real H2020 sample)
are read the same way: the delimiter is taken from the header line. Money uses a decimal point.

project.csv: id;acronym;status;title;startDate;endDate;totalCost;ecMaxContribution;legalBasis;topics;
ecSignatureDate;frameworkProgramme;masterCall;subCall;fundingScheme;nature;objective;contentUpdateDate;rcn;grantDoi
organization.csv: projectID;projectAcronym;organisationID;vatNumber;name;shortName;SME;activityType;street;
postCode;city;country;nutsCode;geolocation;organizationURL;contactForm;contentUpdateDate;rcn;order;role;
ecContribution;netEcContribution;totalCost;endOfParticipation;active
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from bilatrus_etl.ingest.readers.columns import FileRef, Layout, col, name_key
from bilatrus_etl.ingest.readers.land import LandedFile, land_csv

SOURCE_FORMAT = "cordis_csv"

PROJECT_LAYOUT = Layout(
    "current CORDIS project.csv",
    (
        col("project_id", "id", "projectID", "project_id", "projectReference", "reference", required=True),
        col("rcn", "rcn"),
        col("acronym", "acronym", "projectAcronym", required=True),
        col("status", "status"),
        col("title", "title", "projectTitle", required=True),
        col("programme_code", "legalBasis", "legal_basis", "programme"),
        col("topic", "topics", "topic", "topicCode"),
        col("funding_scheme", "fundingScheme", "funding_scheme"),
        col("call", "masterCall", "call", "subCall"),
        col("start_date", "startDate", "start_date"),
        col("end_date", "endDate", "end_date"),
        col("ec_signature_date", "ecSignatureDate", "signatureDate"),
        col("total_cost", "totalCost", "total_cost"),
        col("ec_max_contribution", "ecMaxContribution", "ec_max_contribution", "maxContribution"),
        col("content_update_date", "contentUpdateDate"),
    ),
)

ORGANIZATION_LAYOUT = Layout(
    "current CORDIS organization.csv",
    (
        col("project_id", "projectID", "project_id", "projectReference", "project_reference", required=True),
        col("project_rcn", "projectRcn"),
        col("project_acronym", "projectAcronym", "project_acronym"),
        col("pic", "organisationID", "organizationID", "organisation_id", "pic", "participantPic", "id"),
        col("vat_number", "vatNumber"),
        col("name", "name", "legalName", "organisationName", "organizationName", required=True),
        col("short_name", "shortName", "short_name"),
        col("sme", "SME"),
        col("activity_type", "activityType", "activity_type", "organisationType"),
        col("role", "role", "partnerRole", required=True),
        col("street", "street"),
        col("post_code", "postCode", "postalCode", "zipCode"),
        col("city", "city"),
        col("country", "country", "countryCode", "country_code", required=True),
        col("nuts_code", "nutsCode"),
        col("geolocation", "geolocation"),
        col("organization_url", "organizationURL", "organisationURL", "url"),
        col("ec_contribution", "ecContribution", "ec_contribution"),
        col("net_ec_contribution", "netEcContribution", "net_ec_contribution"),
        col("total_cost", "totalCost", "total_cost"),
        col("end_of_participation", "endOfParticipation"),
        col("active", "active"),
        col("order_no", "order"),
        col("rcn", "rcn"),
        col("content_update_date", "contentUpdateDate"),
    ),
)


def recognises(names: Sequence[str], role: str) -> bool:
    """True when a header has the marks of the current layout for this role ('projects'/'organizations')."""
    keys = {name_key(n) for n in names}
    if role == "projects":
        return "id" in keys
    return bool(keys & {"organisationid", "organizationid"})


def land_file(
    con: duckdb.DuckDBPyConnection, path: Path, role: str, ref: FileRef, *, encoding: str = "utf-8"
) -> LandedFile:
    """Land project.csv ('projects') or organization.csv ('organizations') of one programme."""
    if role == "projects":
        return land_csv(con, path, PROJECT_LAYOUT, "land_project", ref, SOURCE_FORMAT, encoding=encoding)
    return land_csv(con, path, ORGANIZATION_LAYOUT, "land_participation", ref, SOURCE_FORMAT, encoding=encoding)

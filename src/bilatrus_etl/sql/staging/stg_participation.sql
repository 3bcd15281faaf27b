-- One row per participation (an organisation in a role in a project), in the common shape for every programme and format: ISO countries, normalised roles and activity types, EU contribution in EUR.
-- Rows breaking a row-level rule are in quarantine instead, with the rule as reason (the rules and typing: sql/staging/stg_participation_screened.sql, a temporary table of the staging step, not stored).
-- framework_programme: FP6, FP7, H2020 or HE
-- project_id: CORDIS project id (grant agreement number)
-- org_key: the PIC where present, else 'name-' and 16 hex digits of md5(normalised name|country)
-- pic: Participant Identification Code (NULL when missing or malformed)
-- name: legal name of the organisation (NULL in a few Dashboard rows that give only the PIC)
-- short_name: short name / acronym of the organisation
-- activity_type: HES, REC, PRC, PUB or OTH (NULL when missing or unknown)
-- country: ISO 3166-1 alpha-2 code (EL -> GR, UK -> GB; XK for Kosovo; alpha-3 codes and country names mapped); NULL when missing or unknown (flagged in value_issues)
-- country_code_source: the country code as written in the source
-- city: city
-- role: coordinator, participant, partner, third party, associated partner, international partner, beneficiary, host, or the source role spelled out
-- ec_contribution: EU contribution to this participant in EUR (NULL where the source has none, e.g. FP6)
-- value_issues: values present in the source that did not parse and are NULL here, each as column "text": reason (NULL when every value parsed; see stg_participation_screened)
-- dataset: catalog key of the source file's dataset
-- source_file: file name as fetched (zip!member for an archive member)
-- source_line: line of the record in the file (header = 1)
SELECT
    framework_programme,
    project_id,
    org_key,
    pic,
    name,
    short_name,
    activity_type,
    country,
    country_code_source,
    city,
    role,
    ec_contribution,
    value_issues,
    dataset,
    source_file,
    source_line
FROM stg_participation_screened
WHERE reject_reason IS NULL

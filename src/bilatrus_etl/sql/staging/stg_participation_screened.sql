-- Every landed participation row, typed and conformed, with the first row-level rule it breaks (NULL when it passes): stg_participation keeps the rows that pass, quarantine lists the others.
-- Rules, first match wins: missing project id; unknown framework programme; no organisation identity (neither PIC nor name); exact copy of an earlier record of the same file (every field equal, mapped or not); a Horizon Dashboard row for a project whose participants the official CORDIS files give for that programme (superseded).
-- A row with a PIC but no name is kept (the PIC identifies the organisation). The same organisation twice in a project (e.g. participant and third party) is kept: both rows are in the source.
-- framework_programme: FP6, FP7, H2020 or HE (for Dashboard exports, from the file's own column or the legal basis)
-- project_id: CORDIS project id (grant agreement number), trimmed
-- org_key: the PIC where present, else 'name-' and 16 hex digits of md5(normalised name|country)
-- pic: Participant Identification Code (digits only; NULL when missing or malformed)
-- name: legal name of the organisation
-- short_name: short name / acronym of the organisation
-- activity_type: HES, REC, PRC, PUB or OTH (NULL when missing or unknown)
-- country: ISO 3166-1 alpha-2 code (EL -> GR, UK -> GB; XK for Kosovo), via ref_country_code
-- country_code_source: the country code as written in the source
-- city: city
-- role: coordinator, participant, partner, third party, associated partner, international partner, beneficiary, host, or the source role spelled out
-- ec_contribution: EU contribution to this participant in EUR (NULL where the source has none, e.g. FP6)
-- dataset: catalog key of the source (horizon_dashboard for an analyst-supplied Dashboard export)
-- source_format: legacy_csv, cordis_csv, dashboard_csv or dashboard_xlsx
-- source_file: file name as fetched (zip!member for an archive member)
-- source_line: line of the record in the file (header = 1)
-- reject_reason: the first rule the row breaks; NULL when it is staged
-- raw_record: the landed values of a rejected row, as JSON; NULL when it is staged
WITH landed AS (
    SELECT
        l.*,
        clean_id(l.project_id) AS project_key,
        clean_pic(l.pic) AS pic_key,
        clean_text(l.name) AS name_text,
        upper(clean_text(l.country)) AS country_text,
        NOT starts_with(l.source_format, 'dashboard') AS is_official
    FROM land_participation AS l
),

repeated_records AS (
    SELECT source_file, record_hash, min(source_line) AS first_copy_line
    FROM land_participation
    GROUP BY source_file, record_hash
    HAVING count(*) > 1
),

dashboard_projects AS (
    SELECT DISTINCT framework_programme, clean_id(project_id) AS project_key
    FROM land_participation
    WHERE starts_with(source_format, 'dashboard')
),

superseded_projects AS (
    SELECT DISTINCT dashboard_projects.framework_programme, dashboard_projects.project_key
    FROM dashboard_projects
    INNER JOIN land_participation AS official
        ON official.framework_programme = dashboard_projects.framework_programme
        AND clean_id(official.project_id) = dashboard_projects.project_key
    WHERE NOT starts_with(official.source_format, 'dashboard')
),

ranked AS (
    SELECT
        landed.*,
        coalesce(landed.source_line > repeated_records.first_copy_line, false) AS is_copy,
        repeated_records.first_copy_line,
        NOT landed.is_official AND superseded_projects.project_key IS NOT NULL AS is_superseded
    FROM landed
    LEFT JOIN repeated_records
        ON repeated_records.source_file = landed.source_file
        AND repeated_records.record_hash = landed.record_hash
    LEFT JOIN superseded_projects
        ON superseded_projects.framework_programme = landed.framework_programme
        AND superseded_projects.project_key = landed.project_key
)

SELECT
    ranked.framework_programme,
    ranked.project_key AS project_id,
    org_key(ranked.pic_key, ranked.name_text, coalesce(countries.iso_code, ranked.country_text)) AS org_key,
    ranked.pic_key AS pic,
    ranked.name_text AS name,
    clean_text(ranked.short_name) AS short_name,
    activity_types.activity_type,
    countries.iso_code AS country,
    ranked.country_text AS country_code_source,
    clean_text(ranked.city) AS city,
    coalesce(roles.role, role_label(ranked.role)) AS role,
    clean_money(ranked.ec_contribution, ranked.source_format = 'legacy_csv') AS ec_contribution,
    ranked.dataset,
    ranked.source_format,
    ranked.source_file,
    ranked.source_line,
    CASE
        WHEN ranked.project_key IS NULL THEN 'missing project id'
        WHEN ranked.framework_programme IS NULL OR ranked.framework_programme NOT IN ('FP6', 'FP7', 'H2020', 'HE')
            THEN 'unknown framework programme'
        WHEN ranked.pic_key IS NULL AND ranked.name_text IS NULL THEN 'missing organisation name and PIC'
        WHEN ranked.is_copy THEN 'exact duplicate of line ' || ranked.first_copy_line
        WHEN ranked.is_superseded
            THEN 'superseded: the official CORDIS files give this project''s participants for '
                || ranked.framework_programme
    END AS reject_reason,
    CASE WHEN reject_reason IS NOT NULL THEN CAST(to_json(struct_pack(
        project_id := ranked.project_id, pic := ranked.pic, name := ranked.name,
        short_name := ranked.short_name, activity_type := ranked.activity_type, role := ranked.role,
        city := ranked.city, country := ranked.country, ec_contribution := ranked.ec_contribution,
        framework_programme := ranked.framework_programme
    )) AS VARCHAR) END AS raw_record
FROM ranked
LEFT JOIN ref_country_code AS countries ON countries.cordis_code = ranked.country_text
LEFT JOIN ref_activity_type AS activity_types ON activity_types.activity_key = activity_key(ranked.activity_type)
LEFT JOIN ref_role AS roles ON roles.role_key = role_key(ranked.role)

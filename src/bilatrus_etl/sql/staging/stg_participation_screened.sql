-- Every landed participation row, typed and conformed, with the first row-level rule it breaks (NULL when it passes): stg_participation keeps the rows that pass, quarantine lists the others.
-- Temporary table of the staging step: stg_participation, quarantine and load_audit read it in the same run; it is not stored in the warehouse (quarantine keeps each rejected row with its reason and raw values).
-- Rules, first match wins: missing project id; unknown framework programme; no organisation identity (neither PIC nor name); exact copy of an earlier record of the same file (every field equal, mapped or not: same record_hash, DuckDB's 64-bit hash() of all the record's fields); a Horizon Dashboard row for a project whose participants the official CORDIS files give for that programme (superseded); orphan: the project has no row in the programme's staged projects (no project is invented for it).
-- A row with a PIC but no name is kept (the PIC identifies the organisation). The same organisation twice in a project (e.g. participant and third party) is kept: both rows are in the source.
-- Values that are present but do not parse are never turned into NULL silently: the row is kept, the value is NULL and value_issues says which column, the text as written and why (missing-value marker such as "-" or "n/a"; not a number; out of range for DECIMAL(18,2); unknown country; unknown activity type; not a PIC). load_audit counts these flagged rows per file, and unknown countries above 0.1% of a file's staged participations fail the build (expectations/load_audit.json).
-- Countries: a two-letter code through ref_country_code (cordisref, CORDIS exceptions EL -> GR, UK -> GB, XK; ISO codes); otherwise an ISO alpha-3 code or a country name (cordisref names in every language, ISO names, common English names) through ref_country_alias.
-- Money: decimal commas in legacy files (1.234.567,89); elsewhere a decimal point, with a lone comma read as a thousands separator when exactly three digits follow (1,234 = 1234) and as the decimal mark otherwise (12,5); with both marks the last one is the decimal mark (see clean.py, clean_money).
-- framework_programme: FP6, FP7, H2020 or HE (for Dashboard exports, from the file's own column or the legal basis)
-- project_id: CORDIS project id (grant agreement number), trimmed
-- org_key: the PIC where present, else 'name-' and 16 hex digits of md5(normalised name|country)
-- pic: Participant Identification Code (digits only; NULL when missing or malformed)
-- name: legal name of the organisation
-- short_name: short name / acronym of the organisation
-- activity_type: HES, REC, PRC, PUB or OTH (NULL when missing or unknown)
-- country: ISO 3166-1 alpha-2 code (EL -> GR, UK -> GB; XK for Kosovo), via ref_country_code, else ref_country_alias (alpha-3 codes, names)
-- country_code_source: the country as written in the source (upper case)
-- country_issue: why a country that is written could not be mapped (unknown country, missing-value marker); NULL otherwise
-- city: city
-- role: coordinator, participant, partner, third party, associated partner, international partner, beneficiary, host, or the source role spelled out
-- ec_contribution: EU contribution to this participant in EUR (NULL where the source has none, e.g. FP6)
-- value_issues: values present in the source that did not parse, each as column "text": reason (NULL when every value parsed)
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
        country_key(l.country) AS country_alias_key,
        money_compact(l.ec_contribution) AS ec_compact,
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

staged_projects AS (
    SELECT DISTINCT framework_programme, project_id
    FROM stg_project_screened
    WHERE reject_reason IS NULL
),

ranked AS (
    SELECT
        landed.*,
        staged_projects.project_id IS NULL AS is_orphan,
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
    LEFT JOIN staged_projects
        ON staged_projects.framework_programme = landed.framework_programme
        AND staged_projects.project_id = landed.project_key
),

typed AS (
    SELECT
        ranked.*,
        coalesce(countries.iso_code, aliases.iso_code) AS country_iso,
        activity_types.activity_type AS activity_code,
        roles.role AS role_mapped,
        money_text(ranked.ec_compact, ranked.source_format = 'legacy_csv') AS ec_text
    FROM ranked
    LEFT JOIN ref_country_code AS countries ON countries.cordis_code = ranked.country_text
    LEFT JOIN ref_country_alias AS aliases ON aliases.alias_key = ranked.country_alias_key
    LEFT JOIN ref_activity_type AS activity_types ON activity_types.activity_key = activity_key(ranked.activity_type)
    LEFT JOIN ref_role AS roles ON roles.role_key = role_key(ranked.role)
),

amounts AS (
    SELECT typed.*, money_amount(typed.ec_text) AS ec_amount
    FROM typed
),

flagged AS (
    SELECT
        amounts.*,
        code_issue(amounts.country, amounts.country_iso, 'country') AS country_issue,
        nullif(concat_ws('; ',
            value_flag('pic', amounts.pic, code_issue(amounts.pic, amounts.pic_key, 'PIC format (5 to 12 digits)')),
            value_flag('country', amounts.country, code_issue(amounts.country, amounts.country_iso, 'country')),
            value_flag('activity_type', amounts.activity_type,
                code_issue(amounts.activity_type, amounts.activity_code, 'activity type')),
            value_flag('ec_contribution', amounts.ec_contribution,
                money_issue_of(amounts.ec_contribution, amounts.ec_text, amounts.ec_amount))
        ), '') AS value_issues
    FROM amounts
)

SELECT
    flagged.framework_programme,
    flagged.project_key AS project_id,
    org_key(flagged.pic_key, flagged.name_text, coalesce(flagged.country_iso, flagged.country_text)) AS org_key,
    flagged.pic_key AS pic,
    flagged.name_text AS name,
    clean_text(flagged.short_name) AS short_name,
    flagged.activity_code AS activity_type,
    flagged.country_iso AS country,
    flagged.country_text AS country_code_source,
    flagged.country_issue,
    clean_text(flagged.city) AS city,
    coalesce(flagged.role_mapped, role_label(flagged.role)) AS role,
    flagged.ec_amount AS ec_contribution,
    flagged.value_issues,
    flagged.dataset,
    flagged.source_format,
    flagged.source_file,
    flagged.source_line,
    CASE
        WHEN flagged.project_key IS NULL THEN 'missing project id'
        WHEN flagged.framework_programme IS NULL OR flagged.framework_programme NOT IN ('FP6', 'FP7', 'H2020', 'HE')
            THEN 'unknown framework programme'
        WHEN flagged.pic_key IS NULL AND flagged.name_text IS NULL THEN 'missing organisation name and PIC'
        WHEN flagged.is_copy THEN 'exact duplicate of line ' || flagged.first_copy_line
        WHEN flagged.is_superseded
            THEN 'superseded: the official CORDIS files give this project''s participants for '
                || flagged.framework_programme
        WHEN flagged.is_orphan
            THEN 'orphan: project ' || flagged.project_key || ' has no row in the staged ' || flagged.framework_programme
                || ' projects (absent from the project file)'
    END AS reject_reason,
    CASE WHEN reject_reason IS NOT NULL THEN CAST(to_json(struct_pack(
        project_id := flagged.project_id, pic := flagged.pic, name := flagged.name,
        short_name := flagged.short_name, activity_type := flagged.activity_type, role := flagged.role,
        city := flagged.city, country := flagged.country, ec_contribution := flagged.ec_contribution,
        framework_programme := flagged.framework_programme
    )) AS VARCHAR) END AS raw_record
FROM flagged

-- One row per participation (an organisation in a role in a project), in the common shape for every programme and format: ISO countries, normalised roles and activity types, EU contribution in EUR.
-- Every landed participation row that breaks no row-level rule, typed and conformed; the others are in quarantine instead, with the rule as reason (the rules: sql/staging/stg_participation_screened.sql, a temporary table of the staging step, not stored).
-- Values that are present but do not parse are never turned into NULL silently: the row is kept, the value is NULL and value_issues says which column, the text as written and why (missing-value marker such as "-" or "n/a"; not a number; out of range for DECIMAL(18,2); unknown country; unknown activity type; not a PIC). load_audit counts these flagged rows per file, and unknown countries above 0.1% of a file's staged participations fail the build (expectations/load_audit.json).
-- Countries: a two-letter code through ref_country_code (cordisref, CORDIS exceptions EL -> GR, UK -> GB, XK; ISO codes); otherwise an ISO alpha-3 code or a country name (cordisref names in every language, ISO names, common English names) through ref_country_alias.
-- Money: decimal commas in legacy files (1.234.567,89); elsewhere a decimal point, with a lone comma read as a thousands separator when exactly three digits follow (1,234 = 1234) and as the decimal mark otherwise (12,5); with both marks the last one is the decimal mark (see clean.py, clean_money).
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
-- value_issues: values present in the source that did not parse and are NULL here, each as column "text": reason (NULL when every value parsed)
-- dataset: catalog key of the source file's dataset
-- source_file: file name as fetched (zip!member for an archive member)
-- source_line: line of the record in the file (header = 1)
WITH staged AS (
    SELECT
        landed.*,
        clean_pic(landed.pic) AS pic_key,
        clean_text(landed.name) AS name_text,
        upper(clean_text(landed.country)) AS country_text,
        money_text(money_compact(landed.ec_contribution), landed.source_format = 'legacy_csv') AS ec_text
    FROM land_participation AS landed
    ANTI JOIN stg_participation_screened AS rejected
        ON rejected.dataset = landed.dataset
        AND rejected.framework_programme IS NOT DISTINCT FROM landed.framework_programme
        AND rejected.source_file = landed.source_file
        AND rejected.source_line = landed.source_line
),

typed AS (
    SELECT
        staged.*,
        coalesce(countries.iso_code, aliases.iso_code) AS country_iso,
        activity_types.activity_type AS activity_code,
        roles.role AS role_mapped,
        money_amount(staged.ec_text) AS ec_amount
    FROM staged
    LEFT JOIN ref_country_code AS countries ON countries.cordis_code = staged.country_text
    LEFT JOIN ref_country_alias AS aliases ON aliases.alias_key = country_key(staged.country)
    LEFT JOIN ref_activity_type AS activity_types ON activity_types.activity_key = activity_key(staged.activity_type)
    LEFT JOIN ref_role AS roles ON roles.role_key = role_key(staged.role)
)

SELECT
    framework_programme,
    clean_id(project_id) AS project_id,
    org_key(pic_key, name_text, coalesce(country_iso, country_text)) AS org_key,
    pic_key AS pic,
    name_text AS name,
    clean_text(short_name) AS short_name,
    activity_code AS activity_type,
    country_iso AS country,
    country_text AS country_code_source,
    clean_text(city) AS city,
    coalesce(role_mapped, role_label(role)) AS role,
    ec_amount AS ec_contribution,
    nullif(concat_ws('; ',
        value_flag('pic', typed.pic, code_issue(typed.pic, typed.pic_key, 'PIC format (5 to 12 digits)')),
        value_flag('country', typed.country, code_issue(typed.country, typed.country_iso, 'country')),
        value_flag('activity_type', typed.activity_type,
            code_issue(typed.activity_type, typed.activity_code, 'activity type')),
        value_flag('ec_contribution', typed.ec_contribution,
            money_issue_of(typed.ec_contribution, typed.ec_text, typed.ec_amount))
    ), '') AS value_issues,
    dataset,
    source_file,
    source_line
FROM typed

-- One row per country: ISO code, English name, EU membership dates and its status (member state, associated, third country) in each framework programme.
-- Countries come from the CORDIS country list (stg_country, by ISO code), the participations (stg_participation) and the
-- curated reference tables. status_<programme> is the country's latest status in that programme (the one in
-- force at its end, or now for HE); dim_country_status has every dated period and fact_participation applies
-- the period in force at each project's start. Countries absent from the curated table are third countries.
-- country_code: ISO 3166-1 alpha-2 code (GB for the United Kingdom, GR for Greece)
-- country_name: English name from the CORDIS country list (a cordisref row first, then the row whose CORDIS code is the ISO code; NULL where none)
-- eu_member_from: date of EU (EEC) accession (NULL for non-members)
-- eu_member_to: date the country left the EU (GB: 2020-01-31), else NULL
-- is_eu_member: member of the EU today
-- status_fp6: member, associated or third in FP6 (latest period)
-- status_fp7: member, associated or third in FP7 (latest period)
-- status_h2020: member, associated or third in H2020 (latest period)
-- status_he: member, associated or third in Horizon Europe (latest period)
-- status_changes: dated status periods of the programmes in which the status changed (e.g. 'HE: third until 2023-12-31; HE: associated from 2024-01-01'), else NULL
WITH membership AS (
    SELECT
        upper(trim(country_code)) AS country_code,
        try_cast(eu_member_from AS DATE) AS eu_member_from,
        try_cast(eu_member_to AS DATE) AS eu_member_to
    FROM read_csv(
        coalesce(getvariable('reference_dir'), 'src/bilatrus_etl/reference') || '/eu_membership.csv',
        header = true, all_varchar = true
    )
),
names AS (
    SELECT
        iso_code AS country_code,
        arg_min(name, (NOT coalesce(in_cordisref, false), coalesce(cordis_code <> iso_code, true), cordis_code))
            AS country_name
    FROM stg_country
    WHERE iso_code IS NOT NULL
    GROUP BY 1
),
codes AS (
    SELECT country_code FROM names
    UNION
    SELECT DISTINCT country FROM stg_participation WHERE country IS NOT NULL
    UNION
    SELECT country_code FROM dim_country_status
    UNION
    SELECT country_code FROM membership
),
latest AS (
    SELECT country_code, framework_programme, status
    FROM dim_country_status
    QUALIFY row_number() OVER (
        PARTITION BY country_code, framework_programme
        ORDER BY coalesce(valid_from, DATE '0001-01-01') DESC
    ) = 1
),
pivoted AS (
    SELECT
        country_code,
        max(status) FILTER (WHERE framework_programme = 'FP6') AS status_fp6,
        max(status) FILTER (WHERE framework_programme = 'FP7') AS status_fp7,
        max(status) FILTER (WHERE framework_programme = 'H2020') AS status_h2020,
        max(status) FILTER (WHERE framework_programme = 'HE') AS status_he
    FROM latest
    GROUP BY country_code
),
changes AS (
    SELECT
        country_code,
        string_agg(
            framework_programme || ': ' || status
                || CASE
                    WHEN valid_from IS NOT NULL AND valid_to IS NOT NULL
                        THEN ' from ' || strftime(valid_from, '%Y-%m-%d') || ' to ' || strftime(valid_to, '%Y-%m-%d')
                    WHEN valid_from IS NOT NULL THEN ' from ' || strftime(valid_from, '%Y-%m-%d')
                    WHEN valid_to IS NOT NULL THEN ' until ' || strftime(valid_to, '%Y-%m-%d')
                    ELSE ''
                END,
            '; ' ORDER BY framework_programme, valid_from NULLS FIRST
        ) AS status_changes
    FROM (
        SELECT *, count(*) OVER (PARTITION BY country_code, framework_programme) AS periods
        FROM dim_country_status
    )
    WHERE periods > 1
    GROUP BY country_code
)
SELECT
    c.country_code,
    n.country_name,
    m.eu_member_from,
    m.eu_member_to,
    coalesce(m.eu_member_from <= current_date AND (m.eu_member_to IS NULL OR m.eu_member_to >= current_date), false)
        AS is_eu_member,
    coalesce(p.status_fp6, 'third') AS status_fp6,
    coalesce(p.status_fp7, 'third') AS status_fp7,
    coalesce(p.status_h2020, 'third') AS status_h2020,
    coalesce(p.status_he, 'third') AS status_he,
    ch.status_changes
FROM codes AS c
LEFT JOIN names AS n USING (country_code)
LEFT JOIN membership AS m USING (country_code)
LEFT JOIN pivoted AS p USING (country_code)
LEFT JOIN changes AS ch USING (country_code)
ORDER BY c.country_code

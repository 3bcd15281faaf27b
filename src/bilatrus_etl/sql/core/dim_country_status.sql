-- Curated status of a country in a framework programme (member state, associated country or third country) for a period, with the source of the fact.
-- One row per country, framework programme and period, read from src/bilatrus_etl/reference/country_status.csv
-- (path from getvariable('reference_dir'), default 'src/bilatrus_etl/reference'). A country absent for a programme
-- is a third country in it; fact_participation applies that default and picks the period by project start date.
-- country_code: ISO 3166-1 alpha-2 code of the country (GB for the United Kingdom, GR for Greece)
-- framework_programme: FP6, FP7, H2020 or HE
-- status: member (EU member state), associated (associated country) or third (third country)
-- valid_from: first day the status applies within the programme (NULL: from the programme's start)
-- valid_to: last day the status applies within the programme (NULL: to the programme's end)
-- source: the legal act or official list the fact comes from
-- notes: simplifications and context (e.g. partial association)
SELECT
    upper(trim(country_code)) AS country_code,
    upper(trim(framework_programme)) AS framework_programme,
    lower(trim(status)) AS status,
    try_cast(valid_from AS DATE) AS valid_from,
    try_cast(valid_to AS DATE) AS valid_to,
    source,
    notes
FROM read_csv(
    coalesce(getvariable('reference_dir'), 'src/bilatrus_etl/reference') || '/country_status.csv',
    header = true, all_varchar = true
)
ORDER BY framework_programme, country_code, valid_from NULLS FIRST

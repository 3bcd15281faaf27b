-- One row per institution (institution_key): its main organisation and that organisation's name, country, city and type, computed once for every mart that names institutions.
-- An institution groups organisation keys (institution_link, else the organisation key alone). Its main
-- organisation is the one with most participations (dim_organization.participations: distinct projects over
-- all programmes), ties broken by the smallest org_key. The name is the institution's name (the ROR name where
-- matched, else the main organisation's best name); country, city and type are the main organisation's.
-- institution_key: institution key (institution_link.institution_key, else the organisation key)
-- main_org_key: the organisation key with most participations (ties: smallest key)
-- institution_name: name of the institution (dim_organization.institution_name of the main organisation)
-- ror_id: ROR identifier of the main organisation where matched
-- country_code: ISO 3166-1 alpha-2 country of the main organisation
-- city: city of the main organisation (as written in its most recent participation)
-- activity_type: HES, REC, PRC, PUB or OTH of the main organisation
-- organisation_keys: number of organisation keys grouped into the institution
-- participations: participations of all its organisations (sum of dim_organization.participations)
WITH ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY institution_key ORDER BY participations DESC, org_key) AS rank_in_institution,
        count(*) OVER (PARTITION BY institution_key) AS organisation_keys,
        sum(participations) OVER (PARTITION BY institution_key) AS institution_participations
    FROM dim_organization
)
SELECT
    institution_key,
    org_key AS main_org_key,
    institution_name,
    ror_id,
    country_code,
    city,
    activity_type,
    organisation_keys,
    CAST(institution_participations AS BIGINT) AS participations
FROM ranked
WHERE rank_in_institution = 1

-- Country codes as CORDIS writes them (EL, UK, ...) with their ISO 3166-1 alpha-2 codes and English names: cordisref where loaded, completed with ISO codes (pycountry) and the documented exceptions.
-- cordis_code: country code as used in CORDIS files (euCode)
-- iso_code: ISO 3166-1 alpha-2 code (XK for Kosovo; historic codes such as YU kept for old data); NULL when unknown
-- name: English name (cordisref, else the ISO name)
-- mapping_source: where the ISO code comes from: cordisref, exception (EL, UK, XK), pycountry or pycountry historic
-- in_cordisref: the code is listed in the cordisref countries table
WITH english AS (
    SELECT
        upper(clean_text(cordis_code)) AS cordis_code,
        clean_text(name) AS name
    FROM land_ref_country
    WHERE clean_text(cordis_code) IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY upper(clean_text(cordis_code))
        ORDER BY coalesce(lower(clean_text(language)) = 'en', false) DESC, lower(clean_text(language)), source_line
    ) = 1
)

SELECT
    codes.cordis_code,
    codes.iso_code,
    coalesce(english.name, codes.iso_name) AS name,
    codes.mapping_source,
    english.cordis_code IS NOT NULL AS in_cordisref
FROM ref_country_code AS codes
LEFT JOIN english ON english.cordis_code = codes.cordis_code
ORDER BY codes.cordis_code

-- One row per spelling of a city of the focus country (as written in its participations, and for Russia in src/bilatrus_etl/reference/ru_regions.csv): its normalised key and, where the curated reference knows it, the canonical city, federal subject and federal district. Formerly dim_ru_city.
-- Spellings: every distinct city of stg_participation (trimmed in staging) written for an organisation of the focus
-- country (focus_country(): session variable focus_country, default 'RU'; the marts group its cities by the same
-- key) and, when the focus country is Russia, every city and '|'-separated variant of ru_regions.csv. An
-- organisation listed twice in a project takes its city from its first row that has one (fact_participation), so
-- the cities of every row of an organisation with the focus country in any row of the project are included.
-- Normalisation (city_key), the one place it is written: upper case, accents removed, every run of characters
-- other than letters (digits, punctuation, spaces) made one space, a leading 'G' / 'GOROD' / 'CITY OF' / 'Г' /
-- 'ГОРОД' word and a trailing 'RUSSIA' / 'RUSSIAN FEDERATION' / 'РОССИЯ' removed, spaces removed. A spelling is
-- mapped when its key is the key of a reference spelling (where two cities share a key, the first by name).
-- The reference covers Russia only, so this is the one place that decides it applies: for another focus country
-- no spelling is mapped (city, federal_subject and federal_district NULL, is_mapped false).
-- focus_country: ISO code of the focus country whose cities the table holds
-- city_as_written: the spelling, trimmed (key: the marts join on the participant's city as staged)
-- city_key: normalised key of the spelling (upper case, letters only, 'G.' / 'GOROD' and 'RUSSIA' removed); '' where it has no letter
-- city_normalised: the spelling upper-cased, accents removed, each run of characters other than letters one space, trimmed (the name mart_regions gives an unmapped city)
-- city: canonical city from ru_regions.csv whose spelling has the same key (NULL where none)
-- federal_subject: federal subject (oblast, krai, republic, federal city...) of that city
-- federal_district: federal district of that city (as of the 2018 boundaries)
-- is_mapped: the spelling's key is in ru_regions.csv (always false for a focus country other than RU)
WITH reference AS (
    SELECT city, variants, federal_subject, federal_district
    FROM read_csv(
        coalesce(getvariable('reference_dir'), 'src/bilatrus_etl/reference') || '/ru_regions.csv',
        header = true, all_varchar = true
    )
    WHERE focus_country() = 'RU'
),
reference_spellings AS (
    SELECT trim(spelling) AS city_as_written, city, federal_subject, federal_district
    FROM (
        SELECT city AS spelling, * FROM reference
        UNION ALL
        SELECT unnest(string_split(variants, '|')) AS spelling, * FROM reference
    )
    WHERE trim(spelling) <> ''
),
written AS (
    SELECT city AS city_as_written
    FROM (
        SELECT
            s.city,
            bool_or(coalesce(s.country = focus_country(), false)) OVER (
                PARTITION BY s.framework_programme, s.project_id, s.org_key
            ) AS is_wanted
        FROM stg_participation AS s
    )
    WHERE is_wanted AND city IS NOT NULL
),
spellings AS (
    SELECT city_as_written FROM reference_spellings
    UNION
    SELECT city_as_written FROM written
),
words AS (
    SELECT city_as_written, regexp_replace(upper(strip_accents(city_as_written)), '[^\p{L}]+', ' ', 'g') AS city_words
    FROM spellings
),
keyed AS (
    SELECT
        city_as_written,
        regexp_replace(
            regexp_replace(
                regexp_replace(city_words, '^\s*(G|GOROD|CITY OF|Г|ГОРОД)\s+', ''),
                '\s+(RUSSIA|RUSSIAN FEDERATION|РОССИЯ)\s*$', ''
            ),
            '\s+', '', 'g'
        ) AS city_key,
        trim(city_words) AS city_normalised
    FROM words
),
reference_keys AS (
    SELECT k.city_key, r.city, r.federal_subject, r.federal_district
    FROM reference_spellings AS r
    JOIN keyed AS k USING (city_as_written)
    QUALIFY row_number() OVER (
        PARTITION BY k.city_key ORDER BY r.city, r.federal_subject, r.federal_district
    ) = 1
)
SELECT
    focus_country() AS focus_country,
    k.city_as_written,
    k.city_key,
    k.city_normalised,
    r.city,
    r.federal_subject,
    r.federal_district,
    r.city IS NOT NULL AS is_mapped
FROM keyed AS k
LEFT JOIN reference_keys AS r USING (city_key)
ORDER BY k.city_as_written

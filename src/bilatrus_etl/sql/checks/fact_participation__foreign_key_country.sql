-- Foreign key: fact_participation(country_code) references dim_country(country_code). One row when rows of the
-- programmes asked for ($programmes, all when empty) have a key with no match (NULL keys are not checked): their
-- number, share and up to 10 of their keys.
WITH child AS (
    SELECT country_code, country_code AS key
    FROM fact_participation
    WHERE country_code IS NOT NULL
      AND (len(CAST($programmes AS VARCHAR[])) = 0
           OR list_contains(CAST($programmes AS VARCHAR[]), framework_programme))
),
orphan AS (
    SELECT c.key
    FROM child AS c
    ANTI JOIN (SELECT DISTINCT country_code FROM dim_country) AS p ON c.country_code = p.country_code
)
SELECT
    'country_code' AS "column",
    'error' AS severity,
    count(*) AS unexpected_count,
    round(100.0 * count(*) / (SELECT count(*) FROM child), 4) AS unexpected_percent,
    list_sort(list_distinct(list(key)))[1:10] AS sample,
    format(
        'fact_participation: {} row(s) ({}%) have country_code with no match in dim_country(country_code); ' ||
        'e.g. {}.',
           count(*), round(100.0 * count(*) / (SELECT count(*) FROM child), 4),
           list_sort(list_distinct(list(key)))[1:10]) AS message
FROM orphan
HAVING count(*) > 0

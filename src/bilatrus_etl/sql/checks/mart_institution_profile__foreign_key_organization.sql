-- Foreign key: mart_institution_profile(institution_key) references dim_organization(institution_key). One row when
-- rows have a key with no match (NULL keys are not checked): their number, share and up to 10 of their keys.
WITH child AS (
    SELECT institution_key, institution_key AS key
    FROM mart_institution_profile
    WHERE institution_key IS NOT NULL
),
orphan AS (
    SELECT c.key
    FROM child AS c
    ANTI JOIN (SELECT DISTINCT institution_key FROM dim_organization) AS p ON c.institution_key = p.institution_key
)
SELECT
    'institution_key' AS "column",
    'error' AS severity,
    count(*) AS unexpected_count,
    round(100.0 * count(*) / (SELECT count(*) FROM child), 4) AS unexpected_percent,
    list_sort(list_distinct(list(key)))[1:10] AS sample,
    format(
        'mart_institution_profile: {} row(s) ({}%) have institution_key with no match in ' ||
        'dim_organization(institution_key); e.g. {}.',
           count(*), round(100.0 * count(*) / (SELECT count(*) FROM child), 4),
           list_sort(list_distinct(list(key)))[1:10]) AS message
FROM orphan
HAVING count(*) > 0

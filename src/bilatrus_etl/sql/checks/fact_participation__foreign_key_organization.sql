-- Foreign key: fact_participation(org_key) references dim_organization(org_key). One row when rows of the programmes
-- asked for ($programmes, all when empty) have a key with no match (NULL keys are not checked): their number, share
-- and up to 10 of their keys.
WITH child AS (
    SELECT org_key, org_key AS key
    FROM fact_participation
    WHERE org_key IS NOT NULL
      AND (len(CAST($programmes AS VARCHAR[])) = 0
           OR list_contains(CAST($programmes AS VARCHAR[]), framework_programme))
),
orphan AS (
    SELECT c.key
    FROM child AS c
    ANTI JOIN (SELECT DISTINCT org_key FROM dim_organization) AS p ON c.org_key = p.org_key
)
SELECT
    'org_key' AS "column",
    'error' AS severity,
    count(*) AS unexpected_count,
    round(100.0 * count(*) / (SELECT count(*) FROM child), 4) AS unexpected_percent,
    list_sort(list_distinct(list(key)))[1:10] AS sample,
    format('fact_participation: {} row(s) ({}%) have org_key with no match in dim_organization(org_key); e.g. {}.',
           count(*), round(100.0 * count(*) / (SELECT count(*) FROM child), 4),
           list_sort(list_distinct(list(key)))[1:10]) AS message
FROM orphan
HAVING count(*) > 0

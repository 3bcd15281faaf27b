-- Foreign key: stg_participation(framework_programme, project_id) references stg_project(framework_programme,
-- project_id). One row when rows of the programmes asked for ($programmes, all when empty) have a key with no match
-- (NULL keys are not checked): their number, share and up to 10 of their keys. Staging quarantines participations of
-- a project absent from the programme's staged projects (orphans, with their reason), so none should remain; a row
-- here means a table was changed outside staging (a warning).
WITH child AS (
    SELECT
        framework_programme, project_id,
        concat_ws(' / ', framework_programme::VARCHAR, project_id::VARCHAR) AS key
    FROM stg_participation
    WHERE framework_programme IS NOT NULL AND project_id IS NOT NULL
      AND (len(CAST($programmes AS VARCHAR[])) = 0
           OR list_contains(CAST($programmes AS VARCHAR[]), framework_programme))
),
orphan AS (
    SELECT c.key
    FROM child AS c
    ANTI JOIN (SELECT DISTINCT framework_programme, project_id FROM stg_project) AS p
        ON c.framework_programme = p.framework_programme AND c.project_id = p.project_id
)
SELECT
    'framework_programme, project_id' AS "column",
    'warn' AS severity,
    count(*) AS unexpected_count,
    round(100.0 * count(*) / (SELECT count(*) FROM child), 4) AS unexpected_percent,
    list_sort(list_distinct(list(key)))[1:10] AS sample,
    format(
        'stg_participation: {} row(s) ({}%) have framework_programme, project_id with no match in ' ||
        'stg_project(framework_programme, project_id); e.g. {}.',
           count(*), round(100.0 * count(*) / (SELECT count(*) FROM child), 4),
           list_sort(list_distinct(list(key)))[1:10]) AS message
FROM orphan
HAVING count(*) > 0

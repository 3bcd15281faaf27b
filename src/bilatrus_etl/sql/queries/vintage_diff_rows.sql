-- Row-level changes for the focus country between two vintages ($from_vintage, $to_vintage, focus_country()), in the shape
-- every diff section shares (change, framework_programme, project_id, subject, name, field, from_value, to_value):
-- projects added and removed (projects with at least one participation of the focus country), participations added,
-- ended and changed (role, EC contribution, name; key framework_programme, project_id, org_key), organisations of the
-- focus country renamed (dim_organization.name or its institution's name).
WITH f AS (
    SELECT * FROM history_fact_participation WHERE vintage = $from_vintage AND country_code = focus_country()
),
t AS (
    SELECT * FROM history_fact_participation WHERE vintage = $to_vintage AND country_code = focus_country()
),
acronyms AS (
    SELECT framework_programme, project_id, arg_max(acronym, vintage = $to_vintage) AS acronym
    FROM history_dim_project
    WHERE vintage IN ($from_vintage, $to_vintage)
    GROUP BY ALL
),
projects AS (
    SELECT 'project added' AS change, * FROM (
        SELECT DISTINCT framework_programme, project_id FROM t
        EXCEPT SELECT DISTINCT framework_programme, project_id FROM f
    )
    UNION ALL
    SELECT 'project removed' AS change, * FROM (
        SELECT DISTINCT framework_programme, project_id FROM f
        EXCEPT SELECT DISTINCT framework_programme, project_id FROM t
    )
),
paired AS (
    SELECT
        coalesce(t.framework_programme, f.framework_programme) AS framework_programme,
        coalesce(t.project_id, f.project_id) AS project_id,
        coalesce(t.org_key, f.org_key) AS org_key,
        f.org_key IS NOT NULL AS in_from,
        t.org_key IS NOT NULL AS in_to,
        f.name AS name_from, t.name AS name_to,
        f.role AS role_from, t.role AS role_to,
        CAST(f.ec_contribution AS VARCHAR) AS ec_from, CAST(t.ec_contribution AS VARCHAR) AS ec_to
    FROM f
    FULL OUTER JOIN t
        ON f.framework_programme = t.framework_programme AND f.project_id = t.project_id AND f.org_key = t.org_key
),
participations AS (
    SELECT 'participation added' AS change, framework_programme, project_id, org_key AS subject, name_to AS name,
           'role, ec_contribution' AS field, NULL AS from_value, role_to || ', ' || coalesce(ec_to, 'NULL') AS to_value
    FROM paired WHERE in_to AND NOT in_from
    UNION ALL
    SELECT 'participation ended', framework_programme, project_id, org_key, name_from,
           'role, ec_contribution', role_from || ', ' || coalesce(ec_from, 'NULL'), NULL
    FROM paired WHERE in_from AND NOT in_to
    UNION ALL
    SELECT 'participation changed', framework_programme, project_id, org_key, name_to, field, from_value, to_value
    FROM (
        SELECT *, 'role' AS field, role_from AS from_value, role_to AS to_value FROM paired
        UNION ALL SELECT *, 'ec_contribution', ec_from, ec_to FROM paired
        UNION ALL SELECT *, 'name', name_from, name_to FROM paired
    )
    WHERE in_from AND in_to AND from_value IS DISTINCT FROM to_value
),
organisations AS (
    SELECT
        coalesce(o_to.org_key, o_from.org_key) AS org_key,
        o_from.name AS name_from, o_to.name AS name_to,
        o_from.institution_name AS institution_from, o_to.institution_name AS institution_to
    FROM (SELECT * FROM history_dim_organization WHERE vintage = $from_vintage AND country_code = focus_country()) AS o_from
    JOIN (SELECT * FROM history_dim_organization WHERE vintage = $to_vintage AND country_code = focus_country()) AS o_to
        USING (org_key)
),
renamed AS (
    SELECT 'institution renamed' AS change, NULL AS framework_programme, NULL AS project_id, org_key AS subject,
           name_to AS name, field, from_value, to_value
    FROM (
        SELECT *, 'name' AS field, name_from AS from_value, name_to AS to_value FROM organisations
        UNION ALL SELECT *, 'institution_name', institution_from, institution_to FROM organisations
    )
    WHERE from_value IS DISTINCT FROM to_value
)
SELECT
    change,
    framework_programme,
    project_id,
    subject,
    name,
    field,
    from_value,
    to_value
FROM (
    SELECT p.change, p.framework_programme, p.project_id, NULL AS subject, a.acronym AS name, NULL AS field,
           NULL AS from_value, NULL AS to_value
    FROM projects AS p LEFT JOIN acronyms AS a USING (framework_programme, project_id)
    UNION ALL SELECT * FROM participations
    UNION ALL SELECT * FROM renamed
)
ORDER BY
    CASE change WHEN 'project added' THEN 1 WHEN 'project removed' THEN 2 WHEN 'participation added' THEN 3
        WHEN 'participation ended' THEN 4 WHEN 'participation changed' THEN 5 ELSE 6 END,
    framework_programme, project_id, subject, field

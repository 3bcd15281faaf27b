-- One row per organisation per project: role, EC contribution, funding status, the country's status in the programme, and a fractional weight 1/n over the project's n participating organisations.
-- Grain: (framework_programme, project_id, org_key). Where the source lists an organisation more than once in
-- a project (e.g. as beneficiary and as third party), the rows are merged: the highest role is kept
-- (coordinator > beneficiary > participant > host > partner > associated partner > international partner >
-- third party > other), EC contributions are summed, and the first source row gives name, country and city.
-- n counts every organisation listed with any role, so the weights of a project sum to 1.
-- Funding status: FP6 files give no per-participant EC contribution, so FP6 rows are 'not reported'; so are
-- rows of projects where no participant has a contribution. Elsewhere a contribution above 0 is 'funded' and
-- 0 or NULL is 'unfunded' (in H2020 most Russian partners took part without EU money).
-- country_status is the curated status (dim_country_status) in force at the project's start date (the
-- latest period when the start date is unknown); countries without a curated status are 'third'.
-- framework_programme: FP6, FP7, H2020 or HE
-- project_id: CORDIS project id
-- org_key: organisation key (see dim_organization)
-- institution_key: institution the organisation belongs to (dim_organization.institution_key)
-- name: organisation name as listed in this project
-- country_code: ISO 3166-1 alpha-2 country of the organisation in this project
-- country_status: member, associated or third: the country's status in the programme at the project's start (NULL when the country is unknown)
-- city: city as listed in this project
-- activity_type: HES, REC, PRC, PUB or OTH (NULL where not given)
-- role: coordinator, beneficiary, participant, host, partner, associated partner, international partner, third party, ...
-- is_coordinator: role = 'coordinator'
-- ec_contribution: EC contribution to this organisation in EUR (NULL where the source has none, as in FP6)
-- funding_status: funded (EC contribution > 0), unfunded (0 or NULL) or not reported (FP6, or no contribution reported in the project)
-- project_participants: n, the number of organisations in the project
-- weight: fractional weight 1/n of this participation; the weights of a project sum to 1
-- start_year: the project's start year (from dim_project)
-- source_rows: number of stg_participation rows merged into this row
-- source_file: file of the first source row
-- source_line: line of the first source row in source_file
WITH rows AS (
    SELECT
        s.framework_programme,
        s.project_id,
        s.org_key,
        s.name,
        s.country AS country_code,
        s.city,
        s.activity_type,
        s.role,
        s.ec_contribution,
        CASE s.role
            WHEN 'coordinator' THEN 1
            WHEN 'beneficiary' THEN 2
            WHEN 'participant' THEN 3
            WHEN 'host' THEN 4
            WHEN 'partner' THEN 5
            WHEN 'associated partner' THEN 6
            WHEN 'international partner' THEN 7
            WHEN 'third party' THEN 8
            ELSE 9
        END AS role_rank,
        -- the row's place in the sources (file, then line) as one BIGINT, file number * 2^32 + line: the arg_min
        -- below compare it at a fraction of the cost of the pair
        f.file_number * 4294967296 + coalesce(s.source_line, 0) AS source_order,
        s.source_file,
        s.source_line
    FROM stg_participation AS s
    JOIN source_files('stg_participation') AS f ON f.file = coalesce(s.source_file, '')
),
-- the keys listed more than once (few): only their rows are merged below, every other row is its key's row
repeated AS (
    SELECT framework_programme, project_id, org_key
    FROM stg_participation
    GROUP BY framework_programme, project_id, org_key
    HAVING count(*) > 1
),
merged AS (
    SELECT
        framework_programme,
        project_id,
        org_key,
        -- the first source row's fields, taken together (one aggregate, not one per field)
        arg_min(
            {
                'name': name,
                'country_code': country_code,
                'city': city,
                'activity_type': activity_type,
                'source_file': source_file,
                'source_line': source_line
            },
            source_order
        ) AS first_row,
        arg_min(role, role_rank * 72057594037927936 + source_order) AS role,  -- role rank * 2^56, then source order
        sum(ec_contribution) AS ec_contribution,
        count(*) AS source_rows
    FROM rows AS r
    SEMI JOIN repeated AS k
        ON k.framework_programme IS NOT DISTINCT FROM r.framework_programme
        AND k.project_id IS NOT DISTINCT FROM r.project_id
        AND k.org_key IS NOT DISTINCT FROM r.org_key  -- keys as GROUP BY compares them (NULL = NULL)
    GROUP BY framework_programme, project_id, org_key
),
counted AS (
    SELECT
        framework_programme, project_id, org_key, name, country_code, city, activity_type, role, ec_contribution,
        1::BIGINT AS source_rows, source_file, source_line
    FROM rows AS r
    ANTI JOIN repeated AS k
        ON k.framework_programme IS NOT DISTINCT FROM r.framework_programme
        AND k.project_id IS NOT DISTINCT FROM r.project_id
        AND k.org_key IS NOT DISTINCT FROM r.org_key
    UNION ALL
    SELECT
        framework_programme, project_id, org_key, first_row.name, first_row.country_code, first_row.city,
        first_row.activity_type, role, ec_contribution, source_rows, first_row.source_file, first_row.source_line
    FROM merged
)
SELECT
    c.framework_programme,
    c.project_id,
    c.org_key,
    o.institution_key,
    c.name,
    c.country_code,
    CASE
        WHEN c.country_code IS NULL THEN NULL
        ELSE coalesce(s.status, 'third')
    END AS country_status,
    c.city,
    c.activity_type,
    c.role,
    c.role = 'coordinator' AS is_coordinator,
    c.ec_contribution,
    CASE
        WHEN c.framework_programme = 'FP6' OR p.ec_contribution_participants IS NULL THEN 'not reported'
        WHEN c.ec_contribution > 0 THEN 'funded'
        ELSE 'unfunded'
    END AS funding_status,
    p.participants AS project_participants,
    1.0::DOUBLE / p.participants AS weight,
    p.start_year,
    c.source_rows,
    c.source_file,
    c.source_line
FROM counted AS c
LEFT JOIN dim_project AS p USING (framework_programme, project_id)
LEFT JOIN dim_organization AS o USING (org_key)
LEFT JOIN dim_country_status AS s
    ON s.country_code = c.country_code
    AND s.framework_programme = c.framework_programme
    AND coalesce(p.start_date, DATE '9999-12-31') >= coalesce(s.valid_from, DATE '0001-01-01')
    AND coalesce(p.start_date, DATE '9999-12-31') <= coalesce(s.valid_to, DATE '9999-12-31')

-- One row per project of any framework programme: acronym, title, programme code and theme, funding scheme and its class, dates, costs and its number of participating organisations.
-- Key: (framework_programme, project_id). A project listed twice in the project files keeps its first row
-- (by source file and line). Projects that appear only in the organisation files are kept with in_project_file
-- = false and empty attributes, so that every participation has its project. scheme_class comes from the
-- curated src/bilatrus_etl/reference/funding_scheme_class.csv (exact codes first, then the longest prefix): single_beneficiary
-- marks ERC grants and individual fellowships, whose coordinator is the only beneficiary.
-- framework_programme: FP6, FP7, H2020 or HE
-- project_id: CORDIS project id (grant agreement number)
-- acronym: project acronym
-- title: project title
-- programme_code: programme / legal basis code from the project file
-- theme_code: curated theme of the programme code (see dim_programme)
-- theme_name: English name of the theme
-- pillar: specific programme or pillar of the theme
-- topic: call topic code
-- funding_scheme: funding scheme code as in the project file (e.g. CP, RIA, ERC-STG, MSCA-IF-EF-ST)
-- scheme_class: single_beneficiary (ERC grants, individual fellowships) or collaborative
-- is_single_beneficiary: true where scheme_class = 'single_beneficiary'
-- start_date: project start date
-- end_date: project end date
-- start_year: year of start_date (the year marts count a project in)
-- total_cost: total eligible cost in EUR
-- ec_max_contribution: maximum EU contribution to the whole project in EUR
-- participants: distinct organisations taking part (every role, as in fact_participation)
-- countries: distinct countries of those organisations
-- ec_contribution_participants: sum of the participants' EC contributions in EUR (NULL where none is reported, as in FP6)
-- in_project_file: false for projects known only from the organisation file
-- source_file: file the project row came from
-- source_line: line of the project row in source_file
WITH projects AS (
    SELECT *
    FROM stg_project
    QUALIFY first_source_row(framework_programme, project_id, source_file, source_line)  -- a session macro
),
participation AS (
    SELECT
        framework_programme,
        project_id,
        count(DISTINCT org_key) AS participants,
        count(DISTINCT country) AS countries,
        sum(ec_contribution) AS ec_contribution_participants
    FROM stg_participation
    GROUP BY ALL
),
schemes AS (
    SELECT
        upper(trim(pattern)) AS pattern,
        lower(trim(match_type)) AS match_type,
        lower(trim(scheme_class)) AS scheme_class
    FROM read_csv(
        coalesce(getvariable('reference_dir'), 'src/bilatrus_etl/reference') || '/funding_scheme_class.csv',
        header = true, all_varchar = true
    )
),
scheme_codes AS (
    SELECT DISTINCT upper(funding_scheme) AS scheme FROM stg_project WHERE funding_scheme IS NOT NULL
),
scheme_class AS (
    SELECT c.scheme, s.scheme_class
    FROM scheme_codes AS c
    JOIN schemes AS s
        ON (s.match_type = 'exact' AND c.scheme = s.pattern)
        OR (s.match_type = 'prefix' AND starts_with(c.scheme, s.pattern))
    QUALIFY row_number() OVER (
        PARTITION BY c.scheme
        ORDER BY (s.match_type = 'exact') DESC, length(s.pattern) DESC
    ) = 1
),
all_projects AS (
    SELECT framework_programme, project_id, true AS in_project_file FROM projects
    UNION ALL
    SELECT pa.framework_programme, pa.project_id, false
    FROM participation AS pa
    LEFT JOIN projects AS pr USING (framework_programme, project_id)
    WHERE pr.project_id IS NULL
)
SELECT
    a.framework_programme,
    a.project_id,
    p.acronym,
    p.title,
    p.programme_code,
    coalesce(g.theme_code, 'unclassified') AS theme_code,
    coalesce(g.theme_name, 'Unclassified') AS theme_name,
    g.pillar,
    p.topic,
    p.funding_scheme,
    coalesce(sc.scheme_class, 'collaborative') AS scheme_class,
    coalesce(sc.scheme_class, 'collaborative') = 'single_beneficiary' AS is_single_beneficiary,
    p.start_date,
    p.end_date,
    year(p.start_date) AS start_year,
    p.total_cost,
    p.ec_max_contribution,
    coalesce(pa.participants, 0) AS participants,
    coalesce(pa.countries, 0) AS countries,
    pa.ec_contribution_participants,
    a.in_project_file,
    p.source_file,
    p.source_line
FROM all_projects AS a
LEFT JOIN projects AS p USING (framework_programme, project_id)
LEFT JOIN participation AS pa USING (framework_programme, project_id)
LEFT JOIN dim_programme AS g
    ON g.framework_programme = p.framework_programme
    AND g.programme_code IS NOT DISTINCT FROM p.programme_code
LEFT JOIN scheme_class AS sc ON sc.scheme = upper(p.funding_scheme)

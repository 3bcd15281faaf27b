-- Countries co-participating with the focus country in each framework programme: joint projects, organisation links counted full and fractional, and Salton's strength C_ij / sqrt(C_i * C_j).
-- One row: one framework programme and one partner country (every country with at least one project shared
-- with the focus country; the focus country itself is not listed).
-- Counting: joint_projects counts each project once (full). A link is a pair of organisations of the same
-- project, one from the focus country and one from the partner country: links_full counts every such pair;
-- links_fractional gives each project a total weight of 1 split equally over all its n(n-1)/2 organisation
-- pairs (any countries), and sums the share of the focus-partner pairs. Salton's strength uses project
-- counts (C_ij = joint projects, C_i = projects of the focus country, C_j = projects of the partner country,
-- all within the programme). Focus country: focus_country(): session variable focus_country, default 'RU'.
-- Caveats: projects with a single organisation have no pairs and give no links. Ranking by joint projects
-- uses RANK() (ties share a rank).
-- focus_country: ISO code of the focus country
-- framework_programme: FP6, FP7, H2020 or HE
-- partner_country: ISO 3166-1 alpha-2 code of the partner country
-- partner_country_name: English name of the partner country
-- partner_status: the partner country's status in the programme (latest period; dim_country)
-- rank_joint_projects: RANK() of the partner by joint projects within the programme (ties share a rank)
-- joint_projects: C_ij, projects with organisations of both the focus and the partner country
-- links_full: pairs (focus organisation, partner organisation) within joint projects, each counting 1
-- links_fractional: sum over joint projects of (focus orgs x partner orgs) / (n(n-1)/2)
-- focus_projects: C_i, projects of the focus country in the programme
-- partner_projects: C_j, projects of the partner country in the programme
-- salton: joint_projects / sqrt(focus_projects * partner_projects)
-- share_of_focus_projects: joint_projects / focus_projects
WITH per_project_country AS (
    SELECT
        framework_programme,
        project_id,
        country_code,
        count(*) AS orgs,
        any_value(project_participants) AS n
    FROM fact_participation
    WHERE country_code IS NOT NULL
    GROUP BY framework_programme, project_id, country_code
),
country_projects AS (
    SELECT framework_programme, country_code, count(*) AS projects
    FROM per_project_country
    GROUP BY framework_programme, country_code
),
focus AS (
    SELECT c.*
    FROM per_project_country AS c
    WHERE c.country_code = focus_country()
),
pairs AS (
    SELECT
        f.framework_programme,
        o.country_code AS partner_country,
        count(*) AS joint_projects,
        CAST(sum(f.orgs * o.orgs) AS BIGINT) AS links_full,
        CAST(sum(CAST((f.orgs * o.orgs) / (f.n * (f.n - 1) / 2.0) AS DECIMAL(38, 18))) AS DOUBLE) AS links_fractional
    FROM focus AS f
    JOIN per_project_country AS o
        ON o.framework_programme = f.framework_programme
        AND o.project_id = f.project_id
        AND o.country_code <> f.country_code
    GROUP BY f.framework_programme, o.country_code
)
SELECT
    focus_country() AS focus_country,
    p.framework_programme,
    p.partner_country,
    d.country_name AS partner_country_name,
    CASE p.framework_programme
        WHEN 'FP6' THEN d.status_fp6
        WHEN 'FP7' THEN d.status_fp7
        WHEN 'H2020' THEN d.status_h2020
        WHEN 'HE' THEN d.status_he
    END AS partner_status,
    rank() OVER (PARTITION BY p.framework_programme ORDER BY p.joint_projects DESC) AS rank_joint_projects,
    p.joint_projects,
    p.links_full,
    p.links_fractional,
    ci.projects AS focus_projects,
    cj.projects AS partner_projects,
    p.joint_projects / sqrt(ci.projects * cj.projects) AS salton,
    p.joint_projects / ci.projects AS share_of_focus_projects
FROM pairs AS p
JOIN country_projects AS ci
    ON ci.framework_programme = p.framework_programme AND ci.country_code = focus_country()
JOIN country_projects AS cj
    ON cj.framework_programme = p.framework_programme AND cj.country_code = p.partner_country
LEFT JOIN dim_country AS d ON d.country_code = p.partner_country
ORDER BY p.framework_programme, rank_joint_projects, p.partner_country

-- The focus country's participation per framework programme and project start year: projects, participations (full and fractional), funded and unfunded ones, organisations, coordinations, EC contribution, shares, and the split by organisation type.
-- One row: one framework programme and start year (every programme-year with any project; zeros where the
-- focus country had none). Focus country: focus_country(): session variable focus_country, default 'RU'.
-- Counting: full counts (each participation counts 1) beside fractional counts (each participation counts 1/n,
-- n = organisations in the project, so a project counts 1 in all). Shares divide by all participations
-- (full) or all projects (fractional, since a project's weights sum to 1) of the same programme-year.
-- Coordinations of single-beneficiary schemes (ERC grants, individual fellowships: dim_project.scheme_class)
-- are counted apart from coordinations of collaborative projects.
-- Caveats: FP6 has no per-participant EC contribution, so FP6 ec_contribution is NULL and its participations
-- are counted as funding not reported. Funded = EC contribution above 0; unfunded = 0 or NULL in a project
-- that reports contributions (mostly H2020/HE partners from third countries). Projects without a start date
-- are in the row with start_year NULL.
-- focus_country: ISO code of the focus country
-- framework_programme: FP6, FP7, H2020 or HE
-- start_year: project start year
-- projects: projects with at least one organisation of the focus country
-- participations: participations of the focus country's organisations (full count)
-- participations_fractional: sum of the weights 1/n of those participations
-- funded_participations: participations with an EC contribution above 0
-- unfunded_participations: participations with an EC contribution of 0 or NULL (in projects that report contributions)
-- funding_not_reported_participations: participations without reported contributions (all of FP6)
-- organisations: distinct organisation keys of the focus country
-- institutions: distinct institution keys of the focus country
-- coordinations: coordinations of collaborative projects by the focus country's organisations
-- single_beneficiary_coordinations: coordinations (host roles) of single-beneficiary grants (ERC, individual fellowships)
-- ec_contribution: EC contribution to the focus country's organisations in EUR (NULL for FP6)
-- all_projects: projects of the programme-year (all countries)
-- all_participations: participations of the programme-year (all countries)
-- share_participations: participations / all_participations
-- share_participations_fractional: participations_fractional / all_projects
-- share_projects: projects / all_projects
-- participations_hes: participations of higher education establishments (HES)
-- participations_rec: participations of research organisations (REC)
-- participations_prc: participations of private for-profit entities (PRC)
-- participations_pub: participations of public bodies (PUB)
-- participations_oth: participations of other organisations (OTH)
-- participations_type_unknown: participations without an organisation type
-- participations_fractional_hes: fractional participations of HES
-- participations_fractional_rec: fractional participations of REC
-- participations_fractional_prc: fractional participations of PRC
-- participations_fractional_pub: fractional participations of PUB
-- participations_fractional_oth: fractional participations of OTH
-- participations_fractional_type_unknown: fractional participations without an organisation type
WITH facts AS (
    SELECT f.*, p.is_single_beneficiary
    FROM fact_participation AS f
    LEFT JOIN dim_project AS p USING (framework_programme, project_id)
),
totals AS (
    SELECT
        framework_programme,
        start_year,
        count(DISTINCT project_id) AS all_projects,
        count(*) AS all_participations
    FROM facts
    GROUP BY ALL
),
focus AS (
    SELECT
        f.framework_programme,
        f.start_year,
        count(DISTINCT f.project_id) AS projects,
        count(*) AS participations,
        CAST(sum(CAST(f.weight AS DECIMAL(38, 18))) AS DOUBLE) AS participations_fractional,
        count(*) FILTER (WHERE f.funding_status = 'funded') AS funded_participations,
        count(*) FILTER (WHERE f.funding_status = 'unfunded') AS unfunded_participations,
        count(*) FILTER (WHERE f.funding_status = 'not reported') AS funding_not_reported_participations,
        count(DISTINCT f.org_key) AS organisations,
        count(DISTINCT f.institution_key) AS institutions,
        count(*) FILTER (WHERE f.is_coordinator AND NOT coalesce(f.is_single_beneficiary, false)) AS coordinations,
        count(*) FILTER (WHERE f.is_coordinator AND coalesce(f.is_single_beneficiary, false))
            AS single_beneficiary_coordinations,
        sum(f.ec_contribution) AS ec_contribution,
        count(*) FILTER (WHERE f.activity_type = 'HES') AS participations_hes,
        count(*) FILTER (WHERE f.activity_type = 'REC') AS participations_rec,
        count(*) FILTER (WHERE f.activity_type = 'PRC') AS participations_prc,
        count(*) FILTER (WHERE f.activity_type = 'PUB') AS participations_pub,
        count(*) FILTER (WHERE f.activity_type = 'OTH') AS participations_oth,
        count(*) FILTER (WHERE f.activity_type IS NULL OR f.activity_type NOT IN ('HES', 'REC', 'PRC', 'PUB', 'OTH'))
            AS participations_type_unknown,
        coalesce(CAST(sum(CAST(f.weight AS DECIMAL(38, 18))) FILTER (WHERE f.activity_type = 'HES') AS DOUBLE), 0) AS participations_fractional_hes,
        coalesce(CAST(sum(CAST(f.weight AS DECIMAL(38, 18))) FILTER (WHERE f.activity_type = 'REC') AS DOUBLE), 0) AS participations_fractional_rec,
        coalesce(CAST(sum(CAST(f.weight AS DECIMAL(38, 18))) FILTER (WHERE f.activity_type = 'PRC') AS DOUBLE), 0) AS participations_fractional_prc,
        coalesce(CAST(sum(CAST(f.weight AS DECIMAL(38, 18))) FILTER (WHERE f.activity_type = 'PUB') AS DOUBLE), 0) AS participations_fractional_pub,
        coalesce(CAST(sum(CAST(f.weight AS DECIMAL(38, 18))) FILTER (WHERE f.activity_type = 'OTH') AS DOUBLE), 0) AS participations_fractional_oth,
        coalesce(CAST(sum(CAST(f.weight AS DECIMAL(38, 18))) FILTER (
            WHERE f.activity_type IS NULL OR f.activity_type NOT IN ('HES', 'REC', 'PRC', 'PUB', 'OTH')
        ) AS DOUBLE), 0) AS participations_fractional_type_unknown
    FROM facts AS f
    WHERE f.country_code = focus_country()
    GROUP BY ALL
)
SELECT
    focus_country() AS focus_country,
    t.framework_programme,
    t.start_year,
    coalesce(c.projects, 0) AS projects,
    coalesce(c.participations, 0) AS participations,
    coalesce(c.participations_fractional, 0) AS participations_fractional,
    coalesce(c.funded_participations, 0) AS funded_participations,
    coalesce(c.unfunded_participations, 0) AS unfunded_participations,
    coalesce(c.funding_not_reported_participations, 0) AS funding_not_reported_participations,
    coalesce(c.organisations, 0) AS organisations,
    coalesce(c.institutions, 0) AS institutions,
    coalesce(c.coordinations, 0) AS coordinations,
    coalesce(c.single_beneficiary_coordinations, 0) AS single_beneficiary_coordinations,
    c.ec_contribution,
    t.all_projects,
    t.all_participations,
    coalesce(c.participations, 0) / t.all_participations AS share_participations,
    coalesce(c.participations_fractional, 0) / t.all_projects AS share_participations_fractional,
    coalesce(c.projects, 0) / t.all_projects AS share_projects,
    coalesce(c.participations_hes, 0) AS participations_hes,
    coalesce(c.participations_rec, 0) AS participations_rec,
    coalesce(c.participations_prc, 0) AS participations_prc,
    coalesce(c.participations_pub, 0) AS participations_pub,
    coalesce(c.participations_oth, 0) AS participations_oth,
    coalesce(c.participations_type_unknown, 0) AS participations_type_unknown,
    coalesce(c.participations_fractional_hes, 0) AS participations_fractional_hes,
    coalesce(c.participations_fractional_rec, 0) AS participations_fractional_rec,
    coalesce(c.participations_fractional_prc, 0) AS participations_fractional_prc,
    coalesce(c.participations_fractional_pub, 0) AS participations_fractional_pub,
    coalesce(c.participations_fractional_oth, 0) AS participations_fractional_oth,
    coalesce(c.participations_fractional_type_unknown, 0) AS participations_fractional_type_unknown
FROM totals AS t
LEFT JOIN focus AS c
    ON c.framework_programme = t.framework_programme
    AND c.start_year IS NOT DISTINCT FROM t.start_year
ORDER BY t.framework_programme, t.start_year NULLS LAST

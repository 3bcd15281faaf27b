-- Projects with the focus country that were running on a given date, with their partners and EC contribution.
-- One row: one project with at least one organisation of the focus country (focus_country(): session variable
-- focus_country, default 'RU') whose start_date <= the date <= end_date. The date is getvariable('as_of'), by default the
-- current date. `bilatrus active --on DATE` (analyst.active_projects) runs this same SQL with as_of set, e.g.
-- on 2022-03-01 to see what was active when cooperation with Russian public bodies was being suspended.
-- Counting: full counts of organisations; EC contributions are sums over the project's participants.
-- Caveats: projects without a start or end date are never listed; FP6 has no per-participant EC contribution
-- (focus_ec_contribution and ec_contribution_participants NULL, ec_max_contribution still given); the table in
-- the warehouse is the state on the build date.
-- as_of_date: the date the projects were running on
-- focus_country: ISO code of the focus country
-- framework_programme: FP6, FP7, H2020 or HE
-- project_id: CORDIS project id
-- acronym: project acronym
-- title: project title
-- theme_name: curated theme of the project
-- funding_scheme: funding scheme code
-- start_date: project start date
-- end_date: project end date
-- days_remaining: days from as_of_date to end_date
-- coordinator_name: name of the coordinating organisation
-- coordinator_country: ISO code of the coordinator's country
-- focus_coordinated: the coordinator is from the focus country
-- participants: organisations in the project (every country)
-- focus_participants: organisations of the focus country in the project
-- focus_organisations: names of the focus country's organisations, ' | '-separated
-- partner_countries: distinct countries other than the focus country
-- partner_country_list: ISO codes of those countries, comma-separated
-- ec_max_contribution: maximum EU contribution to the project in EUR
-- ec_contribution_participants: EC contribution to all participants in EUR
-- focus_ec_contribution: EC contribution to the focus country's organisations in EUR
-- focus_funding: funded, unfunded or not reported: funded when any focus organisation received an EC contribution above 0
WITH params AS (
    SELECT coalesce(CAST(getvariable('as_of') AS DATE), current_date) AS as_of_date
),
running AS (
    SELECT p.*, focus_country() AS focus_country, x.as_of_date
    FROM dim_project AS p
    CROSS JOIN params AS x
    WHERE p.start_date <= x.as_of_date AND p.end_date >= x.as_of_date
        -- only projects with the focus country are aggregated below (the others would be dropped at the end)
        AND EXISTS (
            SELECT 1 FROM fact_participation AS f
            WHERE f.framework_programme = p.framework_programme AND f.project_id = p.project_id
                AND f.country_code = focus_country()
        )
),
participants AS (
    SELECT
        f.framework_programme,
        f.project_id,
        count(*) AS participants,
        count(*) FILTER (WHERE f.country_code = r.focus_country) AS focus_participants,
        string_agg(f.name, ' | ' ORDER BY f.name) FILTER (WHERE f.country_code = r.focus_country) AS focus_organisations,
        count(DISTINCT f.country_code) FILTER (WHERE f.country_code <> r.focus_country) AS partner_countries,
        string_agg(DISTINCT f.country_code, ', ' ORDER BY f.country_code) FILTER (WHERE f.country_code <> r.focus_country)
            AS partner_country_list,
        sum(f.ec_contribution) AS ec_contribution_participants,
        sum(f.ec_contribution) FILTER (WHERE f.country_code = r.focus_country) AS focus_ec_contribution,
        CASE
            WHEN bool_or(f.funding_status = 'funded') FILTER (WHERE f.country_code = r.focus_country) THEN 'funded'
            WHEN bool_or(f.funding_status = 'unfunded') FILTER (WHERE f.country_code = r.focus_country) THEN 'unfunded'
            ELSE 'not reported'
        END AS focus_funding,
        arg_min(f.name, f.org_key) FILTER (WHERE f.is_coordinator) AS coordinator_name,
        arg_min(f.country_code, f.org_key) FILTER (WHERE f.is_coordinator) AS coordinator_country
    FROM fact_participation AS f
    JOIN running AS r USING (framework_programme, project_id)
    GROUP BY f.framework_programme, f.project_id
)
SELECT
    r.as_of_date,
    r.focus_country,
    r.framework_programme,
    r.project_id,
    r.acronym,
    r.title,
    r.theme_name,
    r.funding_scheme,
    r.start_date,
    r.end_date,
    r.end_date - r.as_of_date AS days_remaining,
    a.coordinator_name,
    a.coordinator_country,
    coalesce(a.coordinator_country = r.focus_country, false) AS focus_coordinated,
    a.participants,
    a.focus_participants,
    a.focus_organisations,
    a.partner_countries,
    a.partner_country_list,
    r.ec_max_contribution,
    a.ec_contribution_participants,
    a.focus_ec_contribution,
    a.focus_funding
FROM running AS r
JOIN participants AS a USING (framework_programme, project_id)
WHERE a.focus_participants > 0
ORDER BY r.framework_programme, r.end_date, r.project_id

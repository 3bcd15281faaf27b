-- Third countries ranked by participations in each framework programme, with the Commission's international indicators: share of all participations, share of projects with a partner from the country, share of the EU contribution to its partners.
-- One row: one framework programme and one third country (status 'third' in dim_country_status for the
-- programme at the project's start, the default for countries without a curated status).
-- Ranking: RANK() over participations, highest first: tied countries share a rank and the next rank is
-- skipped (1, 2, 2, 4). Ties on participations are listed by country code.
-- Counting: full counts (each participation counts 1); participations_fractional (1/n per participation) beside it.
-- Denominators are programme-wide over every country: all participations, all projects, the EC contribution to
-- all participants. A country that was third for part of a programme only (e.g. GB in HE until 2023-12-31) is
-- counted for the projects that started while it was third.
-- Caveats: FP6 has no per-participant EC contribution, so its EC columns are NULL. is_focus_country marks the
-- focus country (focus_country(): session variable focus_country, default 'RU') to answer whether it came first.
-- framework_programme: FP6, FP7, H2020 or HE
-- rank_participations: RANK() of the country among third countries by participations (ties share a rank)
-- country_code: ISO 3166-1 alpha-2 code of the third country
-- country_name: English name of the country
-- is_focus_country: the country is the focus country
-- participations: participations of the country's organisations while it was a third country (full count)
-- participations_fractional: sum of the weights 1/n of those participations
-- projects: projects with at least one organisation of the country
-- organisations: distinct organisations of the country
-- coordinations: projects coordinated by the country's organisations
-- funded_participations: participations with an EC contribution above 0
-- ec_contribution: EC contribution to the country's organisations in EUR (NULL for FP6)
-- share_participations: participations / all participations of the programme (every country)
-- share_projects: projects / all projects of the programme
-- share_ec_contribution: ec_contribution / EC contribution to all participants of the programme (NULL for FP6)
-- all_participations: participations of the programme (every country)
-- all_projects: projects of the programme
-- all_ec_contribution: EC contribution to all participants of the programme in EUR (NULL for FP6)
WITH totals AS (
    SELECT
        framework_programme,
        count(*) AS all_participations,
        count(DISTINCT project_id) AS all_projects,
        sum(ec_contribution) AS all_ec_contribution
    FROM fact_participation
    GROUP BY framework_programme
),
third AS (
    SELECT
        framework_programme,
        country_code,
        count(*) AS participations,
        CAST(sum(CAST(weight AS DECIMAL(38, 18))) AS DOUBLE) AS participations_fractional,
        count(DISTINCT project_id) AS projects,
        count(DISTINCT org_key) AS organisations,
        count(*) FILTER (WHERE is_coordinator) AS coordinations,
        count(*) FILTER (WHERE funding_status = 'funded') AS funded_participations,
        sum(ec_contribution) AS ec_contribution
    FROM fact_participation
    WHERE country_status = 'third'
    GROUP BY framework_programme, country_code
)
SELECT
    t.framework_programme,
    rank() OVER (PARTITION BY t.framework_programme ORDER BY t.participations DESC) AS rank_participations,
    t.country_code,
    c.country_name,
    t.country_code = focus_country() AS is_focus_country,
    t.participations,
    t.participations_fractional,
    t.projects,
    t.organisations,
    t.coordinations,
    t.funded_participations,
    t.ec_contribution,
    t.participations / a.all_participations AS share_participations,
    t.projects / a.all_projects AS share_projects,
    t.ec_contribution / nullif(a.all_ec_contribution, 0) AS share_ec_contribution,
    a.all_participations,
    a.all_projects,
    a.all_ec_contribution
FROM third AS t
JOIN totals AS a USING (framework_programme)
LEFT JOIN dim_country AS c USING (country_code)
ORDER BY t.framework_programme, rank_participations, t.country_code

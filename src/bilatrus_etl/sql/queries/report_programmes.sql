-- Headline figures of the focus country per framework programme (full and fractional counts): sums of
-- mart_country_participation over start years (a project has one start year, so its sums are exact), and the
-- distinct organisations and institutions of the programme from fact_participation (not summable over years);
-- the fractional EU contribution in cents, summed with compensation (fsum), so that every build writes the same
-- digits whatever order DuckDB's threads add the rows in.
WITH per_year AS (
    SELECT
        framework_programme,
        sum(projects) AS projects,
        sum(participations) AS participations,
        sum(participations_fractional) AS participations_fractional,
        sum(coordinations) AS coordinations,
        sum(single_beneficiary_coordinations) AS single_beneficiary_coordinations,
        sum(funded_participations) AS funded_participations,
        sum(unfunded_participations) AS unfunded_participations,
        sum(funding_not_reported_participations) AS funding_not_reported_participations,
        sum(ec_contribution) AS ec_contribution,
        sum(all_projects) AS all_projects,
        sum(all_participations) AS all_participations
    FROM mart_country_participation
    GROUP BY framework_programme
),
distinct_counts AS (
    SELECT
        f.framework_programme,
        count(DISTINCT f.org_key) AS organisations,
        count(DISTINCT f.institution_key) AS institutions,
        round(fsum(f.ec_contribution * f.weight), 2) AS ec_contribution_fractional
    FROM fact_participation AS f
    WHERE f.country_code = focus_country()
    GROUP BY f.framework_programme
)
SELECT
    y.*,
    coalesce(d.organisations, 0) AS organisations,
    coalesce(d.institutions, 0) AS institutions,
    d.ec_contribution_fractional,
    y.participations / nullif(y.all_participations, 0) AS share_participations,
    y.projects / nullif(y.all_projects, 0) AS share_projects
FROM per_year AS y
LEFT JOIN distinct_counts AS d USING (framework_programme)
ORDER BY CASE y.framework_programme WHEN 'FP6' THEN 1 WHEN 'FP7' THEN 2 WHEN 'H2020' THEN 3 WHEN 'HE' THEN 4 ELSE 5 END

-- The focus country's participations and EC contribution per project start year over all programmes (one time
-- axis), split by funding status; from mart_country_participation. Rows without a start year are left out.
SELECT
    start_year,
    string_agg(DISTINCT framework_programme, ', ' ORDER BY framework_programme) AS programmes,
    sum(participations) AS participations,
    sum(participations_fractional) AS participations_fractional,
    sum(funded_participations) AS funded_participations,
    sum(unfunded_participations) AS unfunded_participations,
    sum(funding_not_reported_participations) AS funding_not_reported_participations,
    sum(ec_contribution) AS ec_contribution,
    sum(projects) AS projects
FROM mart_country_participation
WHERE start_year IS NOT NULL
GROUP BY start_year
ORDER BY start_year

-- The focus country's top $top institutions over all programmes, from mart_institutions. Ties are broken
-- deterministically: participations, then projects, then EC contribution (none last), then name, then key.
SELECT
    rank_participations, institution_key, institution_name, ror_id, city, activity_type,
    participations, participations_fractional, projects, coordinations, ec_contribution, first_year, last_year
FROM mart_institutions
ORDER BY participations DESC, projects DESC, ec_contribution DESC NULLS LAST, institution_name, institution_key
LIMIT $top

-- Third countries per programme: the top $top by participations (RANK(), ties listed by country code) and the
-- focus country wherever it ranks; from mart_third_country_ranking.
SELECT
    framework_programme, rank_participations, country_code, country_name, is_focus_country,
    participations, participations_fractional, projects, share_participations, share_projects, ec_contribution
FROM mart_third_country_ranking
WHERE rank_participations <= $top OR is_focus_country
ORDER BY framework_programme, rank_participations, country_code

-- The focus country's participations per programme and federal district ('not mapped' where the city is not in
-- the reference), with the Moscow and Saint Petersburg share of the programme; from mart_regions.
SELECT
    framework_programme,
    coalesce(federal_district, 'not mapped') AS federal_district,
    sum(participations) AS participations,
    sum(share_participations) AS share_participations,
    any_value(moscow_spb_share) AS moscow_spb_share
FROM mart_regions
GROUP BY ALL
ORDER BY framework_programme, participations DESC, federal_district

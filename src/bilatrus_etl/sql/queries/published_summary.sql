-- Participations per programme in the published warehouse, and whether it was built from synthetic data.
SELECT
    p.framework_programme,
    count(*) AS participations,
    (SELECT any_value(synthetic) FROM meta_build) AS synthetic
FROM stg_participation AS p
GROUP BY ALL
ORDER BY 1

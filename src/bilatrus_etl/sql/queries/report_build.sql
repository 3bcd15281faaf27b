-- The report's build facts: when the published warehouse was built, for which focus country, from synthetic data or not.
SELECT built_at, focus_country, coalesce(synthetic, false) AS synthetic, package_version
FROM meta_build
LIMIT 1

-- Data vintage of the report: per source dataset, the download the build used (its sha256 is the one meta_build
-- records; the latest such download) with its time, URL and size.
WITH used AS (
    SELECT any_value(sources) AS sources FROM meta_build
)
SELECT
    p.dataset,
    arg_max(p.url, p.fetched_at) AS url,
    max(p.fetched_at) AS fetched_at,
    arg_max(p.sha256, p.fetched_at) AS sha256,
    arg_max(p.bytes, p.fetched_at) AS bytes
FROM meta_download_provenance AS p
CROSS JOIN used AS u
WHERE u.sources IS NULL
    OR json_extract_string(u.sources, '$.' || p.dataset) IS NULL
    OR json_extract_string(u.sources, '$.' || p.dataset) = p.sha256
GROUP BY p.dataset
ORDER BY p.dataset

-- The vintages of the warehouse, oldest first, with their sources summarised (what `bilatrus vintages` prints).
SELECT
    seq,
    vintage,
    recorded_at,
    focus_country,
    synthetic,
    len(sources) AS source_files,
    list_transform(sources, lambda s: s.dataset || '=' || left(s.sha256, 12)) AS source_sha256,
    package_version,
    left(code_fingerprint, 12) AS code,
    table_rows,
    rows_added,
    rows_removed,
    is_current
FROM meta_vintage
ORDER BY seq

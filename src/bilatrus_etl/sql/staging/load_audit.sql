-- Reconciliation of every project and participation file loaded: raw records (rows read plus lines that could not be parsed) = staged rows + quarantined rows, per dataset, programme, file and target table; staged rows kept with a flagged value are counted too.
-- Project rows derived from a participant-level Dashboard export count one raw record per project (its first participant's line); that file's unparseable lines count under stg_participation.
-- dataset: catalog key of the source
-- framework_programme: FP6, FP7, H2020 or HE (NULL for records whose programme cannot be told)
-- source_file: file name as fetched (zip!member for an archive member)
-- target_table: stg_project or stg_participation
-- raw_rows: records in the file: rows read plus malformed lines
-- staged_rows: rows in the target staging table from this file
-- quarantined_rows: rows in quarantine from this file for this table
-- flagged_rows: staged rows kept with a value that did not parse (value_issues not NULL): counted among staged_rows
-- unknown_country_rows: staged participations whose country is written but cannot be mapped to an ISO code (0 for projects)
-- unknown_country_share: unknown_country_rows / staged_rows for participations (NULL for projects); above 0.001 (0.1%) the build fails (expectations/load_audit.json)
-- reconciled: raw_rows = staged_rows + quarantined_rows
WITH raw_counts AS (
    SELECT dataset, framework_programme, source_file, 'stg_project' AS target_table, count(*) AS n
    FROM land_project
    GROUP BY ALL
    UNION ALL
    SELECT dataset, framework_programme, source_file, 'stg_participation' AS target_table, count(*) AS n
    FROM land_participation
    GROUP BY ALL
    UNION ALL
    SELECT dataset, framework_programme, source_file, target_table, count(*) AS n
    FROM land_rejects
    WHERE target_table IN ('stg_project', 'stg_participation')
    GROUP BY ALL
),

raw_totals AS (
    SELECT dataset, framework_programme, source_file, target_table, sum(n) AS raw_rows
    FROM raw_counts
    GROUP BY ALL
),

staged AS (
    SELECT dataset, framework_programme, source_file, 'stg_project' AS target_table, count(*) AS n,
           count(*) FILTER (WHERE value_issues IS NOT NULL) AS flagged, 0 AS unknown_country
    FROM stg_project
    GROUP BY ALL
    UNION ALL
    SELECT dataset, framework_programme, source_file, 'stg_participation' AS target_table, count(*) AS n,
           count(*) FILTER (WHERE value_issues IS NOT NULL) AS flagged,
           count(*) FILTER (WHERE country IS NULL AND country_code_source IS NOT NULL) AS unknown_country
    FROM stg_participation
    GROUP BY ALL
),

quarantined AS (
    SELECT dataset, framework_programme, source_file, target_table, count(*) AS n
    FROM quarantine
    WHERE target_table IN ('stg_project', 'stg_participation')
    GROUP BY ALL
)

SELECT
    raw_totals.dataset,
    raw_totals.framework_programme,
    raw_totals.source_file,
    raw_totals.target_table,
    CAST(raw_totals.raw_rows AS BIGINT) AS raw_rows,
    coalesce(staged.n, 0) AS staged_rows,
    coalesce(quarantined.n, 0) AS quarantined_rows,
    coalesce(staged.flagged, 0) AS flagged_rows,
    coalesce(staged.unknown_country, 0) AS unknown_country_rows,
    CASE WHEN raw_totals.target_table = 'stg_participation'
        THEN coalesce(staged.unknown_country, 0) / greatest(coalesce(staged.n, 0), 1) END AS unknown_country_share,
    raw_totals.raw_rows = coalesce(staged.n, 0) + coalesce(quarantined.n, 0) AS reconciled
FROM raw_totals
LEFT JOIN staged
    ON staged.dataset = raw_totals.dataset
    AND staged.framework_programme IS NOT DISTINCT FROM raw_totals.framework_programme
    AND staged.source_file = raw_totals.source_file
    AND staged.target_table = raw_totals.target_table
LEFT JOIN quarantined
    ON quarantined.dataset = raw_totals.dataset
    AND quarantined.framework_programme IS NOT DISTINCT FROM raw_totals.framework_programme
    AND quarantined.source_file = raw_totals.source_file
    AND quarantined.target_table = raw_totals.target_table
ORDER BY raw_totals.dataset, raw_totals.framework_programme, raw_totals.source_file, raw_totals.target_table

-- Rows kept out of the staging tables, each with its reason, source file and line: lines the CSV reader could not parse, and rows breaking a row-level rule.
-- framework_programme: FP6, FP7, H2020 or HE (NULL when it cannot be told, e.g. an unparseable line of a Dashboard export with several programmes)
-- dataset: catalog key of the source (horizon_dashboard for an analyst-supplied Dashboard export; cordisref_* for reference tables)
-- source_file: file name as fetched (zip!member for an archive member)
-- source_line: line of the record in the file (header = 1)
-- reason: why the row is here ('malformed line: ...' from the CSV reader, or the rule it breaks)
-- raw_record: the raw line (malformed lines) or the landed values as JSON (rule breaks)
-- target_table: the staging table the row was meant for
-- source_format: legacy_csv, cordis_csv, dashboard_csv, dashboard_xlsx or cordisref_csv
SELECT
    dataset,
    framework_programme,
    source_file,
    source_line,
    reason,
    raw_record,
    target_table,
    source_format
FROM land_rejects

UNION ALL

SELECT
    dataset,
    framework_programme,
    source_file,
    source_line,
    reject_reason AS reason,
    raw_record,
    'stg_project' AS target_table,
    source_format
FROM stg_project_screened

UNION ALL

SELECT
    dataset,
    framework_programme,
    source_file,
    source_line,
    reject_reason AS reason,
    raw_record,
    'stg_participation' AS target_table,
    source_format
FROM stg_participation_screened

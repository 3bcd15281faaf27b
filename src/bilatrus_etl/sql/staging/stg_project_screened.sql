-- The landed project rows that break a row-level rule, each with the first rule it breaks: quarantine lists them, stg_project types every other landed row.
-- Temporary table of the staging step: stg_project, quarantine and load_audit read it in the same run; it is not stored in the warehouse (quarantine keeps each rejected row with its reason and raw values).
-- Rules, first match wins: missing project id; unknown framework programme; exact copy of an earlier record of the same file (every field equal, mapped or not: same record_hash, DuckDB's 64-bit hash() of all the record's fields); a Horizon Dashboard row for a project the official CORDIS files give for that programme (superseded); a second row for the same project id in one programme (one row is kept: official files first, then rows with a title, then by file name and line).
-- A landed row is told by its dataset, framework programme, file and line (one record per line of a file; a file is landed once per load): stg_project keeps the landed rows that are not here. The rules read only the columns they need (exact copies are looked for among the records whose hash occurs twice); the landed values of the rejected rows are read back by their dataset, programme, file and line.
-- framework_programme: FP6, FP7, H2020 or HE as landed (NULL or another value: the row breaks the rule on programmes)
-- dataset: catalog key of the source (horizon_dashboard for an analyst-supplied Dashboard export)
-- source_format: legacy_csv, cordis_csv, dashboard_csv or dashboard_xlsx
-- source_file: file name as fetched (zip!member for an archive member)
-- source_line: line of the record in the file (header = 1)
-- reject_reason: the first rule the row breaks
-- raw_record: the landed values of the row, as JSON
WITH landed AS (
    SELECT
        l.framework_programme, l.dataset, l.source_format, l.source_file, l.source_line, l.record_hash,
        l.title IS NOT NULL AS has_title,
        clean_id(l.project_id) AS project_key,
        NOT starts_with(l.source_format, 'dashboard') AS is_official
    FROM land_project AS l
),

repeated_hashes AS (
    SELECT record_hash
    FROM land_project
    GROUP BY record_hash
    HAVING count(*) > 1
),

repeated_records AS (
    SELECT source_file, record_hash, min(source_line) AS first_copy_line
    FROM land_project
    WHERE record_hash IN (SELECT record_hash FROM repeated_hashes)
    GROUP BY source_file, record_hash
    HAVING count(*) > 1
),

ranked AS (
    SELECT
        landed.*,
        coalesce(landed.source_line > repeated_records.first_copy_line, false) AS is_copy,
        repeated_records.first_copy_line,
        row_number() OVER (
            PARTITION BY landed.framework_programme, landed.project_key
            ORDER BY landed.is_official DESC, landed.has_title DESC, landed.source_file, landed.source_line
        ) AS key_number,
        bool_or(landed.is_official) OVER (PARTITION BY landed.framework_programme, landed.project_key) AS has_official
    FROM landed
    LEFT JOIN repeated_records
        ON repeated_records.source_file = landed.source_file
        AND repeated_records.record_hash = landed.record_hash
),

screened AS (
    SELECT
        ranked.*,
        CASE
            WHEN ranked.project_key IS NULL THEN 'missing project id'
            WHEN ranked.framework_programme IS NULL OR ranked.framework_programme NOT IN ('FP6', 'FP7', 'H2020', 'HE')
                THEN 'unknown framework programme'
            WHEN ranked.is_copy THEN 'exact duplicate of line ' || ranked.first_copy_line
            WHEN NOT ranked.is_official AND ranked.has_official
                THEN 'superseded: the official CORDIS files give this project for ' || ranked.framework_programme
            WHEN ranked.key_number > 1
                THEN 'duplicate project id ' || ranked.project_key || ' (the first row is kept)'
        END AS reject_reason
    FROM ranked
),

rejected AS (
    SELECT framework_programme, dataset, source_format, source_file, source_line, reject_reason
    FROM screened
    WHERE reject_reason IS NOT NULL
)

SELECT
    rejected.*,
    CAST(to_json(struct_pack(
        project_id := l.project_id, rcn := l.rcn, acronym := l.acronym, status := l.status,
        title := l.title, programme_code := l.programme_code, topic := l.topic,
        funding_scheme := l.funding_scheme, call := l.call, start_date := l.start_date,
        end_date := l.end_date, total_cost := l.total_cost,
        ec_max_contribution := l.ec_max_contribution, framework_programme := l.framework_programme
    )) AS VARCHAR) AS raw_record
FROM rejected
INNER JOIN land_project AS l
    ON l.dataset = rejected.dataset
    AND l.framework_programme IS NOT DISTINCT FROM rejected.framework_programme
    AND l.source_file = rejected.source_file
    AND l.source_line = rejected.source_line

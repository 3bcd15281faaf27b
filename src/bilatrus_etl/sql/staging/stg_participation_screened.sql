-- The landed participation rows that break a row-level rule, each with the first rule it breaks: quarantine lists them, stg_participation types and conforms every other landed row.
-- Temporary table of the staging step: stg_participation, quarantine and load_audit read it in the same run; it is not stored in the warehouse (quarantine keeps each rejected row with its reason and raw values).
-- Rules, first match wins: missing project id; unknown framework programme; no organisation identity (neither PIC nor name); exact copy of an earlier record of the same file (every field equal, mapped or not: same record_hash, DuckDB's 64-bit hash() of all the record's fields); a Horizon Dashboard row for a project whose participants the official CORDIS files give for that programme (superseded); orphan: the project has no row in the programme's staged projects (stg_project; no project is invented for it).
-- A row with a PIC but no name is kept (the PIC identifies the organisation). The same organisation twice in a project (e.g. participant and third party) is kept: both rows are in the source.
-- A landed row is told by its dataset, framework programme, file and line (one record per line of a file; a file is landed once per load): stg_participation keeps the landed rows that are not here. The rules read only the columns they need (exact copies are looked for among the records whose hash occurs twice); the landed values of the rejected rows are read back by their dataset, programme, file and line.
-- framework_programme: FP6, FP7, H2020 or HE as landed (NULL or another value: the row breaks the rule on programmes)
-- dataset: catalog key of the source (horizon_dashboard for an analyst-supplied Dashboard export)
-- source_format: legacy_csv, cordis_csv, dashboard_csv or dashboard_xlsx
-- source_file: file name as fetched (zip!member for an archive member)
-- source_line: line of the record in the file (header = 1)
-- reject_reason: the first rule the row breaks
-- raw_record: the landed values of the row, as JSON
WITH landed AS (
    SELECT
        l.project_id, l.framework_programme, l.dataset, l.source_format, l.source_file, l.source_line, l.record_hash,
        l.pic, l.name,
        clean_id(l.project_id) AS project_key,
        NOT starts_with(l.source_format, 'dashboard') AS is_official
    FROM land_participation AS l
),

repeated_hashes AS (
    SELECT record_hash
    FROM land_participation
    GROUP BY record_hash
    HAVING count(*) > 1
),

repeated_records AS (
    SELECT source_file, record_hash, min(source_line) AS first_copy_line
    FROM land_participation
    WHERE record_hash IN (SELECT record_hash FROM repeated_hashes)
    GROUP BY source_file, record_hash
    HAVING count(*) > 1
),

dashboard_projects AS (
    SELECT DISTINCT framework_programme, clean_id(project_id) AS project_key
    FROM land_participation
    WHERE starts_with(source_format, 'dashboard')
),

superseded_projects AS (
    SELECT DISTINCT dashboard_projects.framework_programme, dashboard_projects.project_key
    FROM dashboard_projects
    INNER JOIN land_participation AS official
        ON official.framework_programme = dashboard_projects.framework_programme
        AND clean_id(official.project_id) = dashboard_projects.project_key
    WHERE NOT starts_with(official.source_format, 'dashboard')
),

staged_projects AS (
    SELECT DISTINCT framework_programme, project_id
    FROM stg_project
),

screened AS (
    SELECT
        landed.*,
        CASE
            WHEN landed.project_key IS NULL THEN 'missing project id'
            WHEN landed.framework_programme IS NULL OR landed.framework_programme NOT IN ('FP6', 'FP7', 'H2020', 'HE')
                THEN 'unknown framework programme'
            WHEN clean_pic(landed.pic) IS NULL AND clean_text(landed.name) IS NULL
                THEN 'missing organisation name and PIC'
            WHEN repeated_records.first_copy_line < landed.source_line
                THEN 'exact duplicate of line ' || repeated_records.first_copy_line
            WHEN NOT landed.is_official AND superseded_projects.project_key IS NOT NULL
                THEN 'superseded: the official CORDIS files give this project''s participants for '
                    || landed.framework_programme
            WHEN staged_projects.project_id IS NULL
                THEN 'orphan: project ' || landed.project_key || ' has no row in the staged ' || landed.framework_programme
                    || ' projects (absent from the project file)'
        END AS reject_reason
    FROM landed
    LEFT JOIN repeated_records
        ON repeated_records.source_file = landed.source_file
        AND repeated_records.record_hash = landed.record_hash
    LEFT JOIN superseded_projects
        ON superseded_projects.framework_programme = landed.framework_programme
        AND superseded_projects.project_key = landed.project_key
    LEFT JOIN staged_projects
        ON staged_projects.framework_programme = landed.framework_programme
        AND staged_projects.project_id = landed.project_key
),

rejected AS (
    SELECT framework_programme, dataset, source_format, source_file, source_line, reject_reason
    FROM screened
    WHERE reject_reason IS NOT NULL
)

SELECT
    rejected.*,
    CAST(to_json(struct_pack(
        project_id := l.project_id, pic := l.pic, name := l.name,
        short_name := l.short_name, activity_type := l.activity_type, role := l.role,
        city := l.city, country := l.country, ec_contribution := l.ec_contribution,
        framework_programme := l.framework_programme
    )) AS VARCHAR) AS raw_record
FROM rejected
INNER JOIN land_participation AS l
    ON l.dataset = rejected.dataset
    AND l.framework_programme IS NOT DISTINCT FROM rejected.framework_programme
    AND l.source_file = rejected.source_file
    AND l.source_line = rejected.source_line

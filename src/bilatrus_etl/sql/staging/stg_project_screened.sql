-- Every landed project row, typed, with the first row-level rule it breaks (NULL when it passes): stg_project keeps the rows that pass, quarantine lists the others.
-- Temporary table of the staging step: stg_project, stg_participation_screened, quarantine and load_audit read it in the same run; it is not stored in the warehouse (quarantine keeps each rejected row with its reason and raw values).
-- Rules, first match wins: missing project id; unknown framework programme; exact copy of an earlier record of the same file (every field equal, mapped or not: same record_hash, DuckDB's 64-bit hash() of all the record's fields); a Horizon Dashboard row for a project the official CORDIS files give for that programme (superseded); a second row for the same project id in one programme (one row is kept: official files first, then rows with a title, then by file name and line).
-- Typing: dates read in several formats (clean_date), money with decimal commas or points and thousands separators (clean_money; decimal commas in legacy files; elsewhere a lone comma followed by exactly three digits is a thousands separator, else the decimal mark).
-- A value that is present but does not parse (a missing-value marker such as "-" or "n/a", text that is not a number or a date, a number out of range for DECIMAL(18,2), a date outside 1900-2100) is NULL in its column and the row is kept with value_issues naming the column, the text and the reason; load_audit counts these flagged rows.
-- framework_programme: FP6, FP7, H2020 or HE (for Dashboard exports, from the file's own column or the legal basis)
-- project_id: CORDIS project id (grant agreement number), trimmed
-- acronym: project acronym
-- title: project title (NULL in participant-level Dashboard exports)
-- programme_code: programme / legal basis code (e.g. H2020-EU.1.3.)
-- topic: call topic code(s) as published
-- funding_scheme: funding scheme code (e.g. RIA, CP, ERC-ADG)
-- start_date: project start date
-- end_date: project end date
-- total_cost: total cost in EUR
-- ec_max_contribution: maximum EU contribution in EUR
-- value_issues: values present in the source that did not parse, each as column "text": reason (NULL when every value parsed)
-- dataset: catalog key of the source (horizon_dashboard for an analyst-supplied Dashboard export)
-- source_format: legacy_csv, cordis_csv, dashboard_csv or dashboard_xlsx
-- source_file: file name as fetched (zip!member for an archive member)
-- source_line: line of the record in the file (header = 1)
-- reject_reason: the first rule the row breaks; NULL when it is staged
-- raw_record: the landed values of a rejected row, as JSON; NULL when it is staged
WITH landed AS (
    SELECT
        l.*,
        clean_id(l.project_id) AS project_key,
        NOT starts_with(l.source_format, 'dashboard') AS is_official
    FROM land_project AS l
),

repeated_records AS (
    SELECT source_file, record_hash, min(source_line) AS first_copy_line
    FROM land_project
    GROUP BY source_file, record_hash
    HAVING count(*) > 1
),

ranked AS (
    SELECT
        landed.*,
        parse_date(landed.start_date) AS start_parsed,
        parse_date(landed.end_date) AS end_parsed,
        money_compact(landed.total_cost) AS total_cost_compact,
        money_compact(landed.ec_max_contribution) AS ec_max_compact,
        coalesce(landed.source_line > repeated_records.first_copy_line, false) AS is_copy,
        repeated_records.first_copy_line,
        row_number() OVER (
            PARTITION BY landed.framework_programme, landed.project_key
            ORDER BY landed.is_official DESC, landed.title IS NOT NULL DESC, landed.source_file, landed.source_line
        ) AS key_number,
        bool_or(landed.is_official) OVER (PARTITION BY landed.framework_programme, landed.project_key) AS has_official
    FROM landed
    LEFT JOIN repeated_records
        ON repeated_records.source_file = landed.source_file
        AND repeated_records.record_hash = landed.record_hash
),

money_texts AS (
    SELECT
        ranked.*,
        money_text(ranked.total_cost_compact, ranked.source_format = 'legacy_csv') AS total_cost_text,
        money_text(ranked.ec_max_compact, ranked.source_format = 'legacy_csv') AS ec_max_text
    FROM ranked
),

typed AS (
    SELECT
        money_texts.*,
        money_amount(money_texts.total_cost_text) AS total_cost_amount,
        money_amount(money_texts.ec_max_text) AS ec_max_amount
    FROM money_texts
)

SELECT
    framework_programme,
    project_key AS project_id,
    clean_text(acronym) AS acronym,
    clean_text(title) AS title,
    clean_text(programme_code) AS programme_code,
    clean_text(topic) AS topic,
    clean_text(funding_scheme) AS funding_scheme,
    date_in_range(start_parsed) AS start_date,
    date_in_range(end_parsed) AS end_date,
    total_cost_amount AS total_cost,
    ec_max_amount AS ec_max_contribution,
    nullif(concat_ws('; ',
        value_flag('start_date', typed.start_date, date_issue_of(typed.start_date, typed.start_parsed)),
        value_flag('end_date', typed.end_date, date_issue_of(typed.end_date, typed.end_parsed)),
        value_flag('total_cost', typed.total_cost,
            money_issue_of(typed.total_cost, typed.total_cost_text, typed.total_cost_amount)),
        value_flag('ec_max_contribution', typed.ec_max_contribution,
            money_issue_of(typed.ec_max_contribution, typed.ec_max_text, typed.ec_max_amount))
    ), '') AS value_issues,
    dataset,
    source_format,
    source_file,
    source_line,
    CASE
        WHEN project_key IS NULL THEN 'missing project id'
        WHEN framework_programme IS NULL OR framework_programme NOT IN ('FP6', 'FP7', 'H2020', 'HE')
            THEN 'unknown framework programme'
        WHEN is_copy THEN 'exact duplicate of line ' || first_copy_line
        WHEN NOT is_official AND has_official
            THEN 'superseded: the official CORDIS files give this project for ' || framework_programme
        WHEN key_number > 1 THEN 'duplicate project id ' || project_key || ' (the first row is kept)'
    END AS reject_reason,
    CASE WHEN reject_reason IS NOT NULL THEN CAST(to_json(struct_pack(
        project_id := typed.project_id, rcn := typed.rcn, acronym := typed.acronym, status := typed.status,
        title := typed.title, programme_code := typed.programme_code, topic := typed.topic,
        funding_scheme := typed.funding_scheme, call := typed.call, start_date := typed.start_date,
        end_date := typed.end_date, total_cost := typed.total_cost,
        ec_max_contribution := typed.ec_max_contribution, framework_programme := typed.framework_programme
    )) AS VARCHAR) END AS raw_record
FROM typed

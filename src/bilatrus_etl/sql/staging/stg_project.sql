-- One row per project per framework programme, typed, from the programme's project file (or an analyst's Horizon Dashboard export for projects the official files lack).
-- Every landed project row that breaks no row-level rule, typed; the others are in quarantine instead, with the rule as reason (the rules: sql/staging/stg_project_screened.sql, a temporary table of the staging step, not stored).
-- Typing: dates read in several formats (clean_date), money with decimal commas or points and thousands separators (clean_money; decimal commas in legacy files; elsewhere a lone comma followed by exactly three digits is a thousands separator, else the decimal mark).
-- A value that is present but does not parse (a missing-value marker such as "-" or "n/a", text that is not a number or a date, a number out of range for DECIMAL(18,2), a date outside 1900-2100) is NULL in its column and the row is kept with value_issues naming the column, the text and the reason; load_audit counts these flagged rows.
-- framework_programme: FP6, FP7, H2020 or HE
-- project_id: CORDIS project id (grant agreement number)
-- acronym: project acronym
-- title: project title (NULL for projects known only from a participant-level Dashboard export)
-- programme_code: programme / legal basis code (e.g. H2020-EU.1.3.)
-- topic: call topic code(s) as published
-- funding_scheme: funding scheme code (e.g. RIA, CP, ERC-ADG)
-- start_date: project start date
-- end_date: project end date
-- total_cost: total cost in EUR
-- ec_max_contribution: maximum EU contribution in EUR
-- value_issues: values present in the source that did not parse and are NULL here, each as column "text": reason (NULL when every value parsed)
-- dataset: catalog key of the source file's dataset
-- source_file: file name as fetched (zip!member for an archive member)
-- source_line: line of the record in the file (header = 1)
WITH staged AS (
    SELECT
        landed.*,
        parse_date(landed.start_date) AS start_parsed,
        parse_date(landed.end_date) AS end_parsed,
        money_text(money_compact(landed.total_cost), landed.source_format = 'legacy_csv') AS total_cost_text,
        money_text(money_compact(landed.ec_max_contribution), landed.source_format = 'legacy_csv') AS ec_max_text
    FROM land_project AS landed
    ANTI JOIN stg_project_screened AS rejected
        ON rejected.dataset = landed.dataset
        AND rejected.framework_programme IS NOT DISTINCT FROM landed.framework_programme
        AND rejected.source_file = landed.source_file
        AND rejected.source_line = landed.source_line
),

typed AS (
    SELECT
        staged.*,
        money_amount(staged.total_cost_text) AS total_cost_amount,
        money_amount(staged.ec_max_text) AS ec_max_amount
    FROM staged
)

SELECT
    framework_programme,
    clean_id(project_id) AS project_id,
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
    source_file,
    source_line
FROM typed

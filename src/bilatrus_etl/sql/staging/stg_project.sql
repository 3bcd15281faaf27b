-- One row per project per framework programme, typed, from the programme's project file (or an analyst's Horizon Dashboard export for projects the official files lack).
-- Rows breaking a row-level rule are in quarantine instead, with the rule as reason (the rules and typing: sql/staging/stg_project_screened.sql, a temporary table of the staging step, not stored).
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
-- value_issues: values present in the source that did not parse and are NULL here, each as column "text": reason (NULL when every value parsed; see stg_project_screened)
-- dataset: catalog key of the source file's dataset
-- source_file: file name as fetched (zip!member for an archive member)
-- source_line: line of the record in the file (header = 1)
SELECT
    framework_programme,
    project_id,
    acronym,
    title,
    programme_code,
    topic,
    funding_scheme,
    start_date,
    end_date,
    total_cost,
    ec_max_contribution,
    value_issues,
    dataset,
    source_file,
    source_line
FROM stg_project_screened
WHERE reject_reason IS NULL

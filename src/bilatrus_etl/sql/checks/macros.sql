-- The shapes the SQL checks share, as DuckDB table macros (created before the checks run; a check file is then one
-- call with its table and its own numbers). Every macro returns the columns of a check: column, severity,
-- unexpected_count, unexpected_percent, sample, message; one row per failure.

-- Rows of `tbl` per framework programme within its bounds (`bounds`: a list of {programme, min_rows, max_rows}): one
-- row per programme outside them. Checked: the programmes asked for (`programmes`; one without rows counts 0, one
-- without bounds must have at least one row), else the bounded programmes present.
CREATE OR REPLACE TEMP MACRO check_rows_per_programme(tbl, programmes, bounds) AS TABLE
WITH bounds AS (
    SELECT b.programme, b.min_rows, b.max_rows FROM (SELECT unnest(bounds) AS b)
),
counts AS (
    SELECT framework_programme AS programme, count(*) AS n_rows FROM query_table(tbl) GROUP BY ALL
),
checked AS (
    SELECT unnest(CAST(programmes AS VARCHAR[])) AS programme
    UNION
    SELECT programme FROM bounds
    WHERE len(CAST(programmes AS VARCHAR[])) = 0 AND programme IN (SELECT programme FROM counts)
)
SELECT
    'framework_programme' AS "column",
    'error' AS severity,
    NULL::BIGINT AS unexpected_count,
    NULL::DOUBLE AS unexpected_percent,
    [coalesce(c.n_rows, 0)] AS sample,
    format('{}: {} has {} row(s), outside the expected bounds [{}, {}].', tbl, k.programme,
           coalesce(c.n_rows, 0), coalesce(b.min_rows, 1), coalesce(b.max_rows::VARCHAR, '-')) AS message
FROM checked AS k
LEFT JOIN bounds AS b USING (programme)
LEFT JOIN counts AS c USING (programme)
WHERE coalesce(c.n_rows, 0) < coalesce(b.min_rows, 1) OR coalesce(c.n_rows, 0) > b.max_rows
ORDER BY k.programme;

-- Column types of `tbl` as DuckDB declares them, against `expected` (a list of {column_name, allowed: [types]}):
-- one row per column of another type, or missing.
CREATE OR REPLACE TEMP MACRO check_column_types(tbl, expected) AS TABLE
WITH wanted AS (
    SELECT w.column_name, w.allowed FROM (SELECT unnest(expected) AS w)
),
actual AS (
    SELECT column_name, data_type
    FROM duckdb_columns()
    WHERE database_name = current_database() AND schema_name = current_schema() AND table_name = tbl
)
SELECT
    e.column_name AS "column",
    'error' AS severity,
    NULL::BIGINT AS unexpected_count,
    NULL::DOUBLE AS unexpected_percent,
    [a.data_type] AS sample,
    CASE
        WHEN a.data_type IS NULL
            THEN format('{}: column ''{}'' (type {}) is missing.', tbl, e.column_name, array_to_string(e.allowed, ' or '))
        ELSE format('{}: column ''{}'' has type {}, expected {} (did its values parse?).',
                    tbl, e.column_name, a.data_type, array_to_string(e.allowed, ' or '))
    END AS message
FROM wanted AS e
LEFT JOIN actual AS a USING (column_name)
WHERE a.data_type IS NULL OR NOT list_contains(e.allowed, a.data_type)
ORDER BY e.column_name;

-- Foreign key: `child`(child_columns) references `parent`(parent_columns). One row when rows of `child` (of the
-- programmes asked for, `programmes`, when it is a list; all rows when it is NULL or empty) have a key with no match
-- (NULL keys are not checked): their number, share and up to 10 of their keys ('FP7 / 123' for two columns).
-- Rows are matched on the columns themselves (NOT EXISTS, a hash anti join); only the orphans' keys become text.
CREATE OR REPLACE TEMP MACRO foreign_key_rows(child_columns, programmes) AS
    array_to_string(list_transform(child_columns, lambda c: 'c.' || c || ' IS NOT NULL'), ' AND ')
    || CASE WHEN coalesce(len(CAST(programmes AS VARCHAR[])), 0) = 0 THEN ''
            ELSE format(' AND c.framework_programme IN ({})', array_to_string(list_transform(
                CAST(programmes AS VARCHAR[]), lambda p: '''' || replace(p, '''', '''''') || ''''), ', '))
       END;

CREATE OR REPLACE TEMP MACRO check_foreign_key(child, child_columns, parent, parent_columns, severity, programmes) AS TABLE
WITH checked AS (
    SELECT * FROM query(format(
        'SELECT count(*) AS n_rows FROM {} AS c WHERE {}', child, foreign_key_rows(child_columns, programmes)
    ))
),
orphan AS (
    SELECT * FROM query(format(
        'SELECT concat_ws('' / '', {}) AS key FROM {} AS c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})',
        array_to_string(list_transform(child_columns, lambda c: 'c.' || c || '::VARCHAR'), ', '),
        child,
        foreign_key_rows(child_columns, programmes),
        parent,
        array_to_string(list_transform(parent_columns, lambda p, i: 'p.' || p || ' = c.' || child_columns[i]), ' AND ')
    ))
)
SELECT
    array_to_string(child_columns, ', ') AS "column",
    severity AS severity,
    count(*) AS unexpected_count,
    round(100.0 * count(*) / (SELECT n_rows FROM checked), 4) AS unexpected_percent,
    list_sort(list_distinct(list(key)))[1:10] AS sample,
    format('{}: {} row(s) ({}%) have {} with no match in {}({}); e.g. {}.',
           child, count(*), round(100.0 * count(*) / (SELECT n_rows FROM checked), 4),
           array_to_string(child_columns, ', '), parent, array_to_string(parent_columns, ', '),
           list_sort(list_distinct(list(key)))[1:10]) AS message
FROM orphan
HAVING count(*) > 0;

-- Column types of stg_participation as DuckDB declares them: one row per column of another type (or missing).
WITH expected(column_name, allowed) AS (
    VALUES
        ('ec_contribution', ['DECIMAL(18,2)'])
),
actual AS (
    SELECT column_name, data_type
    FROM duckdb_columns()
    WHERE database_name = current_database() AND schema_name = current_schema() AND table_name = 'stg_participation'
)
SELECT
    e.column_name AS "column",
    'error' AS severity,
    NULL::BIGINT AS unexpected_count,
    NULL::DOUBLE AS unexpected_percent,
    [a.data_type] AS sample,
    CASE
        WHEN a.data_type IS NULL
            THEN format(
                'stg_participation: column ''{}'' (type {}) is missing.',
                e.column_name, array_to_string(e.allowed, ' or '))
        ELSE format(
            'stg_participation: column ''{}'' has type {}, expected {} (did its values parse?).',
            e.column_name, a.data_type, array_to_string(e.allowed, ' or '))
    END AS message
FROM expected AS e
LEFT JOIN actual AS a USING (column_name)
WHERE a.data_type IS NULL OR NOT list_contains(e.allowed, a.data_type)
ORDER BY e.column_name

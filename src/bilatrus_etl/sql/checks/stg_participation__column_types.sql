-- Column types of stg_participation as DuckDB declares them: one row per column of another type (or missing).
SELECT * FROM check_column_types('stg_participation', [
    {'column_name': 'ec_contribution', 'allowed': ['DECIMAL(18,2)']}
])

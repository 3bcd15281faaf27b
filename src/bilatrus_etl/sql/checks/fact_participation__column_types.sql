-- Column types of fact_participation as DuckDB declares them: one row per column of another type (or missing).
SELECT * FROM check_column_types('fact_participation', [
    {'column_name': 'weight', 'allowed': ['DOUBLE']},
    {'column_name': 'ec_contribution', 'allowed': ['DECIMAL(18,2)', 'DECIMAL(38,2)']}
])

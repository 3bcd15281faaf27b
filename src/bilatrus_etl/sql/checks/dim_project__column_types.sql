-- Column types of dim_project as DuckDB declares them: one row per column of another type (or missing).
SELECT * FROM check_column_types('dim_project', [
    {'column_name': 'start_date', 'allowed': ['DATE']},
    {'column_name': 'end_date', 'allowed': ['DATE']},
    {'column_name': 'start_year', 'allowed': ['BIGINT', 'INTEGER']},
    {'column_name': 'total_cost', 'allowed': ['DECIMAL(18,2)']},
    {'column_name': 'ec_max_contribution', 'allowed': ['DECIMAL(18,2)']}
])

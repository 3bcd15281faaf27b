-- Column types of stg_project as DuckDB declares them (dates and money are typed in staging; a VARCHAR means the
-- values did not parse): one row per column of another type (or missing).
SELECT * FROM check_column_types('stg_project', [
    {'column_name': 'start_date', 'allowed': ['DATE']},
    {'column_name': 'end_date', 'allowed': ['DATE']},
    {'column_name': 'total_cost', 'allowed': ['DECIMAL(18,2)']},
    {'column_name': 'ec_max_contribution', 'allowed': ['DECIMAL(18,2)']}
])

-- Rows of dim_project per framework programme within sanity bounds valid at every scale: one row per programme
-- outside them. Checked: the programmes asked for ($programmes; one without rows counts 0), else those present.
SELECT * FROM check_rows_per_programme('dim_project', $programmes, [
    {'programme': 'FP6', 'min_rows': 1, 'max_rows': 200000},
    {'programme': 'FP7', 'min_rows': 1, 'max_rows': 200000},
    {'programme': 'H2020', 'min_rows': 1, 'max_rows': 200000},
    {'programme': 'HE', 'min_rows': 1, 'max_rows': 200000}
])

-- Rows of stg_participation per framework programme within sanity bounds valid at every scale (full CORDIS:
-- ~75k-200k participations per programme): one row per programme outside them. Checked: the programmes asked for
-- ($programmes; one without rows counts 0), else those present.
SELECT * FROM check_rows_per_programme('stg_participation', $programmes, [
    {'programme': 'FP6', 'min_rows': 1, 'max_rows': 1000000},
    {'programme': 'FP7', 'min_rows': 1, 'max_rows': 1000000},
    {'programme': 'H2020', 'min_rows': 1, 'max_rows': 1000000},
    {'programme': 'HE', 'min_rows': 1, 'max_rows': 1000000}
])

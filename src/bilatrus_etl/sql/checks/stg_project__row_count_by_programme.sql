-- Rows of stg_project per framework programme within sanity bounds valid at every scale (demo mirror to full CORDIS,
-- ~10k-36k projects per programme): a programme staged empty, or exploded by a bad join: one row per programme
-- outside them. Checked: the programmes asked for ($programmes; one without rows counts 0), else those present.
SELECT * FROM check_rows_per_programme('stg_project', $programmes, [
    {'programme': 'FP6', 'min_rows': 1, 'max_rows': 200000},
    {'programme': 'FP7', 'min_rows': 1, 'max_rows': 200000},
    {'programme': 'H2020', 'min_rows': 1, 'max_rows': 200000},
    {'programme': 'HE', 'min_rows': 1, 'max_rows': 200000}
])

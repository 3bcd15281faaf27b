-- Rows of dim_project per framework programme within sanity bounds valid at every scale: one row per programme
-- outside them. Checked: the programmes asked for ($programmes; one without rows counts 0), else those present.
WITH bounds(programme, min_rows, max_rows) AS (
    VALUES ('FP6', 1, 200000), ('FP7', 1, 200000), ('H2020', 1, 200000), ('HE', 1, 200000)
),
counts AS (
    SELECT framework_programme AS programme, count(*) AS n_rows FROM dim_project GROUP BY ALL
),
checked AS (
    SELECT unnest(CAST($programmes AS VARCHAR[])) AS programme
    UNION
    SELECT programme FROM bounds
    WHERE len(CAST($programmes AS VARCHAR[])) = 0 AND programme IN (SELECT programme FROM counts)
)
SELECT
    'framework_programme' AS "column",
    'error' AS severity,
    NULL::BIGINT AS unexpected_count,
    NULL::DOUBLE AS unexpected_percent,
    [coalesce(c.n_rows, 0)] AS sample,
    format('dim_project: {} has {} row(s), outside the expected bounds [{}, {}].', k.programme,
           coalesce(c.n_rows, 0), coalesce(b.min_rows, 1), coalesce(b.max_rows::VARCHAR, '-')) AS message
FROM checked AS k
LEFT JOIN bounds AS b USING (programme)
LEFT JOIN counts AS c USING (programme)
WHERE coalesce(c.n_rows, 0) < coalesce(b.min_rows, 1) OR coalesce(c.n_rows, 0) > b.max_rows
ORDER BY k.programme

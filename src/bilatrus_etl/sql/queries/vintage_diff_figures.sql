-- Mart figures of the focus country that moved between two vintages ($from_vintage, $to_vintage, focus_country()), in the
-- diff's shared shape (change 'figure moved'; subject = mart:key; field = the figure): programme totals
-- (mart_country_participation summed over start years), the focus country's row of the third-country ranking, and
-- the partner countries ranked in the top 10 by joint projects in either vintage. Figures equal to within 1e-9
-- (relative) have not moved.
WITH totals AS (
    FROM (
        SELECT
            vintage, framework_programme, 'mart_country_participation:total' AS subject,
            sum(projects)::DOUBLE AS projects,
            sum(participations)::DOUBLE AS participations,
            sum(participations_fractional)::DOUBLE AS participations_fractional,
            sum(funded_participations)::DOUBLE AS funded_participations,
            sum(unfunded_participations)::DOUBLE AS unfunded_participations,
            sum(coordinations)::DOUBLE AS coordinations,
            sum(ec_contribution)::DOUBLE AS ec_contribution
        FROM history_mart_country_participation
        WHERE vintage IN ($from_vintage, $to_vintage) AND focus_country = focus_country()
        GROUP BY ALL
    ) UNPIVOT INCLUDE NULLS (value FOR field IN (COLUMNS(* EXCLUDE (vintage, framework_programme, subject))))
),
ranking AS (
    FROM (
        SELECT
            vintage, framework_programme, 'mart_third_country_ranking:' || country_code AS subject,
            rank_participations::DOUBLE AS rank_participations,
            participations::DOUBLE AS participations,
            participations_fractional::DOUBLE AS participations_fractional,
            projects::DOUBLE AS projects,
            ec_contribution::DOUBLE AS ec_contribution,
            share_participations::DOUBLE AS share_participations,
            share_projects::DOUBLE AS share_projects,
            share_ec_contribution::DOUBLE AS share_ec_contribution
        FROM history_mart_third_country_ranking
        WHERE vintage IN ($from_vintage, $to_vintage) AND country_code = focus_country()
    ) UNPIVOT INCLUDE NULLS (value FOR field IN (COLUMNS(* EXCLUDE (vintage, framework_programme, subject))))
),
top_partners AS (
    SELECT DISTINCT framework_programme, partner_country
    FROM history_mart_partner_countries
    WHERE vintage IN ($from_vintage, $to_vintage) AND focus_country = focus_country() AND rank_joint_projects <= 10
),
partners AS (
    FROM (
        SELECT
            vintage, framework_programme, 'mart_partner_countries:' || partner_country AS subject,
            rank_joint_projects::DOUBLE AS rank_joint_projects,
            joint_projects::DOUBLE AS joint_projects,
            links_fractional::DOUBLE AS links_fractional,
            salton::DOUBLE AS salton
        FROM history_mart_partner_countries
        SEMI JOIN top_partners USING (framework_programme, partner_country)
        WHERE vintage IN ($from_vintage, $to_vintage) AND focus_country = focus_country()
    ) UNPIVOT INCLUDE NULLS (value FOR field IN (COLUMNS(* EXCLUDE (vintage, framework_programme, subject))))
),
figures AS (
    SELECT * FROM totals UNION ALL BY NAME SELECT * FROM ranking UNION ALL BY NAME SELECT * FROM partners
),
paired AS (
    SELECT framework_programme, subject, field, f.value AS from_value, t.value AS to_value
    FROM (SELECT * FROM figures WHERE vintage = $from_vintage) AS f
    FULL OUTER JOIN (SELECT * FROM figures WHERE vintage = $to_vintage) AS t USING (framework_programme, subject, field)
)
SELECT
    'figure moved' AS change,
    framework_programme,
    NULL::VARCHAR AS project_id,
    subject,
    NULL::VARCHAR AS name,
    field,
    CASE WHEN from_value = trunc(from_value) AND abs(from_value) < 1e15 THEN CAST(CAST(from_value AS BIGINT) AS VARCHAR)
         ELSE CAST(round(from_value, 6) AS VARCHAR) END AS from_value,
    CASE WHEN to_value = trunc(to_value) AND abs(to_value) < 1e15 THEN CAST(CAST(to_value AS BIGINT) AS VARCHAR)
         ELSE CAST(round(to_value, 6) AS VARCHAR) END AS to_value
FROM paired
WHERE (from_value IS NULL) <> (to_value IS NULL)
   OR abs(from_value - to_value) > 1e-9 * greatest(abs(from_value), abs(to_value), 1)
ORDER BY subject, framework_programme, field

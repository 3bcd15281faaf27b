-- The focus country's participations per framework programme and theme, its share of each theme and its activity index (its share in the theme divided by its share overall).
-- One row: one framework programme and one theme (every theme with any participation; zeros where the focus
-- country had none). Themes come from dim_project (curated programme_themes.csv via dim_programme).
-- Counting: full (each participation counts 1) and fractional (1/n per participation, n = organisations in the
-- project) side by side. Activity index = (focus participations in theme / all participations in theme) /
-- (focus participations in programme / all participations in programme): above 1 the country is relatively
-- specialised in the theme, below 1 under-represented. NULL where the focus country has no participation in
-- the programme. Focus country: focus_country(): session variable focus_country, default 'RU'.
-- Caveats: FP6 has no per-participant EC contribution (ec_contribution NULL). Codes without a curated theme
-- are grouped under theme_code 'unclassified'.
-- focus_country: ISO code of the focus country
-- framework_programme: FP6, FP7, H2020 or HE
-- theme_code: curated theme code (e.g. FP6-P2, FP7-ICT, H2020-SC1)
-- theme_name: English name of the theme
-- pillar: specific programme or pillar of the theme
-- projects: projects of the theme with the focus country
-- participations: the focus country's participations in the theme (full count)
-- participations_fractional: the focus country's fractional participations in the theme
-- ec_contribution: EC contribution to the focus country's organisations in the theme in EUR (NULL for FP6)
-- all_participations: participations in the theme (every country)
-- all_participations_fractional: fractional participations in the theme (every country) = projects of the theme
-- share_participations: participations / all_participations
-- share_participations_fractional: participations_fractional / all_participations_fractional
-- share_overall: the focus country's share of all participations of the programme
-- share_overall_fractional: the focus country's fractional share of the programme
-- activity_index: share_participations / share_overall
-- activity_index_fractional: share_participations_fractional / share_overall_fractional
WITH facts AS (
    SELECT
        f.framework_programme,
        f.project_id,
        f.weight,
        f.ec_contribution,
        f.country_code = focus_country() AS is_focus,
        coalesce(p.theme_code, 'unclassified') AS theme_code,
        coalesce(p.theme_name, 'Unclassified') AS theme_name,
        p.pillar
    FROM fact_participation AS f
    LEFT JOIN dim_project AS p USING (framework_programme, project_id)
),
themes AS (
    SELECT
        framework_programme,
        theme_code,
        any_value(theme_name) AS theme_name,
        any_value(pillar) AS pillar,
        count(DISTINCT project_id) FILTER (WHERE is_focus) AS projects,
        count(*) FILTER (WHERE is_focus) AS participations,
        coalesce(CAST(sum(CAST(weight AS DECIMAL(38, 18))) FILTER (WHERE is_focus) AS DOUBLE), 0) AS participations_fractional,
        sum(ec_contribution) FILTER (WHERE is_focus) AS ec_contribution,
        count(*) AS all_participations,
        CAST(sum(CAST(weight AS DECIMAL(38, 18))) AS DOUBLE) AS all_participations_fractional
    FROM facts
    GROUP BY framework_programme, theme_code
),
programmes AS (
    SELECT
        framework_programme,
        sum(participations) / sum(all_participations) AS share_overall,
        CAST(sum(CAST(participations_fractional AS DECIMAL(38, 18))) AS DOUBLE) / CAST(sum(CAST(all_participations_fractional AS DECIMAL(38, 18))) AS DOUBLE) AS share_overall_fractional
    FROM themes
    GROUP BY framework_programme
)
SELECT
    focus_country() AS focus_country,
    t.framework_programme,
    t.theme_code,
    t.theme_name,
    t.pillar,
    t.projects,
    t.participations,
    t.participations_fractional,
    t.ec_contribution,
    t.all_participations,
    t.all_participations_fractional,
    t.participations / t.all_participations AS share_participations,
    t.participations_fractional / t.all_participations_fractional AS share_participations_fractional,
    g.share_overall,
    g.share_overall_fractional,
    (t.participations / t.all_participations) / nullif(g.share_overall, 0) AS activity_index,
    (t.participations_fractional / t.all_participations_fractional) / nullif(g.share_overall_fractional, 0)
        AS activity_index_fractional
FROM themes AS t
JOIN programmes AS g USING (framework_programme)
ORDER BY t.framework_programme, t.participations DESC, t.theme_code

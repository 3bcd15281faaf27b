-- Every project of every institution of the focus country: acronym, title, programme, role, EC contribution.
SELECT
    coalesce(f.institution_key, f.org_key) AS institution_key,
    f.framework_programme,
    f.project_id,
    p.acronym,
    p.title,
    p.theme_name,
    p.start_year,
    string_agg(DISTINCT f.role, ', ' ORDER BY f.role) AS roles,
    sum(f.ec_contribution) AS ec_contribution,
    any_value(f.funding_status) AS funding_status
FROM fact_participation AS f
LEFT JOIN dim_project AS p USING (framework_programme, project_id)
WHERE f.country_code = focus_country()
GROUP BY ALL
ORDER BY institution_key, p.start_year DESC NULLS LAST, f.framework_programme, f.project_id

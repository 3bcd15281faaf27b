-- The focus country's top $top partner countries over all programmes: joint projects summed over programmes (a
-- project belongs to one programme, so the sum counts each project once), with each programme's joint projects
-- and Salton's strength; from mart_partner_countries. Ties broken by country code.
SELECT
    partner_country,
    any_value(partner_country_name) AS partner_country_name,
    sum(joint_projects) AS joint_projects,
    map_from_entries(list((framework_programme, joint_projects))) AS by_programme,
    map_from_entries(list((framework_programme, salton))) AS salton_by_programme
FROM mart_partner_countries
GROUP BY partner_country
ORDER BY joint_projects DESC, partner_country
LIMIT $top

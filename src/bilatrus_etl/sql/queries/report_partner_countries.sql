-- Partner countries of the focus country: the top $top by joint projects per programme (RANK(); ties listed by
-- country code), with Salton's strength; from mart_partner_countries.
SELECT
    framework_programme, rank_joint_projects, partner_country, partner_country_name, partner_status,
    joint_projects, links_full, links_fractional, salton, share_of_focus_projects
FROM mart_partner_countries
WHERE rank_joint_projects <= $top
ORDER BY framework_programme, rank_joint_projects, partner_country

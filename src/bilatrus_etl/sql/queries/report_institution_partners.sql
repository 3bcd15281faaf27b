-- Partner institutions of each institution of the focus country, ranks 1 to $top (ties share a rank), from
-- mart_institution_partners.
SELECT institution_key, partner_rank, partner_institution_key, partner_name, partner_country,
       partner_is_focus_country, joint_projects, links_fractional
FROM mart_institution_partners
WHERE partner_rank <= $top
ORDER BY institution_key, partner_rank, partner_institution_key

-- The $top most connected institutions of the collaboration network (degree, then betweenness, then key), with
-- their country's status group for colouring; from mart_collaboration_network and dim_country.
SELECT
    n.institution_key, n.institution_name, n.country_code, n.is_focus_country, n.degree, n.weighted_degree,
    n.betweenness, n.degree_rank, n.betweenness_rank, n.component_size, n.betweenness_method,
    CASE
        WHEN n.is_focus_country THEN 'focus'
        WHEN c.is_eu_member THEN 'EU member'
        WHEN c.status_he = 'associated' OR c.status_h2020 = 'associated' THEN 'associated'
        ELSE 'third'
    END AS country_group
FROM mart_collaboration_network AS n
LEFT JOIN dim_country AS c USING (country_code)
ORDER BY n.degree DESC, n.betweenness DESC, n.institution_key
LIMIT $top

-- Replace mart_collaboration_network: the node measures (registered as network_measures) with each
-- institution's name and country. Parameters: focus_country(), $method.
CREATE OR REPLACE TABLE mart_collaboration_network AS
    SELECT
        focus_country() AS focus_country,
        m.institution_key,
        i.institution_name,
        i.country_code,
        coalesce(i.country_code = focus_country(), false) AS is_focus_country,
        m.degree,
        m.weighted_degree,
        m.weighted_degree_fractional,
        m.betweenness,
        rank() OVER (ORDER BY m.degree DESC) AS degree_rank,
        rank() OVER (ORDER BY m.betweenness DESC) AS betweenness_rank,
        m.component_size,
        $method::VARCHAR AS betweenness_method
    FROM network_measures AS m
    LEFT JOIN dim_institution AS i USING (institution_key)
    ORDER BY betweenness_rank, m.institution_key

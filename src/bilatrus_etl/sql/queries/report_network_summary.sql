-- Size of the collaboration network: nodes, edges, focus-country nodes, the betweenness method.
SELECT
    (SELECT count(*) FROM mart_collaboration_network) AS nodes,
    (SELECT count(*) FROM mart_collaboration_edges) AS edges,
    (SELECT count(*) FILTER (WHERE is_focus_country) FROM mart_collaboration_network) AS focus_nodes,
    (SELECT any_value(betweenness_method) FROM mart_collaboration_network) AS betweenness_method

-- The collaboration network's edges, in a fixed order (sampled betweenness is then reproducible).
SELECT source_key, target_key, joint_projects, weight_fractional
FROM mart_collaboration_edges
ORDER BY source_key, target_key

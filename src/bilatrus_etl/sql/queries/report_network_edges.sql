-- Edges of the collaboration network between the given institutions ($keys), from mart_collaboration_edges.
SELECT source_key, target_key, joint_projects, weight_fractional
FROM mart_collaboration_edges
WHERE list_contains($keys, source_key) AND list_contains($keys, target_key)
ORDER BY source_key, target_key

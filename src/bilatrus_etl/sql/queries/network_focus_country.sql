-- The focus country the edges were built for (the session's when there are no edges).
SELECT coalesce((SELECT any_value(focus_country) FROM mart_collaboration_edges),
                focus_country())

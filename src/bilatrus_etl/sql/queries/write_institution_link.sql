-- Fill institution_link (created empty from its declaration in warehouse/tables.py, with its column types) with the
-- matcher's per-organisation links (registered as links_frame). By name: the frame's columns must be declared ones.
INSERT INTO institution_link BY NAME
SELECT org_key, ror_id, institution_key, institution_name, method, score, runner_up_ror_id, runner_up_score
FROM links_frame
ORDER BY org_key

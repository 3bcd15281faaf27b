-- Replace institution_link with the matcher's per-organisation links (registered as links_frame).
CREATE OR REPLACE TABLE institution_link AS
SELECT org_key, ror_id, institution_key, institution_name, method, score, runner_up_ror_id, runner_up_score
FROM links_frame
ORDER BY org_key

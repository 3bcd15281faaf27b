-- Organisation activity types (HES, REC, PRC, PUB, OTH) with their English titles (cordisref).
-- code: activity type code
-- title: English title
-- description: English description (often empty in the source)
SELECT
    upper(clean_text(code)) AS code,
    clean_text(title) AS title,
    clean_text(description) AS description
FROM land_ref_activity_type
WHERE clean_text(code) IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY upper(clean_text(code))
    ORDER BY coalesce(lower(clean_text(language)) = 'en', false) DESC, lower(clean_text(language)), source_line
) = 1
ORDER BY code

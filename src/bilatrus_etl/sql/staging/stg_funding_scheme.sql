-- Funding scheme codes (CP, CSA, ERC, MC-IA, ...) with their English titles (cordisref project funding scheme categories).
-- code: funding scheme code
-- title: English title
-- description: English description (often empty in the source)
SELECT
    clean_text(code) AS code,
    unescape_html(clean_text(title)) AS title,
    unescape_html(clean_text(description)) AS description
FROM land_ref_funding_scheme
WHERE clean_text(code) IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY clean_text(code)
    ORDER BY coalesce(lower(clean_text(language)) = 'en', false) DESC, lower(clean_text(language)), source_line
) = 1
ORDER BY code

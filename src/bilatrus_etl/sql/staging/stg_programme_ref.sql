-- Programme codes of the framework programmes (FP7, H2020, ...) with their English titles, one row per code (cordisref).
-- The English row of each code is kept (another language only where there is no English row); HTML entities in titles are decoded.
-- programme_code: programme or topic code (e.g. FP7-EURATOM, H2020-EU.1.3., SC5-13a-2014)
-- title: English title
-- short_title: English short title (NULL when the source gives none)
-- framework_programme: FP6, FP7, H2020 or HE (from the reference file)
-- rcn: CORDIS record number of the programme
-- language: language of the title kept (en unless no English row exists)
-- source_file: reference file name as fetched
SELECT
    clean_text(code) AS programme_code,
    unescape_html(clean_text(title)) AS title,
    unescape_html(clean_text(short_title)) AS short_title,
    framework_programme,
    clean_text(rcn) AS rcn,
    lower(clean_text(language)) AS language,
    source_file
FROM land_ref_programme
WHERE clean_text(code) IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY framework_programme, clean_text(code)
    ORDER BY coalesce(lower(clean_text(language)) = 'en', false) DESC, lower(clean_text(language)), source_line
) = 1
ORDER BY framework_programme, programme_code

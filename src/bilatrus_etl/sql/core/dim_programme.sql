-- One row per framework programme and programme code found in the projects, with its theme (FP6 priority, FP7 theme or specific programme, H2020/HE pillar part) and pillar.
-- Themes come from the curated src/bilatrus_etl/reference/programme_themes.csv: the longest code prefix of the same
-- framework programme wins (FP7-EURATOM-FUSION before FP7-EURATOM; H2020-EU.2.1.1. before H2020-EU.2.1.).
-- Where a project lists several codes (';'-joined) the first one is used. Codes that no prefix covers get
-- theme_code 'unclassified'. Titles come from the CORDIS programme list (stg_programme_ref, FP7 and H2020 only).
-- framework_programme: FP6, FP7, H2020 or HE
-- programme_code: the project's programme / legal basis code as in the project file (NULL where absent)
-- programme_title: English title of the programme code from CORDIS (NULL where CORDIS has none)
-- theme_code: curated theme of the code (e.g. FP7-ICT, H2020-SC1, HE-CL5), or 'unclassified'
-- theme_name: English name of the theme ('Unclassified' where no prefix matched)
-- pillar: FP7 specific programme (Cooperation, Ideas, People, Capacities, Euratom), H2020/HE pillar or FP6 block
-- matched_prefix: the reference prefix that assigned the theme (NULL when unclassified)
WITH codes AS (
    SELECT DISTINCT
        framework_programme,
        programme_code,
        upper(trim(split_part(programme_code, ';', 1))) AS first_code
    FROM stg_project
),
themes AS (
    SELECT
        upper(trim(framework_programme)) AS framework_programme,
        upper(trim(code_prefix)) AS code_prefix,
        theme_code,
        theme_name,
        pillar
    FROM read_csv(
        coalesce(getvariable('reference_dir'), 'src/bilatrus_etl/reference') || '/programme_themes.csv',
        header = true, all_varchar = true
    )
),
matched AS (
    SELECT c.framework_programme, c.programme_code, c.first_code, t.code_prefix, t.theme_code, t.theme_name, t.pillar
    FROM codes AS c
    LEFT JOIN themes AS t
        ON t.framework_programme = c.framework_programme
        AND starts_with(c.first_code, t.code_prefix)
    QUALIFY row_number() OVER (
        PARTITION BY c.framework_programme, c.programme_code
        ORDER BY length(t.code_prefix) DESC NULLS LAST
    ) = 1
),
titles AS (
    SELECT framework_programme, upper(programme_code) AS code, min(title) AS title
    FROM stg_programme_ref
    WHERE programme_code IS NOT NULL
    GROUP BY 1, 2
)
SELECT
    m.framework_programme,
    m.programme_code,
    ti.title AS programme_title,
    coalesce(m.theme_code, 'unclassified') AS theme_code,
    coalesce(m.theme_name, 'Unclassified') AS theme_name,
    m.pillar,
    m.code_prefix AS matched_prefix
FROM matched AS m
LEFT JOIN titles AS ti ON ti.framework_programme = m.framework_programme AND ti.code = m.first_code
ORDER BY m.framework_programme, m.programme_code

-- The strongest partner institutions of each of the focus country's institutions: joint projects and links, ranked per institution (top 50 ranks kept).
-- One row: one institution of the focus country (as in mart_institutions) and one partner institution (any
-- country, including the focus country) that took part in at least one same project.
-- Counting: joint_projects counts distinct (programme, project) pairs (full). links_fractional gives each
-- project a weight of 1 split over its n(n-1)/2 organisation pairs and sums the pairs between the two
-- institutions. Ranking: RANK() by joint projects then links_fractional within each institution (ties share a
-- rank); only partner_rank <= 50 is kept, so an institution can have more than 50 rows when ranks tie.
-- Institutions group organisation keys by institution_key (institution_link, else the organisation key). The
-- organisation pairs per project come from int_collaboration_pairs, read in the direction of the focus country's
-- organisation (focus_links: from institution_key, partner_focus_links: from partner_institution_key); names and
-- countries from dim_institution.
-- Focus country: focus_country(): session variable focus_country, default 'RU'.
-- focus_country: ISO code of the focus country
-- institution_key: the focus country's institution
-- institution_name: its name
-- partner_rank: RANK() of the partner for this institution by joint projects, then links_fractional
-- partner_institution_key: the partner institution's key
-- partner_name: the partner institution's name
-- partner_country: ISO code of the partner institution's country
-- partner_is_focus_country: the partner is from the focus country too (domestic link)
-- joint_projects: distinct projects both took part in
-- links: organisation pairs between the two institutions over those projects (full count)
-- links_fractional: sum of 1/(n(n-1)/2) over those organisation pairs
-- programmes: framework programmes of the joint projects, comma-separated
-- first_year: earliest start year of a joint project
-- last_year: latest start year of a joint project
WITH focus_pairs AS (
    -- each project's pair from the institution whose organisations of the focus country it counts
    SELECT focus_country, framework_programme, start_year, institution_key, partner_institution_key, focus_links,
        focus_links_fractional
    FROM int_collaboration_pairs
    WHERE focus_links > 0
    UNION ALL
    SELECT focus_country, framework_programme, start_year, partner_institution_key, institution_key,
        partner_focus_links, partner_focus_links_fractional
    FROM int_collaboration_pairs
    WHERE partner_focus_links > 0
),
pairs AS (
    SELECT
        focus_country,
        institution_key,
        partner_institution_key,
        count(*) AS joint_projects,
        CAST(sum(focus_links) AS BIGINT) AS links,
        CAST(sum(focus_links_fractional) AS DOUBLE) AS links_fractional,
        array_to_string(list_sort(list_distinct(list(framework_programme))), ', ') AS programmes,
        min(start_year) AS first_year,
        max(start_year) AS last_year
    FROM focus_pairs
    GROUP BY focus_country, institution_key, partner_institution_key
),
ranked AS (
    SELECT
        *,
        rank() OVER (
            PARTITION BY institution_key ORDER BY joint_projects DESC, links_fractional DESC
        ) AS partner_rank
    FROM pairs
)
SELECT
    r.focus_country,
    r.institution_key,
    i.institution_name,
    r.partner_rank,
    r.partner_institution_key,
    pi.institution_name AS partner_name,
    pi.country_code AS partner_country,
    coalesce(pi.country_code = r.focus_country, false) AS partner_is_focus_country,
    r.joint_projects,
    r.links,
    r.links_fractional,
    r.programmes,
    r.first_year,
    r.last_year
FROM ranked AS r
LEFT JOIN dim_institution AS i ON i.institution_key = r.institution_key
LEFT JOIN dim_institution AS pi ON pi.institution_key = r.partner_institution_key
WHERE r.partner_rank <= 50
ORDER BY r.institution_key, r.partner_rank, r.partner_institution_key

-- Intermediate: one row per project with the focus country and pair of different institutions taking part in it (each pair once, in key order), with the organisation pairs between them; the collaboration marts (edges, institution partners, institution profile) count from it.
-- Projects: those with at least one organisation of the focus country (focus_country(): session variable
-- focus_country, default 'RU'). In such a project each organisation (a row of fact_participation) is paired with
-- every organisation of another institution; a pair of institutions is one row, institution_key <
-- partner_institution_key (half the rows of both orders: the edges count unordered pairs, and the partners of
-- an institution read its pairs in either column). links counts those organisation pairs; focus_links only the
-- pairs whose organisation of institution_key is of the focus country, partner_focus_links those whose
-- organisation of partner_institution_key is (the partners of the focus country's institutions, in each
-- direction). Fractional weights: a project's n(n-1)/2 organisation pairs share a weight of 1 (n = its
-- organisations); the sums are exact decimals, so the marts' sums over projects do not depend on the order of
-- addition.
-- framework_programme: FP6, FP7, H2020 or HE
-- project_id: CORDIS project id (a project with at least one organisation of the focus country)
-- start_year: the project's start year
-- focus_country: ISO code of the focus country
-- institution_key: one institution (fact_participation.institution_key), the smaller key of the pair
-- partner_institution_key: the other institution (the greater key)
-- links: organisation pairs (one organisation of each institution) in the project
-- links_fractional: sum of 1/(n(n-1)/2) over those organisation pairs (DECIMAL(38,18))
-- focus_links: the pairs among links whose organisation of institution_key is of the focus country
-- focus_links_fractional: sum of 1/(n(n-1)/2) over those pairs (0 where none)
-- partner_focus_links: the pairs among links whose organisation of partner_institution_key is of the focus country
-- partner_focus_links_fractional: sum of 1/(n(n-1)/2) over those pairs (0 where none)
WITH focus_projects AS (
    SELECT DISTINCT framework_programme, project_id
    FROM fact_participation
    WHERE country_code = focus_country()
),
-- each institution of a focus project once, with its organisations (all, and of the focus country)
members AS (
    SELECT
        f.framework_programme,
        f.project_id,
        f.start_year,
        f.institution_key,
        any_value(f.project_participants) AS project_participants,
        count(*) AS organisations,
        count(*) FILTER (WHERE f.country_code = focus_country()) AS focus_organisations
    FROM fact_participation AS f
    JOIN focus_projects USING (framework_programme, project_id)
    GROUP BY ALL
),
institution_pairs AS (
    SELECT
        a.framework_programme,
        a.project_id,
        a.start_year,
        a.institution_key,
        b.institution_key AS partner_institution_key,
        a.organisations * b.organisations AS links,
        a.focus_organisations * b.organisations AS focus_links,
        b.focus_organisations * a.organisations AS partner_focus_links,
        CAST(1.0::DOUBLE / (a.project_participants * (a.project_participants - 1) / 2.0) AS DECIMAL(38, 18))
            AS pair_weight
    FROM members AS a
    JOIN members AS b
        ON b.framework_programme = a.framework_programme
        AND b.project_id = a.project_id
        AND a.institution_key < b.institution_key
)
SELECT
    framework_programme,
    project_id,
    start_year,
    focus_country() AS focus_country,
    institution_key,
    partner_institution_key,
    links,
    CAST(links * pair_weight AS DECIMAL(38, 18)) AS links_fractional,
    focus_links,
    CAST(focus_links * pair_weight AS DECIMAL(38, 18)) AS focus_links_fractional,
    partner_focus_links,
    CAST(partner_focus_links * pair_weight AS DECIMAL(38, 18)) AS partner_focus_links_fractional
FROM institution_pairs

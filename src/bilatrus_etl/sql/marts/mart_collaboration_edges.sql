-- Institution-to-institution edges of the focus country's collaboration network: pairs of institutions that took part in the same project with the focus country, weighted by joint projects.
-- One row: one unordered pair of institutions (source_key < target_key) that shared at least one project that
-- includes an organisation of the focus country (focus_country(): session variable focus_country, default 'RU'); every pair in
-- such a project counts, not only pairs with a focus-country member. Nodes are institution keys
-- (institution_link, else organisation keys), so one institution's several organisation keys form one node.
-- Counting: joint_projects counts projects (full); weight_fractional gives each project a weight of 1 split over
-- its n(n-1)/2 organisation pairs. The pairs per project come from int_collaboration_pairs (shared with
-- mart_institution_partners and mart_institution_profile); names and countries from dim_institution. The node measures (degree, weighted degree, betweenness) cannot be computed
-- in SQL: network.py reads this table after it is built and writes mart_collaboration_network (Python).
-- Caveats: large consortia add many edges (a project of 50 organisations adds up to 1,225 pairs).
-- focus_country: ISO code of the focus country
-- source_key: institution key of one end (the smaller key)
-- target_key: institution key of the other end
-- source_country: ISO code of the source institution's country
-- target_country: ISO code of the target institution's country
-- focus_edge: at least one end is an institution of the focus country
-- joint_projects: projects (with the focus country) both institutions took part in
-- links: organisation pairs between the two institutions over those projects
-- weight_fractional: sum of 1/(n(n-1)/2) over those organisation pairs
-- programmes: framework programmes of the joint projects, comma-separated
-- first_year: earliest start year of a joint project
-- last_year: latest start year of a joint project
WITH programmes AS (
    -- each framework programme as one bit: a pair's programmes are one bit_or, written out once per distinct set
    -- below (a list per pair, sorted and deduplicated, cost most of this model)
    SELECT * FROM programme_bits('int_collaboration_pairs')
),
pairs AS (
    SELECT
        c.focus_country,
        c.institution_key AS source_key,
        c.partner_institution_key AS target_key,
        count(*) AS joint_projects,
        CAST(sum(c.links) AS BIGINT) AS links,
        CAST(sum(c.links_fractional) AS DOUBLE) AS weight_fractional,
        coalesce(bit_or(b.bit), 0) AS programme_set,
        min(c.start_year) AS first_year,
        max(c.start_year) AS last_year
    FROM int_collaboration_pairs AS c  -- one row per project and pair, the smaller key first
    LEFT JOIN programmes AS b USING (framework_programme)
    GROUP BY c.focus_country, c.institution_key, c.partner_institution_key
),
programme_sets AS (
    SELECT programme_set, coalesce(programme_list(programme_set, 'int_collaboration_pairs'), '') AS programmes
    FROM (SELECT DISTINCT programme_set FROM pairs)
)
SELECT
    p.focus_country,
    p.source_key,
    p.target_key,
    s.country_code AS source_country,
    t.country_code AS target_country,
    coalesce(s.country_code = p.focus_country, false) OR coalesce(t.country_code = p.focus_country, false) AS focus_edge,
    p.joint_projects,
    p.links,
    p.weight_fractional,
    ps.programmes,
    p.first_year,
    p.last_year
FROM pairs AS p
JOIN programme_sets AS ps USING (programme_set)
LEFT JOIN dim_institution AS s ON s.institution_key = p.source_key
LEFT JOIN dim_institution AS t ON t.institution_key = p.target_key
-- a fixed row order: the exports of two builds are byte-identical
ORDER BY p.source_key, p.target_key

-- The focus country's institutions ranked by participations over all programmes, with projects, coordinations, EC contribution, programmes, themes, and first and last year.
-- One row: one institution (institution_key: the matched institution, else the organisation key) with at least
-- one participation by an organisation of the focus country (focus_country(): session variable focus_country, default 'RU').
-- Counting: full (each participation counts 1) with participations_fractional (1/n) beside it; projects are
-- distinct (framework programme, project) pairs, so two organisation keys of one institution in the same
-- project make two participations but one project. Coordinations of single-beneficiary grants (ERC, individual
-- fellowships) are counted apart. Ranking: RANK() by participations (ties share a rank).
-- Caveats: FP6 has no per-participant EC contribution (FP6 adds nothing to ec_contribution). Names, city and
-- type are those of the institution's main organisation (dim_institution: most participations, ties: smallest key).
-- focus_country: ISO code of the focus country
-- rank_participations: RANK() by participations within the focus country (ties share a rank)
-- institution_key: institution key (institution_link.institution_key, else the organisation key)
-- institution_name: institution name (from institution_link, else the organisation's best name)
-- ror_id: ROR identifier where matched
-- organisation_keys: number of organisation keys (PICs or name keys) grouped into the institution
-- city: city of the institution's main organisation
-- activity_type: HES, REC, PRC, PUB or OTH of the institution's main organisation
-- participations: participations (full count)
-- participations_fractional: sum of the weights 1/n
-- projects: distinct projects
-- coordinations: coordinations of collaborative projects
-- single_beneficiary_coordinations: coordinations of single-beneficiary grants (ERC, individual fellowships)
-- funded_participations: participations with an EC contribution above 0
-- unfunded_participations: participations with an EC contribution of 0 or NULL (in projects that report contributions)
-- ec_contribution: EC contribution in EUR (NULL if none reported, e.g. FP6 only)
-- programmes: framework programmes, comma-separated
-- themes: number of distinct themes of its projects
-- top_themes: its three most frequent themes (by participations), ' | '-separated
-- first_year: earliest project start year
-- last_year: latest project start year
WITH facts AS (
    SELECT f.*, p.is_single_beneficiary, p.theme_code, p.theme_name
    FROM fact_participation AS f
    LEFT JOIN dim_project AS p USING (framework_programme, project_id)
    WHERE f.country_code = focus_country()
),
theme_rank AS (
    SELECT
        institution_key,
        string_agg(theme_name, ' | ' ORDER BY n DESC, theme_name) FILTER (WHERE rn <= 3) AS top_themes
    FROM (
        SELECT
            institution_key,
            theme_name,
            count(*) AS n,
            row_number() OVER (PARTITION BY institution_key ORDER BY count(*) DESC, theme_name) AS rn
        FROM facts
        GROUP BY institution_key, theme_name
    )
    GROUP BY institution_key
),
institutions AS (
    SELECT
        institution_key,
        count(DISTINCT org_key) AS organisation_keys,
        count(*) AS participations,
        CAST(sum(CAST(weight AS DECIMAL(38, 18))) AS DOUBLE) AS participations_fractional,
        count(DISTINCT (framework_programme, project_id)) AS projects,
        count(*) FILTER (WHERE is_coordinator AND NOT coalesce(is_single_beneficiary, false)) AS coordinations,
        count(*) FILTER (WHERE is_coordinator AND coalesce(is_single_beneficiary, false))
            AS single_beneficiary_coordinations,
        count(*) FILTER (WHERE funding_status = 'funded') AS funded_participations,
        count(*) FILTER (WHERE funding_status = 'unfunded') AS unfunded_participations,
        sum(ec_contribution) AS ec_contribution,
        string_agg(DISTINCT framework_programme, ', ' ORDER BY framework_programme) AS programmes,
        count(DISTINCT theme_code) AS themes,
        min(start_year) AS first_year,
        max(start_year) AS last_year
    FROM facts
    GROUP BY institution_key
)
SELECT
    focus_country() AS focus_country,
    rank() OVER (ORDER BY i.participations DESC) AS rank_participations,
    i.institution_key,
    m.institution_name,
    m.ror_id,
    i.organisation_keys,
    m.city,
    m.activity_type,
    i.participations,
    i.participations_fractional,
    i.projects,
    i.coordinations,
    i.single_beneficiary_coordinations,
    i.funded_participations,
    i.unfunded_participations,
    i.ec_contribution,
    i.programmes,
    i.themes,
    t.top_themes,
    i.first_year,
    i.last_year
FROM institutions AS i
LEFT JOIN dim_institution AS m USING (institution_key)
LEFT JOIN theme_rank AS t USING (institution_key)
ORDER BY rank_participations, i.institution_key

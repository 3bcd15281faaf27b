-- The knowledge base of the focus country's institutions: one profile per institution with its names, ROR identity, type, city and region, programmes, projects, roles, EC contribution, themes, top partner organisations and countries, and first and last year.
-- One row: one institution (institution_key: institution_link.institution_key, else the organisation key) with
-- at least one participation by an organisation of the focus country (focus_country(), default
-- 'RU'). An institution that CORDIS lists under several PICs or names (renamings, transliterations, legal-form
-- prefixes) is one row when the matching step linked its organisation keys to one institution key.
-- Counting: full counts. participations are rows of fact_participation (one per organisation key and project),
-- so two organisation keys of one institution in the same project are two participations but one project (as in
-- mart_institutions); participations_fractional (1/n) is given beside them. projects are distinct (programme,
-- project) pairs. roles, activity_types, name_variants and top_themes count participations. Partners count
-- distinct joint projects: top_partners are the 10 other institutions (any country, the focus country included)
-- with most joint projects, ties broken by links_fractional then key (the top of mart_institution_partners);
-- top_partner_countries are the 10 countries other than the focus country with most joint projects. Lists are
-- ordered most frequent first. Coordinations of single-beneficiary grants (ERC, individual fellowships) are
-- counted apart from coordinations of collaborative projects.
-- Caveats: FP6 has no per-participant EC contribution, so FP6 participations add nothing to ec_contribution
-- (counted in ec_not_reported_participations) and ec_contribution is NULL for an FP6-only institution. ROR
-- fields are NULL where the institution has no ROR match (the focus country's participants are matched to the
-- focus country's ROR records); the registry's Russian name, aliases, acronyms and ROR types are in
-- dim_ror_institution (join on ror_id; `bilatrus institution NAME` shows them). city is the city most of the
-- institution's participations give (after the normalisation of dim_city), federal_subject and
-- federal_district come from src/bilatrus_etl/reference/ru_regions.csv (RU only; NULL where the city is not in it). Years
-- are project start years.
-- focus_country: ISO code of the focus country
-- institution_key: institution key (institution_link.institution_key, else the organisation key)
-- display_name: the institution's ROR name where it is matched (dim_institution.institution_name), else its most frequent participant name
-- ror_id: ROR identifier where matched (dim_institution.ror_id; NULL otherwise)
-- match_methods: how its organisation keys were linked to the institution (institution_link.method: pic, exact, fuzzy, override, none...)
-- name_variants: every participant name CORDIS gives it, most frequent first
-- short_names: CORDIS short names (acronyms) of its organisations
-- organisation_keys: its organisation keys (PICs or name keys)
-- organisations: number of organisation keys
-- activity_types: CORDIS organisation types (HES, REC, PRC, PUB, OTH), most frequent first
-- city: the city most of its participations give (canonical name from ru_regions.csv where mapped)
-- federal_subject: federal subject of that city (RU only, from ru_regions.csv)
-- federal_district: federal district of that city (RU only, from ru_regions.csv)
-- programmes: framework programmes it took part in (FP6, FP7, H2020, HE)
-- projects: distinct projects (full count)
-- participations: participations (full count)
-- participations_fractional: sum of the weights 1/n of its participations
-- coordinations: coordinations of collaborative projects
-- single_beneficiary_coordinations: coordinations of single-beneficiary grants (ERC, individual fellowships)
-- roles: participations per role (role, participations), most frequent first
-- funded_participations: participations with an EC contribution above 0
-- unfunded_participations: participations with an EC contribution of 0 or NULL (in projects that report contributions)
-- ec_not_reported_participations: participations without reported contributions (all of FP6)
-- ec_contribution: EC contribution in EUR (NULL where none is reported, e.g. FP6 only)
-- themes: number of distinct themes of its projects
-- top_themes: its five most frequent themes (theme_code, theme_name, participations)
-- top_partners: its ten strongest partner institutions (institution_key, name, country_code, joint_projects)
-- top_partner_countries: its ten strongest partner countries other than the focus country (country_code, joint_projects)
-- first_year: earliest project start year
-- last_year: latest project start year
WITH facts AS (
    SELECT
        f.framework_programme,
        f.project_id,
        f.org_key,
        coalesce(f.institution_key, f.org_key) AS institution_key,
        f.name,
        f.city,
        f.activity_type,
        f.role,
        f.is_coordinator,
        f.ec_contribution,
        f.funding_status,
        f.weight,
        f.project_participants,
        f.start_year,
        coalesce(p.is_single_beneficiary, false) AS is_single_beneficiary,
        coalesce(p.theme_code, 'unclassified') AS theme_code,
        coalesce(p.theme_name, 'Unclassified') AS theme_name,
        focus_country() AS focus_country
    FROM fact_participation AS f
    LEFT JOIN dim_project AS p USING (framework_programme, project_id)
    WHERE f.country_code = focus_country()
),
totals AS (
    SELECT
        institution_key,
        any_value(focus_country) AS focus_country,
        list(DISTINCT org_key ORDER BY org_key) AS organisation_keys,
        count(DISTINCT org_key) AS organisations,
        list(DISTINCT framework_programme ORDER BY framework_programme) AS programmes,
        count(DISTINCT (framework_programme, project_id)) AS projects,
        count(*) AS participations,
        CAST(sum(CAST(weight AS DECIMAL(38, 18))) AS DOUBLE) AS participations_fractional,
        count(*) FILTER (WHERE is_coordinator AND NOT is_single_beneficiary) AS coordinations,
        count(*) FILTER (WHERE is_coordinator AND is_single_beneficiary) AS single_beneficiary_coordinations,
        count(*) FILTER (WHERE funding_status = 'funded') AS funded_participations,
        count(*) FILTER (WHERE funding_status = 'unfunded') AS unfunded_participations,
        count(*) FILTER (WHERE funding_status = 'not reported') AS ec_not_reported_participations,
        sum(ec_contribution) AS ec_contribution,
        count(DISTINCT theme_code) AS themes,
        min(start_year) AS first_year,
        max(start_year) AS last_year
    FROM facts
    GROUP BY institution_key
),
-- names, types and roles: counts per value, listed most frequent first
names AS (
    SELECT institution_key, list(name ORDER BY n DESC, latest DESC NULLS LAST, name) AS name_variants
    FROM (
        SELECT institution_key, name, count(*) AS n, max(start_year) AS latest
        FROM facts
        WHERE name IS NOT NULL
        GROUP BY institution_key, name
    )
    GROUP BY institution_key
),
types AS (
    SELECT institution_key, list(activity_type ORDER BY n DESC, activity_type) AS activity_types
    FROM (
        SELECT institution_key, activity_type, count(*) AS n
        FROM facts
        WHERE activity_type IS NOT NULL
        GROUP BY institution_key, activity_type
    )
    GROUP BY institution_key
),
roles AS (
    SELECT institution_key, list({'role': role, 'participations': n} ORDER BY n DESC, role) AS roles
    FROM (
        SELECT institution_key, coalesce(role, 'unknown') AS role, count(*) AS n
        FROM facts
        GROUP BY institution_key, coalesce(role, 'unknown')
    )
    GROUP BY institution_key
),
theme_lists AS (
    SELECT
        institution_key,
        list({'theme_code': theme_code, 'theme_name': theme_name, 'participations': n} ORDER BY n DESC, theme_name, theme_code)
            FILTER (WHERE rn <= 5) AS top_themes
    FROM (
        SELECT
            institution_key,
            theme_code,
            any_value(theme_name) AS theme_name,
            count(*) AS n,
            row_number() OVER (PARTITION BY institution_key ORDER BY count(*) DESC, any_value(theme_name), theme_code) AS rn
        FROM facts
        GROUP BY institution_key, theme_code
    )
    GROUP BY institution_key
),
-- match methods and CORDIS short names of the institution's organisations (dim_organization carries the link)
identity AS (
    SELECT
        o.institution_key,
        list(DISTINCT o.link_method ORDER BY o.link_method) FILTER (WHERE o.link_method IS NOT NULL) AS match_methods,
        list(DISTINCT o.short_name ORDER BY o.short_name) FILTER (WHERE o.short_name IS NOT NULL) AS short_names
    FROM dim_organization AS o
    WHERE o.org_key IN (SELECT org_key FROM facts)
    GROUP BY o.institution_key
),
-- city: the spelling most participations give, mapped to ru_regions.csv by dim_city (as in mart_regions);
-- spellings with the same key count together
written_cities AS (
    SELECT
        f.institution_key,
        f.city AS written,
        c.city_key,
        c.city AS mapped_city,
        c.federal_subject,
        c.federal_district,
        count(*) AS n,
        coalesce(max(f.start_year), 0) AS latest
    FROM facts AS f
    JOIN dim_city AS c ON c.city_as_written = f.city
    WHERE c.city_key <> ''
    GROUP BY ALL
),
located AS (
    SELECT
        institution_key,
        coalesce('city:' || mapped_city, 'spelling:' || city_key) AS group_key,
        mapped_city,
        federal_subject,
        federal_district,
        written,
        n,
        latest
    FROM written_cities
),
cities AS (
    SELECT
        institution_key,
        coalesce(any_value(mapped_city), arg_max(written, (n, latest))) AS city,
        any_value(federal_subject) AS federal_subject,
        any_value(federal_district) AS federal_district
    FROM located
    GROUP BY institution_key, group_key
    QUALIFY row_number() OVER (
        PARTITION BY institution_key
        ORDER BY sum(n) DESC, max(latest) DESC, coalesce(any_value(mapped_city), arg_max(written, (n, latest)))
    ) = 1
),
-- partner institutions: the ten first of the institution's rows in mart_institution_partners (its partners
-- ranked by joint projects, then links_fractional; every rank up to 50 is there)
partner_lists AS (
    SELECT
        institution_key,
        list(
            {
                'institution_key': partner_institution_key,
                'name': partner_name,
                'country_code': partner_country,
                'joint_projects': joint_projects
            }
            ORDER BY joint_projects DESC, links_fractional DESC, partner_institution_key
        ) AS top_partners
    FROM (
        SELECT *
        FROM mart_institution_partners
        QUALIFY row_number() OVER (
            PARTITION BY institution_key
            ORDER BY joint_projects DESC, links_fractional DESC, partner_institution_key
        ) <= 10
    )
    GROUP BY institution_key
),
-- partner countries: the countries of every other institution's organisations in the institution's projects
co_participants AS (
    SELECT a.institution_key, b.country_code AS partner_country, a.framework_programme, a.project_id
    FROM facts AS a
    JOIN fact_participation AS b
        ON b.framework_programme = a.framework_programme
        AND b.project_id = a.project_id
        AND b.institution_key <> a.institution_key
),
partner_countries AS (
    SELECT
        c.institution_key,
        list({'country_code': c.partner_country, 'joint_projects': c.joint_projects}
            ORDER BY c.joint_projects DESC, c.partner_country) AS top_partner_countries
    FROM (
        SELECT institution_key, partner_country, count(DISTINCT (framework_programme, project_id)) AS joint_projects
        FROM co_participants
        WHERE partner_country IS NOT NULL AND partner_country <> focus_country()
        GROUP BY institution_key, partner_country
        QUALIFY row_number() OVER (
            PARTITION BY institution_key
            ORDER BY count(DISTINCT (framework_programme, project_id)) DESC, partner_country
        ) <= 10
    ) AS c
    GROUP BY c.institution_key
)
SELECT
    t.focus_country,
    t.institution_key,
    coalesce(CASE WHEN d.ror_id IS NOT NULL THEN d.institution_name END, n.name_variants[1], t.institution_key)
        AS display_name,
    d.ror_id,
    coalesce(o.match_methods, []) AS match_methods,
    coalesce(n.name_variants, []) AS name_variants,
    coalesce(o.short_names, []) AS short_names,
    t.organisation_keys,
    t.organisations,
    coalesce(ty.activity_types, []) AS activity_types,
    c.city,
    c.federal_subject,
    c.federal_district,
    t.programmes,
    t.projects,
    t.participations,
    t.participations_fractional,
    t.coordinations,
    t.single_beneficiary_coordinations,
    r.roles,
    t.funded_participations,
    t.unfunded_participations,
    t.ec_not_reported_participations,
    t.ec_contribution,
    t.themes,
    th.top_themes,
    coalesce(pl.top_partners, []) AS top_partners,
    coalesce(pc.top_partner_countries, []) AS top_partner_countries,
    t.first_year,
    t.last_year
FROM totals AS t
LEFT JOIN dim_institution AS d USING (institution_key)
LEFT JOIN identity AS o USING (institution_key)
LEFT JOIN names AS n USING (institution_key)
LEFT JOIN types AS ty USING (institution_key)
LEFT JOIN roles AS r USING (institution_key)
LEFT JOIN theme_lists AS th USING (institution_key)
LEFT JOIN cities AS c USING (institution_key)
LEFT JOIN partner_lists AS pl USING (institution_key)
LEFT JOIN partner_countries AS pc USING (institution_key)
ORDER BY t.participations DESC, t.institution_key

-- One row per organisation key (PIC where present): best name, type, city, country, and the institution it belongs to.
-- Name, short name, type, city and country are taken from the organisation's most recent participation
-- (latest project start, then latest source line) that has a value: CORDIS updates legal names over time.
-- institution_key comes from institution_link (written by the institution matching step) and falls back to
-- the org_key itself, so that the marts group by institution_key whether or not matching has run.
-- org_key: organisation key from staging (the PIC where present, else a stable key from normalised name and country)
-- pic: Participant Identification Code where known
-- name: legal name from the most recent participation
-- short_name: short name from the most recent participation that has one
-- activity_type: HES (higher education), REC (research organisation), PRC (private for-profit), PUB (public body), OTH (other); NULL where never given
-- country_code: ISO 3166-1 alpha-2 country of the organisation
-- city: city as written in the most recent participation
-- institution_key: key of the institution the organisation belongs to (institution_link.institution_key, else org_key)
-- institution_name: name of that institution (institution_link.institution_name, else name)
-- ror_id: ROR identifier of the institution where matched
-- link_method: how the institution was matched (from institution_link; NULL where not linked)
-- link_score: matching score (from institution_link)
-- participations: number of projects the organisation took part in (all programmes)
-- programmes: framework programmes it took part in, comma-separated in order
-- first_year: earliest project start year
-- last_year: latest project start year
WITH project_starts AS (
    -- each project's start date as dim_project gives it (the first source row of the project in the staged project
    -- files), read from stg_project: this model then runs beside dim_project, not after it
    SELECT framework_programme, project_id, start_date
    FROM stg_project
    QUALIFY first_source_row(framework_programme, project_id, source_file, source_line)  -- a session macro
),
programmes AS (
    -- each framework programme as one bit: an organisation's programmes are one bit_or, written out once per
    -- distinct set below (a DISTINCT string_agg per organisation cost a grouping of its own)
    SELECT * FROM programme_bits('stg_participation')
),
rows AS (
    SELECT
        s.org_key,
        b.bit AS programme_bit,
        s.framework_programme,
        s.project_id,
        s.pic,
        s.name,
        s.short_name,
        s.activity_type,
        s.country AS country_code,
        s.city,
        -- (start date, source file, line) as one HUGEINT, (days * 2^40 + file number) * 2^32 + line: the six
        -- arg_max below cost a third less over it than over a struct of the three
        (date_diff('day', DATE '0001-01-01', coalesce(p.start_date, DATE '0001-01-01'))::HUGEINT * 1099511627776
            + f.file_number) * 4294967296 + coalesce(s.source_line, 0) AS recency,
        year(p.start_date) AS start_year
    FROM stg_participation AS s
    LEFT JOIN project_starts AS p USING (framework_programme, project_id)
    JOIN source_files('stg_participation') AS f ON f.file = coalesce(s.source_file, '')  -- the source files in order, numbered
    LEFT JOIN programmes AS b USING (framework_programme)
),
orgs AS (
    SELECT
        org_key,
        arg_max(pic, recency) FILTER (WHERE pic IS NOT NULL) AS pic,
        arg_max(name, recency) FILTER (WHERE name IS NOT NULL) AS name,
        arg_max(short_name, recency) FILTER (WHERE short_name IS NOT NULL) AS short_name,
        arg_max(activity_type, recency) FILTER (WHERE activity_type IS NOT NULL) AS activity_type,
        arg_max(country_code, recency) FILTER (WHERE country_code IS NOT NULL) AS country_code,
        arg_max(city, recency) FILTER (WHERE city IS NOT NULL) AS city,
        count(DISTINCT (framework_programme, project_id)) AS participations,
        bit_or(programme_bit) AS programme_set,
        min(start_year) AS first_year,
        max(start_year) AS last_year
    FROM rows
    GROUP BY org_key
),
programme_sets AS (
    SELECT programme_set, programme_list(programme_set, 'stg_participation') AS programmes
    FROM (SELECT DISTINCT programme_set FROM orgs)
),
link AS (
    SELECT org_key, institution_key, institution_name, ror_id, method, score
    FROM institution_link
    WHERE org_key IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY org_key ORDER BY score DESC NULLS LAST, institution_key) = 1
)
SELECT
    o.org_key,
    o.pic,
    o.name,
    o.short_name,
    o.activity_type,
    o.country_code,
    o.city,
    coalesce(nullif(l.institution_key, ''), o.org_key) AS institution_key,
    coalesce(nullif(l.institution_name, ''), o.name) AS institution_name,
    nullif(l.ror_id, '') AS ror_id,
    l.method AS link_method,
    l.score AS link_score,
    o.participations,
    ps.programmes,
    o.first_year,
    o.last_year
FROM orgs AS o
LEFT JOIN link AS l USING (org_key)
LEFT JOIN programme_sets AS ps USING (programme_set)

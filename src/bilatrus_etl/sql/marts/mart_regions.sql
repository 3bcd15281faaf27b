-- The focus country's participations per framework programme by city, with the federal subject and federal district of Russian cities, their shares, and the share of Moscow and Saint Petersburg.
-- One row: one framework programme and one city of the focus country (focus_country(): session variable focus_country, default 'RU').
-- Cities are matched to the curated src/bilatrus_etl/reference/ru_regions.csv (city, '|'-separated variants and
-- transliterations, federal subject, federal district) through dim_city, which normalises each spelling: upper
-- case, accents removed, digits and punctuation dropped, a leading 'G.' / 'GOROD' and a trailing 'RUSSIA' removed,
-- spaces ignored. Unmatched cities keep their normalised spelling (dim_city.city_normalised) with is_mapped =
-- false and NULL subject/district; for a focus country other than RU no city is mapped (dim_city: the reference covers
-- Russia only).
-- Counting: full (each participation counts 1) with participations_fractional (1/n) beside it. Shares divide
-- by the focus country's participations in the programme. moscow_spb_share is the share of the federal cities
-- Moscow and Saint Petersburg (incl. Zelenograd, Troitsk, Peterhof), repeated on each row of the programme.
-- Caveats: the city is the one written in each participation (not the institution's seat); FP6 has no
-- per-participant EC contribution (ec_contribution NULL).
-- focus_country: ISO code of the focus country
-- framework_programme: FP6, FP7, H2020 or HE
-- city: canonical city name from ru_regions.csv, else the normalised city as written (NULL where no city)
-- federal_subject: federal subject (oblast, krai, republic, federal city...) of the city
-- federal_district: federal district of the city (as of the 2018 boundaries)
-- is_mapped: the city was found in ru_regions.csv
-- participations: participations located in the city (full count)
-- participations_fractional: sum of the weights 1/n
-- organisations: distinct organisations in the city
-- projects: distinct projects with an organisation in the city
-- ec_contribution: EC contribution to organisations in the city in EUR (NULL for FP6)
-- share_participations: the city's share of the focus country's participations in the programme
-- subject_share_participations: the city's federal subject's share of them
-- district_share_participations: the city's federal district's share of them
-- moscow_spb_share: share of Moscow and Saint Petersburg (federal subjects) in the programme's participations of the focus country
WITH -- the participant's city, spelled as written, looked up in dim_city (its key, canonical city and region)
mapped AS (
    SELECT
        f.framework_programme,
        f.project_id,
        f.org_key,
        f.weight,
        f.ec_contribution,
        CASE WHEN c.is_mapped THEN c.city ELSE nullif(c.city_normalised, '') END AS city,
        c.federal_subject,
        c.federal_district,
        coalesce(c.is_mapped, false) AS is_mapped
    FROM fact_participation AS f
    LEFT JOIN dim_city AS c ON c.city_as_written = f.city
    WHERE f.country_code = focus_country()
),
cities AS (
    SELECT
        framework_programme,
        city,
        federal_subject,
        federal_district,
        is_mapped,
        count(*) AS participations,
        CAST(sum(CAST(weight AS DECIMAL(38, 18))) AS DOUBLE) AS participations_fractional,
        count(DISTINCT org_key) AS organisations,
        count(DISTINCT project_id) AS projects,
        sum(ec_contribution) AS ec_contribution
    FROM mapped
    GROUP BY ALL
),
shares AS (
    SELECT
        *,
        participations / sum(participations) OVER (PARTITION BY framework_programme) AS share_participations,
        CASE WHEN federal_subject IS NOT NULL THEN
            sum(participations) OVER (PARTITION BY framework_programme, federal_subject)
                / sum(participations) OVER (PARTITION BY framework_programme)
        END AS subject_share_participations,
        CASE WHEN federal_district IS NOT NULL THEN
            sum(participations) OVER (PARTITION BY framework_programme, federal_district)
                / sum(participations) OVER (PARTITION BY framework_programme)
        END AS district_share_participations,
        coalesce(sum(participations) FILTER (WHERE federal_subject IN ('Moscow', 'Saint Petersburg'))
            OVER (PARTITION BY framework_programme), 0)
            / sum(participations) OVER (PARTITION BY framework_programme) AS moscow_spb_share
    FROM cities
)
SELECT
    focus_country() AS focus_country,
    s.framework_programme,
    s.city,
    s.federal_subject,
    s.federal_district,
    s.is_mapped,
    s.participations,
    s.participations_fractional,
    s.organisations,
    s.projects,
    s.ec_contribution,
    s.share_participations,
    s.subject_share_participations,
    s.district_share_participations,
    s.moscow_spb_share
FROM shares AS s
ORDER BY s.framework_programme, s.participations DESC, s.city

-- Distinct participants of one country to match against the registry: one row per organisation key and
-- spelling (name, short name, city), with how often each spelling occurs. Parameter: focus_country().
SELECT
    org_key,
    pic,
    name,
    short_name,
    city,
    country,
    count(*) AS participations
FROM stg_participation
WHERE country = focus_country()
GROUP BY ALL
ORDER BY org_key, participations DESC, name

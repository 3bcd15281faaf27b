-- One row per item of a ROR dump's top-level JSON array ($path; item = its index from 0), for the focus-country
-- reader (institutions/registry_scan.py). DuckDB's JSON reader reads the fields the choice needs with their
-- documented types, and fails on an item of another shape (not an object; names, locations, country or
-- relationships not of their types): the caller then reads the dump with the Python reader. Per item: whether
-- the scan reads it exactly as the Python reader does (`plain`: `names` (schema v2) or `name` (v1), a ROR id,
-- an ASCII country code, ROR ids in its relationships), its short ROR id, whether it is of the focus country
-- ($code), the short ids of its parents and children (`linked`: what ties another country's record to the focus
-- country) and of its parents, children and successors (`relatives`: what a focus-country record brings in).
CREATE OR REPLACE TEMP TABLE _ror_items AS
WITH items AS (
    SELECT
        row_number() OVER () - 1 AS item,
        names IS NOT NULL AS v2,
        name IS NOT NULL AS v1,
        id,
        CASE WHEN names IS NOT NULL THEN locations[1].geonames_details.country_code
             ELSE country.country_code END AS country,
        list_transform(
            coalesce(relationships, []),
            lambda r: {
                'kind': lower(r.type),
                'id': nullif(lower(regexp_replace(r.id, '^(?i:https://ror\.org/)', '')), ''),
                'plain': r.id IS NULL OR regexp_full_match(r.id, '(?i:https://ror\.org/)?[0-9A-Za-z]*')
            }
        ) AS relations
    FROM read_json(
        $path,
        format = 'array',
        columns = {
            'id': 'VARCHAR',
            'names': 'STRUCT("value" VARCHAR)[]',
            'name': 'VARCHAR',
            'locations': 'STRUCT(geonames_details STRUCT(country_code VARCHAR))[]',
            'country': 'STRUCT(country_code VARCHAR)',
            'relationships': 'STRUCT("type" VARCHAR, id VARCHAR)[]'
        }
    )
)
SELECT
    item,
    coalesce(
        (v2 OR v1)
        AND regexp_full_match(id, '(?i:https://ror\.org/)?[0-9A-Za-z]+')
        AND regexp_full_match(coalesce(country, ''), '[ -~]*')
        AND list_bool_and(list_transform(relations, lambda r: r.plain) || [true]),
        false
    ) AS plain,
    lower(regexp_replace(id, '^(?i:https://ror\.org/)', '')) AS ror_id,
    coalesce(upper(country) = $code, false) AS local,
    list_transform(list_filter(relations, lambda r: r.kind IN ('parent', 'child') AND r.id IS NOT NULL), lambda r: r.id)
        AS linked,
    list_transform(
        list_filter(relations, lambda r: r.kind IN ('parent', 'child', 'successor') AND r.id IS NOT NULL),
        lambda r: r.id
    ) AS relatives
FROM items

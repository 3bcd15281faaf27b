-- The items of a ROR dump ($path) to keep for the focus country (item, JSON text, and whether the text is the item
-- the scan read), in file order, chosen from the scan in _ror_items (ror_scan_items.sql): the focus country's
-- records, their parents, children and successors wherever those are, and other countries' records that name a
-- focus-country record as parent or child (what registry.filter_country keeps). The dump is read a second time
-- for the text of the items kept: read_json_objects gives each item's own text, numbered in file order by WITH
-- ORDINALITY, without building a JSON value of every record; `same` checks that each item kept has the ROR id the
-- scan read for that number (the caller reads the dump with the Python reader if one has not).
WITH local_ids AS (
    SELECT DISTINCT ror_id FROM _ror_items WHERE local
),
kept_ids AS (
    SELECT ror_id FROM local_ids
    UNION
    SELECT unnest(relatives) FROM _ror_items WHERE local
    UNION
    SELECT i.ror_id FROM _ror_items AS i
    WHERE NOT i.local AND list_has_any(i.linked, (SELECT list(ror_id) FROM local_ids))
),
kept AS (
    SELECT item, ror_id FROM _ror_items WHERE local OR ror_id IN (SELECT ror_id FROM kept_ids)
),
items AS (
    SELECT ordinality - 1 AS item, json AS record
    FROM read_json_objects($path, format = 'array') WITH ORDINALITY
)
SELECT
    items.item,
    items.record,
    coalesce(lower(regexp_replace(items.record ->> 'id', '^(?i:https://ror\.org/)', '')) = kept.ror_id, false) AS same
FROM items
JOIN kept USING (item)
ORDER BY items.item

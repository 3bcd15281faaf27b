-- The items of a ROR dump ($path) to keep for the focus country (item, JSON text), in file order, chosen from the
-- scan in _ror_items (ror_scan_items.sql): the focus country's records, their parents, children and successors
-- wherever those are, and other countries' records that name a focus-country record as parent or child (what
-- registry.filter_country keeps). The dump is read a second time for the text of the items kept.
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
    SELECT item FROM _ror_items WHERE local OR ror_id IN (SELECT ror_id FROM kept_ids)
),
items AS (
    SELECT row_number() OVER () - 1 AS item, j
    FROM read_json($path, format = 'array', records = false, columns = {'j': 'JSON'})
)
SELECT item, CAST(j AS VARCHAR) AS record
FROM items
WHERE item IN (SELECT item FROM kept)
ORDER BY item

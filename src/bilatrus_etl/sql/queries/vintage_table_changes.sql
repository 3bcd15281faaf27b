-- Row versions of one history table ({table}, filled in by vintages.py) only in vintage $to_seq (rows added) and
-- only in vintage $from_seq (rows removed); a changed row counts once in each.
WITH rows AS (
    SELECT
        _from_seq <= $from_seq AND (_until_seq IS NULL OR _until_seq > $from_seq) AS in_from,
        _from_seq <= $to_seq AND (_until_seq IS NULL OR _until_seq > $to_seq) AS in_to
    FROM history.{table}
)
SELECT count(*) FILTER (WHERE in_to AND NOT in_from) AS added, count(*) FILTER (WHERE in_from AND NOT in_to) AS removed
FROM rows

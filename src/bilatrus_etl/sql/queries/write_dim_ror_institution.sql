-- Fill dim_ror_institution (created empty from its declaration in warehouse/tables.py, with its column types) with
-- the registry frame (registered as ror_frame): the focus country's ROR records (with their parents, children and
-- successors wherever those are), tagged with the focus country. By name: a column of the frame that the declaration
-- does not have fails the step instead of being dropped.
-- Parameter: focus_country(). (Formerly dim_ru_institution.)
INSERT INTO dim_ror_institution BY NAME
SELECT *, focus_country() AS focus_country
FROM ror_frame
ORDER BY ror_id

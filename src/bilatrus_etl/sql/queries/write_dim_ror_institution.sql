-- Replace dim_ror_institution with the registry frame (registered as ror_frame): the focus country's ROR records
-- (with their parents, children and successors wherever those are), tagged with the focus country.
-- Parameter: focus_country(). (Formerly dim_ru_institution.)
CREATE OR REPLACE TABLE dim_ror_institution AS
SELECT *, focus_country() AS focus_country
FROM ror_frame
ORDER BY ror_id

-- Replace dim_ru_institution with the registry frame (registered as ror_frame).
CREATE OR REPLACE TABLE dim_ru_institution AS
SELECT * FROM ror_frame
ORDER BY ror_id

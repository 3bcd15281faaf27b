-- The registry records the matcher indexes.
SELECT * FROM dim_ru_institution

-- The registry records the matcher indexes: those of dim_ror_institution's focus country and their relatives.
SELECT * FROM dim_ror_institution

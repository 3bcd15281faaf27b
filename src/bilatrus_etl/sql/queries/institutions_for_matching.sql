-- The registry records the matcher indexes: those of dim_ror_institution's focus country and their relatives, in
-- ror_id order (the matcher's index is built in this order; the table's own row order is not relied on: it is
-- written while other steps of the run may have DuckDB's database-wide preserve_insertion_order off).
SELECT * FROM dim_ror_institution
ORDER BY ror_id

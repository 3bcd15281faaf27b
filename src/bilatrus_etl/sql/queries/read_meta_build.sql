-- The build stamp of a warehouse: meta_build's one row, every column (older files lack the newer ones).
SELECT * FROM meta_build

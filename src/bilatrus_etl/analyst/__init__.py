"""What analysts call on the published warehouse; every module opens the published file read-only, so none can
block, or be blocked by, a refresh that publishes a new file meanwhile.

query (the analyst's own SQL: one read-only statement on a sandboxed connection, and the output formats),
export (every mart as Parquet and CSV), active (projects running on a date), lookup (an institution's
profile by name), catalog (tables' columns, and whether the warehouse holds synthetic data).
"""

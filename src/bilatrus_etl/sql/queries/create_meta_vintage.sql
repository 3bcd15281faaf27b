-- Create meta_vintage empty (vintages.load fills it from the history store, one row per vintage).
CREATE OR REPLACE TABLE meta_vintage (
    seq INTEGER,
    vintage VARCHAR,
    recorded_at TIMESTAMPTZ,
    run_id VARCHAR,
    package_version VARCHAR,
    code_fingerprint VARCHAR,
    focus_country VARCHAR,
    synthetic BOOLEAN,
    sources_fingerprint VARCHAR,
    sources STRUCT(dataset VARCHAR, url VARCHAR, sha256 VARCHAR, bytes BIGINT, fetched_at VARCHAR, last_modified VARCHAR)[],
    tables INTEGER,
    table_rows BIGINT,
    rows_added BIGINT,
    rows_removed BIGINT,
    is_current BOOLEAN
)

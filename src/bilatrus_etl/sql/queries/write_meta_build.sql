-- Replace meta_build: one row describing this build, stamped with the variable run_id (the Dagster run; NULL when unset).
-- Parameters: $built_at, $code, $version, focus_country(), $synthetic, $sources (JSON text), $mirror (the mirror without
-- credentials; '' for the official URLs).
CREATE OR REPLACE TABLE meta_build AS
SELECT
    CAST(getvariable('run_id') AS VARCHAR) AS run_id,
    $built_at::TIMESTAMPTZ AS built_at,
    $code::VARCHAR AS code_fingerprint,
    $version::VARCHAR AS package_version,
    focus_country() AS focus_country,
    $synthetic::BOOLEAN AS synthetic,
    $sources::JSON AS sources,
    nullif($mirror::VARCHAR, '') AS mirror

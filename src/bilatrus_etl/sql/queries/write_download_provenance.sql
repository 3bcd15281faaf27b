-- Replace meta_download_provenance with the download each dataset's tables were built from: the latest row of
-- each dataset in the provenance log (registered as provenance_frame, log_order = line of the log), stamped
-- with the run that built the warehouse (variable run_id). The full history stays in raw/provenance.jsonl.
CREATE OR REPLACE TABLE meta_download_provenance AS
SELECT
    CAST(getvariable('run_id') AS VARCHAR) AS run_id,
    dataset::VARCHAR AS dataset,
    url::VARCHAR AS url,
    fetched_at::TIMESTAMPTZ AS fetched_at,
    http_status::INTEGER AS http_status,
    etag::VARCHAR AS etag,
    last_modified::VARCHAR AS last_modified,
    sha256::VARCHAR AS sha256,
    bytes::BIGINT AS bytes,
    path::VARCHAR AS path,
    changed::BOOLEAN AS changed,
    release::JSON AS release
FROM provenance_frame
QUALIFY row_number() OVER (PARTITION BY dataset ORDER BY log_order DESC) = 1
ORDER BY dataset

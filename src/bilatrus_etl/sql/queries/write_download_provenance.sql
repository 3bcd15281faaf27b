-- Replace meta_download_provenance with the provenance log (registered as provenance_frame).
CREATE OR REPLACE TABLE meta_download_provenance AS
SELECT
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
ORDER BY fetched_at

-- Foreign key: fact_participation(org_key) references dim_organization(org_key). One row when rows of the programmes
-- asked for ($programmes, all when empty) have a key with no match (NULL keys are not checked): their number, share
-- and up to 10 of their keys.
SELECT * FROM check_foreign_key('fact_participation', ['org_key'], 'dim_organization', ['org_key'], 'error', $programmes)

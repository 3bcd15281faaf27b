-- Foreign key: dim_institution(main_org_key) references dim_organization(org_key). One row when rows have a key with
-- no match (NULL keys are not checked): their number, share and up to 10 of their keys.
SELECT * FROM check_foreign_key('dim_institution', ['main_org_key'], 'dim_organization', ['org_key'], 'error', NULL)

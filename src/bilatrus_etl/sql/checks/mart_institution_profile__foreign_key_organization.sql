-- Foreign key: mart_institution_profile(institution_key) references dim_organization(institution_key). One row when
-- rows have a key with no match (NULL keys are not checked): their number, share and up to 10 of their keys.
SELECT * FROM check_foreign_key('mart_institution_profile', ['institution_key'], 'dim_organization', ['institution_key'], 'error', NULL)

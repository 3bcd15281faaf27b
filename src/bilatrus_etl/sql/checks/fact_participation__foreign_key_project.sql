-- Foreign key: fact_participation(framework_programme, project_id) references dim_project(framework_programme,
-- project_id). One row when rows of the programmes asked for ($programmes, all when empty) have a key with no match
-- (NULL keys are not checked): their number, share and up to 10 of their keys.
SELECT * FROM check_foreign_key('fact_participation', ['framework_programme', 'project_id'], 'dim_project', ['framework_programme', 'project_id'], 'error', $programmes)

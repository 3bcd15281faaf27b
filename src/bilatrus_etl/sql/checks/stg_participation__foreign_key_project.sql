-- Foreign key: stg_participation(framework_programme, project_id) references stg_project(framework_programme,
-- project_id). One row when rows of the programmes asked for ($programmes, all when empty) have a key with no match
-- (NULL keys are not checked): their number, share and up to 10 of their keys. Staging quarantines participations of
-- a project absent from the programme's staged projects (orphans, with their reason), so none should remain; a row
-- here means a table was changed outside staging (a warning).
SELECT * FROM check_foreign_key('stg_participation', ['framework_programme', 'project_id'], 'stg_project', ['framework_programme', 'project_id'], 'warn', $programmes)

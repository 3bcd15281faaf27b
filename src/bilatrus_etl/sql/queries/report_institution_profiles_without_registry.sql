-- Every institution of the focus country for its report page when the warehouse has no ROR registry table.
SELECT p.*
FROM mart_institution_profile AS p
ORDER BY p.participations DESC, p.projects DESC, p.ec_contribution DESC NULLS LAST, p.display_name, p.institution_key

-- Every institution of the focus country for its report page: mart_institution_profile joined with the ROR
-- registry record (Russian name, acronyms, types, parent). The registry table is named here only.
SELECT
    p.*,
    r.name_ru AS ror_name_ru,
    r.acronyms AS ror_acronyms,
    r.aliases AS ror_aliases,
    r.types AS ror_types,
    r.parent_ror_id AS ror_parent_id,
    parent.display_name AS ror_parent_name,
    r.established AS ror_established,
    r.status AS ror_status
FROM mart_institution_profile AS p
LEFT JOIN dim_ror_institution AS r ON r.ror_id = p.ror_id
LEFT JOIN dim_ror_institution AS parent ON parent.ror_id = r.parent_ror_id
ORDER BY p.participations DESC, p.projects DESC, p.ec_contribution DESC NULLS LAST, p.display_name, p.institution_key

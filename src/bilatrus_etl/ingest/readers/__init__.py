"""Readers: land one upstream file into DuckDB, columns mapped by name onto canonical names, all VARCHAR.

One module per upstream format (`legacy_csv`, `cordis_csv`, `dashboard`, `cordisref`); every reader goes through
the same steps, shared in `header`, `columns` and `land`:

1. `header.sniff_header` reads the first line in Python: refuses empty files, binary or HTML files, text that is
   not in the expected encoding, and finds the delimiter (`;`, `,` or tab) from the header line.
2. `columns.map_columns` maps the header's names onto a `Layout`'s canonical columns by name, through aliases,
   ignoring case, spaces, punctuation and a BOM (`projectID`, `project_id` and `Project ID` are one name).
   A required column that is missing raises a BilatrusError naming the dataset, the file and the column,
   and listing the columns found. Never by position.
3. `land.read_csv_raw` lets DuckDB's CSV reader load the rows (explicit dialect, strict mode, all VARCHAR,
   no sniffing) into a temporary table, with `store_rejects` so malformed lines are kept with their
   line number, reason and raw text instead of failing the load.
4. `land.land_select` builds the SELECT that turns that raw table into one of the landing shapes below;
   `commit_landed` swaps it in, replacing the load's slice, in one transaction.

The landing tables (one per shape, all programmes together; a load replaces its own slice):

- `land_project`, `land_participation`: the canonical columns (VARCHAR, as in the file) plus
  framework_programme, dataset, source_format (legacy_csv, cordis_csv, dashboard_csv, dashboard_xlsx),
  source_file (the file name as fetched, `zip!member` for an archive member), record_hash (DuckDB's
  hash() of every field of the source record, mapped or not: exact duplicates share it) and source_line.
- `land_rejects`: lines DuckDB could not parse, one row per line: dataset, framework_programme,
  source_format, source_file, target_table, source_line, reason, raw_record.
- `land_ref_country`, `land_ref_programme`, `land_ref_activity_type`, `land_ref_funding_scheme`,
  `land_ref_sic_code`: the cordisref tables, every language kept.

source_line is the record's line number in the file, the header being line 1 (as DuckDB numbers lines).
It is the physical line unless an earlier quoted value spans several lines; for spreadsheets it is the
sheet's row number.
"""

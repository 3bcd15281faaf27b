"""Readers: land one upstream file into DuckDB, columns mapped by name onto canonical names, all VARCHAR.

One module per upstream format (`legacy_csv`, `cordis_csv`, `dashboard`, `cordisref`); every reader goes through
the same steps, shared in `header`, `columns` and `land`:

1. `header.sniff_header` reads the first line in Python: refuses empty files, binary or HTML files, text that is
   not in the expected encoding, and finds the delimiter (`;`, `,` or tab) from the header line.
2. `columns.map_columns` maps the header's names onto a `Layout`'s canonical columns by name, through aliases,
   ignoring case, spaces, punctuation and a BOM (`projectID`, `project_id` and `Project ID` are one name).
   A required column that is missing raises a BilatrusError naming the dataset, the file and the column,
   and listing the columns found. Never by position.
3. `land.land_csv` builds the SELECT that shapes the file's records into one of the landing shapes below, over
   DuckDB's CSV reader (`raw.read_csv_sql`: explicit dialect, strict mode, all VARCHAR, no sniffing,
   `store_rejects` so malformed lines are kept with their line number, reason and raw text instead of failing
   the load). A Dashboard export, shaped into two landing tables, is first loaded as-is into a temporary table
   (`raw.read_csv_raw`, `raw.raw_from_rows` for spreadsheets) and shaped by `land.land_select`.
4. `land.commit_landed` replaces the load's slices in one transaction: it deletes them, reads each CSV file once,
   straight into its landing table (`raw.read_all_into`: one INSERT per landing table), inserts the other rows and the rejected lines, and rolls
   everything back if a file cannot be read.

The landing tables (one per shape, all programmes together; a load replaces its own slice):

- `land_project`, `land_participation`: the canonical columns (VARCHAR, as in the file) plus
  framework_programme, dataset, source_format (legacy_csv, cordis_csv, dashboard_csv, dashboard_xlsx),
  source_file (the file name as fetched, `zip!member` for an archive member), record_hash (DuckDB's
  64-bit hash() of every field of the source record, mapped or not, kept as a UBIGINT: exact duplicates share
  it) and source_line.
- `land_rejects`: lines DuckDB could not parse, one row per line: dataset, framework_programme,
  source_format, source_file, target_table, source_line, reason, raw_record.
- `land_ref_country`, `land_ref_programme`, `land_ref_activity_type`, `land_ref_funding_scheme`,
  `land_ref_sic_code`: the cordisref tables, every language kept.

source_line is the record's line number in the file, the header being line 1 (as DuckDB numbers lines).
It is the physical line unless an earlier quoted value spans several lines; for spreadsheets it is the
sheet's row number.
"""

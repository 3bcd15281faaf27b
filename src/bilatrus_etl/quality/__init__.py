"""Data quality: Great Expectations suites (expectations/*.json) run against the DuckDB warehouse's tables.

Modules, each owning one concern:
- suites: the JSON suites read as GX ExpectationSuite objects, severities, suite parameters;
- context: the process's ephemeral GX context (imported lazily), its lock and pandas batch definitions;
- sql_checks: row-level expectations evaluated as SQL aggregates in DuckDB with GX's semantics and result shape;
- checks: what GX has no expectation for (foreign keys, row counts per programme, column types), declared in a
  suite's meta, as GX expectations on frames DuckDB computes;
- validate: `validate_table`, one table against its suite, one combined GX validation result;
- report: ValidationOutcome, a sentence per failure, the run log meta_validation_runs;
- docs: the Data Docs site and its retention; offline_docs: the site's CDN assets vendored;
- reconcile: raw = staged + quarantined rows per source file.
"""

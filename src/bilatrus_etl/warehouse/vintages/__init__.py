"""Monthly vintages: what CORDIS said then, what it says now.

Every publish whose sources changed records a VINTAGE: its date, the sources' sha256 and URLs (from the
provenance log), the code version, and the rows of the core tables (dim_*, fact_*, institution_link) and of
every mart as they were. A publish built from the same source files as the latest vintage (same sha256s, same
focus country) adds nothing.

The store (`data/history/`, `history_dir`) is append-only and compact: one folder per vintage, `v000001/`,
`v000002/`, ..., each holding, per table, the rows that are NEW in that vintage (`<table>.parquet`, zstd, Parquet version 2) and the
hashes of the rows that are GONE (`<table>.removed.parquet`), plus `vintage.json` (the vintage's metadata and each
table's column types). A row is identified by two 64-bit hashes of its whole content (and its occurrence number
among identical rows; the scheme is recorded in vintage.json, see `identity`), so a row that did not change between
vintages is stored once, however many vintages it lives through; a table whose whole-table fingerprint did not
change is not compared at all. A vintage folder is written under a temporary name and renamed into place: a vintage
is there completely or not at all. Pruning the oldest vintages (`prune`) writes the oldest kept vintage as a full
snapshot `v<seq>.base/` first, then deletes what it replaces: at every moment the store reads back to the same
vintages.

In the published warehouse (`load`, run by `record` on the build file before it is published):
`meta_vintage` (one row per vintage), one table per recorded table in the schema `history` holding each row
version once with the vintages it is valid for (`_from_seq` up to, not including, `_until_seq`), and one view per table in the main schema,
`history_<table>`, with a `vintage` column in front of the table's own columns: an analyst queries any past
vintage like the current one (`... FROM history_fact_participation WHERE vintage = '2026-11-02'`). Everything
is stored inside the warehouse, so it works on a connection without file system access. A table whose history is
one version that the main table holds (the first publish; a table no vintage changed) is not copied: its history
table is a view over the main table, with the same columns and rows. The build file keeps
its history between runs with a manifest of the vintages it holds (`history.meta_vintage`: seq and sha256 of
each vintage.json): a publish adds only the new vintage's rows and follows a prune, touches nothing when no
vintage is new, and rebuilds from the store only when the manifest does not match it.

Modules: store (the folders on disk), identity (row identities and their scheme), record (recording and pruning),
history (loading into the warehouse), changes (listing vintages and `diff`, which compares two vintages for the
focus country).
"""

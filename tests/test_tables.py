"""The declaration of the tables built in Python (warehouse/tables.py): one place that the steps, the Dagster
assets and the data dictionary read."""

from __future__ import annotations

import duckdb

from bilatrus_etl.warehouse import dictionary, tables


def test_create_empty_gives_the_declared_columns_types_and_comments() -> None:
    con = duckdb.connect()
    tables.create_empty(con, tables.INSTITUTION_LINK)
    tables.create_empty(con, tables.INSTITUTION_LINK)  # IF NOT EXISTS: a second call changes nothing
    columns = con.execute(
        "SELECT column_name, data_type, comment FROM duckdb_columns() "
        "WHERE table_name = 'institution_link' ORDER BY column_index"
    ).fetchall()
    assert [c[0] for c in columns] == [
        "org_key",
        "ror_id",
        "institution_key",
        "institution_name",
        "method",
        "score",
        "runner_up_ror_id",
        "runner_up_score",
    ]
    assert [c[1] for c in columns] == ["VARCHAR"] * 5 + ["DOUBLE", "VARCHAR", "DOUBLE"]
    assert columns[5][2] == "matching score (0-100)"
    comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'institution_link'").fetchall()[0][0]
    assert comment == tables.INSTITUTION_LINK.description
    assert con.execute("SELECT count(*) FROM institution_link").fetchall()[0][0] == 0


def test_asset_paths_come_from_the_declaration() -> None:
    paths = tables.asset_paths()
    assert paths["institution_link"] == ("core", "institution_link")
    assert paths["mart_collaboration_network"] == ("marts", "mart_collaboration_network")
    assert paths["meta_download_provenance"] == ("raw", "download_provenance")
    assert paths["land_rejects"] == ("staging", "land_rejects")  # the landing step's own asset
    assert "meta_build" not in paths  # stamped by the publish step: no asset of its own
    assert len(paths) == 16 + 4


def test_the_dictionary_documents_a_declared_table_from_the_declaration() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE meta_build (run_id VARCHAR, built_at TIMESTAMPTZ, extra INTEGER)")
    con.execute("COMMENT ON COLUMN meta_build.extra IS 'from a comment'")
    doc = next(d for d in dictionary.document(con) if d.name == "meta_build")
    assert doc.description == tables.BUILD.description and doc.built_by == "src/bilatrus_etl/warehouse/meta.py"
    assert doc.layer == "meta"
    assert [(c.name, c.description) for c in doc.columns] == [
        ("run_id", "Dagster run that built this warehouse"),
        ("built_at", "when the build was stamped (UTC)"),
        ("extra", "from a comment"),
    ]

"""The data dictionary covers every warehouse table, with a description for each table and column."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from test_core import CORE_MODELS, MART_MODELS, MODELS, build, load, new_warehouse
from test_marts import LINKS, PARTICIPATIONS, PROJECTS

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse import dictionary, network
from bilatrus_etl.warehouse.models import describe_table
from bilatrus_etl.warehouse.publish import publish
from bilatrus_etl.warehouse.tables import COLLABORATION_NETWORK


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, Path]:
    folder = tmp_path_factory.mktemp("dictionary")
    con = new_warehouse(folder / "build.duckdb")
    load(con, PROJECTS, PARTICIPATIONS, LINKS)
    build(con)
    network.build_network(con)
    markdown = folder / "data-dictionary.md"
    dictionary.build(con, markdown, strict=True)
    return con, markdown


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()}


def test_every_table_and_column_is_described(built: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, _ = built
    docs = dictionary.document(con)
    assert {d.name for d in docs} == _tables(con)
    assert dictionary.undocumented_tables(docs) == []
    ours = set(CORE_MODELS + MART_MODELS) | {network.TABLE, dictionary.TABLE, "institution_link"}
    missing = {t: cols for t, cols in dictionary.undocumented_columns(docs).items() if t in ours}
    assert missing == {}


def test_model_column_docs_match_the_built_columns(built: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, _ = built
    for name in CORE_MODELS + MART_MODELS:
        columns = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [name]
            ).fetchall()
        ]
        assert set(MODELS[name].column_docs) == set(columns), name  # no missing and no stale `-- column:` lines
    assert set(COLLABORATION_NETWORK.column_docs) == {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [network.TABLE]
        ).fetchall()
    }


def test_meta_table_and_markdown_list_every_table(built: tuple[duckdb.DuckDBPyConnection, Path]) -> None:
    con, markdown = built
    tables = _tables(con)
    in_meta = {r[0] for r in con.execute("SELECT DISTINCT table_name FROM meta_data_dictionary").fetchall()}
    assert in_meta == tables
    assert (
        con.execute("SELECT count(*) FROM meta_data_dictionary WHERE table_description IS NULL").fetchall()[0][0] == 0
    )
    notes = con.execute(
        "SELECT DISTINCT table_notes FROM meta_data_dictionary WHERE table_name = 'mart_partner_countries'"
    ).fetchall()
    assert "Salton" in notes[0][0]
    text = markdown.read_text(encoding="utf-8")
    for table in tables:
        assert f"### {table}\n" in text, table
    assert "**undocumented**" not in text
    assert "mart_collaboration_network" in text and "networkx" in text
    # comments are stored in the warehouse too (DBeaver, duckdb_tables())
    comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'fact_participation'").fetchall()[0][
        0
    ]
    assert comment == MODELS["fact_participation"].description


def test_build_returns_and_writes_what_the_warehouse_documents_once_built(
    built: tuple[duckdb.DuckDBPyConnection, Path], tmp_path: Path
) -> None:
    con, markdown = built
    docs = dictionary.document(con)
    assert dictionary.build(con, tmp_path / "again.md", strict=True) == docs == dictionary.document(con)
    assert (tmp_path / "again.md").read_text(encoding="utf-8") == markdown.read_text(encoding="utf-8")
    written = dictionary.write_markdown(con, tmp_path / "read-back.md")
    assert written.read_text(encoding="utf-8") == markdown.read_text(encoding="utf-8")


def test_an_undescribed_table_fails_strict_mode() -> None:
    con = new_warehouse()
    build(con, models=CORE_MODELS)
    con.execute("CREATE TABLE mystery (x INTEGER)")
    assert "mystery" in dictionary.undocumented_tables(dictionary.document(con))
    with pytest.raises(BilatrusError, match="mystery"):
        dictionary.build(con, strict=True)
    describe_table(con, "mystery", "A table a Python step wrote.", {"x": "a number"})
    docs = dictionary.build(con, strict=True)
    assert next(d for d in docs if d.name == "mystery").columns[0].description == "a number"


def test_markdown_from_a_published_file(built: tuple[duckdb.DuckDBPyConnection, Path], tmp_path: Path) -> None:
    con, _ = built
    path = Path(
        con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
    )
    published = tmp_path / "bilatrus.duckdb"
    publish(path, published, tmp_path / "bilatrus.previous.duckdb")
    out = dictionary.write_markdown(published, tmp_path / "docs" / "data-dictionary.md")
    text = out.read_text(encoding="utf-8")
    assert "# Data dictionary" in text and "### mart_third_country_ranking" in text and "bilatrus.duckdb" in text


def _comments(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    table = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 't'").fetchall()
    columns = con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 't' ORDER BY 1"
    ).fetchall()
    return table + columns


def test_describe_table_commits_its_comments_at_once_or_joins_the_callers_transaction() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a INTEGER, b INTEGER)")
    describe_table(con, "t", "Table t.", {"a": "Column a.", "b": "It's b."})
    assert _comments(con) == [("Table t.",), ("a", "Column a."), ("b", "It's b.")]
    con.execute("BEGIN TRANSACTION")
    describe_table(con, "t", "Changed.", {"a": "Changed a."})
    con.execute("INSERT INTO t VALUES (1, 2)")  # the caller's transaction is still usable
    con.execute("ROLLBACK")  # and its rollback takes the comments back with it
    assert _comments(con) == [("Table t.",), ("a", "Column a."), ("b", "It's b.")]
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(0,)]

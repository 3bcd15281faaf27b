"""Analyst interfaces on a published warehouse: read-only query in every format, export of every mart, active projects."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_core import build, load, new_warehouse
from test_marts import LINKS, PARTICIPATIONS, PROJECTS

from bilatrus_etl.analyst.active import active_projects, active_projects_table
from bilatrus_etl.analyst.export import export
from bilatrus_etl.analyst.query import query
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.warehouse import dictionary, network
from bilatrus_etl.warehouse.publish import open_readonly, publish

RANKING_SQL = (
    "SELECT rank_participations, country_code, participations FROM mart_third_country_ranking "
    "WHERE framework_programme = 'FP7' ORDER BY rank_participations, country_code"
)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("analyst")
    con = new_warehouse(folder / "build.duckdb")
    load(con, PROJECTS, PARTICIPATIONS, LINKS)
    build(con)
    network.build_network(con)
    dictionary.build(con)
    con.close()
    target = folder / "warehouse" / "bilatrus.duckdb"
    publish(folder / "build.duckdb", target, folder / "warehouse" / "bilatrus.previous.duckdb")
    return target


def test_query_formats(published: Path) -> None:
    # FP7 third countries (see test_marts): RU 4, CN 3, UA 3 (tied at rank 2), US 1 (rank 4)
    expected = [(1, "RU", 4), (2, "CN", 3), (2, "UA", 3), (4, "US", 1)]
    text = query(published, RANKING_SQL, "csv")
    assert isinstance(text, str)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == ["rank_participations", "country_code", "participations"]
    assert [(int(a), b, int(c)) for a, b, c in parsed[1:]] == expected
    records = json.loads(query(published, RANKING_SQL, "json"))
    assert [(r["rank_participations"], r["country_code"], r["participations"]) for r in records] == expected
    blob = query(published, RANKING_SQL, "parquet")
    assert isinstance(blob, bytes)
    table = pq.read_table(io.BytesIO(blob))
    assert table.column("country_code").to_pylist() == ["RU", "CN", "UA", "US"]
    shown = query(published, RANKING_SQL, "table")
    assert "country_code" in shown and "(4 rows)" in shown and shown.splitlines()[2].split() == ["1", "RU", "4"]


def test_query_json_handles_decimals_dates_and_nulls(published: Path) -> None:
    sql = (
        "SELECT ec_contribution, start_date, ec_max_contribution FROM fact_participation "
        "JOIN dim_project USING (framework_programme, project_id) WHERE project_id = 'P4'"
    )
    (record,) = json.loads(query(published, sql, "json"))
    assert record == {"ec_contribution": 1000.0, "start_date": "2009-05-01", "ec_max_contribution": None}


def test_query_is_read_only_and_errors_are_clear(published: Path, tmp_path: Path) -> None:
    with pytest.raises(BilatrusError, match="read-only"):
        query(published, "CREATE TABLE x AS SELECT 1", "csv")
    with pytest.raises(BilatrusError, match="Query failed"):
        query(published, "SELECT * FROM no_such_table", "csv")
    with pytest.raises(BilatrusError, match="format"):
        query(published, "SELECT 1", "xml")
    with pytest.raises(BilatrusError, match="No warehouse"):
        query(tmp_path / "nowhere.duckdb", "SELECT 1", "csv")


def test_export_writes_every_mart_as_parquet_and_csv(published: Path, tmp_path: Path) -> None:
    con = open_readonly(published)
    marts = [
        r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'mart%'").fetchall()
    ]
    counts = {m: con.execute(f"SELECT count(*) FROM {m}").fetchall()[0][0] for m in marts}
    con.close()
    assert "mart_collaboration_network" in marts and len(marts) == 11
    paths = export(published, tmp_path / "exports")
    assert sorted(p.name for p in paths) == sorted(f"{m}{s}" for m in marts for s in (".parquet", ".csv"))
    for mart in marts:
        assert pq.read_table(tmp_path / "exports" / f"{mart}.parquet").num_rows == counts[mart]
        with open(tmp_path / "exports" / f"{mart}.csv", newline="", encoding="utf-8") as handle:
            assert sum(1 for _ in csv.reader(handle)) == counts[mart] + 1  # header
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == sorted(p.name for p in paths)  # no temp files


def test_active_projects_runs_the_mart_sql_for_any_date(published: Path) -> None:
    # on 2009-06-01 (see test_marts): P1, P4, P5 with RU; on 2018-01-01: R1 (to 2019-12-31), R2 (to 2019-06-30)
    on_2009 = json.loads(active_projects(published, "2009-06-01", "RU", "json"))
    assert sorted(r["project_id"] for r in on_2009) == ["P1", "P4", "P5"]
    on_2018 = active_projects_table(published, "2018-01-01", "ru")
    assert sorted(on_2018.column("project_id").to_pylist()) == ["R1", "R2"]
    assert set(on_2018.column("as_of_date").to_pylist()) == {__import__("datetime").date(2018, 1, 1)}
    # another country, same SQL: P3 had DE2 on 2009-06-01, and no Russian partner
    on_2009_de = active_projects_table(published, "2009-06-01", "DE")
    assert sorted(on_2009_de.column("project_id").to_pylist()) == ["P1", "P3", "P5"]
    assert "P1" in active_projects(published, "2009-06-01", "RU")  # the text table
    with pytest.raises(BilatrusError, match="YYYY-MM-DD"):
        active_projects(published, "1 March 2022", "RU")

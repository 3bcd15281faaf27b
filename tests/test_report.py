"""The landscape report built from a fixture warehouse whose figures are worked out by hand (report_fixtures,
test_marts): the numbers it shows and embeds equal the mart values."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import jinja2
import pytest
from report_fixtures import build_fixture_warehouse

from bilatrus_etl import report
from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.report import render


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> report.ReportResult:
    folder = tmp_path_factory.mktemp("report")
    path = build_fixture_warehouse(folder / "bilatrus.duckdb")
    return report.build_report(path, folder / "reports")


def data_block(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert found, "no embedded data block"
    return json.loads(found.group(1))


class Cells(HTMLParser):
    """Every element with a data-value: (table id, row programme or key, field) -> value text."""

    def __init__(self) -> None:
        super().__init__()
        self.table, self.row, self.values, self.links, self.loads = None, None, {}, [], []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.table = a.get("id") or a.get("data-programme")
        if tag == "tr":
            self.row = a.get("data-programme") or a.get("data-key")
        if "data-value" in a:
            self.values[(self.table, self.row, a.get("data-field"))] = a["data-value"]
        if tag == "a":
            self.links.append(a.get("href"))
        if tag in {"script", "img", "link", "iframe"} and (a.get("src") or a.get("href")):
            self.loads.append(a.get("src") or a.get("href"))


def cells(html: str) -> Cells:
    parser = Cells()
    parser.feed(html)
    return parser


def test_headline_figures_per_programme(built: report.ReportResult) -> None:
    html = built.index.read_text(encoding="utf-8")
    figures = data_block(html)
    programmes = {p["framework_programme"]: p for p in figures["programmes"]}
    assert list(programmes) == ["FP6", "FP7", "H2020", "HE"]
    # RU: FP6 Q1 RU1, Q2 RU2; FP7 P1 RU1, P2 RU2, P4 RU1, P5 RU3; H2020 R1 RU1, R1 RU2, R2 RU1; HE S1 RU2
    expected = {
        "FP6": (2, 2, 2, 0, None),
        "FP7": (4, 4, 3, 1, 1160.0),
        "H2020": (3, 2, 2, 0, 100.0),
        "HE": (1, 1, 1, 0, 0.0),
    }
    for programme, (participations, projects, organisations, coordinations, ec) in expected.items():
        p = programmes[programme]
        assert (p["participations"], p["projects"], p["organisations"], p["coordinations"], p["ec_contribution"]) == (
            participations,
            projects,
            organisations,
            coordinations,
            ec,
        ), programme
    assert programmes["FP7"]["participations_fractional"] == pytest.approx(1 / 5 + 1 / 3 + 1 + 1 / 4)
    assert programmes["FP7"]["single_beneficiary_coordinations"] == 1  # P4 (ERC) counted apart
    assert programmes["FP6"]["change_participations"] is None
    assert programmes["FP7"]["change_participations"] == pytest.approx(1.0)  # 2 -> 4
    assert programmes["H2020"]["change_participations"] == pytest.approx(-0.25)  # 4 -> 3
    assert programmes["FP7"]["change_ec_contribution"] is None  # FP6 reports no money: no change to give
    assert programmes["H2020"]["change_ec_contribution"] == pytest.approx((100 - 1160) / 1160)
    # the table shows the same numbers, formatted
    shown = cells(html).values
    for programme, (participations, projects, organisations, _coordinations, _) in expected.items():
        assert shown[("headline-table", programme, "participations")] == str(participations)
        assert shown[("headline-table", programme, "projects")] == str(projects)
        assert shown[("headline-table", programme, "organisations")] == str(organisations)
    assert "+100%" in html and "−25%" in html and "€1,160" in html
    assert "not reported" in html  # FP6 money


def test_third_country_ranks_and_activity_index(built: report.ReportResult) -> None:
    html = built.index.read_text(encoding="utf-8")
    figures = data_block(html)
    fp7 = [(r["rank_participations"], r["country_code"], r["participations"]) for r in figures["ranking"]["FP7"]]
    assert fp7 == [(1, "RU", 4), (2, "CN", 3), (2, "UA", 3), (4, "US", 1)]  # RANK(): tie at 2, then 4
    he = figures["ranking"]["HE"]
    assert [(r["country_code"], r["rank_participations"]) for r in he] == [("RU", 1)]
    index = {(t["framework_programme"], t["theme_name"]): t["activity_index"] for t in figures["themes"]}
    fp7_index = {name: value for (programme, name), value in index.items() if programme == "FP7"}
    assert sorted(fp7_index.values()) == pytest.approx([0.5, 1.125, 4.5])  # HEALTH, ICT, ERC (test_marts)
    shown = [float(m) for m in re.findall(r'data-field="activity_index" data-value="([0-9.]+)"', html)]
    assert sorted(shown) == sorted(index.values())
    assert ">4.50<" in html and ">1.12<" in html and ">0.50<" in html  # two decimals


def test_years_regions_partners_and_active_projects(built: report.ReportResult) -> None:
    figures = data_block(built.index.read_text(encoding="utf-8"))
    years = {y["start_year"]: y for y in figures["years"]}
    # 2009: P4 RU1 (funded 1000), P5 RU3 (0, unfunded); 2004: Q2 RU2 (FP6, not reported); 2021: S1 RU2 (0)
    assert (
        years[2009]["participations"],
        years[2009]["funded_participations"],
        years[2009]["unfunded_participations"],
    ) == (2, 1, 1)
    assert years[2009]["ec_contribution"] == 1000.0
    assert years[2004]["funding_not_reported_participations"] == 1 and years[2004]["ec_contribution"] is None
    assert years[2021]["unfunded_participations"] == 1
    moscow_spb = {p: rows[0]["moscow_spb_share"] for p, rows in figures["regions"].items()}
    assert moscow_spb["FP7"] == pytest.approx(3 / 4) and moscow_spb["H2020"] == pytest.approx(2 / 3)
    assert moscow_spb["FP6"] == pytest.approx(1.0)
    partners = {c["partner_country"]: c["joint_projects"] for c in figures["partner_countries_overall"]}
    # DE: P1 P2 P5 (FP7), Q1 (FP6), R1 (H2020), S1 (HE) = 6 joint projects
    assert partners["DE"] == 6 and list(partners)[0] == "DE"
    assert [a["project_id"] for a in figures["active_projects"]] == ["S1"]  # the only project running on 2022-03-01
    html = built.index.read_text(encoding="utf-8")
    assert 'href="https://cordis.europa.eu/project/id/S1"' in html
    assert "75%" in html and "66.7%" not in html and "67%" in html  # Moscow/St Petersburg shares, rounded


def test_top_institutions_link_to_their_pages(built: report.ReportResult) -> None:
    html = built.index.read_text(encoding="utf-8")
    figures = data_block(html)
    top = [(i["institution_key"], i["participations"], i["projects"]) for i in figures["top_institutions"]]
    assert top == [("ror:msu", 6, 6), ("RU2", 4, 4)]  # RU1 + RU3 linked to one institution
    parsed = cells(html)
    assert parsed.values[("institutions-table", "ror:msu", "participations")] == "6"
    page = built.index.parent / "institutions" / report.page_name("ror:msu")
    assert f'href="institutions/{page.name}"' in html and page.is_file()
    msu = page.read_text(encoding="utf-8")
    profile = data_block(msu)["institution"]
    assert profile["display_name"] == "Lomonosov Moscow State University"
    assert profile["ror_name_ru"] == "Московский государственный университет" and profile["ror_types"] == ["education"]
    assert profile["ror_parent_name"] == "Russian Academy of Sciences"
    # every project of RU1 and RU3, each with its CORDIS link: P1 P4 P5 Q1 R1 R2
    assert sorted(p["project_id"] for p in profile["projects_list"]) == ["P1", "P4", "P5", "Q1", "R1", "R2"]
    for project_id in ("P1", "P4", "P5", "Q1", "R1", "R2"):
        assert f'href="https://cordis.europa.eu/project/id/{project_id}"' in msu
    assert 'href="https://ror.org/msu"' in msu and 'href="https://ror.org/ras"' in msu  # bare ids made links
    assert "MSU" in msu and "Moscow" in msu
    assert profile["partners_list"][0]["partner_institution_key"] == "DE1"  # 4 joint projects (test_marts)
    # a partner of the focus country links to its own page
    assert f'href="{report.page_name("RU2")}"' in msu


def test_every_page_is_self_contained_with_banner_and_vintage(built: report.ReportResult) -> None:
    pages = sorted(built.index.parent.rglob("*.html"))
    assert len(pages) == 2 + built.institution_pages and built.institution_pages == 2
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert 'id="synthetic-banner"' in html, page
        assert cells(html).loads == [], f"{page} loads {cells(html).loads}"  # nothing from the network
        assert "ab" * 32 in html and "https://cordis.example/fp7.zip" in html  # the download the build used
        assert "cd" * 32 not in html
    assert built.index_bytes < 5_000_000
    index = (built.index.parent / "institutions" / "index.html").read_text(encoding="utf-8")
    assert 'data-search="lomonosov moscow state university' in index and 'id="search"' in index


def test_no_banner_for_real_data_and_rebuild_replaces_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = build_fixture_warehouse(tmp_path / "real.duckdb", synthetic=False)
    out = tmp_path / "reports"
    (out / "institutions").mkdir(parents=True)
    (out / "institutions" / "stale.html").write_text("old")
    with pytest.raises(BilatrusError, match="is not a bilatrus report"):  # never replace a folder of other files
        report.build_report(path, out)
    assert (out / "institutions" / "stale.html").exists()
    (out / report.MARKER).write_text("")  # an earlier report: replaced as a whole
    result = report.build_report(path, out)
    assert 'id="synthetic-banner"' not in result.index.read_text(encoding="utf-8")
    assert not (out / "institutions" / "stale.html").exists() and not result.synthetic
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.duckdb", "reports"]
    # a build that fails while writing pages leaves the previous report as it was, and no half-built folder
    before = result.index.read_text(encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report.render, "page", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        report.build_report(path, out)
    assert result.index.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.duckdb", "reports"]


def test_incomplete_warehouse_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "partial.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(BilatrusError, match=r"lacks meta_build.*bilatrus run"):
        report.build_report(path, tmp_path / "reports")
    with pytest.raises(BilatrusError, match="No warehouse"):
        report.build_report(tmp_path / "missing.duckdb", tmp_path / "reports")


@pytest.mark.parametrize(
    ("share", "text"),
    [(None, "–"), (0, "0%"), (0.0004, "<0.1%"), (0.0123, "1.2%"), (0.0996, "10.0%"), (0.1234, "12%"), (1.0, "100%")],
)
def test_percentages_rounded_sensibly(share: float | None, text: str) -> None:
    assert render.pct(share) == text


def test_money_and_change_formats() -> None:
    assert [render.eur(v) for v in (None, 0, 950, 12_345, 2_500_000, 1_234_000_000)] == [
        "not reported",
        "€0",
        "€950",
        "€12 k",
        "€2.5 m",
        "€1.23 bn",
    ]
    assert [render.change(v) for v in (None, 0.0, 0.5, -0.25)] == ["–", "±0%", "+50%", "−25%"]
    assert render.json_block({"x": "</script>"}) == '{"x": "<\\/script>"}'


def test_row_fields_in_templates_read_as_jinja_reads_them() -> None:
    env = render.environment()
    row = {"name": "MSU", "projects": 0, "items": "a key named like a dict method"}
    text = env.from_string(
        "{{ r.name }}|{{ r.projects }}|{{ r.get('name') }}|{{ r.missing is defined }}|{{ r.items()|list|length }}"
    ).render(r=row)
    assert text == "MSU|0|MSU|False|3"
    with pytest.raises(jinja2.UndefinedError, match="'dict object' has no attribute 'missing'"):
        env.from_string("{{ r.missing }}").render(r=row)


# --- in a real browser ---------------------------------------------------------------------------------------

CHARTS = ("chart-ranking", "chart-years", "chart-themes", "chart-partners", "chart-regions", "chart-network")


@pytest.mark.slow
def test_report_in_a_real_browser(built: report.ReportResult, tmp_path: Path) -> None:
    from browser import chromium, is_local, served

    with served(built.index.parent) as base, chromium(tmp_path) as browser:
        landscape = browser.visit(f"{base}/index.html", screenshot="report-landscape.png")
        assert landscape.offline_ok, landscape.problems()
        assert landscape.requests and all(is_local(url) for url in landscape.requests)
        page = browser.page
        for chart in CHARTS:
            svg = page.locator(f"#{chart} svg")
            assert svg.count() == 1, chart
            box = svg.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 50, (chart, box)
        figures = page.evaluate("JSON.parse(document.getElementById('report-data').textContent)")
        assert [p["participations"] for p in figures["programmes"]] == [2, 4, 3, 1]
        assert page.locator("#synthetic-banner").is_visible()
        # an institution page opens from the table
        page.locator("#institutions-table a").first.click()
        page.wait_for_load_state("load")
        assert page.url == f"{base}/institutions/{report.page_name('ror:msu')}"
        assert page.locator("#institution-name").inner_text() == "Lomonosov Moscow State University"
        institution = browser.visit(page.url, screenshot="report-institution.png")
        assert institution.offline_ok, institution.problems()
        assert browser.page.locator("#projects-table a").count() == 6

        index = browser.visit(f"{base}/institutions/index.html", screenshot="report-institutions.png")
        assert index.offline_ok, index.problems()
        search = browser.page.locator("#search")
        visible = browser.page.locator("tr.institution:visible")
        assert visible.count() == 2
        for text, shown in (("lomonosov", 1), ("МОСКОВСКИЙ", 1), ("ru2", 1), ("moscow univ", 1), ("zzz", 0), ("", 2)):
            search.fill(text)
            assert visible.count() == shown, text
            assert browser.page.locator("#search-count").inner_text() == f"{shown} shown"


def test_report_asset_follows_the_publish_in_the_refresh_job() -> None:
    import dagster as dg

    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    key = dg.AssetKey(["reports", "landscape_report"])
    node = graph.get(key)
    assert node.group_name == "reports"
    assert {k.to_user_string() for k in node.parent_keys} == {"warehouse/published_warehouse"}
    assert key in defs.resolve_job_def("refresh").asset_layer.executable_asset_keys


@pytest.mark.slow
def test_bilatrus_report_prints_the_index_path(built: report.ReportResult, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    warehouse_file = built.index.parent.parent / "bilatrus.duckdb"
    env = {**os.environ, "BILATRUS_WAREHOUSE": str(warehouse_file), "BILATRUS_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "report", "--output", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(tmp_path / "out" / "index.html")
    assert "SYNTHETIC" in done.stderr and "2 institution pages" in done.stderr
    assert (tmp_path / "out" / "institutions" / report.page_name("RU2")).is_file()
    missing = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "report"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "BILATRUS_WAREHOUSE": str(tmp_path / "none.duckdb")},
    )
    assert missing.returncode == 1 and "No warehouse" in missing.stderr


@pytest.mark.slow
def test_publish_writes_the_report_of_what_it_publishes_and_nothing_when_it_fails(
    demo_warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """publish_build with report_dir renders the report off the build while it records the vintage, and swaps it in
    only once the warehouse is published: a failed publish leaves the report in place (and no building folder), a
    failed report leaves the publish done and returns its error."""
    import duckdb

    from bilatrus_etl.settings import Settings
    from bilatrus_etl.warehouse import run

    data_dir = demo_warehouse.copy(tmp_path / "data")
    settings = Settings.from_env(data_dir=data_dir)
    reports = settings.reports_dir
    before = (reports / "index.html").read_bytes()

    def built_at() -> object:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
        try:
            return con.execute("SELECT built_at FROM meta_build").fetchall()[0][0]
        finally:
            con.close()

    published_at = built_at()

    def refuse(*args: object, **kwargs: object) -> None:
        raise BilatrusError("the disk is full")

    monkeypatch.setattr(run, "publish", refuse)
    with pytest.raises(BilatrusError, match="disk is full"):
        run.publish_build(settings, settings.build_path, run_id="failed-publish", report_dir=reports)
    monkeypatch.undo()
    assert built_at() == published_at and (reports / "index.html").read_bytes() == before
    assert sorted(p.name for p in reports.parent.iterdir() if "report" in p.name) == ["reports"]

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a chart failed")

    monkeypatch.setattr(report, "prepare_report", broken)
    result = run.publish_build(settings, settings.build_path, run_id="report-fails", report_dir=reports)
    assert built_at() != published_at  # published
    assert isinstance(result["report_error"], ValueError) and result["report"] is None
    assert (reports / "index.html").read_bytes() == before
    monkeypatch.undo()

    result = run.publish_build(settings, settings.build_path, run_id="both", report_dir=reports)
    assert result["report_error"] is None and result["report"].index == reports / "index.html"
    fresh = report.build_report(settings.warehouse_path, tmp_path / "from-published")
    assert (reports / "index.html").read_bytes() == fresh.index.read_bytes()


@pytest.mark.slow
def test_the_report_alone_is_built_from_the_published_file(demo_warehouse, tmp_path: Path) -> None:
    """Materialising only reports/landscape_report (the UI's subset of the publish's multi-asset) writes the report
    of the published warehouse and publishes nothing."""
    import dagster as dg
    from pipeline_fixtures import materialized_keys, resources_for

    from bilatrus_etl.settings import Settings
    from pipelines.defs.publish import REPORT, published_warehouse

    data_dir = demo_warehouse.copy(tmp_path / "data")
    settings = Settings.from_env(data_dir=data_dir)
    shutil.rmtree(settings.reports_dir)
    published = settings.warehouse_path.stat().st_mtime_ns
    result = dg.materialize(
        [published_warehouse], selection=[REPORT], resources=resources_for(data_dir, ""), raise_on_error=False
    )
    assert result.success and materialized_keys(result) == {"reports/landscape_report"}
    assert settings.warehouse_path.stat().st_mtime_ns == published
    again = report.build_report(settings.warehouse_path, tmp_path / "again")
    assert (settings.reports_dir / "index.html").read_bytes() == again.index.read_bytes()


def test_the_warm_up_sets_up_the_charts_and_templates_once_and_changes_no_page():
    import matplotlib.pyplot as plt

    import bilatrus_etl.report as report_package
    from bilatrus_etl.report import charts, render

    years = [
        {
            "start_year": 2010,
            "funded_participations": 2,
            "unfunded_participations": 1,
            "funding_not_reported_participations": 0,
            "ec_contribution": 1500.0,
        }
    ]
    before = charts.years_chart(years)
    report_package.warm_up()
    thread = report_package._WARM_UP
    report_package.warm_up()  # once per process
    assert thread is not None and report_package._WARM_UP is thread
    thread.join()
    assert plt.rcParams["svg.fonttype"] == "none"
    compiled = {name for _, name in render.environment().cache.keys()}
    assert {"base.html", "institution.html", "institutions.html", "landscape.html"} <= compiled
    assert charts.years_chart(years) == before

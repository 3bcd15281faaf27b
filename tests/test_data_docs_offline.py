"""Great Expectations Data Docs work offline: the CDN scripts and styles GX's pages name are vendored into the
site and the pages point at them; the index and every validation page render in headless Chromium with no
request leaving 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from test_quality import DATASETS, STG_PARTICIPATION, STG_PROJECT

from bilatrus_etl.quality import offline_docs
from bilatrus_etl.quality.validate import validate_table


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Data Docs site of two validations (test_quality's tables): one passing, one failing."""
    con = duckdb.connect()
    for statement in (STG_PROJECT, STG_PARTICIPATION, DATASETS):
        con.execute(statement)
    docs = tmp_path_factory.mktemp("docs") / "gx"
    validate_table(con, "stg_project", data_docs_dir=docs, run_name="offline-test")
    con.execute("UPDATE stg_participation SET country = 'XX' WHERE country = 'GB'")  # one failing page too
    validate_table(con, "stg_participation", data_docs_dir=docs, run_name="offline-test")
    con.close()
    return docs


def test_pages_name_no_cdn_and_every_vendored_file_is_there(site: Path) -> None:
    assert offline_docs.external_references(site) == {}
    pages = sorted(site.rglob("*.html"))
    results = list((site / ".results").rglob("*.json"))  # one per checkpoint (table and batch) run
    assert len(pages) == 1 + len(results)  # index + a validation page per result
    assert {p.relative_to(site / "validations").parts[0] for p in pages[1:]} == {"stg_participation", "stg_project"}
    html = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    for url in offline_docs.CDN_TO_LOCAL:
        assert url not in html
    assert "amazonaws" not in html and "integrity=" not in html
    for local in set(offline_docs.CDN_TO_LOCAL.values()):
        assert (site / "static" / "vendor" / local).is_file(), local
    # relative links resolve from each page's depth
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'src="static/vendor/js/jquery-3.7.1.min.js"' in index
    page = next(site.glob("validations/stg_project/**/*.html"))
    assert 'src="../../../../static/vendor/js/jquery-3.7.1.min.js"' in page.read_text(encoding="utf-8")
    # a second rewrite changes nothing
    assert offline_docs.make_offline(site) == []


def test_rewrite_of_a_gx_page() -> None:
    gx = (
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
        '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" integrity="sha384-x" '
        'crossorigin="anonymous"></script><img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/'
        'logo-long.png?d=20261129T000000.000000Z&dataContextId=abc">'
    )
    assert offline_docs.rewrite_page(gx, "../") == (
        '<script src="../static/vendor/js/jquery-3.7.1.min.js"></script>'
        '<script src="../static/vendor/js/bootstrap-4.3.1.min.js"></script>'
        '<img src="../static/images/logo-long.png">'
    )


@pytest.mark.slow
def test_data_docs_render_in_a_real_browser_offline(site: Path, tmp_path: Path) -> None:
    from browser import chromium, served

    pages = ["index.html"] + sorted(p.relative_to(site).as_posix() for p in site.glob("validations/**/*.html"))
    with served(site) as base, chromium(tmp_path) as browser:
        for number, page in enumerate(pages):
            visit = browser.visit(f"{base}/{page}", screenshot=f"data-docs-{number}.png", full_page=False)
            assert visit.offline_ok, visit.problems()
            assert any("static/vendor/js/jquery" in url for url in visit.requests)
            loaded = browser.page.evaluate("[typeof jQuery, typeof vegaEmbed, typeof jQuery.fn.bootstrapTable]")
            assert loaded == ["function", "function", "function"], page
            rows = browser.page.locator("table tbody tr:visible").count()
            assert rows >= 2, (page, rows)  # the index lists both runs; a page lists its expectations
        browser.visit(f"{base}/index.html")
        index_text = browser.page.locator("body").inner_text()
        assert "stg_project" in index_text and "stg_participation" in index_text

"""The landscape report: a self-contained HTML page of the focus country's participation, and one page per
institution (the knowledge base), built from the published warehouse only.

`build_report(warehouse_path, output_dir)` writes `index.html` (the landscape), `institutions/index.html` (every
institution, with an offline search box) and `institutions/<key>.html`. Charts are matplotlib SVG inline, styles
and scripts are inline: nothing is loaded from the network when a page is opened. Each page embeds the figures
it shows as JSON (`<script type="application/json" id="report-data">`). The folder is built beside the target
and swapped in, so a reader never sees half a report.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from bilatrus_etl.errors import BilatrusError
from bilatrus_etl.imports import LARGE_IMPORTS
from bilatrus_etl.report import charts, data, render
from bilatrus_etl.warehouse.models import set_variables
from bilatrus_etl.warehouse.publish import open_readonly, table_names

__all__ = [
    "PreparedReport",
    "ReportResult",
    "build_report",
    "page_name",
    "prepare_report",
    "read_figures",
    "summary",
    "warm_up",
]


@dataclass(frozen=True)
class ReportResult:
    index: Path
    institutions_index: Path
    institution_pages: int
    index_bytes: int
    synthetic: bool


def page_name(institution_key: str) -> str:
    """A stable file name for an institution's page: a readable slug of its key plus a short hash of it."""
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", institution_key).lower()).strip("-")[:40]
    digest = hashlib.sha1(institution_key.encode("utf-8")).hexdigest()[:8]
    return f"{slug or 'institution'}-{digest}.html"


def search_text(profile: dict[str, Any]) -> str:
    """What the index's search box matches: names, acronyms, city, ROR id; lower case without accents."""
    parts = [
        profile.get("display_name"),
        profile.get("city"),
        profile.get("ror_id"),
        profile.get("ror_name_ru"),
        *(profile.get("name_variants") or []),
        *(profile.get("short_names") or []),
        *(profile.get("ror_acronyms") or []),
    ]
    text = " ".join(str(p) for p in parts if p)
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


def read_figures(con: duckdb.DuckDBPyConnection, source: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The figures and institution profiles the report shows, read on `con` (a warehouse: the published file, or
    the build file the publish step is about to publish); `source` names it in errors."""
    from bilatrus_etl.analyst.active import active_projects_query

    present = table_names(con)
    missing = [t for t in data.REQUIRED_TABLES if t not in present]
    if missing:
        raise BilatrusError(
            f"The warehouse {source} lacks {', '.join(missing)}: it was published by an older version or a "
            "partial run. Run `bilatrus run` (or `make demo`) to publish a complete warehouse, then `bilatrus report`."
        )
    focus = con.execute("SELECT any_value(focus_country) FROM meta_build").fetchall()[0][0] or "RU"
    set_variables(con, {"focus_country": focus})
    active = data.records(con.execute(active_projects_query(con, data.SUSPENSION_DATE, focus)))
    figures = data.collect(con, active)
    figures["partner_countries_overall"] = data.run(
        con, "report_partner_countries_overall", {"top": data.TOP_PARTNER_COUNTRIES}
    )
    return figures, data.institutions(con)


@dataclass(frozen=True)
class PreparedReport:
    """A report written into its building folder beside `output_dir`, not yet in place: `install` swaps it in,
    `discard` removes it (the report in place stays as it was)."""

    staging: Path
    output_dir: Path
    institution_pages: int
    synthetic: bool

    def install(self) -> ReportResult:
        _swap(self.staging, self.output_dir)
        index = self.output_dir / "index.html"
        return ReportResult(
            index=index,
            institutions_index=self.output_dir / "institutions" / "index.html",
            institution_pages=self.institution_pages,
            index_bytes=index.stat().st_size,
            synthetic=self.synthetic,
        )

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


_WARM_UP: threading.Thread | None = None
_WARM_UP_LOCK = threading.Lock()


def warm_up() -> None:
    """Start setting up the report's libraries in a background thread (once per process): pyplot and its font, the
    page templates compiled. About half a second of Python that a run then spends while DuckDB works (the landing
    step calls it) instead of in the publish step, where the report is rendered beside the vintage's recording.
    `prepare_report` waits for it; an error is left for the report to raise."""
    global _WARM_UP
    with _WARM_UP_LOCK:
        if _WARM_UP is None:
            _WARM_UP = threading.Thread(target=_warm_up, name="report-warm-up", daemon=True)
            _WARM_UP.start()


def _warm_up() -> None:
    try:
        with LARGE_IMPORTS:  # after (or before) GX's import, not beside it: GX imports matplotlib too
            charts.warm_up()
            render.warm_up()
    except Exception:  # noqa: S110 - the report that needs them raises the same error, reported there
        pass


def prepare_report(figures: dict[str, Any], profiles: list[dict[str, Any]], output_dir: Path | str) -> PreparedReport:
    """Render the pages of `read_figures`' figures into the building folder of `output_dir` (charts, landscape,
    institution pages); Python only, no warehouse access."""
    warming = _WARM_UP
    if warming is not None:
        warming.join()  # pyplot is not thread-safe: the charts are drawn once the warm-up has finished
    output_dir = Path(output_dir).resolve()
    _check_replaceable(output_dir)
    pages = {p["institution_key"]: page_name(p["institution_key"]) for p in profiles}
    for profile in profiles:
        profile["search_text"] = search_text(profile)
    svgs = {
        "ranking": charts.ranking_chart(figures["ranking"], data.TOP_THIRD_COUNTRIES),
        "years": charts.years_chart(figures["years"]),
        "themes": charts.themes_chart(figures["themes"]),
        "partners": charts.partners_chart(figures["partner_countries_overall"]),
        "regions": charts.regions_chart(figures["regions"]),
        "network": charts.network_chart(figures["network"]["nodes"], figures["network"]["edges"]),
    }
    staging = output_dir.with_name(f".{output_dir.name}.building")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "institutions").mkdir(parents=True)
    (staging / MARKER).write_text("written by `bilatrus report`; the folder is replaced as a whole on each build\n")
    try:
        _write_pages(staging, figures, profiles, pages, svgs)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # the previous report stays as it was
        raise
    return PreparedReport(staging, output_dir, len(profiles), bool(figures["synthetic"]))


def build_report(warehouse_path: Path | str, output_dir: Path | str) -> ReportResult:
    """Write the report for the published warehouse at `warehouse_path` into `output_dir`; return where."""
    con = open_readonly(warehouse_path)
    try:
        figures, profiles = read_figures(con, str(warehouse_path))
    finally:
        con.close()
    return prepare_report(figures, profiles, output_dir).install()


def _write_pages(
    staging: Path, figures: dict[str, Any], profiles: list[dict[str, Any]], pages: dict[str, str], svgs: dict[str, str]
) -> None:
    common = {
        "focus_country": figures["focus_country"],
        "focus_name": render.country_name(figures["focus_country"]),
        "synthetic": figures["synthetic"],
        "built_at": figures["built_at"],
        "vintage": figures["vintage"],
        "pages": pages,
    }
    landscape = render.page(
        "landscape.html",
        root="",
        data=figures,
        charts=svgs,
        top_third=data.TOP_THIRD_COUNTRIES,
        top_partners=data.TOP_PARTNER_COUNTRIES,
        top_institutions=data.TOP_INSTITUTIONS,
        programme_names=[p["framework_programme"] for p in figures["programmes"]],
        data_json=render.json_block(
            {
                **figures,
                "pages": {
                    k: pages[k] for k in (i["institution_key"] for i in figures["top_institutions"]) if k in pages
                },
            }
        ),
        **common,
    )
    (staging / "index.html").write_text(landscape, encoding="utf-8")
    index_rows = [
        {
            k: p.get(k)
            for k in (
                "institution_key",
                "display_name",
                "city",
                "ror_id",
                "participations",
                "projects",
                "first_year",
                "last_year",
            )
        }
        for p in profiles
    ]
    (staging / "institutions" / "index.html").write_text(
        render.page(
            "institutions.html",
            root="../",
            institutions=profiles,
            data_json=render.json_block(
                {
                    "focus_country": figures["focus_country"],
                    "synthetic": figures["synthetic"],
                    "institutions": index_rows,
                    "pages": pages,
                }
            ),
            **common,
        ),
        encoding="utf-8",
    )
    for profile in profiles:
        (staging / "institutions" / pages[profile["institution_key"]]).write_text(
            render.page(
                "institution.html",
                root="../",
                i=profile,
                partner_ranks=data.INSTITUTION_PARTNERS,
                data_json=render.json_block(
                    {
                        "focus_country": figures["focus_country"],
                        "synthetic": figures["synthetic"],
                        "institution": profile,
                    }
                ),
                **common,
            ),
            encoding="utf-8",
        )


MARKER = ".bilatrus-report"


def _check_replaceable(output_dir: Path) -> None:
    """The output folder is replaced as a whole: refuse a folder that holds anything but an earlier report."""
    if not output_dir.exists():
        return
    names = {p.name for p in output_dir.iterdir()} if output_dir.is_dir() else {"(a file)"}
    if names and MARKER not in names and names != {"index.html", "institutions"}:
        raise BilatrusError(
            f"{output_dir} exists and is not a bilatrus report (no {MARKER} file in it): the report replaces its "
            "output folder as a whole, so it will not write there. Choose a new or empty folder with --output."
        )


def _swap(staging: Path, output_dir: Path) -> None:
    """Put the freshly built folder in place of the old report (two renames; the old one is then deleted)."""
    old = output_dir.with_name(f".{output_dir.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if output_dir.exists():
        output_dir.rename(old)
    staging.rename(output_dir)
    shutil.rmtree(old, ignore_errors=True)


def summary(result: ReportResult) -> str:
    size = f"{result.index_bytes / 1e6:.1f} MB" if result.index_bytes >= 1e5 else f"{result.index_bytes / 1e3:.0f} kB"
    return f"{result.index} ({size}) and {result.institution_pages:,} institution pages" + (
        " [SYNTHETIC]" if result.synthetic else ""
    )

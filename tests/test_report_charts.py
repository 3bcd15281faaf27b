"""The report's charts with axes have fixed layouts (drawn once): everything they draw stays inside the figure,
also with the longest labels, the largest numbers and the most legend entries the data can give."""

from __future__ import annotations

from typing import Any

import pytest

from bilatrus_etl.report import charts

PROGRAMMES = ("FP6", "FP7", "H2020", "HE")
DISTRICTS = (
    [f"{name} Federal District" for name in ("Central", "Far Eastern", "North Caucasian", "Northwestern")]
    + [f"{name} Federal District" for name in ("Siberian", "Southern", "Ural", "Volga")]
    + ["not mapped"]
)


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, bool]]:
    """The figures the charts save, with whether each was cropped to its content (`tight`)."""
    figures: list[tuple[Any, bool]] = []
    save = charts._svg

    def keep(fig: Any, tight: bool = False) -> str:
        figures.append((fig, tight))
        return save(fig, tight)

    monkeypatch.setattr(charts, "_svg", keep)
    return figures


def _outside(fig: Any) -> list[float]:
    """How far (inches) what the figure draws runs out of its left, bottom, right and top edges (0: inside),
    measured as the SVG is written (text metrics of the SVG renderer, 72 dots per inch)."""
    import io

    from matplotlib.backends.backend_svg import RendererSVG

    fig.set_dpi(72)
    box = fig.get_tightbbox(RendererSVG(fig.bbox.width, fig.bbox.height, io.StringIO()))
    width, height = fig.get_size_inches()
    return [round(max(0.0, excess), 2) for excess in (-box.x0, -box.y0, box.x1 - width, box.y1 - height)]


def test_everything_drawn_stays_inside_the_fixed_layouts(drawn: list[tuple[Any, bool]]) -> None:
    years = [
        {
            "start_year": 2000 + i,
            "funded_participations": 88_000 + i,
            "unfunded_participations": 9_000,
            "funding_not_reported_participations": 7_000,
            "ec_contribution": 4.5e9,
        }
        for i in range(26)
    ]
    ranking = {
        p: [
            {"rank_participations": r, "country_code": "WW", "participations": 123_456, "is_focus_country": r == 2}
            for r in range(1, 11)
        ]
        for p in PROGRAMMES
    }
    themes = [
        {"framework_programme": p, "theme_name": "W" * 70, "activity_index": 0.5 + i / 10, "participations": 10 + i}
        for p in PROGRAMMES
        for i in range(12)
    ]
    partners = [{"partner_country": f"W{i}", "by_programme": {p: 250_000 for p in PROGRAMMES}} for i in range(15)]
    regions = {
        p: [{"federal_district": d, "share_participations": 1 / len(DISTRICTS)} for d in DISTRICTS] for p in PROGRAMMES
    }
    for svg in (
        charts.years_chart(years),
        charts.ranking_chart(ranking, 10),
        charts.themes_chart(themes),
        charts.partners_chart(partners),
        charts.regions_chart(regions),
        charts.years_chart([]),
    ):
        assert svg.startswith("<svg") and 'class="chart-svg"' in svg
    assert [tight for _, tight in drawn] == [False] * 6
    assert [_outside(fig) for fig, _ in drawn] == [[0.0, 0.0, 0.0, 0.0]] * 6


def test_the_network_chart_is_cropped_to_its_content(drawn: list[tuple[Any, bool]]) -> None:
    nodes = [
        {"institution_key": k, "institution_name": k * 30, "degree": d, "country_group": g}
        for k, d, g in (("a", 3, "focus"), ("b", 2, "EU member"), ("c", 1, "third"))
    ]
    edges = [{"source_key": "a", "target_key": t, "joint_projects": 1} for t in ("b", "c")]
    assert charts.network_chart(nodes, edges).startswith("<svg")
    assert [tight for _, tight in drawn] == [True]

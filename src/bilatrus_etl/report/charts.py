"""The report's charts: matplotlib figures rendered as inline SVG (text kept as text, no external fonts).

Each function takes the rows of `data.collect` and returns an `<svg>` element as a string; the page places it
in a <figure> with its caption. matplotlib is imported lazily and uses its non-interactive Agg backend.

Each chart with axes has a fixed layout: margins in inches set for what the chart places around its axes (tick
labels, axis labels, titles, legends; the longest theme label is measured), so that the SVG is written in one
draw. A "tight" bounding box, or any layout engine (tight or constrained), makes matplotlib draw and measure the
figure once more before writing it, which took a third of those charts' time. The network chart (no axes, names
wherever its nodes lie) keeps the tight bounding box, cheap without ticks.
"""

from __future__ import annotations

import io
import re
from typing import Any

PALETTE = {
    "focus": "#c0392b",
    "EU member": "#2e6da4",
    "associated": "#6aa84f",
    "third": "#999999",
    "funded": "#2e6da4",
    "unfunded": "#f0ad4e",
    "not reported": "#bbbbbb",
}
PROGRAMME_COLOURS = {"FP6": "#8da0cb", "FP7": "#66c2a5", "H2020": "#fc8d62", "HE": "#e78ac3"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "bilatrus-report",
            "font.size": 9,
            "font.family": "sans-serif",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def _margins(
    fig, left: float, right: float, bottom: float, top: float, wspace: float = 0.0, hspace: float = 0.0
) -> None:
    """Place the axes grid `left`, `right`, `bottom` and `top` inches inside the figure's edges, `wspace` and
    `hspace` inches apart."""
    width, height = fig.get_size_inches()
    columns, rows = (max(fig.axes[0].get_gridspec().ncols, 1), max(fig.axes[0].get_gridspec().nrows, 1))
    panel_width = (width - left - right - wspace * (columns - 1)) / columns
    panel_height = (height - bottom - top - hspace * (rows - 1)) / rows
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        bottom=bottom / height,
        top=1 - top / height,
        wspace=wspace / panel_width,
        hspace=hspace / panel_height,
    )


def _text_width(labels: list[str]) -> float:
    """The width in inches of the widest of `labels` in the default font."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties()
    return max((text_to_path.get_text_width_height_descent(t, font, ismath=False)[0] for t in labels), default=0) / 72


def warm_up() -> None:
    """What the first chart would otherwise pay for: pyplot and its SVG backend imported and set up, the default font
    found and loaded."""
    _plt()
    _text_width(["Москва"])


def _svg(fig, tight: bool = False) -> str:
    """The figure as an <svg> element; `tight`: cropped to what it draws (matplotlib then draws it twice)."""
    plt = _plt()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight" if tight else None, metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # a fixed-size SVG scales with the page: keep the viewBox, let CSS set the width
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="chart-svg"', text, count=1)


def _empty(message: str) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 0.8))
    ax.axis("off")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    ax.text(0.5, 0.5, message, ha="center", va="center")
    return _svg(fig)


def years_chart(years: list[dict[str, Any]]) -> str:
    """Participations per start year stacked by funding status, and EC contribution per start year."""
    if not years:
        return _empty("no participations")
    plt = _plt()
    x = [r["start_year"] for r in years]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.2), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    base = [0] * len(years)
    for key, label in (
        ("funded_participations", "funded"),
        ("unfunded_participations", "unfunded"),
        ("funding_not_reported_participations", "not reported"),
    ):
        values = [r[key] or 0 for r in years]
        top.bar(x, values, bottom=base, color=PALETTE[label], label=label, width=0.8)
        base = [b + v for b, v in zip(base, values)]
    top.set_ylabel("participations")
    top.legend(frameon=False, ncols=3, loc="upper left")
    money = [(r["ec_contribution"] or 0) / 1e6 for r in years]
    bottom.bar(x, money, color=PALETTE["funded"], width=0.8)
    bottom.set_ylabel("EU contribution (EUR m)")
    bottom.set_xlabel("project start year")
    bottom.xaxis.get_major_locator().set_params(integer=True)
    _margins(fig, left=0.9, right=0.2, bottom=0.55, top=0.1, hspace=0.15)
    return _svg(fig)


def ranking_chart(ranking: dict[str, list[dict[str, Any]]], top: int) -> str:
    """Top third countries by participations, one panel per programme, the focus country in red."""
    if not ranking:
        return _empty("no third countries")
    plt = _plt()
    fig, axes = plt.subplots(1, len(ranking), figsize=(2.6 * len(ranking) + 0.5, 3.6), squeeze=False)
    for ax, (programme, rows) in zip(axes[0], ranking.items()):
        shown = [r for r in rows if r["rank_participations"] <= top][:top]
        labels = [f"{r['rank_participations']}. {r['country_code']}" for r in shown][::-1]
        values = [r["participations"] for r in shown][::-1]
        colours = [PALETTE["focus"] if r["is_focus_country"] else PALETTE["third"] for r in shown][::-1]
        ax.barh(labels, values, color=colours)
        ax.set_title(programme)
        ax.set_xlabel("participations")
    _margins(fig, left=0.6, right=0.25, bottom=0.55, top=0.3, wspace=0.7)
    return _svg(fig)


def themes_chart(themes: list[dict[str, Any]]) -> str:
    """Activity index per theme (dots sized by participations), themes grouped by programme."""
    rows = [r for r in themes if r["activity_index"] is not None]
    if not rows:
        return _empty("no themes")
    plt = _plt()
    labels = [f"{r['framework_programme']} · {r['theme_name']}"[:60] for r in rows][::-1]
    left = _text_width(labels) + 0.2
    # 8 inches wide, or wider where the labels leave the plot less than 3.5 inches
    fig, ax = plt.subplots(figsize=(max(8, left + 3.75), 0.22 * len(rows) + 1.0))
    y = list(range(len(rows)))
    largest = max(r["participations"] for r in rows) or 1
    ax.scatter(
        [r["activity_index"] for r in rows][::-1],
        y,
        s=[20 + 180 * r["participations"] / largest for r in rows][::-1],
        c=[PROGRAMME_COLOURS.get(r["framework_programme"], "#777777") for r in rows][::-1],
        zorder=3,
    )
    ax.axvline(1.0, color="#444444", linewidth=0.8, linestyle="--")
    ax.set_yticks(y, labels)
    ax.set_xlabel("activity index (1 = as active as overall)")
    ax.grid(axis="x", color="#eeeeee")
    _margins(fig, left=left, right=0.25, bottom=0.55, top=0.1)
    return _svg(fig)


def partners_chart(partners: list[dict[str, Any]]) -> str:
    """Joint projects with the top partner countries (summed over programmes), stacked by programme."""
    if not partners:
        return _empty("no partner countries")
    plt = _plt()
    countries = [p["partner_country"] for p in partners][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(countries) + 1.2))
    left = [0] * len(countries)
    for programme in PROGRAMME_COLOURS:
        values = [p["by_programme"].get(programme, 0) for p in partners][::-1]
        if any(values):
            ax.barh(countries, values, left=left, color=PROGRAMME_COLOURS[programme], label=programme)
            left = [a + b for a, b in zip(left, values)]
    ax.set_xlabel("joint projects")
    ax.legend(frameon=False, ncols=4, loc="lower right")
    _margins(fig, left=0.5, right=0.25, bottom=0.55, top=0.1)
    return _svg(fig)


def regions_chart(regions: dict[str, list[dict[str, Any]]]) -> str:
    """Share of participations per federal district, one stacked bar per programme."""
    if not regions:
        return _empty("no regions")
    plt = _plt()
    districts = sorted(
        {r["federal_district"] for rows in regions.values() for r in rows}, key=lambda d: (d == "not mapped", d)
    )
    cmap = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(regions) + 1.6))
    programmes = list(regions)[::-1]
    left = [0.0] * len(programmes)
    for i, district in enumerate(districts):
        values = [
            100 * sum(r["share_participations"] or 0 for r in regions[p] if r["federal_district"] == district)
            for p in programmes
        ]
        colour = "#cccccc" if district == "not mapped" else cmap(i % 10)
        ax.barh(programmes, values, left=left, color=colour, label=district)
        left = [a + b for a, b in zip(left, values)]
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of participations (%)")
    # the legend below the axes, at the figure's foot: one row of 0.18 inch per three districts
    fig.legend(*ax.get_legend_handles_labels(), frameon=False, ncols=3, loc="lower center", fontsize=8)
    _margins(fig, left=0.7, right=0.25, bottom=0.6 + 0.18 * -(-len(districts) // 3) + 0.1, top=0.1)
    return _svg(fig)


def network_chart(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> str:
    """The most connected institutions and the edges between them: size by degree, colour by country group."""
    if not nodes:
        return _empty("no network")
    import networkx as nx
    from matplotlib.collections import LineCollection

    plt = _plt()
    graph = nx.Graph()
    for node in nodes:
        graph.add_node(node["institution_key"])
    for edge in edges:
        graph.add_edge(edge["source_key"], edge["target_key"], weight=edge["joint_projects"])
    position = nx.spring_layout(graph, seed=7, k=1.5 / max(len(nodes), 1) ** 0.5)
    fig, ax = plt.subplots(figsize=(8, 6.5))
    ax.axis("off")
    segments = [(position[edge["source_key"]], position[edge["target_key"]]) for edge in edges]
    ax.add_collection(
        LineCollection(segments, colors="#bbbbbb", linewidths=0.4, zorder=1)
    )  # one artist, not one per edge
    ax.autoscale_view()
    largest = max(n["degree"] for n in nodes) or 1
    for group in ("EU member", "associated", "third", "focus"):
        members = [n for n in nodes if n["country_group"] == group]
        if members:
            ax.scatter(
                [position[n["institution_key"]][0] for n in members],
                [position[n["institution_key"]][1] for n in members],
                s=[15 + 260 * n["degree"] / largest for n in members],
                c=PALETTE[group],
                edgecolors="white",
                linewidths=0.5,
                label=group,
                zorder=2,
            )
    for node in sorted(nodes, key=lambda n: -n["degree"])[:8]:
        x, y = position[node["institution_key"]]
        ax.annotate(
            (node["institution_name"] or node["institution_key"])[:28],
            (x, y),
            fontsize=7,
            xytext=(4, 4),
            textcoords="offset points",
            zorder=4,
        )
    ax.legend(frameon=False, loc="lower left", markerscale=0.6)
    return _svg(fig, tight=True)  # names may run out of the axes wherever nodes lie; no ticks to measure

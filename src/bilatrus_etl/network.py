"""Node measures of the focus country's collaboration network (networkx), written back as `mart_collaboration_network`.

A SQL model cannot run Python, so the network mart is built in two steps:
1. `sql/marts/mart_collaboration_edges.sql` (a SQL model) computes the weighted institution-to-institution edges
   within projects that include the focus country;
2. `build_network(con)` (this module) runs AFTER that model: it reads the edges, computes per-node degree,
   weighted degree and betweenness with networkx, and writes the table `mart_collaboration_network`, joined
   with each institution's name and country from `dim_organization`.

The table's description and column descriptions live here (`DESCRIPTION`, `NOTES`, `COLUMN_DOCS`); they are
stored as DuckDB comments on the table, and the data dictionary reads them from there.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import networkx as nx
import pyarrow as pa

from bilatrus_etl import warehouse

TABLE = "mart_collaboration_network"
EDGES_TABLE = "mart_collaboration_edges"
DEPENDS_ON: tuple[str, ...] = (EDGES_TABLE, "dim_organization")

DESCRIPTION = (
    "One row per institution of the focus country's collaboration network: degree, weighted degree and "
    "betweenness centrality (networkx) over mart_collaboration_edges."
)
NOTES = (
    "Built by bilatrus_etl.network (Python), not by a SQL file: it reads mart_collaboration_edges after that model "
    "has run. Nodes are the institutions that have at least one edge (institutions alone in all their projects "
    "with the focus country are not in the network). Counting: degree counts distinct partner institutions; "
    "weighted_degree sums joint projects over edges (full counting); weighted_degree_fractional sums the "
    "fractional edge weights (each project's weight 1 split over its organisation pairs). Betweenness is "
    "unweighted (shortest paths in hops), normalised to [0, 1] as networkx does; on large graphs it is estimated "
    "from a fixed-seed sample of source nodes (betweenness_method says which), since exact betweenness costs "
    "nodes x edges steps."
)
COLUMN_DOCS: dict[str, str] = {
    "focus_country": "ISO code of the focus country",
    "institution_key": "institution key of the node (institution_link.institution_key, else the organisation key)",
    "institution_name": "name of the institution (its organisation with most participations)",
    "country_code": "ISO 3166-1 alpha-2 country of the institution",
    "is_focus_country": "the institution is from the focus country",
    "degree": "number of distinct partner institutions (edges)",
    "weighted_degree": "sum of joint projects over the node's edges (full counting)",
    "weighted_degree_fractional": "sum of the fractional edge weights over the node's edges",
    "betweenness": "betweenness centrality (unweighted, normalised); estimated when betweenness_method says sampled",
    "degree_rank": "RANK() by degree, highest first (ties share a rank)",
    "betweenness_rank": "RANK() by betweenness, highest first (ties share a rank)",
    "component_size": "number of institutions in the node's connected component",
    "betweenness_method": "'exact', or 'sampled k=<source nodes> seed=<seed>' on large graphs",
}

#: Exact betweenness costs about nodes x edges steps (networkx manages ~1-2 million per second). Above this
#: budget it is estimated from max(MIN_SAMPLE, max_work / edges) source nodes (networkx `k`, fixed seed): about
#: 20 source nodes and 10 s for a graph of 250,000 edges on 2 cores. Raise max_work for closer estimates.
DEFAULT_MAX_WORK = 2_000_000
MIN_SAMPLE = 8


@dataclass(frozen=True)
class NetworkStats:
    nodes: int
    edges: int
    betweenness_method: str


def _betweenness(graph: nx.Graph, max_work: int, seed: int) -> tuple[dict[int, float], str]:
    nodes, edges = graph.number_of_nodes(), graph.number_of_edges()
    if nodes == 0:
        return {}, "exact"
    if nodes * max(edges, 1) <= max_work:
        return nx.betweenness_centrality(graph, normalized=True), "exact"
    k = min(nodes, max(MIN_SAMPLE, max_work // max(edges, 1)))
    if k >= nodes:
        return nx.betweenness_centrality(graph, normalized=True), "exact"
    return nx.betweenness_centrality(graph, k=k, normalized=True, seed=seed), f"sampled k={k} seed={seed}"


def compute_measures(
    edges: list[tuple[str, str, int, float]], *, max_work: int = DEFAULT_MAX_WORK, seed: int = 42
) -> tuple[pa.Table, NetworkStats]:
    """Node measures from (source, target, joint_projects, weight_fractional) edges, as an Arrow table."""
    # Integer node labels: networkx's shortest-path loops run about twice as fast as on string keys.
    index: dict[str, int] = {}
    keys: list[str] = []
    for source, target, _, _ in edges:
        for key in (source, target):
            if key not in index:
                index[key] = len(keys)
                keys.append(key)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(keys)))
    graph.add_edges_from(
        (index[source], index[target], {"joint_projects": joint, "weight_fractional": fractional})
        for source, target, joint, fractional in edges
    )
    betweenness, method = _betweenness(graph, max_work, seed)
    component_size: dict[int, int] = {}
    for component in nx.connected_components(graph):
        for node in component:
            component_size[node] = len(component)
    nodes = list(graph.nodes)
    table = pa.table(
        {
            "institution_key": pa.array([keys[n] for n in nodes], pa.string()),
            "degree": pa.array([graph.degree(n) for n in nodes], pa.int64()),
            "weighted_degree": pa.array([graph.degree(n, weight="joint_projects") for n in nodes], pa.int64()),
            "weighted_degree_fractional": pa.array(
                [float(graph.degree(n, weight="weight_fractional")) for n in nodes], pa.float64()
            ),
            "betweenness": pa.array([float(betweenness.get(n, 0.0)) for n in nodes], pa.float64()),
            "component_size": pa.array([component_size[n] for n in nodes], pa.int64()),
        }
    )
    return table, NetworkStats(graph.number_of_nodes(), graph.number_of_edges(), method)


def build_network(con: duckdb.DuckDBPyConnection, *, max_work: int = DEFAULT_MAX_WORK, seed: int = 42) -> int:
    """Compute `mart_collaboration_network` from `mart_collaboration_edges`; return its row count.

    Run it after the SQL models mart_collaboration_edges and dim_organization. The focus country is taken
    from the edges table (the same getvariable('focus_country') the SQL used).
    """
    rows = con.execute(
        f"SELECT source_key, target_key, joint_projects, weight_fractional FROM {EDGES_TABLE} ORDER BY source_key, target_key"
    ).fetchall()
    focus = con.execute(
        f"SELECT coalesce((SELECT any_value(focus_country) FROM {EDGES_TABLE}), "
        "upper(coalesce(getvariable('focus_country'), 'RU')))"
    ).fetchall()[0][0]
    measures, stats = compute_measures(rows, max_work=max_work, seed=seed)
    con.register("network_measures", measures)
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TABLE {TABLE} AS
            WITH institution AS (
                SELECT
                    institution_key,
                    arg_max(institution_name, (participations, org_key)) AS institution_name,
                    arg_max(country_code, (participations, org_key)) AS country_code
                FROM dim_organization
                GROUP BY institution_key
            )
            SELECT
                ?::VARCHAR AS focus_country,
                m.institution_key,
                i.institution_name,
                i.country_code,
                coalesce(i.country_code = ?, false) AS is_focus_country,
                m.degree,
                m.weighted_degree,
                m.weighted_degree_fractional,
                m.betweenness,
                rank() OVER (ORDER BY m.degree DESC) AS degree_rank,
                rank() OVER (ORDER BY m.betweenness DESC) AS betweenness_rank,
                m.component_size,
                ?::VARCHAR AS betweenness_method
            FROM network_measures AS m
            LEFT JOIN institution AS i USING (institution_key)
            ORDER BY betweenness_rank, m.institution_key
            """,
            [focus, focus, stats.betweenness_method],
        )
    finally:
        con.unregister("network_measures")
    warehouse.describe_table(con, TABLE, DESCRIPTION, COLUMN_DOCS)
    return con.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0]

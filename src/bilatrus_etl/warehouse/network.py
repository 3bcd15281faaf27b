"""Node measures of the focus country's collaboration network (degree, weighted degree, betweenness), written back as `mart_collaboration_network`.

A SQL model cannot run Python, so the network mart is built in two steps:
1. `sql/marts/mart_collaboration_edges.sql` (a SQL model) computes the weighted institution-to-institution edges
   within projects that include the focus country;
2. `build_network(con)` (this module) runs AFTER that model: it reads the edges, computes per-node degree,
   weighted degree and betweenness (Brandes' algorithm as scipy sparse products, checked
   against networkx), and writes the table `mart_collaboration_network`, joined
   with each institution's name and country from `dim_institution`.

The table's description and column descriptions are declared in tables.py (`COLLABORATION_NETWORK`) and
stored as DuckDB comments on the table.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from scipy.sparse import csgraph

from bilatrus_etl import progress
from bilatrus_etl.warehouse import queries
from bilatrus_etl.warehouse.tables import COLLABORATION_NETWORK, describe

TABLE = COLLABORATION_NETWORK.name
EDGES_TABLE = "mart_collaboration_edges"
DEPENDS_ON: tuple[str, ...] = (EDGES_TABLE, "dim_institution")

#: Betweenness is Brandes' algorithm run as sparse matrix products (scipy), a batch of source nodes at a time: the
#: same numbers as networkx.betweenness_centrality(normalized=True) (tests compare them), about 20x faster. Exact
#: when nodes x edges <= max_work; above it, estimated from max(MIN_SAMPLE, max_work / edges) source nodes drawn
#: as networkx draws them (random.Random(seed).sample), e.g. 54 sources for 365,000 edges in about a second.
DEFAULT_MAX_WORK = 20_000_000
MIN_SAMPLE = 32
_BATCH = 64


@dataclass(frozen=True)
class NetworkStats:
    nodes: int
    edges: int
    betweenness_method: str


def _product(adjacency: sparse.csr_array, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """adjacency @ values when only `rows` of values hold non-zeros (a level of the searches): the product over
    those rows alone (the adjacency is symmetric: its rows, transposed, are its columns). Every sum adds the same
    non-zero terms in the same order (ascending node), so the result is the full product's to the last bit."""
    return adjacency[rows].T @ values[rows]


def _dependencies(adjacency: sparse.csr_array, sources: list[int]) -> np.ndarray:
    """Sum over `sources` of Brandes' dependency delta_s(v) (unweighted, undirected), per node."""
    n = adjacency.shape[0]
    columns = np.arange(len(sources))
    dist = np.full((n, len(sources)), -1, dtype=np.int32)
    sigma = np.zeros((n, len(sources)))
    dist[sources, columns] = 0
    sigma[sources, columns] = 1.0
    level = 0
    while True:  # breadth-first, counting shortest paths (sigma) level by level
        at = dist == level
        reached = _product(adjacency, np.where(at, sigma, 0.0), np.flatnonzero(at.any(axis=1)))
        new = (reached > 0) & (dist < 0)
        if not new.any():
            break
        level += 1
        dist[new] = level
        sigma[new] = reached[new]
    delta = np.zeros_like(sigma)
    for depth in range(level, 0, -1):  # back from the farthest level, accumulating dependencies
        at = dist == depth
        pulled = _product(
            adjacency,
            np.where(at, (1.0 + delta) / np.where(sigma > 0, sigma, 1.0), 0.0),
            np.flatnonzero(at.any(axis=1)),
        )
        parents = dist == depth - 1
        delta[parents] += sigma[parents] * pulled[parents]
    delta[sources, columns] = 0.0
    return delta.sum(axis=1)


def betweenness(
    n_nodes: int, src: np.ndarray, dst: np.ndarray, *, max_work: int = DEFAULT_MAX_WORK, seed: int = 42
) -> tuple[np.ndarray, str]:
    """Normalised betweenness of every node of an undirected graph given as edge arrays of node indices."""
    n_edges = len(src)
    if n_nodes < 3:
        return np.zeros(n_nodes), "exact"
    adjacency = sparse.csr_array(
        (np.ones(2 * n_edges), (np.concatenate([src, dst]), np.concatenate([dst, src]))), shape=(n_nodes, n_nodes)
    )
    adjacency.sum_duplicates()
    adjacency.data[:] = 1.0  # parallel edges count once, as in a networkx Graph
    k = n_nodes if n_nodes * max(n_edges, 1) <= max_work else min(n_nodes, max(MIN_SAMPLE, max_work // max(n_edges, 1)))
    sources = list(range(n_nodes)) if k >= n_nodes else random.Random(seed).sample(range(n_nodes), k)
    raw = np.zeros(n_nodes)
    for start in range(0, len(sources), _BATCH):
        raw += _dependencies(adjacency, sources[start : start + _BATCH])
    others = n_nodes - 2  # networkx's rescaling without endpoints: pairs (s, t) that could pass through v
    if k >= n_nodes:
        return raw / ((n_nodes - 1) * others), "exact"
    scale = np.full(n_nodes, 1 / (k * others))
    scale[sources] = 1 / ((k - 1) * others) if k > 1 else np.nan
    return raw * scale, f"sampled k={k} seed={seed}"


def measures_from_arrays(
    source: Any,
    target: Any,
    joint: Any,
    fractional: Any,
    *,
    max_work: int = DEFAULT_MAX_WORK,
    seed: int = 42,
) -> tuple[pa.Table, NetworkStats]:
    """Node measures from edge columns (Arrow arrays, or anything Arrow reads: numpy, lists): the source and target
    institution keys, joint projects and fractional weight. Nodes are numbered in order of first appearance over
    the sources then the targets, by Arrow's dictionary encoding (the keys never become Python strings)."""
    keys = pa.chunked_array(_chunked(source, pa.string()).chunks + _chunked(target, pa.string()).chunks, pa.string())
    nodes = pc.dictionary_encode(keys).combine_chunks()
    return measures_from_codes(
        nodes.indices.to_numpy(zero_copy_only=False).astype(np.intp),
        nodes.dictionary,
        _chunked(joint, pa.int64()).to_numpy().astype(np.int64),
        _chunked(fractional, pa.float64()).to_numpy().astype(np.float64),
        max_work=max_work,
        seed=seed,
    )


def _chunked(values: Any, kind: pa.DataType) -> pa.ChunkedArray:
    if isinstance(values, pa.ChunkedArray):
        return values.cast(kind)
    return pa.chunked_array([pa.array(values, kind)])


def measures_from_codes(
    codes: np.ndarray,
    keys: pa.Array,
    joint: np.ndarray,
    fractional: np.ndarray,
    *,
    max_work: int = DEFAULT_MAX_WORK,
    seed: int = 42,
) -> tuple[pa.Table, NetworkStats]:
    """Node measures from node numbers (`codes`: the edges' sources, then their targets; `keys[i]` is node i):
    degrees with numpy, betweenness and components with scipy."""
    n_edges, n_nodes = len(joint), len(keys)
    src, dst = codes[:n_edges], codes[n_edges:]
    degree = np.bincount(codes, minlength=n_nodes)
    weighted = np.bincount(codes, weights=np.concatenate([joint, joint]), minlength=n_nodes)
    weighted_fractional = np.bincount(codes, weights=np.concatenate([fractional, fractional]), minlength=n_nodes)
    between, method = betweenness(n_nodes, src, dst, max_work=max_work, seed=seed)
    _, labels = csgraph.connected_components(
        sparse.csr_array((np.ones(n_edges), (src, dst)), shape=(n_nodes, n_nodes)), directed=False
    )
    component_size = np.bincount(labels)[labels] if n_nodes else np.zeros(0, dtype=np.int64)
    table = pa.table(
        {
            "institution_key": keys,
            "degree": pa.array(degree, pa.int64()),
            "weighted_degree": pa.array(np.rint(weighted).astype(np.int64), pa.int64()),
            "weighted_degree_fractional": pa.array(weighted_fractional, pa.float64()),
            "betweenness": pa.array(between, pa.float64()),
            "component_size": pa.array(component_size, pa.int64()),
        }
    )
    return table, NetworkStats(n_nodes, n_edges, method)


def build_network(con: duckdb.DuckDBPyConnection, *, max_work: int = DEFAULT_MAX_WORK, seed: int = 42) -> int:
    """Compute `mart_collaboration_network` from `mart_collaboration_edges`; return its row count.

    Run it after the SQL models mart_collaboration_edges and dim_institution. The focus country is taken
    from the edges table (the same focus_country() the SQL used).
    """
    with progress.step("network measures"):
        rows = _build_network(con, max_work=max_work, seed=seed)
    progress.done("network measures", f"{rows:,} organisations")
    return rows


def _build_network(con: duckdb.DuckDBPyConnection, *, max_work: int, seed: int) -> int:
    edges = queries.relation(con, "network_edges").to_arrow_table()  # Arrow: no Python string per key
    focus = queries.run(con, "network_focus_country").fetchall()[0][0]
    measures, stats = measures_from_arrays(
        edges["source_key"],
        edges["target_key"],
        edges["joint_projects"],
        edges["weight_fractional"],
        max_work=max_work,
        seed=seed,
    )
    con.register("network_measures", measures)
    try:
        queries.run(con, "write_collaboration_network", {"method": stats.betweenness_method}, focus_country=focus)
    finally:
        con.unregister("network_measures")
    describe(con, COLLABORATION_NETWORK)
    return con.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0]

"""Gene networks: build a PPI graph, propagate from seed genes, and measure network proximity with a z-score.

Two questions every network-biomarker method asks about a drug's targets:

* *Which genes are near the targets?* :func:`random_walk_with_restart` (personalised PageRank) spreads a unit of
  mass from the targets over the graph; the stationary scores rank all genes. Computed by power iteration on a
  scipy sparse matrix, so a 17k-gene STRING graph takes well under a second.
* *Is a gene set (a pathway, a disease module) closer to the targets than chance?* :func:`proximity` computes
  the closest distance (mean over targets of the shortest-path distance to the nearest set gene; Guney et al.,
  Nat Commun 2016; Menche et al., Science 2015) and compares it with degree-matched random target and gene sets:
  each random node is drawn from the same degree bin as the node it replaces (:func:`degree_bins`), since hubs are
  close to everything and a plain random set would make every hub-rich pathway look "proximal".

Node ids are any hashable values (HGNC symbols or Entrez ids); genes absent from the graph are reported and left
out, never silently mapped. The campaign and approval engines import this module; it has no response-specific code.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

from drugloop.errors import InputError

__all__ = [
    "DegreeMatchedSampler",
    "Network",
    "closest_distance",
    "degree_bins",
    "proximity",
    "bin_pools",
    "random_walk_with_restart",
    "sample_degree_matched",
    "shortest_path_lengths",
    "string_network",
]

UNREACHABLE = 255  # stored distance for nodes in another component (uint8 rows)


@dataclass(frozen=True)
class Network:
    """An undirected graph: ``nodes`` (ids in index order) and a symmetric CSR adjacency without self-loops."""

    nodes: tuple[Hashable, ...]
    adjacency: sp.csr_matrix

    @classmethod
    def from_edges(
        cls,
        edges: pd.DataFrame | Iterable[tuple[Hashable, Hashable]],
        weights: Sequence[float] | None = None,
    ) -> Network:
        """Graph from (a, b) pairs (a DataFrame's first two columns); duplicates merge, self-loops are dropped.

        With ``weights`` the adjacency holds the largest weight of each edge, else 1.0.
        """
        if isinstance(edges, pd.DataFrame):
            if edges.shape[1] < 2:
                raise InputError("an edge table needs two columns (gene a, gene b)")
            a, b = edges.iloc[:, 0].tolist(), edges.iloc[:, 1].tolist()
        else:
            pairs = list(edges)
            if any(len(p) != 2 for p in pairs):
                raise InputError("edges must be (a, b) pairs")
            a, b = [p[0] for p in pairs], [p[1] for p in pairs]
        if not a:
            raise InputError("a network needs at least one edge")
        w = np.ones(len(a)) if weights is None else np.asarray(weights, dtype=np.float64)
        if len(w) != len(a):
            raise InputError(f"{len(w)} weights for {len(a)} edges")
        codes, uniques = pd.factorize(pd.Series(a + b, dtype=object), sort=False)
        ia, ib = codes[: len(a)], codes[len(a) :]
        keep = ia != ib
        ia, ib, w = ia[keep], ib[keep], w[keep]
        adj = _max_merge(ia, ib, w, len(uniques))
        return cls(tuple(uniques.tolist()), adj)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        return int(self.adjacency.nnz // 2)

    @property
    def degree(self) -> np.ndarray:
        """Number of neighbours per node (unweighted), in node order."""
        return np.diff(self.adjacency.indptr).astype(np.int64)

    @functools.cached_property
    def _index(self) -> dict[Hashable, int]:
        return {n: i for i, n in enumerate(self.nodes)}

    def index(self) -> dict[Hashable, int]:
        """Node id -> row/column of the adjacency (built once per network)."""
        return self._index

    def locate(self, genes: Iterable[Hashable]) -> tuple[np.ndarray, list[Hashable]]:
        """Indices of the genes present in the graph (order kept, repeats dropped) and the genes that are absent."""
        idx = self.index()
        found, missing, seen = [], [], set()
        for g in genes:
            if g in seen:
                continue
            seen.add(g)
            (found.append(idx[g]) if g in idx else missing.append(g))
        return np.asarray(found, dtype=np.int64), missing

    def largest_component(self) -> Network:
        """The largest connected component: distances elsewhere would be infinite."""
        _, labels = csgraph.connected_components(self.adjacency, directed=False)
        biggest = np.argmax(np.bincount(labels))
        keep = np.flatnonzero(labels == biggest)
        return Network(tuple(self.nodes[i] for i in keep), self.adjacency[keep][:, keep].tocsr())


def _max_merge(ia: np.ndarray, ib: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    lo, hi = np.minimum(ia, ib), np.maximum(ia, ib)
    df = pd.DataFrame({"lo": lo, "hi": hi, "w": w}).groupby(["lo", "hi"], as_index=False)["w"].max()
    r, c, v = df["lo"].to_numpy(), df["hi"].to_numpy(), df["w"].to_numpy()
    return sp.csr_matrix(
        (np.concatenate([v, v]), (np.concatenate([r, c]), np.concatenate([c, r]))), shape=(n, n)
    )


def string_network(min_score: int = 700, ids: str = "symbol", largest_component: bool = True) -> Network:
    """STRING v12 (no text mining) as a :class:`Network`, edges with ``combined_score >= min_score``.

    ``ids="symbol"`` names nodes by HGNC symbol (Entrez ids without a symbol keep their number as a string);
    ``ids="entrez"`` keeps int Entrez ids. The largest component is kept by default, as proximity needs finite
    distances.
    """
    from drugloop.data.loaders.networks import load_gene_symbols, load_string

    if ids not in {"symbol", "entrez"}:
        raise InputError(f"ids must be 'symbol' or 'entrez', not {ids!r}")
    edges = load_string(min_score)
    a, b = edges["id_1"].to_numpy(), edges["id_2"].to_numpy()
    if ids == "symbol":
        sym = load_gene_symbols().dropna(subset=["entrez_id"])
        lookup = dict(zip(sym["entrez_id"].astype("int64"), sym["symbol"], strict=True))
        a = np.array([lookup.get(int(x), str(x)) for x in a], dtype=object)
        b = np.array([lookup.get(int(x), str(x)) for x in b], dtype=object)
    net = Network.from_edges(list(zip(a.tolist(), b.tolist(), strict=True)))
    return net.largest_component() if largest_component else net


# ------------------------------------------------------------------------------------------------ propagation


def random_walk_with_restart(
    net: Network,
    seeds: Iterable[Hashable] | Mapping[Hashable, float],
    restart: float = 0.5,
    *,
    tol: float = 1e-10,
    max_iter: int = 1000,
    weighted: bool = False,
) -> pd.Series:
    """Stationary RWR / personalised-PageRank scores for every node, summing to 1, largest first.

    Solves ``p = (1 - restart) W p + restart p0`` by power iteration, where ``W`` is the column-normalised
    adjacency (a walker moves to a random neighbour) and ``p0`` the seed distribution (uniform over ``seeds``, or
    the given non-negative weights). Isolated nodes keep no mass. Equals networkx's
    ``pagerank(G, alpha=1 - restart, personalization=p0)`` on a graph without dangling nodes.
    """
    if not 0 < restart <= 1:
        raise InputError(f"restart probability must be in (0, 1], got {restart}")
    weights = dict(seeds) if isinstance(seeds, Mapping) else {s: 1.0 for s in seeds}
    idx, missing = net.locate(weights)
    if len(idx) == 0:
        raise InputError(f"none of the seed genes is in the network: {list(weights)[:10]}")
    p0 = np.zeros(net.n_nodes)
    present = [g for g in weights if g not in set(missing)]
    vals = np.array([float(weights[g]) for g in present])
    if (vals < 0).any() or vals.sum() <= 0:
        raise InputError("seed weights must be non-negative with a positive sum")
    p0[idx] = vals / vals.sum()
    adj = net.adjacency if weighted else (net.adjacency > 0).astype(np.float64)
    col = np.asarray(adj.sum(axis=0)).ravel()
    inv = np.divide(1.0, col, out=np.zeros_like(col), where=col > 0)
    w = adj @ sp.diags(inv)
    p = p0.copy()
    for _ in range(max_iter):
        nxt = (1 - restart) * (w @ p) + restart * p0
        if np.abs(nxt - p).sum() < tol:
            p = nxt
            break
        p = nxt
    out = pd.Series(p, index=pd.Index(net.nodes, name="gene"), name="rwr")
    return out.sort_values(ascending=False, kind="stable")


# ------------------------------------------------------------------------------------------------ proximity


def shortest_path_lengths(net: Network, sources: np.ndarray) -> np.ndarray:
    """Hop distances from each source index to every node (uint8; :data:`UNREACHABLE` across components)."""
    sources = np.asarray(sources, dtype=np.int64)
    out = np.empty((len(sources), net.n_nodes), dtype=np.uint8)
    for s in range(0, len(sources), 256):
        d = csgraph.shortest_path(
            net.adjacency, directed=False, unweighted=True, indices=sources[s : s + 256]
        )
        d[~np.isfinite(d)] = UNREACHABLE
        out[s : s + 256] = np.minimum(d, UNREACHABLE).astype(np.uint8)
    return out


def closest_distance(net: Network, from_genes: Iterable[Hashable], to_genes: Iterable[Hashable]) -> float:
    """Mean over ``from_genes`` of the hop distance to the nearest of ``to_genes`` (0 for shared genes)."""
    src, _ = net.locate(from_genes)
    dst, _ = net.locate(to_genes)
    if len(src) == 0 or len(dst) == 0:
        raise InputError("closest distance needs at least one gene of each set in the network")
    rows = shortest_path_lengths(net, src)
    return float(rows[:, dst].min(axis=1).mean())


def degree_bins(degree: np.ndarray, bin_size: int = 100) -> np.ndarray:
    """Bin id per node: distinct degrees, in increasing order, are pooled until a bin holds >= ``bin_size`` nodes.

    A last bin smaller than ``bin_size`` joins the one before it. ``bin_size=1`` gives one bin per exact degree.
    """
    if bin_size < 1:
        raise InputError(f"bin_size must be >= 1, got {bin_size}")
    degree = np.asarray(degree)
    values, counts = np.unique(degree, return_counts=True)
    bin_of_value = np.empty(len(values), dtype=np.int64)
    current, filled = 0, 0
    for i, c in enumerate(counts):
        bin_of_value[i] = current
        filled += c
        if filled >= bin_size:
            current, filled = current + 1, 0
    if filled and current > 0:  # undersized tail joins the previous bin
        bin_of_value[bin_of_value == current] = current - 1
    return bin_of_value[np.searchsorted(values, degree)]


class DegreeMatchedSampler:
    """Draws degree-matched random node sets fast, for many sets against the same ``n_random`` rounds.

    It keeps, for every degree bin, ``n_random`` random permutations of the bin's nodes, side by side in one
    (n_random x n_nodes) table. A set with k nodes in a bin takes k consecutive columns of that bin's block at a
    random offset, and the rounds are shuffled per call: every round is then a uniformly random k-subset of the
    bin (distinct nodes), bins are independent, and different calls do not reuse the same pairing of rounds.
    """

    def __init__(self, bins: np.ndarray, n_random: int, rng: np.random.Generator) -> None:
        self.bins = np.asarray(bins)
        self.n_random = int(n_random)
        self.rng = rng
        self.pools = bin_pools(self.bins)
        self._table: np.ndarray | None = None
        ids = np.array(sorted(self.pools), dtype=np.int64)
        sizes = np.array([len(self.pools[int(b)]) for b in ids], dtype=np.int64)
        self._start = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=np.int64)
        self._size = np.zeros_like(self._start)
        self._start[ids] = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self._size[ids] = sizes

    def _perm_table(self) -> np.ndarray:
        if self._table is None:
            blocks = []
            for b in sorted(self.pools):
                pool = self.pools[b]
                keys = self.rng.random((self.n_random, len(pool)), dtype=np.float32)
                blocks.append(pool[np.argsort(keys, axis=1)].astype(np.int32))
            self._table = np.ascontiguousarray(
                np.hstack(blocks).T
            )  # (n_nodes, n_random): a set reads whole rows
        return self._table

    def draw(self, nodes: np.ndarray) -> np.ndarray:
        """``n_random`` x len(nodes) indices; column j comes from the degree bin of ``nodes[j]``."""
        nodes = np.asarray(nodes, dtype=np.int64)
        table = self._perm_table()
        node_bins = self.bins[nodes]
        order = np.argsort(node_bins, kind="stable")
        sorted_bins = node_bins[order]
        ids, first, counts = np.unique(sorted_bins, return_index=True, return_counts=True)
        if (counts > self._size[ids]).any():
            b = ids[np.argmax(counts > self._size[ids])]
            raise InputError(f"degree bin {b} has {self._size[b]} nodes but the set needs more distinct ones")
        offsets = (self.rng.random(len(ids)) * (self._size[ids] - counts + 1)).astype(np.int64)
        rank = np.arange(len(nodes)) - np.repeat(first, counts)
        cols = np.empty(len(nodes), dtype=np.int64)
        cols[order] = self._start[sorted_bins] + np.repeat(offsets, counts) + rank
        rows = self.rng.permutation(self.n_random)
        return table[cols].T[rows].astype(np.int64)


def sample_degree_matched(
    nodes: np.ndarray, bins: np.ndarray, n_random: int, rng: np.random.Generator
) -> np.ndarray:
    """``n_random`` x len(nodes) node indices; column j is drawn from the degree bin of ``nodes[j]``.

    Within one random set, nodes drawn from the same bin are distinct (no replacement), so each set has as many
    genes as the original and the same count per degree bin. For many sets use :class:`DegreeMatchedSampler`.
    """
    return DegreeMatchedSampler(bins, n_random, rng).draw(nodes)


def bin_pools(bins: np.ndarray) -> dict[int, np.ndarray]:
    """Node indices per degree bin."""
    order = np.argsort(bins, kind="stable")
    ids, starts = np.unique(bins[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    return {int(b): order[s:e] for b, s, e in zip(ids, starts, ends, strict=True)}


def proximity(
    net: Network,
    targets: Iterable[Hashable],
    gene_sets: Mapping[str, Iterable[Hashable]],
    *,
    n_random: int = 1000,
    bin_size: int = 100,
    seed: int = 0,
    min_genes: int = 1,
    direction: str = "targets_to_set",
    randomize: str = "both",
) -> pd.DataFrame:
    """Closest-distance proximity of each gene set to the targets, with a z-score against degree-matched sets.

    For each set S: ``d = mean_t min_s dist(t, s)`` over targets t in the graph (``direction="targets_to_set"``,
    Guney 2016's drug-to-disease measure), or ``d = mean_s min_t dist(s, t)`` over the set's genes
    (``"set_to_targets"``, which gives a graded score even for a single target, as in Kong 2020's pathway
    z-scores). ``randomize`` says which side the random reference replaces: ``"both"`` (Guney), ``"set"`` (targets
    kept, only the gene set drawn at random) or ``"targets"``. The reference is the same
    quantity for ``n_random`` pairs of random sets, each target and each set gene replaced by a node of its degree
    bin (the random target sets are drawn once and shared by all gene sets). ``z = (d - mean) / sd``; negative z
    means closer than chance (Guney 2016 / Kong 2020 call z <= -1.2816, one-sided p 0.1, "proximal").

    Returns one row per gene set, most proximal first: ``gene_set``, ``n_genes``, ``n_in_network``, ``d``,
    ``random_mean``, ``random_sd``, ``z``, ``p_value`` (share of random d <= observed). Sets with fewer than
    ``min_genes`` genes in the graph get NaN.
    """
    if n_random < 2:
        raise InputError(f"n_random must be >= 2, got {n_random}")
    if direction not in {"targets_to_set", "set_to_targets"}:
        raise InputError(f"direction must be 'targets_to_set' or 'set_to_targets', not {direction!r}")
    if randomize not in {"both", "set", "targets"}:
        raise InputError(f"randomize must be 'both', 'set' or 'targets', not {randomize!r}")
    min_axis = 2 if direction == "targets_to_set" else 1  # axes of (round, target, set gene)
    t_idx, t_missing = net.locate(targets)
    if len(t_idx) == 0:
        raise InputError(f"none of the targets is in the network: {list(t_missing)[:10]}")
    rng = np.random.default_rng(seed)
    bins = degree_bins(net.degree, bin_size)
    sampler = DegreeMatchedSampler(bins, n_random, rng)
    pool = np.unique(np.concatenate([sampler.pools[int(b)] for b in np.unique(bins[t_idx])]))
    rows = shortest_path_lengths(net, pool)  # distances from every node a (random) target can be
    row_of = np.full(net.n_nodes, -1, dtype=np.int64)
    row_of[pool] = np.arange(len(pool))
    t_rows = row_of[t_idx]
    t_rand = (
        row_of[sampler.draw(t_idx)]
        if randomize != "set"
        else np.broadcast_to(t_rows, (n_random, len(t_rows)))
    )  # (n_random, |T|) rows
    nearest = None
    if direction == "set_to_targets":  # per round, distance of every node to its nearest random target
        nearest = rows[t_rand[:, 0]].copy()
        for j in range(1, t_rand.shape[1]):
            np.minimum(nearest, rows[t_rand[:, j]], out=nearest)
    records: list[dict[str, Any]] = []
    for name, genes in gene_sets.items():
        genes = list(genes)
        s_idx, _ = net.locate(genes)
        rec: dict[str, Any] = {"gene_set": name, "n_genes": len(set(genes)), "n_in_network": len(s_idx)}
        if len(s_idx) < max(1, min_genes):
            rec.update(d=np.nan, random_mean=np.nan, random_sd=np.nan, z=np.nan, p_value=np.nan)
            records.append(rec)
            continue
        d = float(rows[np.ix_(t_rows, s_idx)][None].min(axis=min_axis).mean(axis=1)[0])
        s_rand = (
            sampler.draw(s_idx) if randomize != "targets" else np.broadcast_to(s_idx, (n_random, len(s_idx)))
        )
        if nearest is not None:
            flat = (s_rand + np.arange(n_random)[:, None] * net.n_nodes).ravel()
            ref = nearest.ravel().take(flat).reshape(s_rand.shape).mean(axis=1)
        else:
            dist = rows[t_rand[:, :, None], s_rand[:, None, :]]  # (n_random, |T|, |S|)
            ref = dist.min(axis=min_axis).mean(axis=1)
        mean, sd = float(ref.mean()), float(ref.std())
        rec.update(
            d=d,
            random_mean=mean,
            random_sd=sd,
            z=(d - mean) / sd if sd > 0 else np.nan,
            p_value=float((ref <= d).mean()),
        )
        records.append(rec)
    out = pd.DataFrame.from_records(records)
    out.attrs["targets_missing"] = list(t_missing)
    out.attrs["targets_used"] = [net.nodes[i] for i in t_idx]
    return out.sort_values("z", kind="stable", na_position="last").reset_index(drop=True)

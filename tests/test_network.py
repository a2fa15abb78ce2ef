"""Network propagation, degree binning, degree-matched sampling and proximity z-scores on hand-checked graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from drugloop.bio.network import (
    DegreeMatchedSampler,
    Network,
    closest_distance,
    degree_bins,
    proximity,
    random_walk_with_restart,
    sample_degree_matched,
    shortest_path_lengths,
)
from drugloop.errors import InputError


def path3() -> Network:
    return Network.from_edges([("a", "b"), ("b", "c")])


def test_rwr_on_a_path_matches_the_hand_solution() -> None:
    # p = 0.5 W p + 0.5 e_a on a - b - c: p_a = 0.25 p_b + 0.5, p_b = 0.5 (p_a + p_c), p_c = 0.25 p_b
    # => p_b = 1/3, p_a = 7/12, p_c = 1/12
    p = random_walk_with_restart(path3(), ["a"], restart=0.5)
    assert p.index.tolist() == ["a", "b", "c"]
    assert p["a"] == pytest.approx(7 / 12, abs=1e-9)
    assert p["b"] == pytest.approx(1 / 3, abs=1e-9)
    assert p["c"] == pytest.approx(1 / 12, abs=1e-9)
    assert p.sum() == pytest.approx(1.0)


def test_rwr_equals_networkx_personalised_pagerank() -> None:
    g = nx.karate_club_graph()
    net = Network.from_edges(list(g.edges()))
    ours = random_walk_with_restart(net, {0: 1.0, 33: 3.0}, restart=0.3)
    ref = nx.pagerank(
        g, alpha=0.7, personalization={n: {0: 1.0, 33: 3.0}.get(n, 0.0) for n in g}, tol=1e-12, weight=None
    )
    for node, value in ref.items():
        assert ours[node] == pytest.approx(value, abs=1e-8)


def test_rwr_bad_inputs() -> None:
    with pytest.raises(InputError, match="none of the seed genes"):
        random_walk_with_restart(path3(), ["zz"])
    with pytest.raises(InputError, match="restart"):
        random_walk_with_restart(path3(), ["a"], restart=0.0)


def test_from_edges_merges_duplicates_and_drops_self_loops() -> None:
    net = Network.from_edges([("a", "b"), ("b", "a"), ("a", "a"), ("c", "d")])
    assert net.n_edges == 2
    assert net.degree.tolist() == [1, 1, 1, 1]
    assert net.largest_component().n_nodes == 2
    idx, missing = net.locate(["a", "x", "a"])
    assert idx.tolist() == [0] and missing == ["x"]


def test_shortest_paths_and_closest_distance_by_hand() -> None:
    # a - b - c - d, plus e - b
    net = Network.from_edges([("a", "b"), ("b", "c"), ("c", "d"), ("e", "b")])
    rows = shortest_path_lengths(net, net.locate(["a"])[0])
    assert dict(zip(net.nodes, rows[0].tolist(), strict=True)) == {"a": 0, "b": 1, "c": 2, "d": 3, "e": 2}
    # targets {a, d} to set {c}: (2 + 1) / 2; set {c, e} to targets {a}: (2 + 2) / 2
    assert closest_distance(net, ["a", "d"], ["c"]) == pytest.approx(1.5)
    assert closest_distance(net, ["c", "e"], ["a"]) == pytest.approx(2.0)
    assert closest_distance(net, ["b"], ["b", "d"]) == 0.0


def test_degree_bins_pool_consecutive_degrees() -> None:
    degree = np.array([1, 1, 1, 2, 2, 3, 5, 8, 8, 9])
    bins = degree_bins(degree, bin_size=3)
    # degrees 1 (3 nodes) | 2,3 (3 nodes) | 5,8 (3 nodes) | 9 (1 node, joins previous)
    assert bins.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
    assert (np.diff(bins[np.argsort(degree, kind="stable")]) >= 0).all()
    assert degree_bins(degree, bin_size=1).tolist() == [0, 0, 0, 1, 1, 2, 3, 4, 4, 5]
    with pytest.raises(InputError):
        degree_bins(degree, bin_size=0)


def test_degree_matched_sampling_keeps_degrees() -> None:
    g = nx.barabasi_albert_graph(400, 2, seed=1)
    net = Network.from_edges(list(g.edges()))
    deg = net.degree
    rng = np.random.default_rng(0)
    nodes = np.array([0, 5, 17, 40, 41, 42, 300, 301])
    # exact degrees with one bin per degree value
    exact = sample_degree_matched(nodes, degree_bins(deg, 1), 200, rng)
    assert (deg[exact] == deg[nodes][None, :]).all()
    # binned: every draw stays in its node's bin, and the nodes of one random set are distinct
    bins = degree_bins(deg, 20)
    sampler = DegreeMatchedSampler(bins, 300, rng)
    draws = sampler.draw(nodes)
    assert (bins[draws] == bins[nodes][None, :]).all()
    assert all(len(set(row)) == len(nodes) for row in draws)
    assert len({tuple(r) for r in draws}) > 250  # genuinely random, not one set repeated


def test_proximity_z_separates_near_and_far_sets() -> None:
    g = nx.connected_watts_strogatz_graph(300, 6, 0.05, seed=3)
    net = Network.from_edges(list(g.edges()))
    near = list(range(1, 8))  # ring neighbours of the target 0
    far = list(range(140, 160))
    for direction in ("targets_to_set", "set_to_targets"):
        res = proximity(
            net,
            [0],
            {"near": near, "far": far, "absent": ["x", "y"]},
            n_random=300,
            bin_size=20,
            direction=direction,
        ).set_index("gene_set")
        assert res.loc["near", "z"] < -1.2816 < res.loc["far", "z"]
        assert res.loc["near", "d"] < res.loc["far", "d"]
        assert np.isnan(res.loc["absent", "z"]) and res.loc["absent", "n_in_network"] == 0
        assert res.index[0] == "near"
    same = proximity(net, [0], {"near": near}, n_random=100, bin_size=20, seed=5)
    again = proximity(net, [0], {"near": near}, n_random=100, bin_size=20, seed=5)
    assert same["z"].iloc[0] == again["z"].iloc[0]  # seeded
    with pytest.raises(InputError, match="targets"):
        proximity(net, ["nope"], {"near": near})
    with pytest.raises(InputError, match="direction"):
        proximity(net, [0], {"near": near}, direction="sideways")

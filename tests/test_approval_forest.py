"""The compiled random forest is scikit-learn's default forest: exact one-feature trees, Gini-optimal splits,
out-of-bag bookkeeping, agreement with scikit-learn, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from drugloop.approval.forest import (
    FEATURE_THRESHOLD,
    _grow_one,
    _prepared,
    bootstrap_counts,
    forest_from_counts,
    random_forest,
    sqrt_features,
)


def _gini_proxy(lpos: float, ltot: float, rpos: float, rtot: float) -> float:
    """scikit-learn's proxy (up to a constant): sum over children of sum_k w_k^2 / w_child."""
    return (lpos**2 + (ltot - lpos) ** 2) / ltot + (rpos**2 + (rtot - rpos) ** 2) / rtot


def _best_cut(values: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Brute force: the best Gini proxy over every cut between two distinct values of one feature."""
    order = np.argsort(values, kind="stable")
    v, yy, ww = values[order].astype(np.float64), y[order], w[order]
    best = -np.inf
    for k in range(1, len(v)):
        if v[k] <= v[k - 1] + FEATURE_THRESHOLD:
            continue
        lpos, ltot = float((ww[:k] * yy[:k]).sum()), float(ww[:k].sum())
        rpos, rtot = float((ww[k:] * yy[k:]).sum()), float(ww[k:].sum())
        best = max(best, _gini_proxy(lpos, ltot, rpos, rtot))
    return best


def _node_rows(x: np.ndarray, rows: np.ndarray, feat, thr, left, right) -> dict[int, np.ndarray]:
    """Which of ``rows`` pass through each node."""
    members: dict[int, list[int]] = {}
    for r in rows:
        node = 0
        while True:
            members.setdefault(node, []).append(int(r))
            if feat[node] < 0:
                break
            node = left[node] if np.float64(x[r, feat[node]]) <= thr[node] else right[node]
    return {k: np.array(v) for k, v in members.items()}


# ---------------------------------------------------------------------------------------------- one feature


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(4, 60), decimals=st.integers(0, 2))
def test_one_feature_forest_matches_sklearn_tree_by_tree(seed: int, n: int, decimals: int) -> None:
    """Without growing trees, the one-feature forest equals scikit-learn's fully grown Gini tree on the same
    bootstrap, and so does our grown tree."""
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=n), decimals)  # rounding makes ties, some with both labels
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * x))).astype(int)
    counts = rng.multinomial(n, [1 / n] * n).astype(float)
    assume(len(set(y[counts > 0])) == 2)  # a one-class bootstrap has a one-column predict_proba in sklearn
    x_test = np.concatenate([rng.normal(size=20), x, (x[:-1] + x[1:]) / 2])
    tree = DecisionTreeClassifier(random_state=0).fit(
        x.reshape(-1, 1).astype(np.float32), y, sample_weight=counts
    )
    expected = tree.predict_proba(x_test.reshape(-1, 1).astype(np.float32))[:, 1]
    fast, _ = forest_from_counts(x, y, x_test, counts[None, :])
    grown, _ = forest_from_counts(x, y, x_test, counts[None, :], grow_1d=True)
    np.testing.assert_allclose(fast, expected)
    np.testing.assert_allclose(grown, expected)


def test_one_feature_shortcut_equals_grown_trees_with_out_of_bag() -> None:
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=(300, 1)), 1)
    y = (rng.random(300) < 1 / (1 + np.exp(-2 * x[:, 0]))).astype(int)
    counts = bootstrap_counts(300, 60, seed=5)
    xt = np.linspace(-3, 3, 61).reshape(-1, 1)
    fast, fast_oob = forest_from_counts(x, y, xt, counts)
    grown, grown_oob = forest_from_counts(x, y, xt, counts, grow_1d=True)
    np.testing.assert_allclose(fast, grown, atol=1e-12)
    np.testing.assert_allclose(fast_oob, grown_oob, atol=1e-12, equal_nan=True)


def test_out_of_bag_is_the_mean_over_the_trees_that_left_a_row_out() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 1))
    y = (x[:, 0] + rng.normal(size=80) > 0).astype(int)
    counts = bootstrap_counts(80, 25, seed=1)
    _, oob = forest_from_counts(x, y, x, counts)
    per_tree = np.stack([forest_from_counts(x, y, x, counts[t : t + 1])[0] for t in range(25)])
    out = counts == 0
    expected = np.where(
        out.any(axis=0), (per_tree * out).sum(axis=0) / np.maximum(out.sum(axis=0), 1), np.nan
    )
    np.testing.assert_allclose(oob, expected, equal_nan=True)
    assert np.isnan(oob).sum() == int((~out.any(axis=0)).sum())


# ---------------------------------------------------------------------------------------------- trees


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n=st.integers(5, 70),
    p=st.integers(1, 5),
    decimals=st.integers(0, 2),
    bootstrap=st.booleans(),
    counted=st.sampled_from([0, 8, 64]),
)
def test_every_split_is_gini_optimal_over_all_features(
    seed: int, n: int, p: int, decimals: int, bootstrap: bool, counted: int
) -> None:
    """With max_features = p each node's cut is the best of every cut on every feature (brute force), leaves
    are pure or hold one distinct row, and a leaf predicts its weighted class fraction; whether a feature is
    searched on a sorted list or on per-value counts (``counted``) changes nothing."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(n, p)), decimals).astype(np.float32)
    y = (rng.random(n) < 0.5).astype(np.float64)
    w = rng.multinomial(n, [1 / n] * n).astype(np.float64) if bootstrap else np.ones(n)
    xp, yp, sorted_rows, codes, uval, n_values = _prepared(x, y, max_counted_values=counted)
    feat, thr, left, right, value = _grow_one(xp, yp, w, p, seed, sorted_rows, codes, uval, n_values)
    rows = _node_rows(xp, np.flatnonzero(w > 0), feat, thr, left, right)
    for node, members in rows.items():
        ww, yy = w[members], y[members]
        assert value[node] == pytest.approx(float((ww * yy).sum() / ww.sum()))
        if feat[node] < 0:
            pure = yy.min() == yy.max()
            one_row = len(np.unique(xp[members], axis=0)) == 1
            assert pure or one_row
            continue
        best = max(_best_cut(xp[members, f], yy, ww) for f in range(p))
        goes_left = xp[members, feat[node]].astype(np.float64) <= thr[node]
        lm, rm = members[goes_left], members[~goes_left]
        assert len(lm) and len(rm)
        chosen = _gini_proxy(
            float((w[lm] * y[lm]).sum()), float(w[lm].sum()), float((w[rm] * y[rm]).sum()), float(w[rm].sum())
        )
        assert chosen == pytest.approx(best, rel=1e-12)


def test_forest_predictions_are_its_trees_walked_row_by_row() -> None:
    """The branch-free, all-rows-at-once prediction equals walking the same grown tree row by row."""
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=(150, 4)), 3)
    x[:, 3] = rng.integers(0, 3, 150)  # one counted feature
    y = (x[:, 0] + x[:, 3] + rng.normal(size=150) > 1).astype(int)
    xe = np.round(rng.normal(size=(40, 4)), 3)
    xe[:, 3] = rng.integers(0, 3, 40)
    xp, yp, sorted_rows, codes, uval, n_values = _prepared(x, y)
    assert n_values.tolist() == [0, 0, 0, 3]
    w = rng.multinomial(150, [1 / 150] * 150).astype(float)
    tree_seed = int(np.random.default_rng(5).integers(0, 2**31 - 1, size=1)[0])  # as forest_from_counts draws
    feat, thr, left, right, value = _grow_one(xp, yp, w, 2, tree_seed, sorted_rows, codes, uval, n_values)
    walked = []
    for row in xe.astype(np.float32):
        node = 0
        while feat[node] >= 0:
            node = left[node] if np.float64(row[feat[node]]) <= thr[node] else right[node]
        walked.append(value[node])
    forest, _ = forest_from_counts(x, y, xe, w[None, :], max_features=2, seed=5)
    np.testing.assert_array_equal(forest, walked)
    assert set(walked) == {0.0, 1.0} and (feat >= 0).sum() > 10  # a real tree, both classes reached


def test_sqrt_features_is_sklearns_rule() -> None:
    assert [sqrt_features(p) for p in (1, 2, 3, 4, 13, 17, 31)] == [1, 1, 1, 2, 3, 4, 5]


def test_same_seed_same_forest_other_seed_other_forest() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6))
    y = (x[:, 0] - x[:, 1] + rng.normal(size=200) > 0).astype(int)
    a, a_oob = random_forest(x, y, x[:50], seed=4, n_estimators=30)
    b, b_oob = random_forest(x, y, x[:50], seed=4, n_estimators=30)
    c, _ = random_forest(x, y, x[:50], seed=5, n_estimators=30)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a_oob, b_oob)
    assert not np.array_equal(a, c)


def test_agrees_with_sklearn_forest_up_to_sampling_noise() -> None:
    """Same algorithm, different random numbers: the two forests rank a held-out set alike."""
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score

    x, y = make_classification(n_samples=900, n_features=8, n_informative=4, flip_y=0.15, random_state=0)
    xtr, ytr, xte, yte = x[:600], y[:600], x[600:], y[600:]
    ours, oob = random_forest(xtr, ytr, xte, seed=0, n_estimators=300)
    rf = RandomForestClassifier(n_estimators=300, random_state=0, oob_score=True).fit(xtr, ytr)
    theirs = rf.predict_proba(xte)[:, 1]
    assert abs(roc_auc_score(yte, ours) - roc_auc_score(yte, theirs)) < 0.015
    assert np.abs(ours - theirs).mean() < 0.04
    assert np.corrcoef(ours, theirs)[0, 1] > 0.97
    assert np.nanmean(np.abs(oob - rf.oob_decision_function_[:, 1])) < 0.06


def test_fully_grown_forest_without_bootstrap_recalls_its_training_rows() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(120, 3))
    y = rng.integers(0, 2, 120)  # pure noise: only a fully grown tree fits it exactly
    pred, oob = forest_from_counts(x, y, x, np.ones((5, 120)))
    np.testing.assert_allclose(pred, y)
    assert np.isnan(oob).all()  # nothing is ever out of bag


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y_train": np.array([0, 1, 2, 1])}, "labels must be 0/1"),
        ({"x_train": np.array([[0.0], [np.nan], [1.0], [2.0]])}, "finite"),
        ({"x_eval": np.zeros((2, 2))}, "features"),
        ({"x_eval": np.array([[np.inf]])}, "finite"),
        ({"counts": np.ones((3, 5))}, "n_trees x n_rows"),
        ({"counts": np.zeros((2, 4))}, "in-bag"),
        ({"counts": -np.ones((2, 4))}, ">= 0"),
        ({"max_features": 2}, "max_features"),
        ({"y_train": np.array([0, 1, 1])}, "labels"),
    ],
)
def test_bad_input_is_one_clear_error(kwargs: dict, message: str) -> None:
    args = {
        "x_train": np.array([[0.0], [1.0], [2.0], [3.0]]),
        "y_train": np.array([0, 1, 0, 1]),
        "x_eval": np.array([[0.5]]),
        "counts": np.ones((2, 4)),
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        forest_from_counts(**args)

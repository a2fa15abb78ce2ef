"""Metrics against brute-force and library references, including ties and invalid input."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from drugloop.errors import InputError
from drugloop.evaluate import metrics as M
from drugloop.evaluate.metrics import (
    METRICS,
    auprc,
    auroc,
    classification_metrics,
    concordance_index,
    mse,
    pearson,
    regression_metrics,
    rm2,
    rmse,
    spearman,
)


def brute_cindex(y: np.ndarray, p: np.ndarray) -> float:
    """DeepDTA's get_cindex, O(n^2), as the reference."""
    total = 0.0
    pairs = 0
    for i in range(len(y)):
        for j in range(len(y)):
            if y[i] > y[j]:
                pairs += 1
                total += 1.0 if p[i] > p[j] else 0.5 if p[i] == p[j] else 0.0
    return total / pairs if pairs else float("nan")


def deepdta_rm2(y: np.ndarray, p: np.ndarray) -> float:
    """Independent re-statement of DeepDTA's get_rm2 (r_squared_error, squared_error_zero)."""
    ym, pm = y.mean(), p.mean()
    r2 = np.sum((p - pm) * (y - ym)) ** 2 / (np.sum((y - ym) ** 2) * np.sum((p - pm) ** 2))
    k = np.sum(y * p) / np.sum(p * p)
    r02 = 1 - np.sum((y - k * p) ** 2) / np.sum((y - ym) ** 2)
    return r2 * (1 - np.sqrt(abs(r2 * r2 - r02 * r02)))


# --------------------------------------------------------------------------- concordance index

small_ints = st.lists(st.integers(min_value=0, max_value=4), min_size=2, max_size=40)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_cindex_matches_brute_force_with_ties(data: st.DataObject) -> None:
    y = data.draw(small_ints)
    p = data.draw(st.lists(st.integers(min_value=-2, max_value=3), min_size=len(y), max_size=len(y)))
    y_arr, p_arr = np.asarray(y, float), np.asarray(p, float) / 2
    expected = brute_cindex(y_arr, p_arr)
    got = concordance_index(y_arr, p_arr)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_cindex_matches_brute_force_fixed_seeds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    y = rng.integers(0, 12, n).astype(float)  # many label ties
    p = np.round(y + rng.normal(0, 3, n))  # many prediction ties, some joint ties
    if seed % 2:
        p = rng.normal(size=n)  # continuous predictions, no ties
    assert concordance_index(y, p) == pytest.approx(brute_cindex(y, p), abs=1e-12)


def test_cindex_extremes() -> None:
    y = np.arange(50, dtype=float)
    assert concordance_index(y, y * 3 + 1) == 1.0
    assert concordance_index(y, -y) == 0.0
    assert concordance_index(y, np.full(50, 7.0)) == 0.5
    assert math.isnan(concordance_index(np.ones(5), np.arange(5)))  # no comparable pair
    assert math.isnan(concordance_index([1.0], [2.0]))


def test_cindex_zero_sign_and_shapes() -> None:
    y = np.array([0.0, 1.0, 2.0])
    assert concordance_index(y, np.array([-0.0, 0.0, 1.0])) == pytest.approx(brute_cindex(y, [0.0, 0.0, 1.0]))
    assert concordance_index(y.reshape(-1, 1), [[0.0], [1.0], [2.0]]) == 1.0


def test_inversion_count_against_brute_force() -> None:
    rng = np.random.default_rng(3)
    for _ in range(100):
        n = int(rng.integers(1, 70))
        x = rng.integers(0, int(rng.integers(1, 40)), n)
        expected = sum(1 for i in range(n) for j in range(i + 1, n) if x[i] > x[j])
        assert M._count_inversions(x) == expected


def test_cindex_is_fast() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 1000, 200_000).astype(float)
    p = y + rng.normal(0, 300, 200_000)
    start = time.perf_counter()
    value = concordance_index(y, p)
    assert time.perf_counter() - start < 5.0
    assert 0.7 < value < 0.8


# --------------------------------------------------------------------------- regression metrics


@pytest.mark.parametrize("seed", range(5))
def test_regression_metrics_against_references(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.normal(7, 1, 200)
    p = y * 0.8 + rng.normal(1.2, 0.5, 200)
    p[:20] = np.round(p[:20])  # some ties for the rank correlation
    assert mse(y, p) == pytest.approx(np.mean((y - p) ** 2))
    assert rmse(y, p) == pytest.approx(np.sqrt(np.mean((y - p) ** 2)))
    assert pearson(y, p) == pytest.approx(stats.pearsonr(y, p)[0], abs=1e-12)
    assert pearson(y, p) == pytest.approx(np.corrcoef(y, p)[0, 1], abs=1e-12)
    assert spearman(y, p) == pytest.approx(stats.spearmanr(y, p)[0], abs=1e-12)
    assert rm2(y, p) == pytest.approx(deepdta_rm2(y, p), abs=1e-12)


def test_rm2_variants() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(5, 1, 100)
    p = y + rng.normal(0, 0.7, 100)
    r2 = stats.pearsonr(y, p)[0] ** 2
    k = np.sum(y * p) / np.sum(p * p)
    r02 = 1 - np.sum((y - k * p) ** 2) / np.sum((y - y.mean()) ** 2)
    assert rm2(y, p, variant="roy") == pytest.approx(r2 * (1 - np.sqrt(abs(r2 - r02))))
    assert rm2(y, y) == pytest.approx(1.0)
    assert math.isnan(rm2(y, np.full(100, 3.0)))
    with pytest.raises(InputError, match="variant"):
        rm2(y, p, variant="other")  # type: ignore[arg-type]


def test_undefined_correlations_are_nan() -> None:
    assert math.isnan(pearson([1, 2, 3], [4, 4, 4]))
    assert math.isnan(spearman([5, 5, 5], [1, 2, 3]))


def test_regression_bundle_keys_and_registry() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.1, 1.9, 3.5, 3.9])
    out = regression_metrics(y, p)
    assert list(out) == ["mse", "rmse", "ci", "rm2", "pearson", "spearman"]
    for name, value in out.items():
        assert value == pytest.approx(METRICS[name](y, p))
    assert all(isinstance(v, float) for v in out.values())


# --------------------------------------------------------------------------- classification metrics


@pytest.mark.parametrize("seed", range(5))
def test_auroc_auprc_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    s = np.round(y * 0.5 + rng.normal(0, 0.6, 300), 1)  # tied scores
    assert auroc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert auprc(y, s) == pytest.approx(average_precision_score(y, s))


def test_classification_bundle() -> None:
    y = np.array([0, 0, 1, 1, 1, 0])
    s = np.array([0.1, 0.6, 0.55, 0.9, 0.4, 0.2])
    out = classification_metrics(y, s)
    assert out["accuracy"] == pytest.approx(4 / 6)
    assert out["f1"] == pytest.approx(2 * 2 / (3 + 3))  # tp=2, predicted pos=3, actual pos=3
    assert out["best_f1"] >= out["f1"]
    thr = out["best_f1_threshold"]
    assert M.f1(y, s, threshold=thr) == pytest.approx(out["best_f1"])
    assert classification_metrics(y, s, threshold=0.35)["f1"] == pytest.approx(M.f1(y, s, 0.35))


def test_single_class_is_nan_and_labels_validated() -> None:
    assert math.isnan(auroc([1, 1, 1], [0.2, 0.5, 0.9]))
    assert math.isnan(auprc([0, 0], [0.2, 0.5]))
    assert auroc([True, False], [0.9, 0.1]) == 1.0
    with pytest.raises(InputError, match="binary"):
        auroc([0, 1, 2], [0.1, 0.2, 0.3])


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_validates_input(name: str) -> None:
    fn = METRICS[name]
    with pytest.raises(InputError, match="differ in length"):
        fn([0, 1, 1], [0.1, 0.2])
    with pytest.raises(InputError, match="non-finite"):
        fn([0, 1, 1], [0.1, float("nan"), 0.3])
    with pytest.raises(InputError, match="non-finite"):
        fn([0, float("inf"), 1], [0.1, 0.2, 0.3])
    with pytest.raises(InputError, match="empty"):
        fn([], [])
    with pytest.raises(InputError, match="numeric"):
        fn(["a", "b"], [0.1, 0.2])
    with pytest.raises(InputError, match="one-dimensional"):
        fn(np.zeros((2, 2)), np.zeros((2, 2)))

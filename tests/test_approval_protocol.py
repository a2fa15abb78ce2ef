"""The balanced-repeat protocol: class balance per repeat, no train/test leakage, grouped splits, metrics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drugloop.approval.models import (
    Platt,
    blend_fit_predict,
    calibrated_rf_fit_predict,
    rf_fit_predict,
    tune_lgbm,
)
from drugloop.approval.protocol import (
    balanced_indices,
    grouped_split,
    paper_auprc,
    repeat_split,
    run_protocol,
    score,
    stratified_split,
)
from drugloop.errors import InputError


def _labels(n_pos: int = 140, n_neg: int = 107) -> np.ndarray:
    return np.array([1] * n_pos + [0] * n_neg)[np.random.default_rng(0).permutation(n_pos + n_neg)]


def test_balanced_indices_keeps_every_minority_row_and_balances() -> None:
    y = _labels()
    idx = balanced_indices(y, seed=3)
    assert (y[idx] == 1).sum() == (y[idx] == 0).sum() == 107
    assert set(np.flatnonzero(y == 0)) <= set(idx)  # minority kept whole
    assert len(np.unique(idx)) == len(idx)
    np.testing.assert_array_equal(idx, balanced_indices(y, seed=3))  # seeded
    assert not np.array_equal(idx, balanced_indices(y, seed=4))  # a new repeat is a new sample


def test_balanced_indices_needs_both_classes() -> None:
    with pytest.raises(InputError):
        balanced_indices(np.ones(5, dtype=int), 0)


def test_stratified_split_is_disjoint_complete_and_stratified() -> None:
    y = _labels()
    idx = balanced_indices(y, 0)
    train, test = stratified_split(idx, y, seed=1, test_size=0.1)
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), idx)
    assert (y[test] == 1).sum() == (y[test] == 0).sum() == round(0.1 * 107)
    assert (y[train] == 1).sum() == (y[train] == 0).sum()


@settings(max_examples=40, deadline=None)
@given(
    labels=st.lists(st.integers(0, 1), min_size=20, max_size=200),
    n_groups=st.integers(2, 40),
    seed=st.integers(0, 10_000),
)
def test_grouped_split_never_splits_a_group(labels: list[int], n_groups: int, seed: int) -> None:
    y = np.array(labels)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    groups = np.random.default_rng(seed).integers(0, n_groups, len(y)).astype(str)
    idx = balanced_indices(y, seed)
    train, test = grouped_split(idx, y, groups, seed, 0.1)
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), idx)
    assert not set(groups[train]) & set(groups[test])


def test_repeat_split_needs_groups_for_grouped_kinds() -> None:
    with pytest.raises(InputError):
        repeat_split(_labels(), 0, split="scaffold")


def _leak_checking_fit_predict(x_train, y_train, x_test, seed):  # type: ignore[no-untyped-def]
    """Column 0 is a row id: assert no test row was trained on and the training part is balanced."""
    assert not set(x_train[:, 0]) & set(x_test[:, 0])
    assert (y_train == 1).sum() == (y_train == 0).sum()
    return x_test[:, 1]  # column 1 is the label + noise: a good score


def test_run_protocol_balances_each_repeat_without_leakage() -> None:
    y = _labels()
    rng = np.random.default_rng(1)
    X = np.column_stack([np.arange(len(y)), y + rng.normal(0, 0.7, len(y)), rng.normal(size=len(y))])
    res = run_protocol(X, y, {"good": [0, 1], "noise": [0, 2]}, _leak_checking_fit_predict, repeats=5)
    assert res.repeats == [0, 1, 2, 3, 4]
    assert set(res.metrics) == {"good", "noise"}
    assert all(len(v) == 5 for v in res.metrics["good"].values())
    assert res.test_sizes == [22] * 5  # 11 + 11 of 214 balanced rows
    # group 'noise' passes column 0 (ids) as its score: uninformative, so AUROC is near 0.5 on average
    assert np.mean(res.metrics["good"]["auroc"]) > 0.8
    assert abs(np.mean(res.metrics["noise"]["auroc"]) - 0.5) < 0.25
    # both groups were scored on the same test rows in each repeat
    assert res.pooled["good"][0] == res.pooled["noise"][0]


def test_score_metrics_and_paper_auprc() -> None:
    y = np.array([0, 0, 1, 1])
    s = score(y, np.array([0.1, 0.2, 0.8, 0.9]))
    assert s["auroc"] == 1.0 and s["auprc"] == 1.0 and s["auprc_paper"] == pytest.approx(1.0)
    assert s["brier"] == pytest.approx((0.01 + 0.04 + 0.04 + 0.01) / 4)
    # the paper's AUPRC treats *unapproved* as positive: reversed scores give its worst case
    assert paper_auprc(y, np.array([0.9, 0.8, 0.2, 0.1])) < 0.6


def test_rf_and_tuned_lgbm_learn_a_separable_signal() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 4))
    y = (x[:, 0] + 0.3 * rng.normal(size=400) > 0).astype(int)
    p_rf = rf_fit_predict(x[:300], y[:300], x[300:], seed=0, n_estimators=50)
    assert score(y[300:], p_rf)["auroc"] > 0.9
    model = tune_lgbm(x[:300], y[:300], seed=0, grid=[{"num_leaves": 7, "min_data_in_leaf": 10}])
    p = model.predict(x[300:])
    assert ((p > 0) & (p < 1)).all()
    assert score(y[300:], p)["auroc"] > 0.9
    assert model.contributions(x[300:301]).shape == (1, 5)  # 4 features + bias


def test_oob_calibration_keeps_the_forest_ranking() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 4))
    y = (rng.random(600) < 1 / (1 + np.exp(-3 * x[:, 0]))).astype(int)
    raw = rf_fit_predict(x[:400], y[:400], x[400:], seed=0, n_estimators=200)
    cal = calibrated_rf_fit_predict(x[:400], y[:400], x[400:], seed=0, n_estimators=200)
    # Platt is monotone and the forest is the same (same seed): identical ranking, so identical AUROC
    assert score(y[400:], cal)["auroc"] == pytest.approx(score(y[400:], raw)["auroc"])
    assert ((cal > 0) & (cal < 1)).all() and not np.allclose(cal, raw)
    blend = blend_fit_predict(x[:400], y[:400], x[400:], seed=0)
    assert ((blend > 0) & (blend < 1)).all() and score(y[400:], blend)["auroc"] > 0.8


def test_platt_is_monotone_and_recovers_a_logistic_link() -> None:
    rng = np.random.default_rng(0)
    margin = rng.normal(size=4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-(2 * margin - 0.5)))).astype(int)
    platt = Platt.fit(margin, y)
    assert platt.a == pytest.approx(2.0, abs=0.25) and platt.b == pytest.approx(-0.5, abs=0.15)
    assert np.all(np.diff(platt(np.sort(margin))) >= 0)

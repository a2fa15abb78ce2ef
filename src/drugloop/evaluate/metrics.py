"""Evaluation metrics with one validation policy, so every engine reports numbers computed the same way.

Regression metrics follow the drug-target affinity literature (DeepDTA, GraphDTA, ...) so that our numbers
can sit beside published ones: ``ci`` is DeepDTA's ``get_cindex`` and ``rm2`` defaults to DeepDTA's
``get_rm2``. Inputs are validated at the boundary (equal length, non-empty, finite) and raise
:class:`~drugloop.errors.InputError`. A metric that is *undefined* for valid input (a correlation of a
constant vector, a concordance index without comparable pairs, an AUROC with one class) returns ``nan``
rather than a made-up number, so it cannot silently flatter a benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from drugloop.errors import InputError

__all__ = [
    "HIGHER_IS_BETTER",
    "METRICS",
    "accuracy",
    "auprc",
    "auroc",
    "classification_metrics",
    "concordance_index",
    "f1",
    "mse",
    "pearson",
    "regression_metrics",
    "rm2",
    "rmse",
    "spearman",
]


# --------------------------------------------------------------------------- validation


def _as_vector(x: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numeric: {exc}") from None
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _check_pair(y_true: ArrayLike, y_pred: ArrayLike, pred_name: str = "y_pred") -> tuple[NDArray, NDArray]:
    """Both inputs as float vectors of equal, non-zero length with finite values."""
    y = _as_vector(y_true, "y_true")
    p = _as_vector(y_pred, pred_name)
    if y.shape[0] != p.shape[0]:
        raise InputError(f"y_true and {pred_name} differ in length: {y.shape[0]} vs {p.shape[0]}")
    if y.shape[0] == 0:
        raise InputError(f"y_true and {pred_name} are empty; a metric needs at least one value")
    for arr, name in ((y, "y_true"), (p, pred_name)):
        bad = ~np.isfinite(arr)
        if bad.any():
            idx = np.flatnonzero(bad)
            raise InputError(
                f"{name} has {idx.size} non-finite value(s) (NaN or inf), first at position {int(idx[0])}"
            )
    # -0.0 + 0.0 == +0.0: makes exact tie detection independent of the sign of zero.
    return y + 0.0, p + 0.0


def _check_binary(y_true: ArrayLike, score: ArrayLike) -> tuple[NDArray, NDArray]:
    y, s = _check_pair(y_true, score, "score")
    if not np.isin(y, (0.0, 1.0)).all():
        bad = np.unique(y[~np.isin(y, (0.0, 1.0))])[:5]
        raise InputError(f"y_true must hold binary labels 0/1 (or booleans); found {bad.tolist()}")
    return y, s


# --------------------------------------------------------------------------- regression


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error: the loss most DTA papers report, so it is our headline regression error."""
    y, p = _check_pair(y_true, y_pred)
    return float(np.mean((y - p) ** 2))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error, in the units of the label (easier to read than MSE)."""
    return math.sqrt(mse(y_true, y_pred))


def _pearson_unchecked(y: NDArray, p: NDArray) -> float:
    yc = y - y.mean()
    pc = p - p.mean()
    denom = math.sqrt(float(np.dot(yc, yc)) * float(np.dot(pc, pc)))
    if denom == 0.0:
        return float("nan")
    return float(np.clip(np.dot(yc, pc) / denom, -1.0, 1.0))


def pearson(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Pearson correlation; ``nan`` when either vector is constant (correlation undefined)."""
    y, p = _check_pair(y_true, y_pred)
    return _pearson_unchecked(y, p)


def _average_ranks(x: NDArray) -> NDArray[np.float64]:
    """1-based ranks with ties given their average rank (scipy's ``rankdata`` default), in numpy."""
    n = x.size
    order = np.argsort(x, kind="stable")
    xs = x[order]
    change = np.empty(n, dtype=bool)
    change[:1] = True
    np.not_equal(xs[1:], xs[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n)
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = ((starts + ends + 1) / 2.0)[np.cumsum(change) - 1]
    return ranks


def spearman(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Spearman rank correlation (Pearson on average ranks, ties averaged); ``nan`` for constant input."""
    y, p = _check_pair(y_true, y_pred)
    return _pearson_unchecked(_average_ranks(y), _average_ranks(p))


def _count_inversions(ranks: NDArray[np.integer]) -> int:
    """Pairs i < j with ranks[i] > ranks[j], in O(n log m) vectorised numpy (m = max rank + 1).

    A binary (MSD radix) decomposition: a pair is an inversion exactly at the highest bit where the two
    ranks differ, with a 1 before a 0 among elements that share the higher bits. Each level counts those
    pairs with one cumulative sum, then stably partitions every group by the bit (zeros first), which keeps
    original order inside the new, finer groups. ~20 levels of O(n) numpy work for a million values.
    """
    n = ranks.size
    if n < 2:
        return 0
    itype = np.int32 if n < 2**31 - 1 else np.int64
    vals = ranks.astype(itype, copy=True)
    nbits = max(1, int(vals.max()).bit_length())
    positions = np.arange(n, dtype=itype)
    start = np.empty(n, dtype=bool)
    total = 0
    for b in range(nbits - 1, -1, -1):
        prefix = vals >> (b + 1)  # non-decreasing: vals is ordered by prefix, then by original index
        bit = (vals >> b) & 1
        start[0] = True
        np.not_equal(prefix[1:], prefix[:-1], out=start[1:])
        starts = np.flatnonzero(start).astype(itype)
        sizes = np.diff(np.append(starts, itype(n)))
        group_start = np.repeat(starts, sizes)
        ones_excl = np.cumsum(bit, dtype=itype)
        ones_excl -= bit
        ones_before = ones_excl - ones_excl[group_start]  # ones earlier in the same group
        # inversions decided at this bit: for every 0, the 1s before it in its group
        total += int(ones_before.sum(dtype=np.int64)) - int(np.dot(ones_before.astype(np.int64), bit))
        zeros_in_group = np.repeat(sizes - np.add.reduceat(bit, starts), sizes)
        # stable partition of each group: its zeros (in order), then its ones (in order)
        new_pos = np.where(
            bit == 0,
            positions - ones_before,  # = group_start + zeros before
            group_start + zeros_in_group + ones_before,
        )
        new_vals = np.empty_like(vals)
        new_vals[new_pos] = vals
        vals = new_vals
    return total


def _run_lengths(change: NDArray[np.bool_], n: int) -> NDArray[np.int64]:
    """Lengths of runs in a sorted vector of length n, given where consecutive values differ."""
    bounds = np.concatenate(([0], np.flatnonzero(change) + 1, [n]))
    return np.diff(bounds).astype(np.int64)


def _pairs_within(runs: NDArray[np.int64]) -> int:
    return int(np.sum(runs * (runs - 1) // 2))


def _dense_ranks(x: NDArray) -> tuple[NDArray[np.int64], int]:
    """Dense ranks 0..u-1 of x (equal values share a rank) and the number of tied pairs in x."""
    n = x.size
    order = np.argsort(x)
    xs = x[order]
    change = xs[1:] != xs[:-1]
    ranks = np.empty(n, dtype=np.int64)
    ranks[order[0]] = 0
    ranks[order[1:]] = np.cumsum(change)
    return ranks, _pairs_within(_run_lengths(change, n))


def concordance_index(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Concordance index exactly as DeepDTA's ``get_cindex``, in O(n log n) instead of O(n^2).

    Over all pairs with ``y_true[i] > y_true[j]`` (pairs tied in ``y_true`` are excluded) a pair scores 1
    when ``y_pred[i] > y_pred[j]``, 0.5 when the predictions tie and 0 otherwise; the score is divided by
    the number of such pairs. Returns ``nan`` when no pair is comparable (all labels equal); DeepDTA returns
    0 there, which would read as a perfectly wrong model.

    How: order rows by (y, pred); discordant pairs are then exactly the inversions of the prediction ranks
    (:func:`_count_inversions`). Prediction ties among comparable pairs = pred ties - joint (y, pred) ties.
    """
    y, p = _check_pair(y_true, y_pred)
    n = y.size
    if n < 2:
        return float("nan")
    y_rank, y_ties = _dense_ranks(y)
    p_rank, p_ties = _dense_ranks(p)
    comparable = n * (n - 1) // 2 - y_ties
    if comparable == 0:
        return float("nan")
    # rows ordered by (y, prediction): one integer key, so a plain (unstable, SIMD) sort suffices
    width = int(p_rank.max()) + 1
    key = np.sort(y_rank * width + p_rank)
    joint_ties = _pairs_within(_run_lengths(key[1:] != key[:-1], n))
    pred_ties = p_ties - joint_ties  # tied predictions among comparable pairs
    discordant = _count_inversions(key % width)
    concordant = comparable - discordant - pred_ties
    return float((concordant + 0.5 * pred_ties) / comparable)


RM2Variant = Literal["deepdta", "roy"]


def _r_squared(y: NDArray, p: NDArray) -> float:
    r = _pearson_unchecked(y, p)
    return r * r


def _r0_squared(y: NDArray, p: NDArray) -> float:
    """Coefficient of determination of y on p for a regression line through the origin (y ≈ k·p)."""
    pp = float(np.dot(p, p))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    if pp == 0.0 or ss_tot == 0.0:
        return float("nan")
    k = float(np.dot(y, p)) / pp
    return 1.0 - float(np.sum((y - k * p) ** 2)) / ss_tot


def rm2(y_true: ArrayLike, y_pred: ArrayLike, variant: RM2Variant = "deepdta") -> float:
    """Modified squared correlation r_m^2 (Roy et al.), which penalises predictions off the y = k·x line.

    ``r2`` is the squared Pearson correlation and ``r02`` the R^2 of a fit through the origin.
    ``variant="deepdta"`` (default) reproduces DeepDTA's published ``get_rm2`` code,
    ``r2 * (1 - sqrt(|r2**2 - r02**2|)))``, which every DTA paper quoting r_m^2 inherited, so our numbers
    are comparable with theirs. ``variant="roy"`` is the formula as written by Roy et al.,
    ``r2 * (1 - sqrt(|r2 - r02|))``. Returns ``nan`` for constant input.
    """
    if variant not in ("deepdta", "roy"):
        raise InputError(f"unknown rm2 variant {variant!r}; choose 'deepdta' or 'roy'")
    y, p = _check_pair(y_true, y_pred)
    r2 = _r_squared(y, p)
    r02 = _r0_squared(y, p)
    if math.isnan(r2) or math.isnan(r02):
        return float("nan")
    gap = r2 * r2 - r02 * r02 if variant == "deepdta" else r2 - r02
    return float(r2 * (1.0 - math.sqrt(abs(gap))))


# --------------------------------------------------------------------------- classification


def auroc(y_true: ArrayLike, score: ArrayLike) -> float:
    """Area under the ROC curve (sklearn); ``nan`` when only one class is present."""
    y, s = _check_binary(y_true, score)
    if np.unique(y).size < 2:
        return float("nan")
    from sklearn.metrics import roc_auc_score  # lazy: sklearn costs ~1 s of import time

    return float(roc_auc_score(y, s))


def auprc(y_true: ArrayLike, score: ArrayLike) -> float:
    """Area under the precision-recall curve as sklearn's average precision; ``nan`` without positives.

    Average precision (step interpolation) rather than trapezoidal ``auc(recall, precision)``, which
    overestimates on imbalanced data.
    """
    y, s = _check_binary(y_true, score)
    if not (y == 1.0).any():
        return float("nan")
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, s))


def accuracy(y_true: ArrayLike, score: ArrayLike, threshold: float = 0.5) -> float:
    """Fraction of rows whose thresholded score (``score >= threshold`` is positive) matches the label."""
    y, s = _check_binary(y_true, score)
    return float(np.mean((s >= threshold) == (y == 1.0)))


def f1(y_true: ArrayLike, score: ArrayLike, threshold: float = 0.5) -> float:
    """F1 of the positive class at ``score >= threshold``; 0.0 when there are no true or predicted positives."""
    y, s = _check_binary(y_true, score)
    pred = s >= threshold
    pos = y == 1.0
    tp = int(np.sum(pred & pos))
    denom = int(pred.sum()) + int(pos.sum())
    return 0.0 if denom == 0 else 2.0 * tp / denom


def _best_f1(y: NDArray, s: NDArray) -> tuple[float, float]:
    if not (y == 1.0).any():
        return float("nan"), float("nan")
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, s)
    precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(scores))
    return float(scores[best]), float(thresholds[best])


# --------------------------------------------------------------------------- registry and bundles

MetricFn = Callable[[ArrayLike, ArrayLike], float]

#: name → function(y_true, y_pred_or_score) -> float. Names match the keys of the bundles below.
METRICS: dict[str, MetricFn] = {
    "mse": mse,
    "rmse": rmse,
    "ci": concordance_index,
    "rm2": rm2,
    "pearson": pearson,
    "spearman": spearman,
    "auroc": auroc,
    "auprc": auprc,
    "accuracy": accuracy,
    "f1": f1,
}

#: metrics where a larger value is better (used for model selection on validation data)
HIGHER_IS_BETTER: dict[str, bool] = {
    "mse": False,
    "rmse": False,
    "ci": True,
    "rm2": True,
    "pearson": True,
    "spearman": True,
    "auroc": True,
    "auprc": True,
    "accuracy": True,
    "f1": True,
}


def regression_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, float]:
    """The DTA regression bundle: mse, rmse, ci, rm2, pearson, spearman (validated once)."""
    y, p = _check_pair(y_true, y_pred)
    return {name: METRICS[name](y, p) for name in ("mse", "rmse", "ci", "rm2", "pearson", "spearman")}


def classification_metrics(y_true: ArrayLike, score: ArrayLike, threshold: float = 0.5) -> dict[str, float]:
    """auroc, auprc, accuracy and f1 at ``threshold``, plus the best F1 over thresholds and where it is.

    ``best_f1``/``best_f1_threshold`` are chosen on the data passed in, so they are optimistic on a test
    set: select the threshold on validation data and pass it back as ``threshold`` for an honest number.
    """
    y, s = _check_binary(y_true, score)
    best, best_thr = _best_f1(y, s)
    return {
        "auroc": auroc(y, s),
        "auprc": auprc(y, s),
        "accuracy": accuracy(y, s, threshold),
        "f1": f1(y, s, threshold),
        "best_f1": best,
        "best_f1_threshold": best_thr,
    }

"""The paper's evaluation protocol (class-balanced down-sampling, stratified 90/10 split, many repeats) and
stricter grouped variants, run in parallel over repeats.

Why repeats: with ~2,100 balanced drugs a single 10 % test set holds ~214 drugs, so one split's AUROC moves by
+-0.03; the paper averages 1,000 repeats. Each repeat ``i`` down-samples the majority class with seed ``i`` and
splits with seed ``i + 1`` (as upstream ``run_ml.py``); every feature group and model sees the same repeat ``i``
split, so groups are compared on identical test sets.

Metrics per repeat: ``auroc``; ``auprc`` (average precision, approved = positive, the drugloop convention);
``auprc_paper`` (the paper's figure: trapezoidal area under precision-recall with *unapproved* as the positive
class, as upstream ``run_ml.py`` computes it); ``brier`` (on the approval probability).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from drugloop.errors import InputError

log = logging.getLogger(__name__)

SplitKind = Literal["random", "target_group", "scaffold"]
METRICS = ("auroc", "auprc", "auprc_paper", "brier")


def balanced_indices(y: NDArray[np.integer], seed: int) -> NDArray[np.intp]:
    """Row positions of a class-balanced subsample: all of the minority class, as many of the majority (random)."""
    y = np.asarray(y)
    pos = np.flatnonzero(y == 1)
    neg = np.flatnonzero(y == 0)
    if len(pos) == 0 or len(neg) == 0:
        raise InputError("balanced down-sampling needs both classes")
    rng = np.random.default_rng(seed)
    n = min(len(pos), len(neg))
    pos = pos if len(pos) == n else np.sort(rng.choice(pos, n, replace=False))
    neg = neg if len(neg) == n else np.sort(rng.choice(neg, n, replace=False))
    return np.sort(np.concatenate([pos, neg]))


def stratified_split(
    idx: NDArray[np.intp], y: NDArray[np.integer], seed: int, test_size: float = 0.1
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Stratified train/test split of ``idx`` (positions into ``y``); the test part keeps the class ratio."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for cls in (0, 1):
        members = idx[np.asarray(y)[idx] == cls]
        members = rng.permutation(members)
        k = int(round(test_size * len(members)))
        test.append(members[:k])
        train.append(members[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def grouped_split(
    idx: NDArray[np.intp], y: NDArray[np.integer], groups: NDArray[Any], seed: int, test_size: float = 0.1
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Split ``idx`` so that no group has members on both sides; groups are drawn in random order per class
    (by the group's majority label) until each class has its share of the test set, keeping it near balanced."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    g = np.asarray(groups)[idx]
    uniq, inverse = np.unique(g, return_inverse=True)
    size = np.bincount(inverse)
    pos = np.bincount(inverse, weights=y[idx])
    majority = (pos * 2 >= size).astype(int)
    target = {cls: test_size * float(np.sum(y[idx] == cls)) for cls in (0, 1)}
    in_test = np.zeros(len(uniq), dtype=bool)
    for cls in (0, 1):
        filled = 0.0
        for gi in rng.permutation(np.flatnonzero(majority == cls)):
            if filled >= target[cls]:
                break
            in_test[gi] = True
            filled += size[gi] if cls == 1 else size[gi] - pos[gi]
    mask = in_test[inverse]
    return np.sort(idx[~mask]), np.sort(idx[mask])


def repeat_split(
    y: NDArray[np.integer],
    repeat: int,
    split: SplitKind = "random",
    groups: NDArray[Any] | None = None,
    test_size: float = 0.1,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(train, test) positions for repeat ``repeat``: balance with seed ``repeat``, split with ``repeat + 1``."""
    idx = balanced_indices(y, repeat)
    if split == "random":
        return stratified_split(idx, y, repeat + 1, test_size)
    if groups is None:
        raise InputError(f"split {split!r} needs groups")
    return grouped_split(idx, y, groups, repeat + 1, test_size)


def paper_auprc(y: NDArray[np.integer], p_approved: NDArray[np.floating]) -> float:
    """AUPRC as the paper computed it: trapezoidal area under PR with unapproved as the positive class."""
    from sklearn.metrics import auc, precision_recall_curve

    precision, recall, _ = precision_recall_curve(1 - np.asarray(y), 1.0 - np.asarray(p_approved))
    return float(auc(recall, precision))


def score(y: NDArray[np.integer], p: NDArray[np.floating]) -> dict[str, float]:
    """The per-repeat metrics (see module docstring)."""
    from drugloop.evaluate.metrics import auprc, auroc

    y = np.asarray(y)
    p = np.asarray(p, dtype=float)
    return {
        "auroc": auroc(y, p),
        "auprc": auprc(y, p),
        "auprc_paper": paper_auprc(y, p),
        "brier": float(np.mean((p - y) ** 2)),
    }


#: fit(X_train, y_train, seed) -> predict_proba(X) for the approved class
FitPredict = Callable[
    [NDArray[np.floating], NDArray[np.integer], NDArray[np.floating], int], NDArray[np.floating]
]


@dataclass
class ProtocolResult:
    """Per-group metric lists (one value per repeat) plus pooled test predictions for calibration plots."""

    metrics: dict[str, dict[str, list[float]]]
    repeats: list[int]
    test_sizes: list[int]
    wall_seconds: float
    pooled: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, float]]:
        return {g: {m: float(np.mean(v)) for m, v in ms.items()} for g, ms in self.metrics.items()}


def _one_repeat(args: tuple[Any, ...]) -> tuple[int, int, dict[str, dict[str, float]], dict[str, Any]]:
    X, y, groups, feature_sets, fit_predict, repeat, split, test_size = args
    train, test = repeat_split(y, repeat, split, groups, test_size)
    if np.intersect1d(train, test).size:
        raise AssertionError("train and test overlap")  # guarded by construction; checked in tests
    out: dict[str, dict[str, float]] = {}
    preds: dict[str, Any] = {}
    for name, cols in feature_sets.items():
        p = fit_predict(X[np.ix_(train, cols)], y[train], X[np.ix_(test, cols)], repeat)
        out[name] = score(y[test], p)
        preds[name] = (test.tolist(), np.asarray(p, float).tolist())
    return repeat, len(test), out, preds


def run_protocol(
    X: NDArray[np.floating],
    y: NDArray[np.integer],
    feature_sets: Mapping[str, Sequence[int]],
    fit_predict: FitPredict,
    repeats: int | Sequence[int] = 1000,
    *,
    split: SplitKind = "random",
    groups: NDArray[Any] | None = None,
    test_size: float = 0.1,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    pool: Executor | None = None,
) -> ProtocolResult:
    """Run the balanced-repeat protocol for every feature set; repeats run in ``jobs`` worker processes.

    ``fit_predict`` must be picklable (a module-level function or ``functools.partial``) when ``jobs > 1``.
    ``pool``: an executor to reuse across calls (worker start-up and JIT loading are paid once).
    """
    repeat_ids = list(range(repeats)) if isinstance(repeats, int) else [int(r) for r in repeats]
    if not repeat_ids:
        raise InputError("repeats must be >= 1")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(int)
    sets = {k: list(v) for k, v in feature_sets.items()}
    tasks = [(X, y, groups, sets, fit_predict, r, split, test_size) for r in repeat_ids]
    t0 = time.perf_counter()
    results: list[tuple[int, int, dict[str, dict[str, float]], dict[str, Any]]] = []
    if pool is not None:
        for res in pool.map(_one_repeat, tasks, chunksize=1):
            results.append(res)
            if progress:
                progress(len(results), len(tasks))
    elif jobs <= 1:
        for t in tasks:
            results.append(_one_repeat(t))
            if progress:
                progress(len(results), len(tasks))
    else:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for res in pool.map(_one_repeat, tasks, chunksize=1):
                results.append(res)
                if progress:
                    progress(len(results), len(tasks))
    results.sort(key=lambda r: r[0])
    metrics = {name: {m: [r[2][name][m] for r in results] for m in METRICS} for name in sets}
    pooled: dict[str, tuple[list[int], list[float]]] = {name: ([], []) for name in sets}
    for r in results:
        for name, (rows, probs) in r[3].items():
            pooled[name][0].extend(rows)
            pooled[name][1].extend(probs)
    return ProtocolResult(
        metrics=metrics,
        repeats=[r[0] for r in results],
        test_sizes=[r[1] for r in results],
        wall_seconds=time.perf_counter() - t0,
        pooled=pooled,
    )

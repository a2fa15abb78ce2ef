"""Evaluation protocols: repeat over seeds and cross-validate, collecting metrics for :func:`write_result`.

Both return ``{metric: [value per run]}``, the shape :func:`drugloop.evaluate.results.write_result` takes,
so the spread over seeds or folds is always reported, never only the best run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from drugloop.errors import InputError

__all__ = ["collect", "cross_validate", "fold_indices", "repeat_over_seeds"]

MetricDict = Mapping[str, float]


def collect(runs: Sequence[MetricDict]) -> dict[str, list[float]]:
    """Stack per-run metric dicts into ``{metric: [values]}``; every run must report the same metrics."""
    if not runs:
        raise InputError("no runs to collect metrics from")
    keys = list(runs[0])
    out: dict[str, list[float]] = {k: [] for k in keys}
    for i, run in enumerate(runs):
        if set(run) != set(keys):
            raise InputError(
                f"run {i} reports metrics {sorted(run)} but run 0 reported {sorted(keys)}; "
                "every run must report the same metrics"
            )
        for k in keys:
            out[k].append(float(run[k]))
    return out


def repeat_over_seeds(fn: Callable[[int], MetricDict], seeds: Sequence[int]) -> dict[str, list[float]]:
    """Run ``fn(seed)`` for each seed and collect its metrics, to report mean and spread, not one lucky run."""
    seeds = list(seeds)
    if not seeds:
        raise InputError("repeat_over_seeds needs at least one seed")
    if len(set(seeds)) != len(seeds):
        raise InputError(f"seeds repeat: {seeds}; repeated seeds understate the spread")
    return collect([fn(int(s)) for s in seeds])


def fold_indices(
    folds: ArrayLike, val: Literal["next", "none"] = "next"
) -> list[tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]]:
    """(train, val, test) row positions for each fold of a fold-id vector (as from :func:`kfold`).

    Fold ``k`` is the test set; with ``val="next"`` fold ``(k + 1) % K`` is held out for validation
    (early stopping, model selection) so nothing is selected on the test fold; ``val="none"`` gives an
    empty validation set. Rows with a negative fold id (e.g. ``-1``: unused in a cold_both k-fold) are
    left out of every set.
    """
    ids = np.asarray(folds)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise InputError("folds must be a one-dimensional vector of integer fold ids")
    if val not in ("next", "none"):
        raise InputError(f"val must be 'next' or 'none', got {val!r}")
    fold_ids = np.unique(ids[ids >= 0])
    min_folds = 3 if val == "next" else 2
    if fold_ids.size < min_folds:
        raise InputError(f"need at least {min_folds} folds for val={val!r}, got {fold_ids.size}")
    out = []
    for i, k in enumerate(fold_ids):
        test = np.flatnonzero(ids == k)
        if val == "next":
            v = fold_ids[(i + 1) % fold_ids.size]
            valid = np.flatnonzero(ids == v)
            train = np.flatnonzero((ids >= 0) & (ids != k) & (ids != v))
        else:
            valid = np.empty(0, dtype=np.intp)
            train = np.flatnonzero((ids >= 0) & (ids != k))
        out.append((train, valid, test))
    return out


def cross_validate(
    fn: Callable[[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]], MetricDict],
    folds: ArrayLike,
    val: Literal["next", "none"] = "next",
) -> dict[str, list[float]]:
    """Call ``fn(train_idx, val_idx, test_idx)`` once per precomputed fold and collect the test metrics.

    Generic over how folds were made (random, cold, scaffold: see :func:`drugloop.data.splits.kfold`);
    indices are row positions. See :func:`fold_indices` for how validation folds are chosen.
    """
    return collect([fn(train, valid, test) for train, valid, test in fold_indices(folds, val)])

"""Binding-region and binding-residue metrics: interval IoU, AP at an IoU threshold, top-n success, per-residue scores.

Conventions: a region is a half-open, 0-based residue interval ``(start, end)`` (``end`` exclusive, so ``end`` may
equal the sequence length, as in the HoTS files); a scored prediction is ``(start, end, score)``. Lengths and
IoUs are in residues: IoU((0, 10), (5, 15)) = 5 / 15.

- ``average_precision``: object-detection AP pooled over all samples (as HoTS and PASCAL VOC do). Every prediction
  of every sample is ranked by score; a prediction is a true positive when it overlaps a not-yet-matched true
  region of its own sample with IoU >= ``iou``; AP is the area under the precision envelope (all-point
  interpolation). Samples with no prediction still count their true regions in the recall denominator.
- ``top_n_success``: per sample, keep the n best-scored predictions, n = number of true regions of that sample,
  match them one-to-one to true regions at IoU >= ``iou``; the rate is matched true regions / all true regions
  (pooled, the ligand-site "top-n" rate of COACH/HOLO4K benchmarks).
- ``residue_metrics``: AUROC, AUPRC, MCC, F1, precision and recall over all residues of all proteins pooled.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from drugloop.errors import InputError

__all__ = [
    "Interval",
    "ScoredInterval",
    "average_precision",
    "best_threshold",
    "interval_iou",
    "iou_matrix",
    "match_regions",
    "mcc",
    "region_metrics",
    "regions_from_mask",
    "regions_from_residues",
    "residue_metrics",
    "top_n_success",
]

Interval = tuple[int, int]
ScoredInterval = tuple[int, int, float]


def _check_interval(region: Sequence[float], what: str = "region") -> tuple[int, int]:
    if len(region) < 2:
        raise InputError(f"a {what} needs (start, end), got {region!r}")
    start, end = int(region[0]), int(region[1])
    if end < start:
        raise InputError(f"{what} {region!r} ends before it starts")
    return start, end


def interval_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two half-open intervals (0.0 when disjoint or both empty)."""
    a0, a1 = _check_interval(a)
    b0, b1 = _check_interval(b)
    inter = max(0, min(a1, b1) - max(a0, b0))
    union = (a1 - a0) + (b1 - b0) - inter
    return inter / union if union > 0 else 0.0


def iou_matrix(pred: Sequence[Sequence[float]], true: Sequence[Sequence[float]]) -> np.ndarray:
    """IoU of every predicted region (rows) against every true region (columns)."""
    if not len(pred) or not len(true):
        return np.zeros((len(pred), len(true)))
    p = np.array([_check_interval(r) for r in pred], dtype=np.float64)
    t = np.array([_check_interval(r) for r in true], dtype=np.float64)
    inter = np.clip(
        np.minimum(p[:, None, 1], t[None, :, 1]) - np.maximum(p[:, None, 0], t[None, :, 0]), 0, None
    )
    union = (p[:, 1] - p[:, 0])[:, None] + (t[:, 1] - t[:, 0])[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def _ranked(pred: Iterable[Sequence[float]]) -> list[ScoredInterval]:
    out = []
    for r in pred:
        start, end = _check_interval(r, "prediction")
        if len(r) < 3:
            raise InputError(f"a scored prediction needs (start, end, score), got {r!r}")
        out.append((start, end, float(r[2])))
    return sorted(out, key=lambda r: -r[2])  # stable: ties keep input order


def match_regions(
    pred: Sequence[Sequence[float]], true: Sequence[Sequence[float]], iou: float = 0.5
) -> list[bool]:
    """Greedy matching in descending score order: for each prediction, True when it takes an unmatched true region
    with IoU >= ``iou`` (the best-overlapping one). Returned in the score order of the predictions."""
    ranked = _ranked(pred)
    m = iou_matrix([r[:2] for r in ranked], true)
    taken = np.zeros(len(true), dtype=bool)
    hits = []
    for i in range(len(ranked)):
        row = np.where(taken, -1.0, m[i]) if len(true) else np.empty(0)
        j = int(np.argmax(row)) if len(row) else -1
        if j >= 0 and row[j] >= iou - 1e-12:
            taken[j] = True
            hits.append(True)
        else:
            hits.append(False)
    return hits


def _check_samples(preds: Sequence, trues: Sequence) -> None:
    if len(preds) != len(trues):
        raise InputError(f"{len(preds)} prediction lists for {len(trues)} samples")


def average_precision(
    preds: Sequence[Sequence[Sequence[float]]],
    trues: Sequence[Sequence[Sequence[float]]],
    iou: float = 0.5,
) -> float:
    """Pooled object-detection AP at IoU >= ``iou`` (all-point interpolated); NaN when no sample has a true region."""
    _check_samples(preds, trues)
    n_true = sum(len(t) for t in trues)
    if n_true == 0:
        return float("nan")
    scored: list[tuple[float, bool]] = []
    for pred, true in zip(preds, trues, strict=True):
        ranked = _ranked(pred)
        scored += [(r[2], hit) for r, hit in zip(ranked, match_regions(ranked, true, iou), strict=True)]
    if not scored:
        return 0.0
    scores = np.array([s for s, _ in scored])
    hits = np.array([h for _, h in scored], dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(hits[order])
    precision = tp / np.arange(1, len(order) + 1)
    recall = tp / n_true
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(steps * envelope))


def top_n_success(
    preds: Sequence[Sequence[Sequence[float]]],
    trues: Sequence[Sequence[Sequence[float]]],
    iou: float = 0.5,
) -> float:
    """Share of true regions found among each sample's n best predictions (n = its number of true regions)."""
    _check_samples(preds, trues)
    n_true = sum(len(t) for t in trues)
    if n_true == 0:
        return float("nan")
    found = 0
    for pred, true in zip(preds, trues, strict=True):
        top = _ranked(pred)[: len(true)]
        found += sum(match_regions(top, true, iou))
    return found / n_true


def region_metrics(
    preds: Sequence[Sequence[Sequence[float]]],
    trues: Sequence[Sequence[Sequence[float]]],
    ious: Sequence[float] = (0.3, 0.5, 0.7),
) -> dict[str, float]:
    """AP and top-n success at each IoU threshold, plus counts: ``ap@0.5``, ``top_n@0.5``, ..."""
    out: dict[str, float] = {}
    for t in ious:
        out[f"ap@{t:g}"] = average_precision(preds, trues, t)
        out[f"top_n@{t:g}"] = top_n_success(preds, trues, t)
    out["n_samples"] = float(len(trues))
    out["n_true_regions"] = float(sum(len(t) for t in trues))
    out["n_predicted_regions"] = float(sum(len(p) for p in preds))
    return out


def regions_from_residues(positions: Iterable[int], length: int, pad: int = 5) -> list[Interval]:
    """HoTS' binding-region rule: each binding residue i becomes [i - pad, i + pad) clipped to the sequence, and
    overlapping windows merge. (This reproduces every region of BR_test_dataset_1 and BR_validation_dataset.)"""
    if length < 0 or pad < 0:
        raise InputError("length and pad must be non-negative")
    out: list[list[int]] = []
    for i in sorted(set(int(p) for p in positions)):
        if not 0 <= i < length:
            raise InputError(f"residue position {i} outside 0..{length - 1}")
        start, end = max(0, i - pad), min(length, i + pad)
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def regions_from_mask(mask: ArrayLike) -> list[Interval]:
    """Runs of True in a boolean per-residue mask as half-open intervals."""
    m = np.asarray(mask, dtype=bool).ravel()
    if not m.size:
        return []
    edges = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


# --------------------------------------------------------------------------- per residue


def mcc(y_true: ArrayLike, pred: ArrayLike) -> float:
    """Matthews correlation of two 0/1 vectors; 0.0 when a margin is empty (the usual convention)."""
    y = np.asarray(y_true, dtype=bool).ravel()
    p = np.asarray(pred, dtype=bool).ravel()
    if y.shape != p.shape:
        raise InputError(f"mcc: {y.size} labels but {p.size} predictions")
    tp = float(np.sum(y & p))
    tn = float(np.sum(~y & ~p))
    fp = float(np.sum(~y & p))
    fn = float(np.sum(y & ~p))
    denom = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / denom if denom > 0 else 0.0


def _flatten(labels: Sequence[ArrayLike], scores: Sequence[ArrayLike]) -> tuple[np.ndarray, np.ndarray]:
    if len(labels) != len(scores):
        raise InputError(f"{len(labels)} label vectors for {len(scores)} score vectors")
    ys, ss = [], []
    for i, (y, s) in enumerate(zip(labels, scores, strict=True)):
        y, s = np.asarray(y, dtype=np.float64).ravel(), np.asarray(s, dtype=np.float64).ravel()
        if y.shape != s.shape:
            raise InputError(f"protein {i}: {y.size} labels but {s.size} scores")
        ys.append(y)
        ss.append(s)
    if not ys:
        raise InputError("no proteins to score")
    y, s = np.concatenate(ys), np.concatenate(ss)
    if not np.isin(y, (0.0, 1.0)).all():
        raise InputError("residue labels must be 0/1")
    if np.isnan(s).any():
        raise InputError("residue scores contain NaN")
    return y, s


def best_threshold(labels: Sequence[ArrayLike], scores: Sequence[ArrayLike], metric: str = "mcc") -> float:
    """The score threshold (from a grid of quantiles) that maximises ``metric`` (mcc or f1) over pooled residues.

    Pick it on validation data, then apply it unchanged to the test set."""
    from drugloop.evaluate.metrics import f1

    y, s = _flatten(labels, scores)
    grid = np.unique(np.quantile(s, np.linspace(0.5, 0.995, 100)))
    fn = (lambda t: mcc(y, s >= t)) if metric == "mcc" else (lambda t: f1(y, s, threshold=t))
    if metric not in {"mcc", "f1"}:
        raise InputError(f"metric must be 'mcc' or 'f1', not {metric!r}")
    values = [fn(t) for t in grid]
    return float(grid[int(np.argmax(values))])


def residue_metrics(
    labels: Sequence[ArrayLike], scores: Sequence[ArrayLike], threshold: float = 0.5
) -> dict[str, float]:
    """Pooled per-residue AUROC, AUPRC and, at ``score >= threshold``, MCC, F1, precision and recall."""
    from drugloop.evaluate.metrics import auprc, auroc, f1

    y, s = _flatten(labels, scores)
    pred = s >= threshold
    pos = y == 1.0
    tp = float(np.sum(pred & pos))
    return {
        "auroc": auroc(y, s),
        "auprc": auprc(y, s),
        "mcc": mcc(pos, pred),
        "f1": f1(y, s, threshold=threshold),
        "precision": tp / float(pred.sum()) if pred.any() else 0.0,
        "recall": tp / float(pos.sum()) if pos.any() else float("nan"),
        "threshold": float(threshold),
        "n_residues": float(y.size),
        "n_binding": float(pos.sum()),
    }

"""Plots of the design engine: a run's learning curve and the DMTA benchmark's hit-discovery curves (Agg PNGs)."""

from __future__ import annotations

import heapq
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from drugloop.design.ledger import Ledger
from drugloop.utils.io import atomic_write_bytes

__all__ = ["dmta_curves_png", "learning_curve_bytes", "learning_curve_png", "running_top_k_mean"]


def _png(fig: object) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buffer.getvalue()


def running_top_k_mean(scores: np.ndarray, k: int = 10) -> np.ndarray:
    """Mean of the best ``k`` scores seen after each call (fewer while fewer than ``k`` are in), in O(n log k)."""
    heap: list[float] = []
    total = 0.0
    out = np.empty(len(scores))
    for i, s in enumerate(np.asarray(scores, dtype=float)):
        if len(heap) < k:
            heapq.heappush(heap, s)
            total += s
        elif s > heap[0]:
            total += s - heapq.heapreplace(heap, s)
        out[i] = total / len(heap)
    return out


def learning_curve_bytes(scores: np.ndarray, title: str | None = None) -> bytes:
    """Per-call scores, running best and running top-10 mean against compounds made and tested, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = np.asarray(scores, dtype=float)
    calls = np.arange(1, len(scores) + 1)
    best = np.maximum.accumulate(scores) if len(scores) else scores
    fig, ax = plt.subplots(figsize=(7, 3.8), dpi=115)
    ax.scatter(calls, scores, s=4, alpha=0.3, color="#999", label="each compound")
    ax.plot(calls, best, color="#c0392b", label="best so far")
    ax.plot(calls, running_top_k_mean(scores, 10), color="#1f6fd1", label="top-10 mean")
    ax.set_xlabel("compounds made and tested (oracle calls)")
    ax.set_ylabel("objective (0-1)")
    ax.set_ylim(0, 1.02)
    if title:
        ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def learning_curve_png(ledger: Ledger, path: str | Path, title: str | None = None) -> Path:
    """The learning curve of a ledger, written atomically to ``path``."""
    return atomic_write_bytes(
        path, learning_curve_bytes(ledger.scores, title or "design loop learning curve")
    )


def dmta_curves_png(
    curves: Mapping[str, Sequence[Sequence[tuple[float, float]]]], path: str | Path, title: str = ""
) -> Path:
    """Median (and interquartile band) over runs of the fraction of hits found against the fraction tested.

    ``curves`` maps a method to its runs, each a list of (fraction tested, fraction of hits found) points; every
    run is interpolated onto one grid so targets of different library sizes can be pooled. The benchmark stops a
    run once half the hits are found and 10 % is tested; after that its last value is carried forward, which is a
    lower bound (hits found never decrease), so the flat tails understate, never overstate, a method.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(0.0, 0.5, 201)
    fig, ax = plt.subplots(figsize=(6.5, 4.2), dpi=115)
    for method, runs in curves.items():
        if not runs:
            continue
        ys = np.stack(
            [
                np.interp(grid, [p[0] for p in run], [p[1] for p in run], left=0.0, right=run[-1][1])
                for run in runs
            ]
        )
        lo, mid, hi = np.percentile(ys, [25, 50, 75], axis=0)
        (line,) = ax.plot(grid, mid, label=f"{method} (n={len(runs)})")
        ax.fill_between(grid, lo, hi, alpha=0.15, color=line.get_color())
    ax.axhline(0.5, color="#444", lw=0.8, ls="--")
    ax.axvline(0.10, color="#444", lw=0.8, ls=":")
    ax.set_xlabel("fraction of the library made and tested")
    ax.set_ylabel("fraction of the hits found")
    ax.set_xlim(0, 0.5)
    ax.set_ylim(0, 1)
    ax.set_title(
        title
        or "retrospective DMTA: median over runs (band: IQR)\nstopped runs carry their last value (a lower bound)",
        fontsize=10,
    )
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return atomic_write_bytes(path, _png(fig))


def pmo_tasks_png(
    per_method: Mapping[str, Mapping[str, Mapping[str, object]]],
    path: str | Path,
    published: Mapping[str, float] | None = None,
) -> Path:
    """Per PMO task, each method's mean AUC top-10 (whiskers: sd over seeds), with each method's sum in the legend.

    ``per_method`` is ``aggregate_pmo``'s summary (method → {"per_task": {task: {"mean", "sd", "n_seeds"}}}).
    Methods are ordered by their sum, tasks by the best method's means, so where a method wins or loses is easy to see.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def total(method: str) -> float:
        return float(sum(float(c["mean"]) for c in per_method[method]["per_task"].values()))

    methods = sorted((m for m in per_method if per_method[m].get("per_task")), key=total, reverse=True)
    if not methods:
        raise ValueError("no PMO runs to plot")
    first = per_method[methods[0]]["per_task"]
    tasks = sorted(
        {t for m in methods for t in per_method[m]["per_task"]}, key=lambda t: first.get(t, {}).get("mean", 0)
    )
    height = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(7.5, 0.36 * len(tasks) + 1.6), dpi=110)
    for i, method in enumerate(methods):
        cells = per_method[method]["per_task"]
        ys = np.arange(len(tasks)) + ((len(methods) - 1) / 2 - i) * height  # first method on top
        means = [float(cells[t]["mean"]) if t in cells else np.nan for t in tasks]
        sds = [float(cells[t]["sd"] or 0.0) if t in cells else 0.0 for t in tasks]
        seeds = sorted({int(cells[t]["n_seeds"]) for t in cells})
        label = f"{method}: sum {np.nansum(means):.2f} over {int(np.sum(~np.isnan(means)))} tasks, {'/'.join(map(str, seeds))} seed(s)"
        ax.barh(ys, means, height=height, xerr=sds, label=label, error_kw={"lw": 0.7, "capsize": 1.5})
    ax.set_yticks(np.arange(len(tasks)), tasks, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("AUC of the top-10 mean score over oracle calls (normalised)")
    title = "PMO, 10,000 oracle calls: mean over seeds (whiskers: sd)"
    if published:
        title += "\npublished sums over these 20 tasks: " + ", ".join(
            f"{k} {v:.1f}" for k, v in published.items()
        )
    ax.set_title(title, fontsize=9)
    ax.legend(loc="lower right", fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return atomic_write_bytes(path, _png(fig))

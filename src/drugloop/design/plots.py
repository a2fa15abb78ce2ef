"""Learning-curve plot of a design run: best score and top-10 mean against oracle calls (matplotlib, Agg)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from drugloop.design.ledger import Ledger
from drugloop.utils.io import atomic_write_bytes

__all__ = ["learning_curve_png"]


def learning_curve_png(ledger: Ledger, path: str | Path, title: str | None = None) -> Path:
    """Plot the running best, running top-10 mean and per-call scores of a ledger; write a PNG atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = ledger.scores
    calls = np.arange(1, len(scores) + 1)
    best = np.maximum.accumulate(scores) if len(scores) else scores
    top10 = np.array([np.sort(scores[: i + 1])[::-1][:10].mean() for i in range(len(scores))])
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    ax.scatter(calls, scores, s=2, alpha=0.25, color="grey", label="scored molecule")
    ax.plot(calls, best, color="tab:red", label="best so far")
    ax.plot(calls, top10, color="tab:blue", label="top-10 mean")
    ax.set_xlabel("oracle calls (compounds made and tested)")
    ax.set_ylabel("score")
    ax.set_ylim(0, 1.02)
    ax.set_title(title or "design loop learning curve")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return atomic_write_bytes(path, buffer.getvalue())

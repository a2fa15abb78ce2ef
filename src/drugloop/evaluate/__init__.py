"""Evaluation: metrics, protocols (seeds, cross-validation) and the benchmark result format."""

from __future__ import annotations

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
from drugloop.evaluate.protocols import cross_validate, fold_indices, repeat_over_seeds
from drugloop.evaluate.results import (
    git_commit,
    hardware_info,
    read_result,
    summarize,
    write_result,
    write_run_metadata,
)

__all__ = [
    "METRICS",
    "auprc",
    "auroc",
    "classification_metrics",
    "concordance_index",
    "cross_validate",
    "fold_indices",
    "git_commit",
    "hardware_info",
    "mse",
    "pearson",
    "read_result",
    "regression_metrics",
    "repeat_over_seeds",
    "rm2",
    "rmse",
    "spearman",
    "summarize",
    "write_result",
    "write_run_metadata",
]

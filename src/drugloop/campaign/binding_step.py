"""The campaign's binding model: trained on the shipped data with an honest held-out estimate, or loaded.

A campaign asks "how strongly will *new* compounds bind *this* target", so the estimate that matters is cold-drug
(compounds never seen in training) when the target is in the training data, and cold-target when it is not. The
model used for design is the one that was scored on that held-out part, so the number in the report is the
accuracy of the very model behind the designs, not of a sibling trained on more data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drugloop.binding.base import BindingModel, load_model
from drugloop.campaign.target import Target
from drugloop.errors import InputError

log = logging.getLogger(__name__)


@dataclass
class BindingStep:
    model: BindingModel
    model_dir: Path
    dataset: str
    unit: str
    split: str
    metrics: dict[str, Any] = field(default_factory=dict)
    held_out: pd.DataFrame | None = None


def choose_dataset(target: Target) -> tuple[str, str]:
    """DAVIS (pKd) when the target is there or unknown (kinase panel), KIBA when only KIBA measures it."""
    if target.davis_ids or not target.kiba_ids:
        return "davis", "pKd"
    return "kiba", "KIBA score"


def train_binding(target: Target, out: Path, *, seed: int, ensemble: int, n_estimators: int) -> BindingStep:
    """Fit a LightGBM ensemble on the chosen data set, hold out 10% of drugs (or of targets) to report on."""
    from drugloop.binding.lgbm import LGBMBindingModel
    from drugloop.binding.pairs import load_named
    from drugloop.data.splits import split_pairs
    from drugloop.evaluate.metrics import regression_metrics, spearman

    dataset, unit = choose_dataset(target)
    pairs = load_named(dataset)
    ids = target.davis_ids if dataset == "davis" else target.kiba_ids
    kind = "cold_drug" if ids else "cold_target"
    part = split_pairs(pairs, kind=kind, fractions=(0.8, 0.1, 0.1), seed=seed)
    train, valid, test = pairs[part == "train"], pairs[part == "val"], pairs[part == "test"]
    model = LGBMBindingModel(task="regression", seed=seed, ensemble=ensemble, n_estimators=n_estimators)
    model.fit(train, valid)
    pred = model.predict(test)
    metrics: dict[str, Any] = {
        "split": kind,
        "n_train": len(train),
        "n_test": len(test),
        "test": regression_metrics(test["label"].to_numpy(float), pred["prediction"].to_numpy(float)),
    }
    mine = test["target_id"].isin(ids).to_numpy()
    if mine.sum() >= 3:
        y, p = test.loc[mine, "label"].to_numpy(float), pred.loc[mine, "prediction"].to_numpy(float)
        metrics["this_target"] = {
            "n": int(mine.sum()),
            "spearman": spearman(y, p),
            "rmse": float(np.sqrt(np.mean((y - p) ** 2))),
        }
    from drugloop.binding.train import file_checksums, table_sha256

    model.card.update(
        {
            "data": dataset,
            "label": unit,
            "split": f"{kind} 80/10/10 (seed {seed})",
            "data_sha256": table_sha256(pairs),
            "data_files": file_checksums(dataset, pairs),
        }
    )
    model.card.setdefault("metrics", {})["campaign_holdout"] = metrics
    model_dir = out / "model"
    model.save(model_dir)
    held = pred.assign(held_out_for=kind)[
        ["drug_id", "target_id", "smiles", "label", "prediction", "uncertainty"]
    ]
    return BindingStep(model, model_dir, dataset, unit, kind, metrics, held)


def load_binding(path: str | Path) -> BindingStep:
    """A user's trained model: its card's own metrics are what the report quotes."""
    path = Path(path)
    model = load_model(path)
    if model.task != "regression":
        raise InputError(f"{path} is a {model.task} model; a campaign needs an affinity (regression) model")
    card = model.card
    metrics = card.get("metrics", {})
    if isinstance(metrics, dict) and "campaign_holdout" in metrics:  # a model an earlier campaign trained
        metrics = metrics["campaign_holdout"]
    data = str(card.get("data", card.get("dataset", "unknown")))
    return BindingStep(
        model,
        path,
        data,
        str(card.get("label", "affinity")),
        str(card.get("split", "unknown")),
        metrics if isinstance(metrics, dict) else {},
    )

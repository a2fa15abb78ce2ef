"""What every binding model shares: the task contract, the model card, save/load dispatch and prediction output.

A model is saved as a folder: ``card.json`` (model type, task, label, featurizer settings and versions, training
data checksums, split, metrics) plus the weights in the model library's own format. ``load_model`` reads the card
first, so a folder from a different model type, task or featurizer version fails with one clear ModelError.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from drugloop import __version__
from drugloop.binding.pairs import validate_pairs
from drugloop.errors import InputError, ModelError

log = logging.getLogger(__name__)
CARD = "card.json"
_REGISTRY: dict[str, type[BindingModel]] = {}


def register(cls: type[BindingModel]) -> type[BindingModel]:
    _REGISTRY[cls.model_type] = cls
    return cls


class BindingModel(ABC):
    """scikit-learn-like estimator over pair tables (see ``drugloop.binding.pairs``)."""

    model_type: ClassVar[str]
    featurizer_version: ClassVar[str]

    def __init__(self, task: str = "regression", seed: int = 0) -> None:
        if task not in {"regression", "binary"}:
            raise InputError(f"task must be 'regression' or 'binary', not {task!r}")
        self.task = task
        self.seed = seed
        self.card: dict[str, Any] = {}

    # -- training -------------------------------------------------------------------------------------------
    @abstractmethod
    def _fit(self, train: pd.DataFrame, valid: pd.DataFrame | None) -> None: ...

    @abstractmethod
    def _predict(self, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions (and per-pair spread, when the model has one) for valid rows."""

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame | None = None) -> BindingModel:
        train = self._usable(train, "training")
        self._check_labels(train)
        if valid is not None:
            valid = self._usable(valid, "validation")
            self._check_labels(valid)
        self._fit(train, valid)
        self.card.update(
            {
                "model_type": self.model_type,
                "task": self.task,
                "featurizer_version": self.featurizer_version,
                "drugloop_version": __version__,
                "seed": self.seed,
                "n_train": int(len(train)),
                "n_valid": int(len(valid)) if valid is not None else 0,
            }
        )
        return self

    def _check_labels(self, df: pd.DataFrame) -> None:
        y = df["label"].to_numpy(dtype=float)
        if np.isnan(y).any():
            raise InputError(f"{int(np.isnan(y).sum())} training rows have no label")
        binary = set(np.unique(y)) <= {0.0, 1.0}
        if self.task == "binary" and not binary:
            raise ModelError("a binary interaction model needs 0/1 labels; these look like affinities")
        if self.task == "regression" and binary and len(np.unique(y)) == 2:
            log.warning("labels are all 0/1: did you mean an interaction (binary) model?")

    @staticmethod
    def _usable(df: pd.DataFrame, what: str) -> pd.DataFrame:
        checked = df if "error" in df.columns else validate_pairs(df)
        bad = checked["error"].notna()
        if bad.any():
            log.warning(
                "%d of %d %s rows are unusable and skipped (first: %s)",
                int(bad.sum()),
                len(checked),
                what,
                checked.loc[bad, "error"].iloc[0],
            )
        good = checked.loc[~bad]
        if good.empty:
            raise InputError(f"no usable {what} rows")
        return good

    # -- prediction ------------------------------------------------------------------------------------------
    def predict(self, pairs: pd.DataFrame) -> pd.DataFrame:
        """Return the input rows with ``prediction``, ``uncertainty`` and ``error`` columns, in input order.

        For a binary model the prediction is the interaction probability. Unusable rows get NaN and a reason.
        """
        checked = validate_pairs(pairs)
        out = checked.copy()
        out["prediction"] = np.nan
        out["uncertainty"] = np.nan
        ok = out["error"].isna().to_numpy()
        if ok.any():
            pred, spread = self._predict(checked.loc[ok])
            out.loc[ok, "prediction"] = pred
            if spread is not None:
                out.loc[ok, "uncertainty"] = spread
        n_bad = int((~ok).sum())
        if n_bad:
            log.warning("%d of %d rows could not be predicted; see the 'error' column", n_bad, len(out))
        return out

    # -- persistence -----------------------------------------------------------------------------------------
    @abstractmethod
    def _save_weights(self, folder: Path) -> None: ...

    @abstractmethod
    def _load_weights(self, folder: Path) -> None: ...

    def save(self, folder: str | Path) -> Path:
        from drugloop.utils.io import save_model_folder

        return save_model_folder(folder, self._save_weights, self.card)

    @classmethod
    def load(cls, folder: str | Path) -> BindingModel:
        return load_model(folder)


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def load_model(folder: str | Path) -> BindingModel:
    """Load any saved binding model; the card decides the class and guards against mismatched versions."""
    from drugloop.utils.io import read_model_card

    folder = Path(folder)
    card_path = folder / CARD
    card = read_model_card(card_path, "binding model")
    if card.get("task") not in {"regression", "binary"}:
        raise ModelError(f"{card_path}: damaged model card (no valid 'task')")
    model_type = card.get("model_type")
    cls = _REGISTRY.get(model_type)
    if cls is None:
        _import_models()
        cls = _REGISTRY.get(model_type)
    if cls is None:
        raise ModelError(f"{folder}: unknown model type {model_type!r}; known: {', '.join(_REGISTRY)}")
    if card.get("featurizer_version") != cls.featurizer_version:
        raise ModelError(
            f"{folder}: saved with featurizer version {card.get('featurizer_version')!r}, this drugloop has "
            f"{cls.featurizer_version!r}; retrain the model"
        )
    model = cls.__new__(cls)
    BindingModel.__init__(model, task=card["task"], seed=card.get("seed", 0))
    model.card = card
    model._load_weights(folder)
    return model


def _import_models() -> None:
    """Register every model class that can be imported here (the torch model may be absent or still landing)."""
    import importlib

    for name in ("drugloop.binding.lgbm", "drugloop.binding.deep"):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            log.debug("binding model module %s not importable: %s", name, exc)

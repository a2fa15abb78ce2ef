"""Binding engine: compound-protein affinity (regression) and interaction (binary) models over pair tables.

``train(BindingConfig(...))`` runs a whole job and writes a run folder; ``load_model(folder).predict(pairs)``
scores new pairs, reporting unusable rows per row instead of dropping them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drugloop.binding.base import BindingModel, load_model
from drugloop.binding.config import BindingConfig
from drugloop.binding.train import TrainResult, evaluate, make_model, train

if TYPE_CHECKING:
    from drugloop.binding.lgbm import LGBMBindingModel

__all__ = [
    "BindingConfig",
    "BindingModel",
    "LGBMBindingModel",
    "TrainResult",
    "evaluate",
    "load_model",
    "make_model",
    "train",
]


def __getattr__(name: str) -> Any:
    # lightgbm is imported on first use, so `drugloop --help` stays fast
    if name == "LGBMBindingModel":
        from drugloop.binding.lgbm import LGBMBindingModel

        return LGBMBindingModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Anti-cancer drug response: a pan-drug GDSC model and network-based biomarkers (see docs in the submodules)."""

from __future__ import annotations

from drugloop.response.model import DeepResponseModel, LGBMResponseModel, ResponseModel, load_model
from drugloop.response.train import ResponseConfig, fit_on_split, train

__all__ = [
    "DeepResponseModel",
    "LGBMResponseModel",
    "ResponseConfig",
    "ResponseModel",
    "fit_on_split",
    "load_model",
    "train",
]

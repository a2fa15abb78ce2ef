"""LightGBM on ECFP + protein k-mer features: the fast, strong baseline every deep binding model must beat.

Trees over fixed fingerprints train in a minute on CPU and are hard to beat on warm splits of Davis/KIBA, so they
keep the deep models honest. An ensemble of members that differ only in their bagging/feature-sampling seeds gives
a cheap spread for uncertainty. Weights are LightGBM's own text format (one file per member), readable without
drugloop or pickle.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

# OpenMP threads that spin while waiting turn a busy machine (parallel runs, benchmarks with --jobs) into a 50x
# slowdown; passive waiting costs little when the cores are free. Must be set before libgomp loads; respects the
# user's own setting. (If torch was imported first, its libgomp.so.1 may already be initialised.)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import lightgbm as lgb  # noqa: E402
import numpy as np
import pandas as pd

from drugloop.binding.base import BindingModel, register
from drugloop.binding.features import FEATURIZER_VERSION, FeaturizerParams, PairFeaturizer
from drugloop.errors import InputError, ModelError

log = logging.getLogger(__name__)

#: Sensible for 10^4-10^5 pairs x ~2.8k features on a few cores; early stopping picks the real tree count.
DEFAULT_PARAMS: dict[str, Any] = {
    "n_estimators": 3000,
    "learning_rate": 0.05,
    "num_leaves": 63,
    "max_depth": -1,
    "min_child_samples": 10,
    "colsample_bytree": 0.3,
    "subsample": 0.8,
    "subsample_freq": 1,
    "reg_lambda": 1.0,
    "reg_alpha": 0.0,
    "max_bin": 63,
    "early_stopping_rounds": 100,
    "n_jobs": None,  # None = every core this process may use
}
_LGB_NAMES = {
    "learning_rate": "learning_rate",
    "num_leaves": "num_leaves",
    "max_depth": "max_depth",
    "min_child_samples": "min_data_in_leaf",
    "colsample_bytree": "feature_fraction",
    "subsample": "bagging_fraction",
    "subsample_freq": "bagging_freq",
    "reg_lambda": "lambda_l2",
    "reg_alpha": "lambda_l1",
    "max_bin": "max_bin",
}
FEATURE_PARAMS = ("radius", "n_bits", "descriptors", "kmers")
ProgressFn = Callable[[str, int, int], None]


def available_cores() -> int:
    """CPU cores this process may run on (cgroup/affinity aware where the OS tells us)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@register
class LGBMBindingModel(BindingModel):
    """Gradient-boosted trees on [ECFP counts + descriptors | amino-acid, dipeptide and conjoint-triad k-mers].

    ``params`` override :data:`DEFAULT_PARAMS` (scikit-learn-style names) or the featurizer settings
    (``radius``, ``n_bits``, ``descriptors``, ``kmers``); ``lgb_params`` passes raw LightGBM
    parameters through. Unknown names raise InputError instead of being silently ignored.
    """

    model_type: ClassVar[str] = "lgbm"
    featurizer_version: ClassVar[str] = FEATURIZER_VERSION

    def __init__(
        self,
        task: str = "regression",
        seed: int = 0,
        ensemble: int = 1,
        device: str = "cpu",
        lgb_params: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(task=task, seed=seed)
        if int(ensemble) < 1:
            raise InputError(f"ensemble must be >= 1, not {ensemble}")
        unknown = sorted(set(params) - set(DEFAULT_PARAMS) - set(FEATURE_PARAMS))
        if unknown:
            valid = ", ".join([*DEFAULT_PARAMS, *FEATURE_PARAMS, "lgb_params"])
            raise InputError(f"unknown lgbm parameter(s) {', '.join(unknown)}; valid: {valid}")
        if device == "cuda":
            log.info("the lgbm model trains on CPU; --device cuda applies to the deep model only")
        self.ensemble = int(ensemble)
        self.params = {**DEFAULT_PARAMS, **{k: v for k, v in params.items() if k in DEFAULT_PARAMS}}
        self.lgb_params = dict(lgb_params or {})
        self.featurizer = PairFeaturizer(
            FeaturizerParams.from_dict({k: params[k] for k in FEATURE_PARAMS if k in params})
        )
        self.boosters: list[lgb.Booster] = []
        self.best_iterations: list[int] = []
        self.progress: ProgressFn | None = None

    # -- training -------------------------------------------------------------------------------------------
    def member_seeds(self) -> list[int]:
        """Distinct, reproducible seeds per member (member 0 uses the run seed itself)."""
        return [int(self.seed) + 7919 * m for m in range(self.ensemble)]

    def _lgb_params(self, seed: int) -> dict[str, Any]:
        p = self.params
        out: dict[str, Any] = {
            "objective": "binary" if self.task == "binary" else "regression",
            "metric": "binary_logloss" if self.task == "binary" else "l2",
            "num_threads": int(p["n_jobs"] or available_cores()),
            "deterministic": True,
            "force_col_wise": True,  # many features, few rows: faster than row-wise here
            "verbosity": -1,
            "seed": seed,
            "bagging_seed": seed,
            "feature_fraction_seed": seed,
            "data_random_seed": int(self.seed),  # binning: shared by members so the Dataset is built once
        }
        out.update({_LGB_NAMES[k]: p[k] for k in _LGB_NAMES})
        out.update(self.lgb_params)
        return out

    def _dataset(self, pairs: pd.DataFrame, reference: lgb.Dataset | None = None) -> lgb.Dataset:
        x = self.featurizer.transform(pairs)
        y = pairs["label"].to_numpy(dtype=np.float64)
        base = self._lgb_params(int(self.seed))
        ds = lgb.Dataset(
            x,
            label=y,
            reference=reference,
            feature_name=self.featurizer.feature_names,
            free_raw_data=True,
            params=base,  # dataset-level settings (max_bin, min_data_in_leaf, ...) must match training
        )
        return ds.construct()  # bins now, so the float32 matrix can be freed before training

    def _fit(self, train: pd.DataFrame, valid: pd.DataFrame | None) -> None:
        dtrain = self._dataset(train)
        dvalid = self._dataset(valid, reference=dtrain) if valid is not None else None
        rounds = int(self.params["n_estimators"])
        patience = self.params["early_stopping_rounds"]
        self.boosters, self.best_iterations = [], []
        for member, seed in enumerate(self.member_seeds()):
            callbacks: list[Callable[..., Any]] = []
            if dvalid is not None and patience:
                callbacks.append(lgb.early_stopping(int(patience), first_metric_only=True, verbose=False))
            if self.progress is not None:
                callbacks.append(
                    _progress_callback(self.progress, f"lgbm {member + 1}/{self.ensemble}", rounds)
                )
            booster = lgb.train(
                self._lgb_params(seed),
                dtrain,
                num_boost_round=rounds,
                valid_sets=[dvalid] if dvalid is not None else None,
                valid_names=["valid"] if dvalid else None,
                callbacks=callbacks,
            )
            best = int(booster.best_iteration or booster.current_iteration())
            # keep exactly the trees that a saved copy will have, so in-memory and reloaded predictions match
            self.boosters.append(lgb.Booster(model_str=booster.model_to_string(num_iteration=best)))
            self.best_iterations.append(best)
            log.info("lgbm member %d/%d: %d trees", member + 1, self.ensemble, best)
        self.card.update(self._card_fields())

    def _card_fields(self) -> dict[str, Any]:
        return {
            "params": {k: v for k, v in self.params.items() if k != "n_jobs"},
            "lgb_params": self.lgb_params,
            "featurizer": self.featurizer.params.to_dict(),
            "n_features": self.featurizer.n_features,
            "ensemble": self.ensemble,
            "member_seeds": self.member_seeds(),
            "best_iterations": self.best_iterations,
            "members": [f"member_{m}.txt" for m in range(self.ensemble)],
            "lightgbm_version": lgb.__version__,
        }

    # -- prediction ------------------------------------------------------------------------------------------
    def _predict(self, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        if not self.boosters:
            raise ModelError("the lgbm model is not trained; call fit() or load a saved model")
        means, spreads = [], []
        for x in self.featurizer.iter_chunks(pairs):
            member_preds = np.stack([b.predict(x, num_threads=self._threads()) for b in self.boosters])
            means.append(member_preds.mean(axis=0))
            spreads.append(member_preds.std(axis=0))
        pred = np.concatenate(means) if means else np.zeros(0)
        spread = np.concatenate(spreads) if spreads else np.zeros(0)
        return pred, (spread if len(self.boosters) > 1 else None)

    def _threads(self) -> int:
        return int(self.params.get("n_jobs") or available_cores())

    def feature_importance(self, importance_type: str = "gain") -> pd.Series:
        """Mean importance per feature over members, largest first (what the trees actually use)."""
        if not self.boosters:
            raise ModelError("the lgbm model is not trained")
        imp = np.mean([b.feature_importance(importance_type=importance_type) for b in self.boosters], axis=0)
        return pd.Series(imp, index=self.featurizer.feature_names).sort_values(ascending=False)

    # -- persistence -----------------------------------------------------------------------------------------
    def _save_weights(self, folder: Path) -> None:
        from drugloop.utils.io import atomic_write_text

        if not self.boosters:
            raise ModelError("cannot save an untrained lgbm model")
        self.card.update(self._card_fields())
        for name, booster in zip(self.card["members"], self.boosters, strict=True):
            atomic_write_text(folder / name, booster.model_to_string())  # == booster.save_model's text

    def _load_weights(self, folder: Path) -> None:
        card = self.card
        try:
            self.ensemble = int(card["ensemble"])
            self.params = {**DEFAULT_PARAMS, **card.get("params", {})}
            self.lgb_params = dict(card.get("lgb_params", {}))
            self.featurizer = PairFeaturizer(FeaturizerParams.from_dict(card["featurizer"]))
            self.best_iterations = [int(i) for i in card["best_iterations"]]
            members = list(card["members"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{folder}: damaged lgbm model card ({exc!r})") from None
        self.progress = None
        self.boosters = []
        for name in members:
            path = folder / name
            if not path.is_file():
                raise ModelError(f"{folder}: missing model file {name}")
            try:
                booster = lgb.Booster(model_file=str(path))
            except lgb.basic.LightGBMError as exc:
                raise ModelError(f"{path}: not a readable LightGBM model ({exc})") from None
            if booster.num_feature() != self.featurizer.n_features:
                raise ModelError(
                    f"{path}: expects {booster.num_feature()} features, the featurizer makes "
                    f"{self.featurizer.n_features}"
                )
            self.boosters.append(booster)


def _progress_callback(progress: ProgressFn, label: str, total: int) -> Callable[[Any], None]:
    def callback(env: Any) -> None:
        progress(label, env.iteration + 1, total)

    callback.order = 40  # type: ignore[attr-defined]  # after early stopping's bookkeeping
    return callback

"""Pan-drug response models: cell omics + drug fingerprint -> ln IC50, as a torch network or LightGBM.

Both models see a pair as (row of the cell matrix, row of the drug matrix). The deep model embeds every cell line
and drug of a step once and scores the pairs from the two embeddings, which makes an epoch over GDSC's 66k
training pairs take seconds on one CPU core. A folder holds ``card.json`` (inputs, gene order, feature statistics,
the training drugs and their SMILES, metrics) plus weights in safetensors (deep) or LightGBM's text format.
"""

from __future__ import annotations

import logging
import math
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from drugloop import __version__
from drugloop.errors import InputError, ModelError

log = logging.getLogger(__name__)
CARD = "card.json"
ProgressFn = Callable[[str, int, int], None]
_REGISTRY: dict[str, type[ResponseModel]] = {}


def register(cls: type[ResponseModel]) -> type[ResponseModel]:
    _REGISTRY[cls.model_type] = cls
    return cls


def drug_fingerprints(
    smiles: list[str | None], n_bits: int, radius: int = 2
) -> tuple[np.ndarray, list[str | None]]:
    """ECFP bits as float32 per SMILES plus per-row errors (invalid SMILES -> zero row and a reason)."""
    from drugloop.chem.featurize import ecfp_from_smiles

    x, errors = ecfp_from_smiles(smiles, radius=radius, n_bits=n_bits, dtype=np.float32)
    return x, errors


Split = tuple[np.ndarray, np.ndarray, np.ndarray]  # cell_idx, drug_idx, y


class ResponseModel(ABC):
    """Estimator over index pairs into a cell matrix and a drug matrix; the card carries everything to reuse it."""

    model_type: ClassVar[str]

    def __init__(self, seed: int = 0, **params: Any) -> None:
        self.seed = int(seed)
        self.params = params
        self.card: dict[str, Any] = {}
        self.progress: ProgressFn | None = None

    # -- inputs the card must remember -------------------------------------------------------------------------
    def set_inputs(
        self,
        *,
        feature_names: list[str],
        genes: list[tuple[int, str]],
        omics: list[str],
        train_cells: np.ndarray,
        drugs: dict[str, str],
        n_bits: int,
    ) -> None:
        """Record the input layout and the training-cell statistics used to scale and to fill missing genes."""
        mean = train_cells.mean(axis=0)
        sd = train_cells.std(axis=0)
        sd[sd < 1e-6] = 1.0
        self.card.update(
            {
                "feature_names": feature_names,
                "genes": [[int(e), str(s)] for e, s in genes],
                "omics": list(omics),
                "feature_mean": mean.astype(float).tolist(),
                "feature_sd": sd.astype(float).tolist(),
                "drugs": dict(drugs),
                "n_bits": int(n_bits),
            }
        )

    def scale_cells(self, cells: np.ndarray) -> np.ndarray:
        mean = np.asarray(self.card["feature_mean"], dtype=np.float32)
        sd = np.asarray(self.card["feature_sd"], dtype=np.float32)
        return ((cells - mean) / sd).astype(np.float32)

    # -- estimator API ---------------------------------------------------------------------------------------
    def fit(
        self, cells: np.ndarray, drugs: np.ndarray, train: Split, valid: Split | None = None
    ) -> ResponseModel:
        """Train on ``train`` pairs; ``valid`` (part of the training data) only drives early stopping."""
        if "feature_mean" not in self.card:
            raise ModelError("call set_inputs() before fit(): the card needs the input layout")
        y = np.asarray(train[2], dtype=np.float64)
        if not np.isfinite(y).all():
            raise InputError(f"{int((~np.isfinite(y)).sum())} training labels are missing or infinite")
        start = time.perf_counter()
        x_cells = self.scale_cells(cells)
        self._fit(x_cells, drugs.astype(np.float32), train, valid)
        self.card.update(
            {
                "model_type": self.model_type,
                "drugloop_version": __version__,
                "seed": self.seed,
                "params": self.params,
                "n_train": int(len(y)),
                "n_valid": int(len(valid[2])) if valid is not None else 0,
                "fit_seconds": round(time.perf_counter() - start, 2),
            }
        )
        return self

    def predict(
        self, cells: np.ndarray, drugs: np.ndarray, cell_idx: np.ndarray, drug_idx: np.ndarray
    ) -> np.ndarray:
        """ln IC50 for each (cell_idx, drug_idx) pair; ``cells`` are raw (unscaled) features in card order."""
        if cells.shape[1] != len(self.card["feature_names"]):
            raise ModelError(
                f"cell matrix has {cells.shape[1]} features, the model {len(self.card['feature_names'])}"
            )
        if len(cell_idx) == 0:
            return np.zeros(0)
        return self._predict(
            self.scale_cells(cells), drugs.astype(np.float32), np.asarray(cell_idx), np.asarray(drug_idx)
        )

    @abstractmethod
    def _fit(self, cells: np.ndarray, drugs: np.ndarray, train: Split, valid: Split | None) -> None: ...

    @abstractmethod
    def _predict(
        self, cells: np.ndarray, drugs: np.ndarray, ci: np.ndarray, di: np.ndarray
    ) -> np.ndarray: ...

    # -- persistence -----------------------------------------------------------------------------------------
    @abstractmethod
    def _save_weights(self, folder: Path) -> None: ...

    @abstractmethod
    def _load_weights(self, folder: Path) -> None: ...

    def save(self, folder: str | Path) -> Path:
        from drugloop.utils.io import save_model_folder

        return save_model_folder(folder, self._save_weights, self.card)


def load_model(folder: str | Path) -> ResponseModel:
    """Load a saved response model; the card picks the class and must hold the input layout."""
    from drugloop.utils.io import read_model_card

    folder = Path(folder)
    path = folder / CARD
    card = read_model_card(path, "response model")
    cls = _REGISTRY.get(card.get("model_type"))
    needed = ("feature_names", "genes", "feature_mean", "feature_sd", "drugs", "n_bits", "omics")
    if cls is None or any(k not in card for k in needed):
        raise ModelError(f"{path}: not a response model card (model_type or input layout missing)")
    model = cls(seed=card.get("seed", 0), **card.get("params", {}))
    model.card = card
    model._load_weights(folder)
    return model


# ------------------------------------------------------------------------------------------------ deep model

DEEP_DEFAULTS: dict[str, Any] = {
    "cell_hidden": 384,
    "drug_hidden": 256,
    "embed": 128,
    "head_hidden": 256,
    "dropout": 0.2,
    "lr": 2e-3,
    "weight_decay": 1e-5,
    "batch_size": 2048,
    "max_epochs": 30,
    "patience": 5,
    "ensemble": 5,  # five nets averaged: +0.007 Pearson on GDSC mixed over one net (benchmarks/results/response)
    "threads": 1,
    "device": "auto",
}


def _build_net(n_cell: int, n_drug: int, p: dict[str, Any]) -> Any:
    import torch
    from torch import nn

    class PanDrugNet(nn.Module):
        """Cell MLP and drug MLP to embeddings; their concatenation and product go through an MLP head."""

        def __init__(self) -> None:
            super().__init__()
            d, e = p["dropout"], p["embed"]
            self.cell = nn.Sequential(
                nn.Linear(n_cell, p["cell_hidden"]),
                nn.ReLU(),
                nn.Dropout(d),
                nn.Linear(p["cell_hidden"], e),
                nn.ReLU(),
            )
            self.drug = nn.Sequential(
                nn.Linear(n_drug, p["drug_hidden"]),
                nn.ReLU(),
                nn.Dropout(d),
                nn.Linear(p["drug_hidden"], e),
                nn.ReLU(),
            )
            self.head = nn.Sequential(
                nn.Linear(3 * e, p["head_hidden"]),
                nn.ReLU(),
                nn.Dropout(d),
                nn.Linear(p["head_hidden"], p["head_hidden"] // 2),
                nn.ReLU(),
                nn.Linear(p["head_hidden"] // 2, 1),
            )

        def forward(
            self, cells: torch.Tensor, drugs: torch.Tensor, ci: torch.Tensor, di: torch.Tensor
        ) -> torch.Tensor:
            uc, ic = torch.unique(ci, return_inverse=True)
            ud, id_ = torch.unique(di, return_inverse=True)
            c = self.cell(cells[uc])[ic]
            g = self.drug(drugs[ud])[id_]
            return self.head(torch.cat([c, g, c * g], dim=1)).squeeze(1)

    return PanDrugNet()


@register
class DeepResponseModel(ResponseModel):
    """Two-tower MLP (omics, ECFP) with an interaction head; early stopping on the validation pairs.

    ``ensemble=K`` trains K nets from different initialisations and shuffles (each stopped on the same validation
    pairs) and predicts their mean; :meth:`predict_spread` gives their standard deviation as an uncertainty.
    """

    model_type: ClassVar[str] = "deep"

    def __init__(self, seed: int = 0, **params: Any) -> None:
        unknown = sorted(set(params) - set(DEEP_DEFAULTS))
        if unknown:
            raise InputError(
                f"unknown deep parameter(s) {', '.join(unknown)}; valid: {', '.join(DEEP_DEFAULTS)}"
            )
        super().__init__(seed=seed, **params)
        self.p = {**DEEP_DEFAULTS, **params}
        self.nets: list[Any] = []
        self.y_mean = 0.0
        self.y_sd = 1.0

    def _device(self) -> Any:
        from drugloop.nn.device import resolve_device

        return resolve_device(str(self.p["device"]))

    def _fit(self, cells: np.ndarray, drugs: np.ndarray, train: Split, valid: Split | None) -> None:
        import torch

        from drugloop.nn.device import seed_everything

        if self.p["threads"]:
            torch.set_num_threads(int(self.p["threads"]))
        k_models = int(self.p["ensemble"])
        if k_models < 1:
            raise InputError(f"ensemble must be >= 1, got {k_models}")
        y = np.asarray(train[2], dtype=np.float64)
        self.y_mean, self.y_sd = float(y.mean()), float(y.std() or 1.0)
        self.nets = []
        members = []
        for k in range(k_models):
            # member 0 keeps the single-model seed, so ensemble=1 reproduces earlier models exactly
            gen = seed_everything(self.seed + 7919 * k)
            members.append(self._fit_one(cells, drugs, train, valid, gen, k, k_models))
        self.card.update(
            {
                "y_mean": self.y_mean,
                "y_sd": self.y_sd,
                "best_epoch": members[0]["best_epoch"],
                "best_val_rmse": members[0]["best_val_rmse"],
                "history": members[0]["history"],
                "members": members if k_models > 1 else [],
                "n_cell_features": int(cells.shape[1]),
                "n_drug_features": int(drugs.shape[1]),
                "torch_params": {k: v for k, v in self.p.items() if k not in ("threads", "device")},
            }
        )

    def _fit_one(
        self,
        cells: np.ndarray,
        drugs: np.ndarray,
        train: Split,
        valid: Split | None,
        gen: Any,
        k: int,
        n: int,
    ) -> dict[str, Any]:
        """Train one member net (appended to ``self.nets``); returns its early-stopping record."""
        import torch

        dev = self._device()
        y = np.asarray(train[2], dtype=np.float64)
        net = _build_net(cells.shape[1], drugs.shape[1], self.p).to(dev)
        self.nets.append(net)
        tc, td = torch.from_numpy(cells).to(dev), torch.from_numpy(drugs).to(dev)
        ci = torch.from_numpy(np.asarray(train[0], dtype=np.int64))
        di = torch.from_numpy(np.asarray(train[1], dtype=np.int64))
        ty = torch.from_numpy(((y - self.y_mean) / self.y_sd).astype(np.float32))
        opt = torch.optim.AdamW(net.parameters(), lr=self.p["lr"], weight_decay=self.p["weight_decay"])
        epochs, patience, bs = int(self.p["max_epochs"]), int(self.p["patience"]), int(self.p["batch_size"])
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=max(1, patience // 3))
        best, best_state, best_epoch, history = math.inf, None, 0, []
        for epoch in range(epochs):
            net.train()
            order = torch.randperm(len(ty), generator=gen)
            total = 0.0
            for start in range(0, len(order), bs):
                b = order[start : start + bs]
                pred = net(tc, td, ci[b].to(dev), di[b].to(dev))
                loss = torch.nn.functional.mse_loss(pred, ty[b].to(dev))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(b)
            train_rmse = math.sqrt(total / len(ty)) * self.y_sd
            if valid is None:
                history.append({"epoch": epoch + 1, "train_rmse": train_rmse})
                best_epoch = epoch + 1
                continue
            val_pred = self._predict_net(net, tc, td, valid[0], valid[1])
            val_rmse = float(np.sqrt(np.mean((val_pred - np.asarray(valid[2])) ** 2)))
            sched.step(val_rmse)
            history.append({"epoch": epoch + 1, "train_rmse": train_rmse, "val_rmse": val_rmse})
            who = f"model {k + 1}/{n} " if n > 1 else ""
            log.info("%sepoch %d: train rmse %.4f, val rmse %.4f", who, epoch + 1, train_rmse, val_rmse)
            if self.progress is not None:
                self.progress(f"{who}epoch {epoch + 1} val rmse {val_rmse:.3f}", epoch + 1, epochs)
            if val_rmse < best - 1e-4:
                best, best_epoch = val_rmse, epoch + 1
                best_state = {name: v.detach().clone() for name, v in net.state_dict().items()}
            elif epoch + 1 - best_epoch >= patience:
                break
        if best_state is not None:
            net.load_state_dict(best_state)
        return {
            "best_epoch": best_epoch,
            "best_val_rmse": None if math.isinf(best) else best,
            "history": history,
        }

    def _predict_net(self, net: Any, tc: Any, td: Any, ci: np.ndarray, di: np.ndarray) -> np.ndarray:
        import torch

        dev = next(net.parameters()).device
        net.eval()
        out = []
        with torch.no_grad():
            for s in range(0, len(ci), 8192):
                c = torch.from_numpy(np.asarray(ci[s : s + 8192], dtype=np.int64)).to(dev)
                d = torch.from_numpy(np.asarray(di[s : s + 8192], dtype=np.int64)).to(dev)
                out.append(net(tc, td, c, d).cpu().numpy())
        return np.concatenate(out).astype(np.float64) * self.y_sd + self.y_mean

    def _member_predictions(
        self, cells: np.ndarray, drugs: np.ndarray, ci: np.ndarray, di: np.ndarray
    ) -> np.ndarray:
        import torch

        if not self.nets:
            raise ModelError("the deep response model is not trained")
        dev = next(self.nets[0].parameters()).device
        tc, td = torch.from_numpy(cells).to(dev), torch.from_numpy(drugs).to(dev)
        return np.stack([self._predict_net(net, tc, td, ci, di) for net in self.nets])

    def _predict(self, cells: np.ndarray, drugs: np.ndarray, ci: np.ndarray, di: np.ndarray) -> np.ndarray:
        return self._member_predictions(cells, drugs, ci, di).mean(axis=0)

    def predict_spread(
        self, cells: np.ndarray, drugs: np.ndarray, cell_idx: np.ndarray, drug_idx: np.ndarray
    ) -> np.ndarray:
        """Standard deviation of the ensemble members' ln IC50 (zeros for a single model)."""
        if len(cell_idx) == 0:
            return np.zeros(0)
        preds = self._member_predictions(
            self.scale_cells(cells), drugs.astype(np.float32), np.asarray(cell_idx), np.asarray(drug_idx)
        )
        return preds.std(axis=0)

    def _save_weights(self, folder: Path) -> None:
        from safetensors.torch import save_file

        if not self.nets:
            raise ModelError("cannot save an untrained deep response model")
        tensors: dict[str, Any] = {}
        for k, net in enumerate(self.nets):
            # a single model keeps unprefixed names, so models saved before ensembles still load
            prefix = f"m{k}." if len(self.nets) > 1 else ""
            tensors.update({prefix + n: v.detach().cpu().contiguous() for n, v in net.state_dict().items()})
        tmp = folder / "weights.safetensors.tmp"
        save_file(tensors, str(tmp))
        os.replace(tmp, folder / "weights.safetensors")

    def _load_weights(self, folder: Path) -> None:
        from safetensors.torch import load_file

        path = folder / "weights.safetensors"
        if not path.is_file():
            raise ModelError(f"{folder}: missing weights.safetensors")
        try:
            self.y_mean, self.y_sd = float(self.card["y_mean"]), float(self.card["y_sd"])
            n_cell, n_drug = int(self.card["n_cell_features"]), int(self.card["n_drug_features"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{folder}: damaged deep model card ({exc!r})") from None
        self.p["device"] = "cpu"
        try:
            state = load_file(str(path))
            # the weights say how many members there are ("m{k}." prefixes); unprefixed = one net
            k_models = len({n.split(".", 1)[0] for n in state if n.startswith("m") and n[1:2].isdigit()}) or 1
            self.p["ensemble"] = k_models
            self.nets = []
            for k in range(k_models):
                prefix = f"m{k}." if k_models > 1 else ""
                net = _build_net(n_cell, n_drug, self.p)
                net.load_state_dict({n[len(prefix) :]: v for n, v in state.items() if n.startswith(prefix)})
                self.nets.append(net)
        except (RuntimeError, OSError) as exc:
            raise ModelError(f"{path}: weights do not fit the card ({exc})") from None


# ------------------------------------------------------------------------------------------------ LightGBM

LGBM_DEFAULTS: dict[str, Any] = {
    "n_estimators": 3000,
    "learning_rate": 0.05,
    "num_leaves": 127,
    "min_child_samples": 20,
    "colsample_bytree": 0.3,
    "subsample": 0.8,
    "reg_lambda": 1.0,
    "max_bin": 63,
    "early_stopping_rounds": 100,
    "threads": 1,
}


@register
class LGBMResponseModel(ResponseModel):
    """Gradient-boosted trees on [cell omics | drug ECFP]: the baseline the deep model must beat."""

    model_type: ClassVar[str] = "lgbm"

    def __init__(self, seed: int = 0, **params: Any) -> None:
        unknown = sorted(set(params) - set(LGBM_DEFAULTS))
        if unknown:
            raise InputError(
                f"unknown lgbm parameter(s) {', '.join(unknown)}; valid: {', '.join(LGBM_DEFAULTS)}"
            )
        super().__init__(seed=seed, **params)
        self.p = {**LGBM_DEFAULTS, **params}
        self.booster: Any = None

    @staticmethod
    def _x(cells: np.ndarray, drugs: np.ndarray, ci: np.ndarray, di: np.ndarray) -> np.ndarray:
        return np.hstack([cells[np.asarray(ci)], drugs[np.asarray(di)]]).astype(np.float32)

    def _lgb_params(self) -> dict[str, Any]:
        p = self.p
        return {
            "objective": "regression",
            "metric": "l2",
            "learning_rate": p["learning_rate"],
            "num_leaves": p["num_leaves"],
            "min_data_in_leaf": p["min_child_samples"],
            "feature_fraction": p["colsample_bytree"],
            "bagging_fraction": p["subsample"],
            "bagging_freq": 1,
            "lambda_l2": p["reg_lambda"],
            "max_bin": p["max_bin"],
            "num_threads": int(p["threads"]),
            "seed": self.seed,
            "deterministic": True,
            "force_col_wise": True,
            "verbosity": -1,
        }

    def _fit(self, cells: np.ndarray, drugs: np.ndarray, train: Split, valid: Split | None) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import lightgbm as lgb

        params = self._lgb_params()
        dtrain = lgb.Dataset(
            self._x(cells, drugs, train[0], train[1]), label=np.asarray(train[2]), params=params
        )
        dtrain.construct()
        callbacks: list[Any] = []
        valid_sets = None
        if valid is not None:
            dvalid = lgb.Dataset(
                self._x(cells, drugs, valid[0], valid[1]),
                label=np.asarray(valid[2]),
                reference=dtrain,
                params=params,
            )
            valid_sets = [dvalid]
            callbacks.append(lgb.early_stopping(int(self.p["early_stopping_rounds"]), verbose=False))
        rounds = int(self.p["n_estimators"])
        if self.progress is not None:
            progress = self.progress

            def cb(env: Any) -> None:
                progress("lgbm", env.iteration + 1, rounds)

            callbacks.append(cb)
        booster = lgb.train(
            params, dtrain, num_boost_round=rounds, valid_sets=valid_sets, callbacks=callbacks
        )
        best = int(booster.best_iteration or booster.current_iteration())
        self.booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
        self.card.update({"best_iteration": best, "lightgbm_version": lgb.__version__})

    def _predict(self, cells: np.ndarray, drugs: np.ndarray, ci: np.ndarray, di: np.ndarray) -> np.ndarray:
        if self.booster is None:
            raise ModelError("the lgbm response model is not trained")
        out = [
            self.booster.predict(
                self._x(cells, drugs, ci[s : s + 20000], di[s : s + 20000]),
                num_threads=int(self.p["threads"]),
            )
            for s in range(0, len(ci), 20000)
        ]
        return np.concatenate(out)

    def _save_weights(self, folder: Path) -> None:
        from drugloop.utils.io import atomic_write_text

        if self.booster is None:
            raise ModelError("cannot save an untrained lgbm response model")
        atomic_write_text(folder / "model.txt", self.booster.model_to_string())

    def _load_weights(self, folder: Path) -> None:
        import lightgbm as lgb

        path = folder / "model.txt"
        if not path.is_file():
            raise ModelError(f"{folder}: missing model.txt")
        try:
            self.booster = lgb.Booster(model_file=str(path))
        except lgb.basic.LightGBMError as exc:
            raise ModelError(f"{path}: not a readable LightGBM model ({exc})") from None

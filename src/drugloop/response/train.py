"""Train and evaluate a pan-drug response model on GDSC: ``train(ResponseConfig(...))`` = ``drugloop response train``.

Splits: ``mixed`` (random pairs), ``cold_cell`` (unseen cell lines), ``cold_drug`` (unseen drugs), cut 80/10/10 by
the seed with :func:`drugloop.data.splits.split_pairs`. The validation part only drives early stopping; the test
part is scored once, after training.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from drugloop.errors import InputError
from drugloop.response.data import OMICS, ResponseData, check_omics, load_deepcdr_pairs, load_gdsc_data
from drugloop.response.model import (
    DeepResponseModel,
    LGBMResponseModel,
    ProgressFn,
    ResponseModel,
    drug_fingerprints,
)
from drugloop.utils.config import EngineConfig

log = logging.getLogger(__name__)
ResponseSplit = Literal["mixed", "cold_cell", "cold_drug"]
SPLITS: tuple[str, ...] = ("mixed", "cold_cell", "cold_drug")


class ResponseConfig(EngineConfig):
    """What to train on, how to split, which model, where to write."""

    toml_section: ClassVar[str] = "response"

    data: Literal["gdsc"] = "gdsc"
    split: ResponseSplit = "mixed"
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    model: Literal["deep", "lgbm"] = "deep"
    omics: tuple[str, ...] = OMICS
    n_bits: int = Field(1024, ge=64, le=8192)
    seed: int = Field(0, ge=0)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int = Field(1, ge=1, le=256)
    out: Path = Path("runs/response")
    model_params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("fractions")
    @classmethod
    def _fractions(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(f < 0 for f in v) or abs(sum(v) - 1.0) > 1e-6 or v[0] <= 0 or v[2] <= 0:
            raise ValueError(f"fractions must be >= 0, train and test > 0, and sum to 1; got {v}")
        return v

    @field_validator("omics")
    @classmethod
    def _omics(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        try:
            return check_omics(v)
        except InputError as exc:
            raise ValueError(str(exc)) from None


def split_gdsc(
    pairs: pd.DataFrame, split: str, fractions: tuple[float, float, float], seed: int
) -> pd.Series:
    """``train``/``val``/``test`` label per pair; cold splits keep every cell line (drug) in one part."""
    from drugloop.data.splits import split_pairs

    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")
    kind = {"mixed": "random", "cold_cell": "cold_target", "cold_drug": "cold_drug"}[split]
    return split_pairs(
        pairs, kind=kind, fractions=fractions, seed=seed, drug_col="drug_name", target_col="depmap_id"
    )


def make_model(cfg: ResponseConfig) -> ResponseModel:
    params = dict(cfg.model_params)
    if cfg.model == "deep":
        params.setdefault("device", cfg.device)
        params.setdefault("threads", cfg.threads)
        return DeepResponseModel(seed=cfg.seed, **params)
    params.setdefault("threads", cfg.threads)
    return LGBMResponseModel(seed=cfg.seed, **params)


def _metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from drugloop.evaluate.metrics import regression_metrics

    m = regression_metrics(y, p)
    return {k: float(m[k]) for k in ("rmse", "pearson", "spearman") if k in m}


def per_drug_pearson(df: pd.DataFrame, pred: np.ndarray) -> float:
    """Median over drugs (>= 10 test pairs) of the Pearson r across cell lines: ranking cells for one drug."""
    from drugloop.evaluate.metrics import pearson

    d = df.assign(pred=pred)
    rs = [pearson(g["ln_ic50"], g["pred"]) for _, g in d.groupby("drug_name") if len(g) >= 10]
    rs = [r for r in rs if np.isfinite(r)]
    return float(np.median(rs)) if rs else float("nan")


def fit_on_split(
    cfg: ResponseConfig, data: ResponseData | None = None, progress: ProgressFn | None = None
) -> tuple[ResponseModel, dict[str, Any], ResponseData, pd.Series]:
    """Train one model on the config's split; return it, its test metrics, the data and the split labels."""
    data = data or load_gdsc_data(cfg.omics)
    parts = split_gdsc(data.pairs, cfg.split, cfg.fractions, cfg.seed)
    fps, errors = drug_fingerprints(data.drugs["smiles"].tolist(), cfg.n_bits)
    bad = [n for n, e in zip(data.drugs.index, errors, strict=True) if e]
    if bad:
        log.warning("%d drugs have unparsable SMILES and get empty fingerprints: %s", len(bad), bad[:5])
    cells = data.cells.to_numpy(np.float32)
    pairs = data.pairs

    def part(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sel = (parts == name).to_numpy()
        return (
            pairs["cell_idx"].to_numpy()[sel],
            pairs["drug_idx"].to_numpy()[sel],
            pairs["ln_ic50"].to_numpy()[sel],
        )

    train, valid, test = part("train"), part("val"), part("test")
    model = make_model(cfg)
    model.progress = progress
    train_cells = np.unique(train[0])
    model.set_inputs(
        feature_names=list(data.cells.columns),
        genes=list(zip(data.genes["entrez_id"], data.genes["symbol"], strict=True)),
        omics=list(cfg.omics),
        train_cells=cells[train_cells],
        drugs=dict(zip(data.drugs.index, data.drugs["smiles"], strict=True)),
        n_bits=cfg.n_bits,
    )
    start = time.perf_counter()
    model.fit(cells, fps, train, valid if len(valid[2]) else None)
    fit_s = time.perf_counter() - start
    pred = model.predict(cells, fps, test[0], test[1])
    test_df = pairs.loc[(parts == "test").to_numpy()]
    metrics = _metrics(test[2], pred)
    metrics["per_drug_pearson_median"] = per_drug_pearson(test_df, pred)
    metrics["fit_seconds"] = fit_s
    metrics["n_train"], metrics["n_val"], metrics["n_test"] = len(train[2]), len(valid[2]), len(test[2])
    model.card.update(
        {"split": cfg.split, "fractions": list(cfg.fractions), "test_metrics": metrics, "data": cfg.data}
    )
    return model, metrics, data, parts


def deepcdr_transfer(model: ResponseModel, data: ResponseData, parts: pd.Series) -> dict[str, Any]:
    """Score a GDSC-trained model on DeepCDR's GDSC table, on the (drug, cell) pairs it did not train or validate on."""
    dc = load_deepcdr_pairs(data.cells, data.drugs.index)
    seen = data.pairs.loc[(parts != "test").to_numpy(), ["drug_name", "depmap_id"]]
    seen_keys = set(zip(seen["drug_name"], seen["depmap_id"], strict=True))
    keep = [(d, c) not in seen_keys for d, c in zip(dc["drug_name"], dc["depmap_id"], strict=True)]
    dc = dc.loc[keep].reset_index(drop=True)
    fps, _ = drug_fingerprints(data.drugs["smiles"].tolist(), int(model.card["n_bits"]))
    ci = data.cells.index.get_indexer(dc["depmap_id"])
    di = data.drugs.index.get_indexer(dc["drug_name"])
    pred = model.predict(data.cells.to_numpy(np.float32), fps, ci, di)
    out: dict[str, Any] = _metrics(dc["ln_ic50"].to_numpy(), pred)
    out["per_drug_pearson_median"] = per_drug_pearson(dc, pred)
    out["n_pairs"], out["n_drugs"], out["n_cells"] = (
        len(dc),
        int(dc["drug_name"].nunique()),
        int(dc["depmap_id"].nunique()),
    )
    return out


def train(cfg: ResponseConfig, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Train on the split, save the model to ``cfg.out/model``, write metrics and the run metadata."""
    from drugloop.evaluate.results import write_run_metadata
    from drugloop.utils.io import atomic_write_json

    model, metrics, data, parts = fit_on_split(cfg, progress=progress)
    out = Path(cfg.out)
    model.save(out / "model")
    atomic_write_json(out / "metrics.json", {"split": cfg.split, "model": cfg.model, "test": metrics})
    write_run_metadata(out, cfg, cfg.seed)
    return {"test": metrics, "model_dir": str(out / "model")}

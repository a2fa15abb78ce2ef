"""Train and evaluate binding models end to end: load pairs, split, validate, fit, test, write a run folder.

A run folder holds ``model/`` (card + weights), ``metrics.json`` (test and validation metrics, split sizes),
``test_predictions.parquet`` and ``config.json`` (resolved config, seed, version, data checksums). Files are
written atomically, so a killed run never leaves a half-written result that looks complete. Model selection
(early stopping) uses the validation part only; the test part is touched once, at the end.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drugloop.binding.base import BindingModel, load_model
from drugloop.binding.config import SPLITS, BindingConfig
from drugloop.binding.pairs import NAMED_DATA, load_named, read_pairs, validate_pairs
from drugloop.errors import InputError, ModelError

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
_NAMED_ALIASES = {"human_dti": "human", "human_random": "human"}
_PREDEFINED_PARTS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}


@dataclass
class TrainResult:
    """What a run produced: the fitted model, its metrics record and the test predictions, plus where they are."""

    out: Path
    model: BindingModel
    metrics: dict[str, Any]
    predictions: pd.DataFrame = field(repr=False)

    @property
    def test_metrics(self) -> dict[str, float]:
        return self.metrics["test"]


# --------------------------------------------------------------------------- data and splits


def load_data(data: str | Path, fasta: str | Path | None = None) -> pd.DataFrame:
    """A named benchmark (davis, kiba, human, human_cold) or the user's CSV/TSV/Parquet pair table."""
    key = str(data).strip().lower()
    key = _NAMED_ALIASES.get(key, key)
    if key in NAMED_DATA:
        return load_named(key)
    path = Path(str(data))
    if not path.exists() and not path.suffix:
        raise InputError(
            f"unknown data set {str(data)!r}; valid: {', '.join(NAMED_DATA)}, or a CSV/TSV/Parquet path"
        )
    return read_pairs(path, fasta=fasta)


def resolve_split(split: str, df: pd.DataFrame) -> str:
    """``auto`` becomes the data set's own protocol: setting1 (fold column), predefined (split column), else random."""
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")
    if split != "auto":
        return split
    if "fold" in df.columns:
        return "setting1"
    if "split" in df.columns:
        return "predefined"
    return "random"


def assign_split(
    df: pd.DataFrame, split: str, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0
) -> pd.Series:
    """``train``/``val``/``test``/``unused`` per row, aligned to ``df.index``.

    setting1: DeepDTA train folds 1-4 train, fold 0 validation, the test fold (-1) test. predefined: the table's
    own ``split`` column. Other kinds come from :func:`drugloop.data.splits.split_pairs`; rows that cannot be used
    (invalid SMILES/sequence, no label) are ``unused`` there, so they cannot shift the split of good rows.
    """
    split = resolve_split(split, df)
    if split == "setting1":
        if "fold" not in df.columns:
            raise InputError(
                "split 'setting1' needs a DeepDTA 'fold' column (davis, kiba); try --split random"
            )
        fold = pd.to_numeric(df["fold"], errors="coerce")
        parts = np.select([fold == -1, fold == 0, fold.between(1, 4)], ["test", "val", "train"], "unused")
        return pd.Series(parts, index=df.index, name="part")
    if split == "predefined":
        if "split" not in df.columns:
            raise InputError(
                "split 'predefined' needs a 'split' column with train/val/test; try --split random"
            )
        parts = df["split"].astype(str).str.strip().str.lower().map(_PREDEFINED_PARTS).fillna("unused")
        return pd.Series(parts.to_numpy(dtype=object), index=df.index, name="part")
    from drugloop.data.splits import split_pairs

    usable = _usable_mask(df)
    out = pd.Series("unused", index=df.index, name="part", dtype=object)
    if usable.any():
        out.loc[usable] = split_pairs(
            df.loc[usable], kind=split, fractions=tuple(fractions), seed=seed
        ).to_numpy()
    return out


def _usable_mask(df: pd.DataFrame) -> pd.Series:
    ok = df["label"].notna()
    if "error" in df.columns:
        ok &= df["error"].isna()
    return ok


def _data_task(df: pd.DataFrame) -> str:
    values = df["label"].dropna().unique()
    return "binary" if len(values) and set(np.asarray(values, dtype=float)) <= {0.0, 1.0} else "regression"


def table_sha256(df: pd.DataFrame) -> str:
    cols = [c for c in ("smiles", "sequence", "label") if c in df.columns]
    hashed = pd.util.hash_pandas_object(df[cols], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def file_checksums(data: str, df: pd.DataFrame) -> dict[str, str]:
    """Registry sha256 of every file behind a named set, else the input file's own sha256."""
    key = _NAMED_ALIASES.get(str(data).lower(), str(data).lower())
    if key in NAMED_DATA:
        from drugloop.data.catalog import get_dataset

        name = "human_dti" if key.startswith("human") else key
        folder = {"human": "human_dti/random/", "human_cold": "human_dti/cold/"}.get(key)
        files = get_dataset(name).files
        return {f.path: f.sha256 for f in files if folder is None or f.path.startswith(folder)}
    path = Path(data)
    if path.is_file():
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return {str(path): digest.hexdigest()}
    return {}


# --------------------------------------------------------------------------- models and scoring


def make_model(
    name: str,
    task: str,
    seed: int = 0,
    ensemble: int = 1,
    device: str = "auto",
    params: dict[str, Any] | None = None,
) -> BindingModel:
    """Build a model by name; the torch model is imported only when asked for, so the baseline needs no torch."""
    params = dict(params or {})
    if name == "lgbm":
        from drugloop.binding.lgbm import LGBMBindingModel

        return LGBMBindingModel(task=task, seed=seed, ensemble=ensemble, device=device, **params)
    if name == "deep":
        try:
            from drugloop.binding.deep import DeepBindingModel
        except ImportError as exc:
            raise ModelError(f"the deep binding model is not available: {exc}") from None
        return DeepBindingModel(task=task, seed=seed, ensemble=ensemble, device=device, **params)
    raise InputError(f"unknown binding model {name!r}; valid: lgbm, deep")


def score(task: str, y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """The task's metric bundle: regression_metrics (MSE, CI, ...) or classification_metrics (AUROC, ...)."""
    from drugloop.evaluate.metrics import classification_metrics, regression_metrics

    fn = classification_metrics if task == "binary" else regression_metrics
    return {k: float(v) for k, v in fn(y_true, y_pred).items()}


def _scored(model: BindingModel, pairs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    pred = model.predict(pairs)
    ok = pred["prediction"].notna() & pred["label"].notna()
    if not ok.any():
        raise InputError("no rows could be predicted and scored (see the 'error' column)")
    metrics = score(
        model.task, pred.loc[ok, "label"].to_numpy(float), pred.loc[ok, "prediction"].to_numpy(float)
    )
    metrics["n"] = int(ok.sum())
    metrics["n_errors"] = int(pred["error"].notna().sum())
    return pred, metrics


def check_task(model_task: str, df: pd.DataFrame) -> None:
    """Refuse to score affinities with an interaction model or 0/1 labels with an affinity model."""
    if df["label"].notna().sum() == 0:
        raise InputError("the table has no labels to evaluate against")
    data_task = _data_task(df)
    if data_task != model_task:
        have = "0/1 interaction labels" if data_task == "binary" else "affinity values"
        want = "interaction probabilities (binary)" if model_task == "binary" else "affinities (regression)"
        raise ModelError(
            f"the table has {have} but the model predicts {want}; use a model trained on this kind of label"
        )


# --------------------------------------------------------------------------- train / evaluate


def train(config: BindingConfig, progress: ProgressFn | None = None) -> TrainResult:
    """Run one training job as configured and write its run folder; same config and seed, same result."""
    from drugloop.evaluate.results import write_run_metadata
    from drugloop.utils.io import atomic_write_bytes, atomic_write_json

    started = time.perf_counter()
    tick = progress or (lambda stage, done, total: None)
    tick("loading data", 0, 1)
    raw = load_data(config.data, config.fasta)
    task = raw.attrs.get("task") or _data_task(raw)
    tick("validating pairs", 0, 1)
    df = validate_pairs(raw)
    n_bad = int(df["error"].notna().sum())
    if n_bad:
        log.warning(
            "%d of %d pairs are unusable (first: %s)",
            n_bad,
            len(df),
            df.loc[df["error"].notna(), "error"].iloc[0],
        )
    split = resolve_split(config.split, df)
    parts = assign_split(df, split, config.fractions, config.seed)
    usable = _usable_mask(df)
    train_df = df.loc[(parts == "train") & usable]
    val_df = df.loc[(parts == "val") & usable]
    test_df = df.loc[parts == "test"]
    if train_df.empty or test_df.empty:
        raise InputError(
            f"split {split!r} left {len(train_df)} train and {len(test_df)} test rows; need both"
        )
    log.info("split %s: %d train, %d val, %d test", split, len(train_df), len(val_df), len(test_df))

    model = make_model(config.model, task, config.seed, config.ensemble, config.device, config.model_params)
    if hasattr(model, "progress"):
        model.progress = progress
    tick("training", 0, 1)
    model.fit(train_df, val_df if not val_df.empty else None)
    tick("testing", 0, 1)
    test_pred, test_metrics = _scored(model, test_df)
    val_metrics = _scored(model, val_df)[1] if not val_df.empty else {}

    record: dict[str, Any] = {
        "data": str(config.data),
        "task": task,
        "label": raw.attrs.get("label"),
        "split": split,
        "model": config.model,
        "seed": config.seed,
        "ensemble": config.ensemble,
        "n": {
            "pairs": int(len(df)),
            "invalid": n_bad,
            **{p: int((parts == p).sum()) for p in ("train", "val", "test", "unused")},
        },
        "test": test_metrics,
        "valid": val_metrics,
        "data_sha256": table_sha256(df),
    }
    out = Path(config.out)
    model.card.update({k: record[k] for k in ("data", "label", "split", "n", "data_sha256")})
    model.card["metrics"] = {"test": test_metrics, "valid": val_metrics}
    model.save(out / "model")
    record["wall_seconds"] = round(time.perf_counter() - started, 3)
    keep = [
        c
        for c in ("drug_id", "target_id", "smiles", "sequence", "label", "prediction", "uncertainty", "error")
        if c in test_pred.columns
    ]
    atomic_write_bytes(
        out / "test_predictions.parquet", _parquet_bytes(test_pred[keep].reset_index(drop=True))
    )
    atomic_write_json(out / "metrics.json", record)
    write_run_metadata(out, config, config.seed, data_checksums=file_checksums(str(config.data), df))
    return TrainResult(out=out, model=model, metrics=record, predictions=test_pred)


def evaluate(
    model_dir: str | Path,
    data: str | Path,
    split: str | None = None,
    fasta: str | Path | None = None,
    seed: int = 0,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
) -> dict[str, Any]:
    """Score a saved model on a labelled table: all rows, or the test part of ``split`` (same seed = same part)."""
    model = load_model(model_dir)
    df = load_data(data, fasta)
    check_task(model.task, df)
    if split is not None:
        split = resolve_split(split, df)
        checked = validate_pairs(df)
        df = df.loc[assign_split(checked, split, fractions, seed) == "test"]
        if df.empty:
            raise InputError(f"split {split!r} has no test rows")
    df = df.loc[df["label"].notna()]
    _, metrics = _scored(model, df)
    return {
        "model": str(model_dir),
        "model_type": model.model_type,
        "task": model.task,
        "data": str(data),
        "split": split or "all",
        "metrics": metrics,
    }


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a result table atomically as Parquet or CSV, chosen by the file suffix."""
    from drugloop.utils.io import atomic_write_bytes, atomic_write_text

    path = Path(path)
    if path.suffix == ".parquet":
        return atomic_write_bytes(path, _parquet_bytes(df))
    if path.suffix in {".csv", ".tsv"}:
        return atomic_write_text(path, df.to_csv(index=False, sep="\t" if path.suffix == ".tsv" else ","))
    raise InputError(f"output must end in .csv, .tsv or .parquet, not {path.name!r}")

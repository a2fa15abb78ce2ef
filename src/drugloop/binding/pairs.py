"""Pair tables for the binding engine: from shipped data sets or the user's own CSV/FASTA, validated per row.

A pair table has one row per (compound, protein) with columns ``drug_id``, ``target_id``, ``smiles``, ``sequence``,
``label`` (NaN when unknown) and ``error`` (None for usable rows). Rows are never dropped: an unusable row keeps its
place and a reason, so predictions line up with the user's input.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from drugloop.errors import InputError

PAIR_COLUMNS = ["drug_id", "target_id", "smiles", "sequence", "label"]
NAMED_DATA = {"davis": "regression", "kiba": "regression", "human": "binary", "human_cold": "binary"}


def _stable_id(prefix: str, text: str) -> str:
    return prefix + hashlib.sha1(text.encode()).hexdigest()[:12]


def load_named(name: str) -> pd.DataFrame:
    """A shipped benchmark as a pair table; keeps the data set's own ``fold``/``split`` column."""
    from drugloop.data import loaders

    key = name.lower()
    if key == "davis":
        df = loaders.load_davis()
    elif key == "kiba":
        df = loaders.load_kiba()
    elif key in {"human", "human_dti", "human_random"}:
        df = loaders.load_human_dti("random")
    elif key == "human_cold":
        df = loaders.load_human_dti("cold")
    else:
        raise InputError(
            f"unknown binding data set {name!r}; valid: davis, kiba, human, human_cold, or a CSV path"
        )
    df = df.rename(columns={"affinity": "label"})
    df.attrs["task"] = NAMED_DATA["human" if key.startswith("human") else key]
    df.attrs["data"] = key
    return df


def read_pairs(
    path: str | Path, fasta: str | Path | None = None, label: str | None = "label"
) -> pd.DataFrame:
    """Read the user's pairs: CSV/TSV/Parquet with ``smiles`` and ``sequence`` (or ``target_id`` + a FASTA file).

    The label column is optional (prediction inputs have none). The task is inferred: labels that are all 0/1 mean
    a binary interaction task, anything else regression.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"pairs file not found: {path}")
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        sep = "\t" if path.suffix in {".tsv", ".tab"} or path.name.endswith(".tsv.gz") else ","
        df = pd.read_csv(
            path, sep=sep, dtype={"smiles": "string", "sequence": "string", "target_id": "string"}
        )
    df.columns = [str(c).strip() for c in df.columns]
    lower = {c.lower(): c for c in df.columns}
    if "smiles" not in lower:
        raise InputError(f"{path}: needs a 'smiles' column (found: {', '.join(df.columns)})")
    df = df.rename(columns={lower["smiles"]: "smiles"})
    if "sequence" in lower:
        df = df.rename(columns={lower["sequence"]: "sequence"})
    elif "target_id" in lower:
        df = df.rename(columns={lower["target_id"]: "target_id"})
        if fasta is None:
            raise InputError(
                f"{path}: has 'target_id' but no 'sequence' column; pass the targets' FASTA file"
            )
        df["sequence"] = attach_sequences(df["target_id"], fasta)
    else:
        raise InputError(f"{path}: needs a 'sequence' column, or 'target_id' plus a FASTA file")
    return normalise_pairs(df, label=label)


def attach_sequences(target_ids: pd.Series, fasta: str | Path) -> pd.Series:
    """Map target ids to FASTA sequences; unknown ids become None (reported per row later)."""
    from drugloop.bio.fasta import read_fasta

    records = {r.id: r.sequence for r in read_fasta(fasta)}
    return target_ids.map(lambda t: records.get(str(t)) if pd.notna(t) else None)


def normalise_pairs(df: pd.DataFrame, label: str | None = "label") -> pd.DataFrame:
    """Fill ids and the label column so every downstream step sees the same shape."""
    out = df.copy()
    out.attrs.setdefault(
        "input_columns", [str(c) for c in df.columns]
    )  # what the user gave, for output files
    out["smiles"] = out["smiles"].astype(object).where(out["smiles"].notna(), None)
    out["sequence"] = out["sequence"].astype(object).where(out["sequence"].notna(), None)
    if "drug_id" not in out:
        out["drug_id"] = [_stable_id("D", s) if isinstance(s, str) else None for s in out["smiles"]]
    if "target_id" not in out:
        out["target_id"] = [_stable_id("T", s) if isinstance(s, str) else None for s in out["sequence"]]
    if label and label in out.columns:
        out["label"] = pd.to_numeric(out[label], errors="coerce").astype(float)
    elif "label" not in out.columns:
        out["label"] = np.nan
    values = out["label"].dropna().unique()
    out.attrs["task"] = "binary" if len(values) and set(values) <= {0.0, 1.0} else "regression"
    return out


def validate_pairs(df: pd.DataFrame, max_len: int | None = None) -> pd.DataFrame:
    """Add an ``error`` column (missing = usable); never drops a row.

    Each unique SMILES and sequence is checked once, so a 100k-pair table of 2k compounds costs 2k parses.
    """
    from drugloop.bio.protein import validate_sequence
    from drugloop.chem.parse import parse_smiles

    out = df.copy()
    smiles = [s if isinstance(s, str) else None for s in out["smiles"]]
    unique_smiles = list(dict.fromkeys(s for s in smiles if s is not None))
    parsed = {
        s: p for s, p in zip(unique_smiles, parse_smiles(unique_smiles, standardize=False), strict=True)
    }
    seq_errors: dict[str, str | None] = {}
    errors: list[str | None] = []
    for smi, seq in zip(smiles, out["sequence"], strict=True):
        reasons = []
        if smi is None or not smi.strip():
            reasons.append("empty SMILES")
        elif parsed[smi].error:
            reasons.append(f"SMILES: {parsed[smi].error}")
        if not isinstance(seq, str) or not seq.strip():
            reasons.append("empty or unknown protein sequence")
        else:
            if seq not in seq_errors:
                seq_errors[seq] = validate_sequence(seq)
            if seq_errors[seq]:
                reasons.append(f"sequence: {seq_errors[seq]}")
        errors.append("; ".join(reasons) or None)
    out["error"] = errors
    out.attrs.update(df.attrs)
    return out

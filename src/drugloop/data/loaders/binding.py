"""Drug-target pair tables: Davis and KIBA (DeepDTA setting-1 folds) and Human (DrugBAN random/cold splits).

All three share the pair-table columns ``drug_id``, ``target_id``, ``smiles``, ``sequence`` so the binding engine
can treat them alike. ``smiles`` and ``sequence`` are object columns whose rows share one Python string per
molecule/protein: KIBA repeats 229 sequences over 118k rows, which as pandas' default string dtype would cost ~100 MB.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from drugloop.data.loaders._common import (
    choose,
    memo,
    object_column,
    read_json,
    read_lines,
    require_columns,
    resolve_all,
)
from drugloop.errors import DataError

_SMILES_FILES = {"canonical": "ligands_can.txt", "isomeric": "ligands_iso.txt"}
_N_TRAIN_FOLDS = 5
_UNASSIGNED = -2


def _read_matrix(path: Path, n_rows: int, n_cols: int) -> np.ndarray:
    """Whitespace-separated matrix; ``split()`` copes with Davis' spaces and KIBA's CRLF + trailing tab."""
    rows = [line.split() for line in read_lines(path)]
    if len(rows) != n_rows or any(len(r) != n_cols for r in rows):
        widths = sorted({len(r) for r in rows})
        raise DataError(
            f"{path}: expected {n_rows} x {n_cols} values, found {len(rows)} lines of widths {widths}"
        )
    try:
        return np.array(rows, dtype=np.float64)
    except ValueError as exc:
        raise DataError(f"{path}: non-numeric matrix entry ({exc})") from None


def _index_list(value: object, path: Path) -> np.ndarray:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise DataError(f"{path}: expected a JSON list of integer pair indices")
    return np.asarray(value, dtype=np.int64)


def _folds(train_path: Path, test_path: Path, n_pairs: int) -> np.ndarray:
    """Fold number per pair index: 0..4 for the DeepDTA train folds, -1 for the test fold; checks a partition."""
    train = read_json(train_path)
    if not isinstance(train, list) or len(train) != _N_TRAIN_FOLDS:
        raise DataError(f"{train_path}: expected a JSON list of {_N_TRAIN_FOLDS} folds")
    parts = [(i, _index_list(f, train_path), train_path) for i, f in enumerate(train)]
    parts.append((-1, _index_list(read_json(test_path), test_path), test_path))
    fold = np.full(n_pairs, _UNASSIGNED, dtype=np.int8)
    for number, idx, path in parts:
        if idx.size and (idx.min() < 0 or idx.max() >= n_pairs):
            raise DataError(f"{path}: fold {number} has indices outside 0..{n_pairs - 1}")
        if np.unique(idx).size != idx.size or (fold[idx] != _UNASSIGNED).any():
            raise DataError(f"{path}: fold {number} repeats pair indices or overlaps an earlier fold")
        fold[idx] = number
    missing = int((fold == _UNASSIGNED).sum())
    if missing:
        raise DataError(f"{train_path.parent}: {missing} of {n_pairs} pairs are in no fold")
    return fold


def _deepdta(
    folder: str, matrix_file: str, smiles: str, to_affinity: Callable[[np.ndarray], np.ndarray], label: str
) -> pd.DataFrame:
    smiles = choose("smiles kind", smiles, _SMILES_FILES)
    names = [
        _SMILES_FILES[smiles],
        "proteins.txt",
        matrix_file,
        "folds/train_fold_setting1.txt",
        "folds/test_fold_setting1.txt",
    ]
    files = resolve_all(f"{folder}/{n}" for n in names)
    lig_path, prot_path, mat_path, train_path, test_path = files

    def build() -> pd.DataFrame:
        ligands = read_json(lig_path)
        proteins = read_json(prot_path)
        if not isinstance(ligands, dict) or not isinstance(proteins, dict):
            raise DataError(f"{folder}: ligand and protein files must be JSON objects")
        y = _read_matrix(mat_path, len(ligands), len(proteins))
        rows, cols = np.where(~np.isnan(y))  # DeepDTA's pair index convention (row-major)
        drug_ids = np.array(list(ligands), dtype=object)
        target_ids = np.array(list(proteins), dtype=object)
        smiles_list = np.array(list(ligands.values()), dtype=object)
        sequences = np.array(list(proteins.values()), dtype=object)
        df = pd.DataFrame(
            {
                "drug_id": pd.Series(drug_ids[rows], dtype="str"),
                "target_id": pd.Series(target_ids[cols], dtype="str"),
                "smiles": object_column(smiles_list[rows]),
                "sequence": object_column(sequences[cols]),
                "affinity": to_affinity(y[rows, cols]),
                "fold": _folds(train_path, test_path, rows.size),
            }
        )
        df.attrs.update({"label": label, "task": "regression", "dataset": folder})
        return df

    return memo(("deepdta", folder, smiles), files, build)


def _pkd(kd_nm: np.ndarray) -> np.ndarray:
    if (kd_nm <= 0).any():
        raise DataError("davis: Kd values must be positive to take pKd")
    return -np.log10(kd_nm / 1e9)


def load_davis(smiles: str = "canonical") -> pd.DataFrame:
    """Davis kinase binding (68 drugs x 442 kinases, 30,056 pairs) as pKd with DeepDTA setting-1 folds.

    Columns: ``drug_id`` (str, PubChem CID), ``target_id`` (str, kinase name such as ``ABL1(E255K)``), ``smiles``,
    ``sequence``, ``affinity`` (float, pKd = -log10(Kd / 1e9); the 10,000 nM "no binding" ceiling gives 5.0),
    ``fold`` (int8: 0..4 = DeepDTA train fold, -1 = DeepDTA test fold). Row k is DeepDTA pair index k, i.e. drug row
    k // 442 and protein column k % 442. ``smiles="isomeric"`` takes ligands_iso.txt. attrs: label="pKd",
    task="regression".
    """
    return _deepdta(
        "davis", "drug-target_interaction_affinities_Kd__Davis_et_al.2011v1.txt", smiles, _pkd, "pKd"
    )


def load_kiba(smiles: str = "canonical") -> pd.DataFrame:
    """KIBA scores for the 118,254 measured pairs (2,111 drugs x 229 kinases) with DeepDTA setting-1 folds.

    Columns as :func:`load_davis`; ``drug_id`` is a CHEMBL id, ``target_id`` a UniProt accession and ``affinity``
    the KIBA score as shipped (higher = stronger binding; DeepDTA binarises at 12.1). Rows follow DeepDTA's pair
    index: the non-NaN matrix entries in row-major order (index 36,275 is drug row 364, protein column 120).
    attrs: label="KIBA", task="regression".
    """
    return _deepdta("kiba", "kiba_binding_affinity_v2.txt.gz", smiles, lambda v: v.copy(), "KIBA")


_HUMAN_SPLITS = ("random", "cold")
_HUMAN_PARTS = ("train", "val", "test")


def stable_id(prefix: str, text: str) -> str:
    """``prefix`` + first 12 hex digits of sha1(text): the same molecule or protein gets one id everywhere."""
    return prefix + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def load_human_dti(split: str = "random") -> pd.DataFrame:
    """Human compound-protein interactions with DrugBAN's ``random`` or ``cold`` split (binary labels).

    Columns: ``drug_id`` ("D" + sha1(SMILES)[:12]), ``target_id`` ("T" + sha1(sequence)[:12]), ``smiles``,
    ``sequence``, ``label`` (int 0/1), ``split`` ("train"/"val"/"test"). Rows in file order: train, val, test.
    In the cold split train shares no drug and no protein with val/test. attrs: label="interaction", task="binary".
    """
    split = choose("human_dti split", split, _HUMAN_SPLITS)
    files = resolve_all(f"human_dti/{split}/{part}.csv.gz" for part in _HUMAN_PARTS)

    def build() -> pd.DataFrame:
        frames = []
        for part, path in zip(_HUMAN_PARTS, files, strict=True):
            raw = pd.read_csv(path, dtype={"SMILES": object, "Protein": object}, keep_default_na=False)
            require_columns(raw, ["SMILES", "Protein", "Y"], path)
            labels = pd.to_numeric(raw["Y"], errors="coerce")
            if not labels.isin([0, 1]).all():
                raise DataError(f"{path}: column Y must hold only 0 and 1")
            frames.append(
                pd.DataFrame(
                    {
                        "smiles": object_column(raw["SMILES"]),
                        "sequence": object_column(raw["Protein"]),
                        "label": labels.astype("int64").to_numpy(),
                        "split": part,
                    }
                )
            )
        df = pd.concat(frames, ignore_index=True)
        drug_ids = {s: stable_id("D", s) for s in set(df["smiles"])}
        target_ids = {s: stable_id("T", s) for s in set(df["sequence"])}
        df.insert(0, "drug_id", pd.Series(df["smiles"].map(drug_ids), dtype="str"))
        df.insert(1, "target_id", pd.Series(df["sequence"].map(target_ids), dtype="str"))
        df["smiles"] = object_column(df["smiles"])
        df["sequence"] = object_column(df["sequence"])
        df.attrs.update({"label": "interaction", "task": "binary", "dataset": f"human_dti/{split}"})
        return df

    return memo(("human_dti", split), files, build)

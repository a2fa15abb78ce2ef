"""Molecule tables: MoleculeNet property benchmarks and SMILES collections for generative models.

SMILES are read as plain text (never NA-parsed), since pandas would otherwise turn strings such as "NA" or "N/A"
into missing values. The SMILES-only collections are re-read on every call rather than memoised: reading is fast
(MOSES train, 1.58 M rows, ~2 s) and keeping them would pin hundreds of MB.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from drugloop.data.loaders._common import choose, memo, open_text, resolve_all
from drugloop.errors import DataError

_MOLECULENET = {
    "bace": ("bace.csv", "binary"),
    "bbbp": ("bbbp.csv", "binary"),
    "clintox": ("clintox.csv", "binary"),
    "delaney": ("delaney.csv", "regression"),
    "freesolv": ("freesolv.csv", "regression"),
    "lipo": ("lipo.csv", "regression"),
    "hiv": ("hiv.csv.gz", "binary"),
    "tox21": ("tox21.csv", "binary"),
    "sider": ("sider.csv", "binary"),
    "toxcast": ("toxcast.csv.gz", "binary"),
}


def load_moleculenet(name: str = "bbbp") -> pd.DataFrame:
    """One MoleculeNet benchmark (chemprop's 2019 copy): ``smiles`` first, then the task columns as in the file.

    ``name``: bace, bbbp, clintox, delaney, freesolv, lipo, hiv, tox21, sider, toxcast. Renames: bace's SMILES
    column ``mol`` -> ``smiles``; delaney's ``logp`` -> ``log_solubility``, because that column really holds the
    ESOL measured log10 solubility (mol/L), not logP. Blank task cells (tox21, toxcast) are NaN. attrs:
    tasks=[task columns], task="binary" or "regression", dataset=name. No splits are shipped.
    """
    name = choose("MoleculeNet data set", name, _MOLECULENET)
    filename, kind = _MOLECULENET[name]
    files = resolve_all([f"moleculenet/{filename}"])

    def build() -> pd.DataFrame:
        header = pd.read_csv(files[0], nrows=0).columns.tolist()
        smiles_column = "mol" if name == "bace" else "smiles"
        if not header or header[0] != smiles_column:
            raise DataError(f"{files[0]}: expected {smiles_column!r} as the first column, found {header[:3]}")
        tasks_in_file = header[1:]
        out = pd.read_csv(
            files[0],
            dtype={smiles_column: "str"},
            keep_default_na=False,
            na_values={t: [""] for t in tasks_in_file},
        )
        for task in tasks_in_file:
            values = out[task]
            if not pd.api.types.is_numeric_dtype(values):
                raise DataError(f"{files[0]}: task {task!r} holds non-numeric values")
            if kind == "binary" and not values.dropna().isin([0, 1]).all():
                raise DataError(f"{files[0]}: task {task!r} should hold only 0/1")
        out = out.rename(columns={"mol": "smiles"} if name == "bace" else {"logp": "log_solubility"})
        out["smiles"] = out["smiles"].str.strip()
        tasks = [c for c in out.columns if c != "smiles"]
        if kind == "regression":
            out[tasks] = out[tasks].astype("float64")
        out.attrs.update({"tasks": tasks, "task": kind, "dataset": name})
        return out

    return memo(("moleculenet", name), files, build)


def _smiles_lines(path: Path, header: str | None) -> pd.DataFrame:
    """One SMILES per non-blank line (first whitespace-separated token), optionally after a header line."""
    with open_text(path) as fh:
        lines = [s for line in fh if (s := line.strip())]
    if header is not None:
        if not lines or lines[0] != header:
            raise DataError(f"{path}: expected header {header!r}")
        lines = lines[1:]
    return pd.DataFrame({"smiles": pd.Series([s.split()[0] for s in lines], dtype="str")})


def load_zinc250k() -> pd.DataFrame:
    """ZINC250k (249,455 unique SMILES, no properties): a single column ``smiles``."""
    files = resolve_all(["zinc250k/zinc250k.smi.gz"])
    return _smiles_lines(files[0], None)


def load_chembl10k() -> pd.DataFrame:
    """The 10,000 ChEMBL molecules MARS starts from: a single column ``smiles``."""
    files = resolve_all(["zinc250k/chembl_10k.smi"])
    return _smiles_lines(files[0], None)


_MOSES = ("train", "test", "test_scaffolds")


def load_moses(split: str = "train") -> pd.DataFrame:
    """MOSES molecules for ``split`` train (1,584,663), test (176,074) or test_scaffolds (176,225): column ``smiles``."""
    split = choose("MOSES split", split, _MOSES)
    files = resolve_all([f"moses/{split}.csv.gz"])
    return _smiles_lines(files[0], "SMILES")

"""GDSC as model inputs: one cell-feature matrix (omics blocks side by side), drug fingerprints, and pair indices.

Models train on *indices* into the 580-row cell matrix and the 170-row drug matrix rather than on a materialised
pair x feature table: the pair table would be 82,833 x ~3,000 floats, while the two small matrices fit in cache and
let the deep model embed every cell and drug once per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from drugloop.errors import InputError

OMICS: tuple[str, ...] = ("expression", "mutation", "copy_number")


@dataclass
class ResponseData:
    """Cell features, drug features and the (cell, drug, ln IC50) pairs that index them."""

    cells: pd.DataFrame  # index: cell id; columns: "<omics>:<entrez>" floats
    drugs: pd.DataFrame  # index: drug name; column: smiles
    pairs: pd.DataFrame  # columns: drug_name, depmap_id, ln_ic50, smiles, cell_idx, drug_idx
    genes: pd.DataFrame  # entrez_id, symbol in model column order
    omics: tuple[str, ...] = OMICS
    meta: dict = field(default_factory=dict)


def check_omics(omics: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Validate the omics blocks; expression must be present, since users predict from transcriptomes."""
    omics = tuple(omics)
    unknown = [o for o in omics if o not in OMICS]
    if unknown or not omics:
        raise InputError(f"unknown omics {unknown or omics}; choose from {', '.join(OMICS)}")
    if "expression" not in omics:
        raise InputError("the response models predict from transcriptomes: omics must include 'expression'")
    if len(set(omics)) != len(omics):
        raise InputError(f"omics repeat: {omics}")
    return omics


def cell_matrix(omics: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GDSC cell lines x (omics, gene) features, and the gene table giving the gene order inside each block."""
    from drugloop.data.loaders.response import load_gdsc_genes, load_gdsc_omics

    genes = load_gdsc_genes()
    blocks = []
    for kind in check_omics(omics):
        m = load_gdsc_omics(kind).astype("float32")
        m.columns = [f"{kind}:{c}" for c in m.columns]
        blocks.append(m)
    return pd.concat(blocks, axis=1), genes[["entrez_id", "symbol"]].reset_index(drop=True)


def load_gdsc_data(omics: tuple[str, ...] = OMICS) -> ResponseData:
    """GDSC (TGSA copy): 82,833 pairs over 580 cell lines and 170 drugs, with index columns into the matrices."""
    from drugloop.data.loaders.response import load_gdsc

    pairs = load_gdsc().copy()
    cells, genes = cell_matrix(omics)
    drugs = pairs.drop_duplicates("drug_name").set_index("drug_name")[["smiles"]].sort_index()
    missing = sorted(set(pairs["depmap_id"]) - set(cells.index))
    if missing:
        raise InputError(f"GDSC pairs name cell lines without omics: {missing[:5]}")
    pairs["cell_idx"] = cells.index.get_indexer(pairs["depmap_id"])
    pairs["drug_idx"] = drugs.index.get_indexer(pairs["drug_name"])
    return ResponseData(
        cells=cells, drugs=drugs, pairs=pairs.reset_index(drop=True), genes=genes, omics=omics
    )


def load_deepcdr_pairs(cells: pd.DataFrame, drug_names: pd.Index) -> pd.DataFrame:
    """DeepCDR's GDSC table restricted to cell lines we have omics for and drugs matched by name to ours.

    Drug names differ in spelling between the two copies, so they are matched case- and punctuation-insensitively;
    duplicate (drug, cell) entries (drugs screened twice under two GDSC ids) are averaged.
    """
    from drugloop.data.loaders.response import load_gdsc_deepcdr

    def key(s: str) -> str:
        return "".join(ch for ch in str(s).lower() if ch.isalnum())

    ours = {key(n): n for n in drug_names}
    df = load_gdsc_deepcdr()
    df = df[df["depmap_id"].isin(cells.index)].copy()
    df["drug_name"] = df["drug_name"].map(lambda n: ours.get(key(n)))
    df = df.dropna(subset=["drug_name"])
    df = df.groupby(["drug_name", "depmap_id"], as_index=False)["ln_ic50"].mean()
    return df

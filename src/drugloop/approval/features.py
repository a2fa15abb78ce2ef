"""Approval features rebuilt from the raw tables: per-gene perturbation profiles, then per-drug aggregates.

Why rebuild instead of reading ``ML_dataset.tsv``: the engine must score drugs and targets that are not in that
table, and the extra aggregates (max/min over targets, target counts) that our better models use exist only here.
The rebuild follows the paper's recipe (SBIlab DrugApprovalPrediction ``make_gene_info.py``/``make_ml_dataset.py``):

- gene universe: genes with both CGE and OGE (``gene_essentiality``), a STRING physical-network centrality and an
  expression value;
- ``Network`` = mean of the min-max-scaled dense ranks of degree and betweenness centrality (recomputed here);
- ``Expression`` = the same for tissue expression level and breadth. The consensus tissue-expression file is
  missing upstream, so the per-gene ``Expression`` value is taken from ``Gene_info.tsv`` as shipped (it cannot be
  recomputed);
- drug features: the mean over the drug's STITCH targets (score >= 700, as shipped) that are in the gene universe;
  a drug is kept when >= 90 % of its targets have features and it has chemical descriptors.

:func:`compare_with_ml_dataset` checks the rebuild against the shipped table (exact agreement on this snapshot).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from drugloop.data.loaders.approval import CHEMICAL_FEATURES, GENE_FEATURES, load_drug_approval
from drugloop.errors import DataError

log = logging.getLogger(__name__)

__all__ = [
    "AGG_FEATURES",
    "CHEMICAL_FEATURES",
    "EXTENDED_FEATURES",
    "FEATURE_GROUPS",
    "GENE_FEATURES",
    "GeneLookup",
    "aggregate_targets",
    "build_dataset",
    "compare_with_ml_dataset",
    "gene_table",
    "rdkit_chemical",
]

#: The paper's six feature groups (Park et al. 2023), in the order the paper reports them.
FEATURE_GROUPS: dict[str, list[str]] = {
    "CGE": ["CGE"],
    "OGE": ["OGE"],
    "OGE+CGE": ["OGE", "CGE"],
    "target": ["OGE", "CGE", "Network", "Expression"],
    "chemical": list(CHEMICAL_FEATURES),
    "all": ["OGE", "CGE", "Network", "Expression", *CHEMICAL_FEATURES],
}
#: Extra per-drug aggregates over targets: spread of essentiality across a drug's targets matters beyond the mean.
#: (The number of targets is left out on purpose: approved drugs are studied more, so it mostly measures study
#: effort; it adds < 0.005 AUROC here.)
AGG_FEATURES: list[str] = [
    "CGE_max",
    "CGE_min",
    "OGE_max",
    "OGE_min",
    "Network_max",
    "Expression_max",
]
EXTENDED_FEATURES: list[str] = [*FEATURE_GROUPS["all"], *AGG_FEATURES]
#: Features a target-only model uses (no chemistry): the drug is described by what it hits.
TARGET_ONLY_FEATURES: list[str] = [*GENE_FEATURES, *AGG_FEATURES]


def _dense_rank_scaled(values: pd.Series) -> pd.Series:
    rank = values.rank(method="dense")
    span = rank.max() - rank.min()
    return (rank - rank.min()) / span if span > 0 else rank * 0.0


@cache
def gene_table(universe: str = "paper") -> pd.DataFrame:
    """Per-gene CGE, OGE, Network, Expression (+ degree, betweenness, symbol), indexed by hg38 Ensembl id.

    ``universe="paper"`` keeps genes with all four features (the paper's set, 16,950 genes); ``"all"`` keeps every
    gene with CGE or OGE or a network entry, with NaN where a value is unknown (for scoring new targets).
    """
    if universe not in {"paper", "all"}:
        raise DataError(f"gene universe must be 'paper' or 'all', not {universe!r}")
    ess = load_drug_approval("gene_essentiality")
    net = load_drug_approval("centrality")
    info = load_drug_approval("gene_info")
    # one row per gene id; upstream has a few duplicated ids (alias rows), keep the first with both values
    ess = ess.sort_values(["CGE", "OGE"], na_position="last", kind="stable").drop_duplicates("gene_id")
    ess = ess.rename(columns={"gene": "symbol"})[["gene_id", "symbol", "CGE", "OGE"]]
    # hg19 -> hg38 ids: the paper used g:Profiler; the shipped Gene_info holds the result of that conversion
    to_hg38 = dict(zip(info["gene_id"], info["hg38_ensgid"], strict=True))
    ess["hg38_ensgid"] = ess["gene_id"].map(lambda g: to_hg38.get(g, g))
    net = net.rename(
        columns={
            "hg38_symbol": "net_symbol",
            "Degree Centrality": "degree",
            "Betweenness Centrality": "betweenness",
        }
    )
    net = net.drop_duplicates("hg38_ensgid")
    net["Network"] = (_dense_rank_scaled(net["degree"]) + _dense_rank_scaled(net["betweenness"])) / 2
    expr = info.drop_duplicates("hg38_ensgid").set_index("hg38_ensgid")["Expression"]
    genes = ess.drop_duplicates("hg38_ensgid").merge(
        net[["hg38_ensgid", "net_symbol", "degree", "betweenness", "Network"]], on="hg38_ensgid", how="outer"
    )
    genes["symbol"] = genes["symbol"].fillna(genes["net_symbol"])
    genes["Expression"] = genes["hg38_ensgid"].map(expr)
    genes = genes.drop(columns=["net_symbol"]).set_index("hg38_ensgid")
    if universe == "paper":
        genes = genes.dropna(subset=["CGE", "OGE", "Network", "Expression"])
    else:
        genes = genes.dropna(subset=["CGE", "OGE", "Network"], how="all")
    return genes[["symbol", "gene_id", "CGE", "OGE", "Network", "Expression", "degree", "betweenness"]]


@dataclass
class GeneLookup:
    """Resolve user gene names (HGNC symbols or Ensembl gene ids, any case) to rows of :func:`gene_table`."""

    genes: pd.DataFrame
    _by_symbol: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_symbol: dict[str, str] = {}
        for ensg, symbol in zip(self.genes.index, self.genes["symbol"], strict=True):
            if isinstance(symbol, str) and symbol.upper() not in by_symbol:
                by_symbol[symbol.upper()] = ensg
        # STITCH names proteins by symbol too; add its symbols for genes we know by id
        self._by_symbol = by_symbol

    @classmethod
    def default(cls, universe: str = "all") -> GeneLookup:
        return cls(gene_table(universe))

    def resolve(self, names: Iterable[str]) -> tuple[list[str], list[str]]:
        """(Ensembl ids found, names not found), each in input order without repeats."""
        found: list[str] = []
        unknown: list[str] = []
        for raw in names:
            name = str(raw).strip()
            if not name:
                continue
            key = name.upper()
            ensg = key if key.startswith("ENSG") and key in self.genes.index else self._by_symbol.get(key)
            if ensg is None:
                if name not in unknown:
                    unknown.append(name)
            elif ensg not in found:
                found.append(ensg)
        return found, unknown


def aggregate_targets(genes: pd.DataFrame, targets: Sequence[str]) -> dict[str, float]:
    """Per-drug target features: mean of CGE/OGE/Network/Expression (the paper) plus max/min.

    ``targets`` are Ensembl ids; ids missing from ``genes`` are ignored. NaN everywhere when none are known.
    """
    known = [t for t in dict.fromkeys(targets) if t in genes.index]
    out: dict[str, float] = {name: math.nan for name in [*GENE_FEATURES, *AGG_FEATURES]}
    if not known:
        return out
    block = genes.loc[known, GENE_FEATURES]
    means = block.mean()
    for name in GENE_FEATURES:
        out[name] = float(means[name])
    out["CGE_max"], out["CGE_min"] = float(block["CGE"].max()), float(block["CGE"].min())
    out["OGE_max"], out["OGE_min"] = float(block["OGE"].max()), float(block["OGE"].min())
    out["Network_max"] = float(block["Network"].max())
    out["Expression_max"] = float(block["Expression"].max())
    return out


def _stitch_targets() -> pd.DataFrame:
    links = load_drug_approval("stitch_targets")
    return links.sort_values(["stitch_id", "combined_score"], ascending=[True, False], kind="stable")


@cache
def _dataset(coverage: float) -> pd.DataFrame:
    drugs = load_drug_approval("drug_info")
    chem = load_drug_approval("chemical_properties").dropna(subset=CHEMICAL_FEATURES)
    chem = chem.drop_duplicates("stitch_id").set_index("stitch_id")[CHEMICAL_FEATURES]
    genes = gene_table("paper")
    links = _stitch_targets()
    links = links[links["stitch_id"].isin(drugs["stitch_id"])]
    counts = links.groupby("stitch_id", sort=False).agg(
        n_links=("ensgid", "size"), primary_target=("ensgid", "first")
    )
    known = links[links["ensgid"].isin(genes.index)].drop_duplicates(["stitch_id", "ensgid"])
    block = known.join(genes[GENE_FEATURES], on="ensgid")
    grouped = block.groupby("stitch_id", sort=False)
    feats = grouped[GENE_FEATURES].mean()
    feats["n_known"] = known.groupby("stitch_id", sort=False).size()
    feats["CGE_max"], feats["CGE_min"] = grouped["CGE"].max(), grouped["CGE"].min()
    feats["OGE_max"], feats["OGE_min"] = grouped["OGE"].max(), grouped["OGE"].min()
    feats["Network_max"] = grouped["Network"].max()
    feats["Expression_max"] = grouped["Expression"].max()
    feats["target_set"] = grouped["ensgid"].agg(lambda s: "|".join(sorted(s)))
    # the paper's filter: distinct known genes >= 90 % of the drug's STITCH link rows (repeats counted, as
    # upstream does), and the drug has chemical descriptors
    table = drugs.set_index("stitch_id")[["drug_name", "smiles", "approved", "phase"]]
    table = table.join(counts, how="inner").join(feats, how="inner")
    keep = (table["n_links"] * coverage <= table["n_known"]) & table.index.isin(chem.index)
    table = table.loc[keep].join(chem, how="inner")
    table = table.reset_index().rename(columns={"index": "stitch_id"})
    cols = [
        "stitch_id",
        "drug_name",
        "smiles",
        "approved",
        "phase",
        "primary_target",
        "target_set",
        *GENE_FEATURES,
        *AGG_FEATURES,
        *CHEMICAL_FEATURES,
    ]
    df = table[cols].copy()
    df["approved"] = df["approved"].astype(int)
    df["phase"] = df["phase"].astype(int)
    df.attrs.update({"label": "approved", "features": list(EXTENDED_FEATURES)})
    return df


def build_dataset(coverage: float = 0.9) -> pd.DataFrame:
    """The model table rebuilt from raw tables: ids, label, ``primary_target``, ``target_set``, all features.

    ``phase`` is kept for reference only (phase 4 == approved): never a feature.
    """
    df = _dataset(float(coverage)).copy()
    df.attrs.update(_dataset(float(coverage)).attrs)
    return df


def compare_with_ml_dataset(rebuilt: pd.DataFrame | None = None, atol: float = 1e-9) -> dict[str, object]:
    """Agreement of the rebuilt features with the shipped ``ML_dataset.tsv``: drug overlap and per-feature match."""
    rebuilt = build_dataset() if rebuilt is None else rebuilt
    shipped = load_drug_approval("ml_dataset")
    both = shipped.merge(rebuilt, on="stitch_id", suffixes=("_shipped", ""))
    report: dict[str, object] = {
        "drugs_shipped": int(len(shipped)),
        "drugs_rebuilt": int(len(rebuilt)),
        "drugs_in_both": int(len(both)),
        "label_agreement": float((both["approved_shipped"] == both["approved"]).mean())
        if len(both)
        else math.nan,
    }
    per_feature: dict[str, dict[str, float]] = {}
    for name in FEATURE_GROUPS["all"]:
        a = both[f"{name}_shipped"].to_numpy(float)
        b = both[name].to_numpy(float)
        per_feature[name] = {
            "fraction_equal": float(np.mean(np.isclose(a, b, rtol=0, atol=atol))),
            "max_abs_diff": float(np.nanmax(np.abs(a - b))) if len(a) else math.nan,
        }
    report["features"] = per_feature
    return report


# --------------------------------------------------------------------------- chemistry for new molecules

#: RDKit stand-ins for the paper's PubChem descriptors, so a new SMILES can be featurised the same way the
#: deployed models were trained (XLogP -> Crippen logP, Refractivity -> Crippen MR; the rest are direct).
RDKIT_CHEMICAL: list[str] = [f"rd_{name}" for name in CHEMICAL_FEATURES]


def rdkit_chemical(smiles: Sequence[str | None]) -> tuple[pd.DataFrame, list[str | None]]:
    """The 13 chemical features computed with RDKit from SMILES (NaN rows + an error for invalid SMILES)."""
    from rdkit import rdBase
    from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors

    from drugloop.chem import parse_smiles

    parsed = parse_smiles(list(smiles))
    values = np.full((len(parsed), len(CHEMICAL_FEATURES)), np.nan)
    with rdBase.BlockLogs():
        for i, p in enumerate(parsed):
            mol = p.mol
            if mol is None:
                continue
            mw = Descriptors.MolWt(mol)
            logp = Crippen.MolLogP(mol)
            hbd = Lipinski.NumHDonors(mol)
            hba = Lipinski.NumHAcceptors(mol)
            tpsa = rdMolDescriptors.CalcTPSA(mol)
            charge = sum(a.GetFormalCharge() for a in mol.GetAtoms())
            rings = rdMolDescriptors.CalcNumRings(mol)
            rot = rdMolDescriptors.CalcNumRotatableBonds(mol)
            mr = Crippen.MolMR(mol)
            atoms = mol.GetNumHeavyAtoms() + sum(a.GetTotalNumHs() for a in mol.GetAtoms())
            ro5 = float(sum([mw > 500, logp > 5, hbd > 5, hba > 10]) <= 1)
            ghose = float(160 <= mw <= 480 and -0.4 <= logp <= 5.6 and 40 <= mr <= 130 and 20 <= atoms <= 70)
            veber = float(rot <= 10 and tpsa <= 140)
            try:
                wqed = QED.qed(mol)
            except Exception:  # QED fails on a few odd valences; the rest of the row is still useful
                wqed = math.nan
            values[i] = [mw, logp, hbd, hba, tpsa, charge, rings, rot, mr, ro5, ghose, veber, wqed]
    return pd.DataFrame(values, columns=RDKIT_CHEMICAL), [p.error for p in parsed]

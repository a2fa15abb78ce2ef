"""The deployed approval engine: three calibrated LightGBM models trained on all 2,474 drugs, saved as a folder.

- ``full``: target features (mean/max/min of CGE, OGE, Network, Expression over the drug's targets) + 13 chemical
  descriptors computed by RDKit from SMILES (so new molecules are featurised exactly like the training set; the
  paper's PubChem descriptors cannot be computed for a new SMILES);
- ``chemical``: the RDKit descriptors only, for a drug with no known target (flagged ``chemical_only``);
- ``target``: the target features only, for a drug without a valid SMILES and for ``approval target GENE``.

Probabilities are Platt-calibrated on inner-CV out-of-fold predictions. They are calibrated to this data set's mix
of drugs that reached clinical trials (57 % approved), not to the much lower approval rate of all trial entrants.
The folder holds ``card.json`` (features, parameters, calibration, inner-CV AUROC, data sizes, versions) and one
LightGBM text model per part.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from drugloop import __version__
from drugloop.approval.config import ApprovalConfig
from drugloop.approval.features import (
    AGG_FEATURES,
    GENE_FEATURES,
    RDKIT_CHEMICAL,
    GeneLookup,
    aggregate_targets,
    build_dataset,
    gene_table,
    rdkit_chemical,
)
from drugloop.approval.models import Platt, TunedLGBM, tune_lgbm
from drugloop.errors import InputError, ModelError
from drugloop.utils.io import read_model_card

log = logging.getLogger(__name__)

CARD = "card.json"
ENGINE_VERSION = "approval-1"
TARGET_FEATURES = [*GENE_FEATURES, *AGG_FEATURES]
PARTS: dict[str, list[str]] = {
    "full": [*TARGET_FEATURES, *RDKIT_CHEMICAL],
    "chemical": list(RDKIT_CHEMICAL),
    "target": list(TARGET_FEATURES),
}
_SPLIT_TARGETS = re.compile(r"[|;,\s]+")


def parse_targets(value: Any) -> list[str]:
    """Gene names from one cell: separated by ``|``, ``;``, ``,`` or whitespace; blanks/NaN give []."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [t for t in _SPLIT_TARGETS.split(str(value).strip()) if t]


@dataclass
class ApprovalEngine:
    """The three fitted parts plus the card; :meth:`predict_drugs` and :meth:`target_profile` are the API."""

    parts: dict[str, TunedLGBM]
    card: dict[str, Any]

    # -- persistence ---------------------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        from drugloop.utils.io import atomic_write_json, atomic_write_text

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, part in self.parts.items():
            if part.booster is None:
                raise ModelError(f"part {name!r} is not fitted")
            atomic_write_text(folder / f"{name}.txt", part.booster.model_to_string())
        atomic_write_json(folder / CARD, self.card)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> ApprovalEngine:
        folder = Path(folder)
        if (folder / "model" / CARD).is_file():
            folder = folder / "model"
        card = read_model_card(folder / CARD, "approval model", "; run `drugloop approval train`")
        if card.get("engine_version") != ENGINE_VERSION:
            raise ModelError(
                f"{folder}: made by approval engine {card.get('engine_version')!r}, this is "
                f"{ENGINE_VERSION!r}; retrain"
            )
        parts = {}
        for name, meta in card["parts"].items():
            booster = lgb.Booster(model_file=str(folder / f"{name}.txt"))
            parts[name] = TunedLGBM(
                params=meta["params"],
                rounds=meta["rounds"],
                inner_auroc=meta["inner_auroc"],
                calibration=Platt(**meta["calibration"]),
                booster=booster,
            )
        return cls(parts=parts, card=card)

    # -- scoring ---------------------------------------------------------------------------------------------
    def _score(self, part: str, row: dict[str, float], top: int) -> tuple[float, str]:
        names = PARTS[part]
        x = np.array([[row.get(n, math.nan) for n in names]], dtype=float)
        model = self.parts[part]
        prob = float(model.predict(x)[0])
        contrib = model.contributions(x)[0, :-1] * model.calibration.a  # in calibrated log-odds units
        order = np.argsort(-np.abs(contrib))[:top]
        text = "; ".join(f"{names[i]}={contrib[i]:+.3f}" for i in order if contrib[i] != 0)
        return prob, text

    def predict_drugs(self, drugs: pd.DataFrame, top: int = 3) -> pd.DataFrame:
        """Score a table with ``name``, ``smiles`` and ``targets`` (gene symbols); one output row per input row.

        Output columns: name, approval_probability, model (full / chemical_only / target_only), n_targets_used,
        unknown_targets, top_contributions (tree-SHAP, log-odds), note (which fallback and why), error. Unknown genes are warned and listed; a
        row with neither a valid SMILES nor a known target gets an error and NaN, the others are still scored.
        """
        missing = [c for c in ("smiles", "targets") if c not in drugs.columns]
        if missing and not ({"smiles", "targets"} & set(drugs.columns)):
            raise InputError("the drugs table needs a 'smiles' and/or a 'targets' column")
        n = len(drugs)
        names = (
            drugs["name"].astype(str).tolist()
            if "name" in drugs.columns
            else [f"drug_{i + 1}" for i in range(n)]
        )
        smiles = drugs["smiles"].tolist() if "smiles" in drugs.columns else [None] * n
        smiles = [
            None if (s is None or (isinstance(s, float) and math.isnan(s)) or not str(s).strip()) else str(s)
            for s in smiles
        ]
        chem, chem_err = rdkit_chemical([s if s is not None else "" for s in smiles])
        lookup = GeneLookup.default("all")
        genes = lookup.genes
        rows = []
        all_unknown: list[str] = []
        for i in range(n):
            raw_targets = parse_targets(drugs["targets"].iloc[i]) if "targets" in drugs.columns else []
            found, unknown = lookup.resolve(raw_targets)
            all_unknown += [u for u in unknown if u not in all_unknown]
            feats = aggregate_targets(genes, found)
            has_chem = smiles[i] is not None and chem_err[i] is None
            rec: dict[str, Any] = {
                "name": names[i],
                "approval_probability": math.nan,
                "model": None,
                "n_targets_used": len(found),
                "unknown_targets": "|".join(unknown),
                "top_contributions": "",
                "note": "",
                "error": None,
            }
            row = {**feats, **chem.iloc[i].to_dict()}
            if found and has_chem:
                part, flag = "full", "full"
            elif has_chem:
                part, flag = "chemical", "chemical_only"
            elif found:
                part, flag = "target", "target_only"
            else:
                why = "missing SMILES" if smiles[i] is None else f"invalid SMILES ({chem_err[i]})"
                tgt = f"unknown targets {unknown}" if unknown else "no targets"
                rec["error"] = f"nothing to score: {why} and {tgt}"
                rows.append(rec)
                continue
            rec["approval_probability"], rec["top_contributions"] = self._score(part, row, top)
            rec["model"] = flag
            if flag == "chemical_only":
                rec["note"] = "no known target: scored by the chemical model"
            elif flag == "target_only":
                why = "no SMILES" if smiles[i] is None else f"invalid SMILES ({chem_err[i]})"
                rec["note"] = f"{why}: scored by the target model"
            rows.append(rec)
        if all_unknown:
            log.warning("%d unknown gene symbol(s) ignored: %s", len(all_unknown), ", ".join(all_unknown))
        out = pd.DataFrame(rows)
        n_bad = int(out["approval_probability"].isna().sum())
        if n_bad:
            log.warning("%d of %d rows could not be scored; see the 'error' column", n_bad, n)
        return out

    def target_profile(self, genes: list[str]) -> tuple[pd.DataFrame, list[str]]:
        """Per gene: CGE, OGE (with percentile among all genes), network centrality, expression, and the
        target-only approval likelihood of a drug hitting only this gene. Returns (table, unknown names)."""
        lookup = GeneLookup.default("all")
        table = lookup.genes
        found, unknown = lookup.resolve(genes)
        if unknown:
            log.warning("%d unknown gene symbol(s): %s", len(unknown), ", ".join(unknown))
        rows = []
        for ensg in found:
            g = table.loc[ensg]
            feats = aggregate_targets(table, [ensg])
            prob, text = self._score("target", feats, 3)
            rows.append(
                {
                    "gene": g["symbol"],
                    "ensembl_id": ensg,
                    "CGE": g["CGE"],
                    "CGE_percentile": _percentile(table["CGE"], g["CGE"]),
                    "OGE": g["OGE"],
                    "OGE_percentile": _percentile(table["OGE"], g["OGE"]),
                    "network_degree": g["degree"],
                    "network_betweenness": g["betweenness"],
                    "Network": g["Network"],
                    "Expression": g["Expression"],
                    "target_only_approval_probability": prob,
                    "top_contributions": text,
                }
            )
        return pd.DataFrame(rows), unknown


def _percentile(column: pd.Series, value: float) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    col = column.dropna().to_numpy(float)
    return float(100.0 * np.mean(col <= value))


def training_table(coverage: float = 0.9) -> pd.DataFrame:
    """The rebuilt drug table with RDKit descriptors added (what the deployed models train on)."""
    df = build_dataset(coverage)
    chem, errors = rdkit_chemical(df["smiles"].tolist())
    bad = sum(e is not None for e in errors)
    if bad:
        log.warning("%d training SMILES could not be parsed; their chemical features are NaN", bad)
    return pd.concat([df.reset_index(drop=True), chem], axis=1)


def train(cfg: ApprovalConfig | None = None) -> ApprovalEngine:
    """Fit the three parts on every drug of the rebuilt table, save them to ``cfg.out/model``, and return them."""
    from drugloop.evaluate.results import write_run_metadata

    cfg = cfg or ApprovalConfig()
    df = training_table(cfg.coverage)
    y = df["approved"].to_numpy(int)
    parts: dict[str, TunedLGBM] = {}
    meta: dict[str, Any] = {}
    for name, cols in PARTS.items():
        x = df[cols].to_numpy(float)
        model = tune_lgbm(x, y, cfg.seed, folds=cfg.inner_folds, threads=cfg.threads, feature_names=cols)
        parts[name] = model
        meta[name] = {
            "features": cols,
            "params": {k: v for k, v in model.params.items() if k != "num_threads"},
            "rounds": model.rounds,
            "inner_auroc": model.inner_auroc,
            "calibration": {"a": model.calibration.a, "b": model.calibration.b},
        }
        log.info("approval part %s: inner-CV AUROC %.3f, %d trees", name, model.inner_auroc, model.rounds)
    card = {
        "engine_version": ENGINE_VERSION,
        "drugloop_version": __version__,
        "lightgbm_version": lgb.__version__,
        "seed": cfg.seed,
        "n_drugs": int(len(df)),
        "n_approved": int(y.sum()),
        "n_genes": int(len(gene_table("paper"))),
        "parts": meta,
        "note": "probabilities calibrated to the training mix (57 % approved); inner_auroc is the CV score used "
        "for model selection (optimistic); see benchmarks/results/approval/ for held-out numbers",
    }
    engine = ApprovalEngine(parts=parts, card=card)
    out = Path(cfg.out)
    engine.save(out / "model")
    write_run_metadata(out, cfg, cfg.seed)
    return engine

"""The campaign's cell-line step: which cancer cell lines the top designs are predicted to hit hardest.

Only for targets that GDSC drugs hit (:func:`drugloop.response.targets.drugs_for_target`). A pan-drug LightGBM
response model (GDSC expression + drug ECFP -> ln IC50) is trained once into ``DIR/response_model`` with 10% of the
drugs held out, so the accuracy the report quotes is that of the very model that scores the designs, on drugs it
never saw, which is what a design is. It then predicts every design and every GDSC drug that hits the target
(the reference) on all 580 GDSC cell lines.

Settings are small on purpose (expression only, 512-bit ECFP, 200 trees of 31 leaves, 15% of features per tree,
one thread): the step takes about half a minute on one core. There is no early stopping: on a cold-drug validation
part (17 drugs) it stopped after ~26 trees, which scored worse on the held-out drugs than a fixed 200.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

OMICS = ("expression",)
N_BITS = 512
FRACTIONS = (0.9, 0.0, 0.1)
MODEL_PARAMS: dict[str, Any] = {
    "n_estimators": 200,
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_child_samples": 50,
    "colsample_bytree": 0.15,
    "max_bin": 15,
}
MODEL_DIR = "response_model"
COLUMNS = [
    "compound",
    "kind",
    "design_rank",
    "smiles",
    "depmap_id",
    "cell_line",
    "tissue",
    "cancer_type",
    "predicted_ln_ic50",
    "relative_ln_ic50",
    "rank",
    "measured_ln_ic50",
    "held_out",
    "nearest_gdsc_drug",
    "nearest_gdsc_similarity",
]


def cell_annotations(depmap_ids: pd.Index) -> pd.DataFrame:
    """Name, tissue (primary site) and TCGA cancer type per DepMap id, from DeepCDR's CCLE annotation."""
    from drugloop.data.loaders.response import load_deepcdr_cell_lines

    ann = load_deepcdr_cell_lines().dropna(subset=["depmap_id"]).drop_duplicates("depmap_id")
    ann = ann.set_index("depmap_id").reindex(depmap_ids)
    tissue = (
        ann["site_primary"]
        .astype(object)
        .map(lambda s: str(s).replace("_", " ") if isinstance(s, str) else None)
    )
    name = ann["name"].astype(object).where(ann["name"].notna(), pd.Series(depmap_ids, index=depmap_ids))
    return pd.DataFrame(
        {
            "cell_line": name.astype(str),
            "tissue": tissue.fillna("unknown"),
            "cancer_type": ann["tcga_code"].astype(object).fillna("unknown"),
        },
        index=depmap_ids,
    )


def response_model(out: Path, seed: int, path: str | Path | None = None) -> tuple[Any, dict[str, Any], Any]:
    """The response model, its held-out metrics and the GDSC data in its layout.

    ``path``: a model folder (a campaign's ``response_model`` or one from ``drugloop response train``); else the one
    in ``out/response_model``, trained there when absent.
    """
    from drugloop.response.data import load_gdsc_data
    from drugloop.response.model import load_model
    from drugloop.response.train import ResponseConfig, fit_on_split, per_drug_pearson

    folder = Path(path) if path else out / MODEL_DIR
    if path or (folder / "card.json").exists():
        model = load_model(folder)
        card = model.card
        holdout = card.get("campaign_holdout") or {
            "split": f"{card.get('split', 'unknown')} {card.get('fractions', '')}".strip(),
            "n_train": card.get("n_train"),
            "n_test": (card.get("test_metrics") or {}).get("n_test"),
            "test_drugs": None,  # not recorded by `drugloop response train`
            "cell_lines": None,
            "test": {
                k: float(v)
                for k, v in (card.get("test_metrics") or {}).items()
                if k in ("rmse", "pearson", "spearman", "per_drug_pearson_median")
            },
            "omics": card["omics"],
            "n_bits": card["n_bits"],
        }
        return model, holdout, load_gdsc_data(tuple(card["omics"]))
    data = load_gdsc_data(OMICS)
    cfg = ResponseConfig(
        split="cold_drug",
        fractions=FRACTIONS,
        model="lgbm",
        omics=OMICS,
        n_bits=N_BITS,
        seed=seed,
        threads=1,
        model_params=MODEL_PARAMS,
        out=folder,
    )
    model, metrics, data, parts = fit_on_split(cfg, data)
    pairs = data.pairs
    train, test = pairs[(parts == "train").to_numpy()], pairs[(parts == "test").to_numpy()]
    cell_mean = train.groupby("depmap_id")["ln_ic50"].mean()
    holdout = {
        "split": f"cold_drug 90/10 (seed {seed})",
        "n_train": int(metrics["n_train"]),
        "n_test": int(metrics["n_test"]),
        "train_drugs": int(train["drug_name"].nunique()),
        "test_drugs": sorted(test["drug_name"].unique().tolist()),
        "cell_lines": int(pairs["depmap_id"].nunique()),
        "test": {k: float(metrics[k]) for k in ("rmse", "pearson", "spearman", "per_drug_pearson_median")},
        # ranks each held-out drug's cell lines by the lines' mean ln IC50 over the training drugs
        "baseline_per_drug_pearson_median": per_drug_pearson(
            test, test["depmap_id"].map(cell_mean).to_numpy()
        ),
        "fit_seconds": float(metrics["fit_seconds"]),
        "omics": list(OMICS),
        "n_bits": N_BITS,
        "params": dict(MODEL_PARAMS),
    }
    model.card["campaign_holdout"] = holdout
    model.save(folder)  # the card is written after the weights, so a card on disk means a whole model
    return model, holdout, data


def predict_cell_lines(model: Any, data: Any, compounds: pd.DataFrame) -> pd.DataFrame:
    """ln IC50 of every compound on every GDSC cell line, ranked per compound (rank 1 = most sensitive).

    ``compounds``: compound, kind, design_rank, smiles, held_out. ``relative_ln_ic50`` is the prediction minus the
    compound's median over cell lines (negative = more sensitive than its typical line), since on new drugs the
    model ranks cell lines far better than it places a drug's overall potency.
    """
    from drugloop.design.surrogate import tanimoto_matrix
    from drugloop.response.model import drug_fingerprints

    n_bits = int(model.card["n_bits"])
    fps, errors = drug_fingerprints(compounds["smiles"].tolist(), n_bits)
    ok = np.array([e is None for e in errors])
    if not ok.any():
        return pd.DataFrame(columns=COLUMNS)
    compounds = compounds.loc[ok].reset_index(drop=True)
    fps = fps[ok]
    cells = data.cells
    n_cells = len(cells)
    ci, di = np.meshgrid(np.arange(n_cells), np.arange(len(compounds)), indexing="xy")
    pred = model.predict(cells.to_numpy(np.float32), fps, ci.ravel(), di.ravel())

    gdsc = data.drugs
    gdsc_fps, _ = drug_fingerprints(gdsc["smiles"].tolist(), n_bits)
    sim = tanimoto_matrix(fps, gdsc_fps)
    for i, (name, kind) in enumerate(zip(compounds["compound"], compounds["kind"], strict=True)):
        if kind == "reference" and name in gdsc.index:  # a reference's nearest other drug, not itself
            sim[i, gdsc.index.get_loc(name)] = -1.0
    nearest = sim.argmax(axis=1)

    measured = data.pairs.set_index(["drug_name", "depmap_id"])["ln_ic50"]
    ann = cell_annotations(cells.index)
    frame = pd.DataFrame(
        {
            "compound": np.repeat(compounds["compound"].to_numpy(object), n_cells),
            "kind": np.repeat(compounds["kind"].to_numpy(object), n_cells),
            "design_rank": pd.array(np.repeat(compounds["design_rank"].to_numpy(), n_cells), dtype="Int64"),
            "smiles": np.repeat(compounds["smiles"].to_numpy(object), n_cells),
            "depmap_id": np.tile(cells.index.to_numpy(object), len(compounds)),
            "predicted_ln_ic50": pred.astype(float),
            "held_out": np.repeat(compounds["held_out"].to_numpy(bool), n_cells),
            "nearest_gdsc_drug": np.repeat(gdsc.index.to_numpy(object)[nearest], n_cells),
            "nearest_gdsc_similarity": np.repeat(
                sim[np.arange(len(compounds)), nearest].astype(float), n_cells
            ),
        }
    )
    frame = frame.join(ann, on="depmap_id")
    keys = pd.MultiIndex.from_arrays([frame["compound"], frame["depmap_id"]])
    frame["measured_ln_ic50"] = measured.reindex(keys).to_numpy(float)
    frame.loc[frame["kind"] == "design", "measured_ln_ic50"] = np.nan
    by = frame.groupby("compound", sort=False)["predicted_ln_ic50"]
    frame["relative_ln_ic50"] = frame["predicted_ln_ic50"] - by.transform("median")
    frame["rank"] = by.rank(method="first").astype("int64")
    order = {c: i for i, c in enumerate(compounds["compound"])}
    frame = frame.sort_values(["compound", "rank"], key=lambda c: c.map(order) if c.name == "compound" else c)
    return frame[COLUMNS].reset_index(drop=True)


def tissue_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per compound and tissue: cell lines, median predicted and relative ln IC50, rank of the tissue (1 = most
    sensitive by median relative ln IC50; tissues with fewer than 3 lines, and unannotated lines, are kept but not
    ranked)."""
    cols = [
        "compound",
        "kind",
        "tissue",
        "cell_lines",
        "median_predicted_ln_ic50",
        "median_relative_ln_ic50",
        "tissue_rank",
    ]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    g = frame.groupby(["compound", "kind", "tissue"], sort=False)
    out = g.agg(
        cell_lines=("depmap_id", "size"),
        median_predicted_ln_ic50=("predicted_ln_ic50", "median"),
        median_relative_ln_ic50=("relative_ln_ic50", "median"),
    ).reset_index()
    ranked = (out["cell_lines"] >= 3) & (out["tissue"] != "unknown")
    out["tissue_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out.loc[ranked, "tissue_rank"] = (
        out[ranked]
        .groupby("compound", sort=False)["median_relative_ln_ic50"]
        .rank(method="first")
        .astype("int64")
    )
    order = {c: i for i, c in enumerate(frame["compound"].unique())}
    out = out.sort_values(
        ["compound", "tissue_rank", "tissue"],
        na_position="last",
        key=lambda c: c.map(order) if c.name == "compound" else c,
    )
    return out[cols].reset_index(drop=True)

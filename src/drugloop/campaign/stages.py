"""The campaign's steps, one function each: ``step_NAME(config, out) -> info``; inputs and outputs live in ``out``.

A step returns a small dict of facts for ``steps.json`` (or ``{"skipped": reason}`` when it does not apply); it
raises DrugloopError for a user's mistake. Only the target, the binding model, the design loop and the report are
required; the rest are assessments whose absence the report states.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drugloop.campaign.config import CampaignConfig
from drugloop.campaign.run import read_json, save_json, sigmoid_bounds, write_parquet
from drugloop.campaign.target import Target, known_ligands, resolve_target
from drugloop.chem.properties import DESIGN_ALERTS

log = logging.getLogger(__name__)

REQUIRED = {"target", "binding", "design", "designs", "report"}
ZINC_SEEDS = 400  # random ZINC250k molecules that seed the Graph GA beside the known ligands


def load_target(out: Path) -> Target:
    raw = read_json(out / "target.json")
    raw.pop("length", None)
    return Target(**raw)


# ----------------------------------------------------------------------------------------------------- target
def step_target(config: CampaignConfig, out: Path) -> dict[str, Any]:
    target = resolve_target(config.target)
    save_json(target.to_dict(), out / "target.json")
    ligands = known_ligands(target)
    write_parquet(ligands, out / "known_ligands.parquet")
    return {
        "name": target.name,
        "gene": target.gene,
        "length": len(target.sequence),
        "known_ligands": len(ligands),
    }


def approval_engine(config: CampaignConfig, out: Path):  # noqa: ANN201 - engine type imported lazily
    """The approval models: loaded from ``approval_model`` when given, else trained once into the run folder."""
    from drugloop.approval.config import ApprovalConfig
    from drugloop.approval.engine import ApprovalEngine, train

    if config.approval_model:
        return ApprovalEngine.load(config.approval_model)
    folder = out / "approval_model"
    if (folder / "model").exists():
        return ApprovalEngine.load(folder)
    return train(ApprovalConfig(out=folder, seed=config.seed))


def step_target_profile(config: CampaignConfig, out: Path) -> dict[str, Any]:
    """The target's perturbation profile and target-only approval likelihood (approval engine)."""
    target = load_target(out)
    if not target.gene:
        return {
            "skipped": "the target has no gene symbol (FASTA input), so its perturbation profile is unknown"
        }
    profile, unknown = approval_engine(config, out).target_profile([target.gene])
    if unknown or profile.empty:
        return {"skipped": f"{target.gene} is not in the approval engine's gene tables"}
    write_parquet(profile, out / "target_profile.parquet")
    return {"gene": target.gene}


def step_target_regions(config: CampaignConfig, out: Path) -> dict[str, Any]:
    """Predicted binding regions of the target from its sequence alone (binding-region predictor)."""
    from drugloop.binding.regions import RegionPredictor

    target = load_target(out)
    model = RegionPredictor.default()
    pred = model.predict([target.sequence])[0]
    residues = pd.DataFrame(
        {
            "position": np.arange(1, len(target.sequence) + 1),
            "residue": list(target.sequence),
            "binding": pred.binding,
            "region": pred.region,
        }
    )
    write_parquet(residues, out / "target_residues.parquet")
    regions = pd.DataFrame(
        [
            {"rank": i + 1, "start": r.start, "end": r.end, "score": r.score}
            for i, r in enumerate(pred.regions)
        ],
        columns=["rank", "start", "end", "score"],
    )
    write_parquet(regions, out / "target_regions.parquet")
    return {"regions": len(regions), "accuracy": region_model_accuracy(model.card)}


def region_model_accuracy(card: dict[str, Any]) -> dict[str, float]:
    """The region model's held-out accuracy from its card, so the report can say how far to trust the regions."""
    validation = card.get("validation", {})
    residues, regions = validation.get("bindpredict_fold5", {}), validation.get("hots", {})
    found = {
        "per-residue AUROC (bindPredict fold 5)": residues.get("auroc"),
        "per-residue MCC (bindPredict fold 5)": residues.get("mcc"),
        "region AP@0.5 (HoTS validation)": regions.get("ap@0.5"),
        "top-n success@0.5 (HoTS validation)": regions.get("top_n@0.5"),
    }
    return {k: float(v) for k, v in found.items() if v is not None}


# ---------------------------------------------------------------------------------------------------- binding
def step_binding(config: CampaignConfig, out: Path) -> dict[str, Any]:
    from drugloop.campaign.binding_step import load_binding, train_binding

    target = load_target(out)
    if config.model:
        step = load_binding(config.model)
    else:
        step = train_binding(
            target, out, seed=config.seed, ensemble=config.ensemble, n_estimators=config.n_estimators
        )
        if step.held_out is not None:
            write_parquet(step.held_out, out / "binding_holdout.parquet")
    info = {
        "model_dir": str(step.model_dir),
        "dataset": step.dataset,
        "unit": step.unit,
        "split": step.split,
        "metrics": step.metrics,
        "model_type": step.model.model_type,
        "card": step.model.card,
    }
    save_json(info, out / "binding.json")
    return {"model_dir": str(step.model_dir), "split": step.split}


# ----------------------------------------------------------------------------------------------------- design
def objective_config(config: CampaignConfig, out: Path) -> dict[str, Any]:
    """The design objective: binding (and trust in it), drug-likeness, synthesisability, novelty, alerts."""
    target = load_target(out)
    binding = read_json(out / "binding.json")
    ligands = pd.read_parquet(out / "known_ligands.parquet")
    w = config.weights
    low, high = config.binding_scale
    components: list[dict[str, Any]] = [
        {
            "type": "binding",
            "weight": w.binding,
            "model": binding["model_dir"],
            "sequence": target.sequence,
            "transform": sigmoid_bounds(low, high),
        },
        {"type": "qed", "weight": w.qed},
        {
            "type": "sa",
            "weight": w.sa,
            "transform": {"type": "reverse_sigmoid", "low": 2.0, "high": 6.0, "k": 0.5},
        },
        {"type": "alerts", "pains": True, "smarts": list(DESIGN_ALERTS.values())},
    ]
    members = int(binding["card"].get("ensemble") or binding["card"].get("params", {}).get("ensemble") or 1)
    if w.uncertainty > 0 and members > 1:
        components.append(
            {
                "type": "binding_uncertainty",
                "name": "confidence",
                "weight": w.uncertainty,
                "model": binding["model_dir"],
                "sequence": target.sequence,
                "transform": {"type": "reverse_sigmoid", "low": 0.0, "high": 1.0, "k": 0.5},
            }
        )
    refs = sorted(set(ligands["smiles"].dropna().astype(str)))
    if refs and w.novelty > 0:
        components.append(
            {
                "type": "similarity",
                "name": "novelty",
                "weight": w.novelty,
                "references": refs,
                "transform": {"type": "reverse_sigmoid", "low": 0.3, "high": 0.9, "k": 0.5},
            }
        )
    return {"aggregation": "geometric", "components": [c for c in components if c.get("weight", 1) > 0]}


def known_parents(
    ligands: pd.DataFrame, config: CampaignConfig, n: int = 60
) -> tuple[list[str], list[float]]:
    """The strongest measured binders as Graph GA parents, never as designs: they were made by others.

    They enter the mating pool with a modest pseudo-score (0.3 x the binding desirability of their measured
    affinity), so the first children inherit binder chemistry and designs that score better soon replace them;
    they are not objective calls and are not in the ledger.
    """
    from drugloop.design.loop import canonical
    from drugloop.design.scoring import TransformConfig, transform

    if ligands.empty:
        return [], []
    best = ligands.sort_values("affinity", ascending=False).drop_duplicates("smiles")
    best = best[best["unit"] == best["unit"].iloc[0]].head(n)
    desirability = transform(
        best["affinity"].to_numpy(float), TransformConfig(**sigmoid_bounds(*config.binding_scale))
    )
    pairs = [(canonical(s), 0.3 * float(d)) for s, d in zip(best["smiles"], desirability, strict=True)]
    pairs = [(s, d) for s, d in pairs if s]
    return [s for s, _ in pairs], [d for _, d in pairs]


def step_design(config: CampaignConfig, out: Path) -> dict[str, Any]:
    from drugloop.data.loaders import load_zinc250k
    from drugloop.design.graph_ga import GraphGA
    from drugloop.design.ledger import Ledger
    from drugloop.design.loop import LibrarySampler, LoopConfig, run_loop
    from drugloop.design.scoring import objective_from_config

    objective_cfg = objective_config(config, out)
    save_json(objective_cfg, out / "objective.json")
    objective = objective_from_config({"objective": objective_cfg}, name="campaign")
    ligands = pd.read_parquet(out / "known_ligands.parquet")
    zinc = load_zinc250k()["smiles"].tolist()
    rng = np.random.default_rng(config.seed)
    ga = GraphGA([zinc[int(i)] for i in rng.choice(len(zinc), ZINC_SEEDS, replace=False)])
    parents, prior = known_parents(ligands, config)
    if parents:
        ga.update(parents, prior)
    generators = [ga, LibrarySampler(zinc)]
    loop_cfg = LoopConfig(
        budget=config.budget,
        batch_size=config.batch,
        seed=config.seed,
        candidates={"graph_ga": 8 * config.batch, "zinc": 2 * config.batch},
    )
    path = out / "ledger.parquet"
    ledger = Ledger.load(path, budget=config.budget) if path.exists() else Ledger(config.budget, path)
    result = run_loop(objective, generators, loop_cfg, ledger, progress=True)
    result.ledger.save(path)
    return {
        "calls": len(result.ledger),
        "cycles": result.cycles,
        "stopped": result.stopped,
        "counters": dict(result.ledger.counters),
        "seconds": result.wall_seconds,
    }


def step_designs(config: CampaignConfig, out: Path) -> dict[str, Any]:
    """The top designs with their predicted affinity, its spread and every objective component."""
    from rdkit import Chem

    from drugloop.binding.base import load_model
    from drugloop.chem.properties import qed, sa_score

    ledger = pd.read_parquet(out / "ledger.parquet")
    top = (
        ledger.sort_values(["score", "order"], ascending=[False, True])
        .head(config.top)
        .reset_index(drop=True)
    )
    target = load_target(out)
    binding = read_json(out / "binding.json")
    model = load_model(binding["model_dir"])
    pred = model.predict(pd.DataFrame({"smiles": top["smiles"], "sequence": target.sequence}))
    mols = [Chem.MolFromSmiles(s) for s in top["smiles"]]
    comps = [json.loads(c) if isinstance(c, str) and c else {} for c in top["components"]]
    frame = pd.DataFrame(
        {
            "rank": np.arange(1, len(top) + 1),
            "smiles": top["smiles"],
            "score": top["score"],
            "predicted_affinity": pred["prediction"].to_numpy(float),
            "uncertainty": pred["uncertainty"].to_numpy(float),
            "qed": [qed(m) for m in mols],
            "sa": [sa_score(m) for m in mols],
            "novelty": [c.get("novelty", np.nan) for c in comps],
            "nearest_known_similarity": [c.get("novelty_raw", np.nan) for c in comps],
            "found_at_call": top["order"] + 1,
            "batch": top["batch"],
            "source": top["source"],
        }
    )
    write_parquet(frame, out / "designs.parquet")
    return {"designs": len(frame), "best_score": float(frame["score"].iloc[0]) if len(frame) else None}


# ------------------------------------------------------------------------------------------ explain and assess
def step_explain(config: CampaignConfig, out: Path) -> dict[str, Any]:
    """Per-residue explanation of the best design's binding (attention when the model has it, else regions)."""
    from drugloop.binding.base import load_model
    from drugloop.binding.explain import explain_pair

    target = load_target(out)
    designs = pd.read_parquet(out / "designs.parquet")
    if designs.empty:
        return {"skipped": "no design to explain"}
    model = load_model(read_json(out / "binding.json")["model_dir"])
    exp = explain_pair(model, str(designs["smiles"].iloc[0]), target.sequence, target_id=target.name)
    write_parquet(exp.residues, out / "explain_residues.parquet")
    save_json(
        {
            "smiles": exp.smiles,
            "method": exp.method,
            "regions": exp.regions,
            "notes": exp.notes,
            "prediction": exp.prediction,
        },
        out / "explain.json",
    )
    return {"method": exp.method, "regions": len(exp.regions)}


def step_approval(config: CampaignConfig, out: Path) -> dict[str, Any]:
    """Drug-level approval probability of the top designs (their target + their chemistry), with contributions."""
    target = load_target(out)
    designs = pd.read_parquet(out / "designs.parquet")
    if designs.empty:
        return {"skipped": "no designs to assess"}
    drugs = pd.DataFrame(
        {
            "name": [f"design_{r}" for r in designs["rank"]],
            "smiles": designs["smiles"],
            "targets": target.gene or "",
        }
    )
    scored = approval_engine(config, out).predict_drugs(drugs)
    scored = scored.assign(**{c: scored[c].astype(str) for c in scored.columns if scored[c].dtype == object})
    write_parquet(scored, out / "approval.parquet")
    return {"drugs": len(scored)}


def step_response(config: CampaignConfig, out: Path) -> dict[str, Any]:
    """Network biomarkers of the target: genes by random walk with restart, pathways by proximity z-score."""
    from drugloop.response.biomarkers import drug_biomarkers

    target = load_target(out)
    if not target.gene:
        return {"skipped": "the target has no gene symbol, so it cannot be placed on the protein network"}
    result = drug_biomarkers([target.gene], n_random=200, seed=config.seed)
    if result.missing_targets:
        return {"skipped": f"{target.gene} is not in the STRING network"}
    write_parquet(result.genes.head(50), out / "response_biomarkers.parquet")
    write_parquet(result.pathways.head(50), out / "response_pathways.parquet")
    return {"genes": int(min(len(result.genes), 50)), "pathways": int(min(len(result.pathways), 50))}


def step_cell_lines(config: CampaignConfig, out: Path) -> dict[str, Any]:
    """Cell lines predicted most sensitive to the top designs (and to the GDSC drugs that hit the target)."""
    from drugloop.campaign.cell_lines import predict_cell_lines, response_model, tissue_summary
    from drugloop.response.targets import drugs_for_target

    target = load_target(out)
    if not target.gene:
        return {"skipped": "the target has no gene symbol, so no GDSC drug can be linked to it"}
    references = drugs_for_target(target.gene)
    if references.empty:
        return {
            "skipped": f"{target.gene} is not a cancer drug target in the response data: no GDSC drug hits it "
            "by GDSC's own annotation or by a DAVIS Kd <= 100 nM (drugloop.response.targets)"
        }
    designs = pd.read_parquet(out / "designs.parquet")
    if designs.empty:
        return {"skipped": "no designs to score"}
    write_parquet(references, out / "cell_line_references.parquet")
    model, holdout, data = response_model(out, config.seed, config.response_model)
    held = set(holdout.get("test_drugs") or [])
    compounds = pd.concat(
        [
            pd.DataFrame(
                {
                    "compound": [f"design_{r}" for r in designs["rank"]],
                    "kind": "design",
                    "design_rank": designs["rank"].to_numpy(),
                    "smiles": designs["smiles"],
                    "held_out": True,
                }
            ),
            pd.DataFrame(
                {
                    "compound": references["drug_name"],
                    "kind": "reference",
                    "design_rank": pd.NA,
                    "smiles": references["smiles"],
                    "held_out": references["drug_name"].isin(held),
                }
            ),
        ],
        ignore_index=True,
    )
    frame = predict_cell_lines(model, data, compounds)
    write_parquet(frame, out / "cell_line_sensitivity.parquet")
    write_parquet(tissue_summary(frame), out / "cell_line_tissues.parquet")
    save_json(
        {
            "model_dir": str(config.response_model or out / "response_model"),
            "model_type": model.model_type,
            "holdout": holdout,
            "references": references["drug_name"].tolist(),
        },
        out / "cell_lines.json",
    )
    return {
        "compounds": int(frame["compound"].nunique()),
        "references": len(references),
        "per_drug_pearson": holdout["test"]["per_drug_pearson_median"],
    }


def step_report(config: CampaignConfig, out: Path) -> dict[str, Any]:
    from drugloop.campaign.report import write_report

    path = write_report(out)
    return {"report": str(path)}

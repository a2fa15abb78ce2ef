"""Binding-region benchmarks: HoTS test set 1 (region AP@0.5, top-n success) and bindPredict (per-residue metrics).

  python benchmarks/binding_regions.py run --seed 0 [--ship]     # one seed -> benchmarks/results/binding/runs/
  python benchmarks/binding_regions.py aggregate                  # -> regions_hots_test1.json, residues_bindpredict.json

Protocol (see ``drugloop.binding.region_data``): train on bindPredict folds 1-4 + HoTS Validation_HoTS, validate on
bindPredict fold 5 + HoTS BR_validation_dataset, after removing every training/validation protein with >= 90%
identity (Biopython local alignment, identities / shorter length) to any test protein (HoTS BR_test_dataset_1,
bindPredict TestSet300 and TestSetNew46) and every training protein >= 90% identical to a validation protein.
Early stopping on validation loss; the region decoder (segment / pad / anchor + threshold) is chosen by validation
AP@0.5 and the residue threshold by validation MCC. The test sets are scored once per seed, after those choices.
AP follows HoTS: pooled over complexes, predictions outside the PDB-resolved range dropped; the full-sequence
variant is reported beside it. ``--ship`` also writes that seed's model into src/drugloop/binding/weights/.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RUNS = RESULTS / "binding" / "runs"
WEIGHTS = ROOT / "src" / "drugloop" / "binding" / "weights"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "drugloop" / "regions"
log = logging.getLogger("benchmarks.binding_regions")


def _reusable(folder: Path, report: dict) -> bool:
    """A cached model of this seed trained on exactly this training / validation set."""
    from drugloop.binding.regions import RegionPredictor

    if not (folder / "regions.json").is_file():
        return False
    seen = RegionPredictor.load(folder).card.get("trained_on", {})
    keys = ("train_kept", "valid_kept", "train_candidates", "valid_candidates", "identity_threshold")
    return all(seen.get(k) == report.get(k) for k in keys)


def run(seed: int, ship: bool, epochs: int | None, limit: int | None = None, reuse: bool = False) -> Path:
    import copy

    import numpy as np

    from drugloop.binding.region_data import (
        LOW_IDENTITY,
        add_low_identity,
        prepare,
        score_hots,
        score_residues,
        select_binding_threshold,
        select_decoder,
        select_template_blend,
        sibling_ceiling,
    )
    from drugloop.binding.regions import RegionPredictor
    from drugloop.binding.templates import TemplateLibrary
    from drugloop.evaluate.results import git_commit
    from drugloop.utils.io import atomic_write_json

    started = time.perf_counter()
    data = prepare(CACHE, with_low_identity=False)
    log.info("data: %s", {k: v for k, v in data.report.items() if k != "test_sequences"})
    if limit:  # smoke runs only: a few proteins of each set
        data.train, data.valid = (
            data.train[:limit] + data.train[-limit:],
            data.valid[:limit] + data.valid[-limit:],
        )
        data.valid_hots = data.valid_hots.head(limit)
        data.valid_bp = data.valid_bp[:limit]
        data.test_hots = data.test_hots.head(limit)
        data.test_bp, data.indep_bp = data.test_bp[:limit], data.indep_bp[:limit]
    params = {"epochs": epochs} if epochs else {}
    cached = CACHE / f"model_seed{seed}"
    reused = bool(reuse and not limit and not epochs and _reusable(cached, data.report))
    if (
        reused
    ):  # the CNN this script trained for this seed on the same data (training is deterministic per seed)
        model = RegionPredictor.load(cached)
        log.info("reusing the seed-%d CNN from %s", seed, cached)
    else:
        model = RegionPredictor(seed=seed, **params).fit(data.train, data.valid)
        model.card["trained_on"] = {k: v for k, v in data.report.items() if k != "test_sequences"}
        model.card["trained_at_commit"] = git_commit()
        if not limit:  # a smoke model must never stand in for a seed's real one
            model.save(cached)  # before any scoring, so a scoring bug never costs the training
    decoder, table = select_decoder(model, data.valid_hots)
    model.decoder = decoder
    model.binding_threshold = select_binding_threshold(model, data.valid_bp)
    valid_hots, _ = score_hots(model, data.valid_hots, decoder)
    valid_res = score_residues(model, data.valid_bp, model.binding_threshold)
    model.card.update(
        {
            "trained_on": {k: v for k, v in data.report.items() if k != "test_sequences"},
            "validation": {"hots": valid_hots, "bindpredict_fold5": valid_res},
            "decoder_table": table,
        }
    )

    # --- the same CNN with homology transfer: the blend and its decoder chosen on validation, templates for
    # validation proteins from the training set only
    library = TemplateLibrary(data.train)
    blend, t_decoder, t_table = select_template_blend(model, data.valid_hots, library, CACHE)
    system = copy.copy(model)
    system.card = dict(model.card)
    if blend is not None:
        system.template_decoder = t_decoder
        system.use_templates(library, blend, CACHE)
    system.binding_threshold = select_binding_threshold(system, data.valid_bp)
    t_valid_hots, _ = score_hots(system, data.valid_hots)  # each protein with the system's own decoder
    t_valid_res = score_residues(system, data.valid_bp, system.binding_threshold)

    # --- test sets: scored once, after every choice above
    add_low_identity(data, CACHE)
    test = data.test_hots
    low_seqs = {s for s, i in data.low_identity.items() if i < LOW_IDENTITY}
    hots_all, _ = score_hots(model, test, decoder)
    low_df = test[test["sequence"].isin(low_seqs)].reset_index(drop=True)
    hots_low, _ = score_hots(model, low_df, decoder)
    res_test = score_residues(model, data.test_bp, model.binding_threshold)
    res_indep = score_residues(model, data.indep_bp, model.binding_threshold)
    low_bp = [p for p in data.test_bp if p.sequence in low_seqs]
    res_low = score_residues(model, low_bp, model.binding_threshold) if low_bp else {}
    # templates for test proteins may come from training and validation (all filtered < 90% to every test protein)
    full_library = TemplateLibrary(data.train + data.valid)
    if blend is not None:
        system.use_templates(full_library, blend, CACHE)
        ident, _ = full_library.nearest(list(dict.fromkeys(test["sequence"])), CACHE)
        n_hits = int((ident >= blend["min_identity"]).sum())
    else:
        n_hits = 0
    t_test = {
        "hots_test1": score_hots(system, test)[0],
        "hots_test1_below_40pct": score_hots(system, low_df)[0],
        "bindpredict_test300": score_residues(system, data.test_bp, system.binding_threshold),
        "bindpredict_indep46": score_residues(system, data.indep_bp, system.binding_threshold),
        "bindpredict_test300_below_40pct": (
            score_residues(system, low_bp, system.binding_threshold) if low_bp else {}
        ),
    }
    record = {
        "seed": seed,
        "decoder": decoder,
        "binding_threshold": model.binding_threshold,
        "best_epoch": int(np.argmin([h["val_loss"] for h in model.card["history"]]) + 1),
        "epochs_run": len(model.card["history"]),
        "data": data.report,
        "validation": {"hots": valid_hots, "bindpredict_fold5": valid_res},
        "test": {
            "hots_test1": hots_all,
            "hots_test1_below_40pct": {
                **hots_low,
                "n_complexes": len(low_df),
                "n_proteins": int(low_df["sequence"].nunique()),
            },
            "bindpredict_test300": res_test,
            "bindpredict_test300_below_40pct": {**res_low, "n_proteins": len(low_bp)},
            "bindpredict_indep46": res_indep,
        },
        "templates": {
            "blend": blend,
            "decoder": t_decoder,
            "binding_threshold": system.binding_threshold,
            "library_validation": len(library),
            "library_test": len(full_library),
            "hots_test1_proteins_with_template": n_hits,
            "validation": {"hots": t_valid_hots, "bindpredict_fold5": t_valid_res},
            "test": t_test,
            "grid": [{k: r[k] for k in ("blend", "decoder", "ap@0.5", "top_n@0.5")} for r in t_table],
        },
        "validation_sibling_ceiling": sibling_ceiling(data.valid_hots),
        "cnn": {"reused_from_cache": reused, "trained_at_commit": model.card.get("trained_at_commit")},
        "commit": git_commit(),
        "wall_seconds": time.perf_counter() - started,
    }
    if limit:
        print(json.dumps({"cnn": record["test"], "templates": record["templates"]["test"]}, indent=1))
        return RUNS
    out = atomic_write_json(RUNS / f"regions_seed{seed}.json", record)
    if not reused:
        model.save(cached)
    if ship:
        system.save(WEIGHTS)  # the CNN with its chosen template blend (the library is attached at run time)
    log.info(
        "seed %d done in %.0f s: %s", seed, record["wall_seconds"], json.dumps(record["test"]["hots_test1"])
    )
    return out


def aggregate() -> None:
    from drugloop.evaluate.results import write_result

    runs = sorted(RUNS.glob("regions_seed*.json"))
    if not runs:
        sys.exit("no runs under " + str(RUNS))
    recs = [json.loads(p.read_text()) for p in runs]
    seeds = [r["seed"] for r in recs]
    wall = sum(r["wall_seconds"] for r in recs)
    split = {
        "train": "bindPredict folds 1-4 + HoTS Validation_HoTS",
        "validation": "bindPredict fold 5 + HoTS BR_validation_dataset",
        "identity_filter": ">=90% identity to any test protein removed (Biopython local alignment, identities/shorter length)",
        "low_identity_subset": "test proteins with <40% identity to every training/validation protein",
    }
    model = {
        "name": "region-cnn + homology transfer (drugloop.binding.templates)",
        "template_blends": [r["templates"]["blend"] for r in recs],
        "template_decoders": [r["templates"]["decoder"] for r in recs],
        "cnn_decoders": [r["decoder"] for r in recs],
        "binding_thresholds": [r["templates"]["binding_threshold"] for r in recs],
        "cnn_binding_thresholds": [r["binding_threshold"] for r in recs],
        "cnn_reused_from_cache": [r["cnn"]["reused_from_cache"] for r in recs],
        "run_commits": [r["commit"] for r in recs],
    }

    def col(path: list[str], key: str) -> list[float]:
        vals = []
        for r in recs:
            d = r
            for p in path:
                d = d[p]
            vals.append(d.get(key, float("nan")))
        return vals

    def hots_metrics(root: list[str], prefix: str) -> dict[str, list[float]]:
        hots, low = [*root, "test", "hots_test1"], [*root, "test", "hots_test1_below_40pct"]
        keys = ("ap@0.5", "top_n@0.5", "ap@0.5_full_sequence", "top_n@0.5_full_sequence", "ap@0.3")
        out = {f"{prefix}{k}": col(hots, k) for k in keys}
        out |= {f"{prefix}below_40pct.{k}": col(low, k) for k in ("ap@0.5", "top_n@0.5")}
        out |= {
            f"{prefix}validation.{k}": col([*root, "validation", "hots"], k) for k in ("ap@0.5", "top_n@0.5")
        }
        return out

    # headline: the CNN with homology transfer (what `--templates` runs); beside it the CNN alone
    metrics = hots_metrics(["templates"], "") | hots_metrics([], "cnn_only.")
    first = recs[0]["test"]
    write_result(
        "binding",
        "regions_hots_test1",
        dataset={
            "name": "HoTS BR_test_dataset_1",
            "complexes": 224,
            "proteins": 82,
            "licence": "non-commercial",
            "below_40pct": {k: first["hots_test1_below_40pct"][k] for k in ("n_complexes", "n_proteins")},
        },
        split=split,
        model=model,
        metrics=metrics,
        seeds=seeds,
        wall_seconds=wall,
        extra={
            "goals": {"ap@0.5": 0.70, "top_n@0.5": 0.70},
            "peer": {
                "HoTS released model, region AP": 0.649,
                "HoTS top-n COACH": 0.663,
                "HoTS top-n HOLO4K": 0.614,
                "source": "Lee & Nam 2022, J Cheminform 14:5",
            },
            "data": recs[0]["data"],
            "validation_sibling_ceiling": recs[0].get("validation_sibling_ceiling"),
            "templates": {
                "library_validation": recs[0]["templates"]["library_validation"],
                "library_test": recs[0]["templates"]["library_test"],
                "hots_test1_proteins_with_template": recs[0]["templates"][
                    "hots_test1_proteins_with_template"
                ],
                "rule": "closest train(+validation for test) protein by local-alignment identity; labels mapped"
                " through the alignment, blended with weight min(1, weight * identity) when identity >="
                " min_identity; blend and template decoder chosen on validation AP@0.5",
            },
            "protocol": "AP pooled over complexes, greedy one-to-one matching at IoU>=0.5, all-point interpolation;"
            " predictions outside [PDB_start, PDB_end] dropped as in HoTS' AP_calculator, which also"
            " has special rules for very short/long regions that we do not apply",
        },
    )
    res: dict[str, list[float]] = {}
    for root, prefix in ((["templates", "test"], ""), (["test"], "cnn_only.")):
        for name in ("bindpredict_test300", "bindpredict_indep46", "bindpredict_test300_below_40pct"):
            for key in ("auroc", "auprc", "mcc", "f1", "precision", "recall"):
                res[f"{prefix}{name}.{key}"] = col([*root, name], key)
    for key in ("auroc", "mcc", "f1"):
        res[f"validation_fold5.{key}"] = col(["validation", "bindpredict_fold5"], key)
    write_result(
        "binding",
        "residues_bindpredict",
        dataset={
            "name": "bindPredict (bindEmbed21) small-molecule binding residues",
            "test": "TestSet300",
            "independent": "TestSetNew46",
            "below_40pct_proteins": recs[0]["test"]["bindpredict_test300_below_40pct"]["n_proteins"],
        },
        split=split,
        model=model,
        metrics=res,
        seeds=seeds,
        wall_seconds=wall,
        extra={
            "label": "small-molecule binding residues (BioLiP, bindEmbed21 'small' class)",
            "threshold": "per seed, the MCC-optimal threshold on validation fold 5",
            "templates": "headline metrics: the CNN with homology transfer from the closest training/validation"
            " protein (< 90% identical to every test protein); cnn_only.*: the CNN alone",
            "note": "pooled over all residues of all proteins; sequence-only input (no language-model "
            "embeddings or alignments), so not directly comparable with bindEmbed21",
            "data": recs[0]["data"],
        },
    )
    print("wrote regions_hots_test1.json and residues_bindpredict.json")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--ship", action="store_true", help="also write this seed's model to the package weights")
    r.add_argument("--epochs", type=int, default=None)
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--limit", type=int, default=None, help="smoke test on a few proteins; writes nothing")
    r.add_argument(
        "--reuse",
        action="store_true",
        help="score this seed's cached CNN (trained by this script on the same data) instead of retraining it",
    )
    sub.add_parser("aggregate")
    args = parser.parse_args()
    if args.cmd == "run":
        import torch

        torch.set_num_threads(args.threads)
        run(args.seed, args.ship, args.epochs, args.limit, args.reuse)
    else:
        aggregate()


if __name__ == "__main__":
    main()

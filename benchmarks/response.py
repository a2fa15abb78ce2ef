"""Response benchmarks: GDSC pan-drug model (mixed / cold-cell / cold-drug), DeepCDR transfer, organoid
reproduction and proximity agreement with Kong et al.'s published z-scores.

  python benchmarks/response.py gdsc --models deep --splits mixed cold_cell cold_drug --seeds 0 1 2 --param ensemble=5
  python benchmarks/response.py gdsc --models lgbm --splits mixed cold_cell cold_drug --seeds 0 1 2
  python benchmarks/response.py proximity            # proximity_agreement.json
  python benchmarks/response.py organoid             # organoid_crc.json (our z-scores; run proximity first)
  python benchmarks/response.py organoid --proximity published --name organoid_crc_published
  python benchmarks/response.py aggregate            # fold finished GDSC runs into the result files

Protocol (GDSC). Pairs split 80/10/10 by the seed (random pairs, cell lines or drugs); the validation tenth drives
early stopping only; the test tenth is scored once. Hyper-parameters are the package defaults, fixed before any
test score was seen; the recorded deep runs add ``--param ensemble=5`` (five nets averaged, each stopped on the
same validation tenth; single-net runs are kept under runs/deep_single/ for comparison). Each (model, split, seed) run is stored under results/response/runs/ and the result files are
re-aggregated after every run, so a partial sweep still yields honest (fewer-seed) files. DeepCDR transfer: each
mixed-split model scores DeepCDR's GDSC IC50 table on the (drug, cell) pairs outside its train and validation parts.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RUNS = RESULTS / "response" / "runs"
log = logging.getLogger("benchmarks.response")
PEERS = {
    "DeepCDR": "Pearson 0.923 (Liu et al. 2020, GDSC random 95/5 split)",
    "GraphDRP": "Pearson ~0.93 (Nguyen et al. 2021, GDSC mixed split)",
}
GOALS = {"mixed": 0.94, "cold_cell": 0.88}


def _run_gdsc(model: str, split: str, seed: int, threads: int, params: dict | None = None) -> Path:
    from drugloop.response.train import ResponseConfig, deepcdr_transfer, fit_on_split
    from drugloop.utils.io import atomic_write_json

    cfg = ResponseConfig(
        split=split, model=model, seed=seed, threads=threads, device="auto", model_params=dict(params or {})
    )
    start = time.perf_counter()
    m, metrics, data, parts = fit_on_split(cfg)
    record = {
        "model": model,
        "split": split,
        "seed": seed,
        "test": metrics,
        "best_epoch": m.card.get("best_epoch"),
        "best_iteration": m.card.get("best_iteration"),
        "model_params": dict(params or {}),
    }
    if split == "mixed":
        record["deepcdr_transfer"] = deepcdr_transfer(m, data, parts)
    record["wall_seconds"] = time.perf_counter() - start
    path = atomic_write_json(RUNS / f"{model}_{split}_{seed}.json", record)
    log.info("%s %s seed %d: %s", model, split, seed, {k: round(v, 4) for k, v in metrics.items()})
    return path


def aggregate() -> None:
    """One result file per split (models side by side in ``extra``), plus deepcdr_transfer.json."""
    from drugloop.evaluate.results import write_result

    runs = [json.loads(p.read_text()) for p in sorted(RUNS.glob("*.json"))]
    for split in ("mixed", "cold_cell", "cold_drug"):
        by_model = {}
        for model in ("deep", "lgbm"):
            rs = sorted(
                (r for r in runs if r["split"] == split and r["model"] == model), key=lambda r: r["seed"]
            )
            if rs:
                by_model[model] = rs
        if not by_model:
            continue
        main = "deep" if "deep" in by_model else next(iter(by_model))
        rs = by_model[main]
        metrics = {
            k: [r["test"][k] for r in rs] for k in ("pearson", "spearman", "rmse", "per_drug_pearson_median")
        }
        extra = {
            "models": {
                m: {
                    "seeds": [r["seed"] for r in v],
                    **{
                        k: [r["test"][k] for r in v]
                        for k in ("pearson", "spearman", "rmse", "per_drug_pearson_median")
                    },
                    "mean_pearson": sum(r["test"]["pearson"] for r in v) / len(v),
                    "n_test": [r["test"]["n_test"] for r in v],
                    "fit_seconds": [r["test"]["fit_seconds"] for r in v],
                    "model_params": [r.get("model_params", {}) for r in v],
                }
                for m, v in by_model.items()
            },
            "peers": PEERS,
            "protocol": "split_pairs 80/10/10 by seed; val for early stopping only; test scored once",
        }
        goal = GOALS.get(split)
        if goal is not None:
            mean = sum(metrics["pearson"]) / len(metrics["pearson"])
            extra["goal"] = {"pearson": goal, "met": mean >= goal, "short_by": max(0.0, goal - mean)}
        if len(rs) < 3:
            extra["note"] = f"only {len(rs)} of 3 seeds finished"
        write_result(
            "response",
            f"gdsc_{split}",
            dataset="gdsc (TGSA copy: 580 cell lines x 170 drugs, 82,833 ln IC50)",
            split={"kind": split, "fractions": [0.8, 0.1, 0.1]},
            model=main,
            metrics=metrics,
            seeds=[r["seed"] for r in rs],
            wall_seconds=sum(r["wall_seconds"] for r in rs),
            extra=extra,
            root=RESULTS,
        )
    tr = sorted(
        (r for r in runs if r["split"] == "mixed" and "deepcdr_transfer" in r and r["model"] == "deep"),
        key=lambda r: r["seed"],
    ) or sorted(
        (r for r in runs if r["split"] == "mixed" and "deepcdr_transfer" in r), key=lambda r: r["seed"]
    )
    if tr:
        t = [r["deepcdr_transfer"] for r in tr]
        write_result(
            "response",
            "deepcdr_transfer",
            dataset="gdsc_deepcdr (DeepCDR GDSC IC50 table), drugs matched by name",
            split="pairs outside the GDSC mixed-split train+val parts",
            model=tr[0]["model"],
            metrics={
                k: [x[k] for x in t] for k in ("pearson", "spearman", "rmse", "per_drug_pearson_median")
            },
            seeds=[r["seed"] for r in tr],
            wall_seconds=sum(r["wall_seconds"] for r in tr),
            extra={
                "n_pairs": [x["n_pairs"] for x in t],
                "n_drugs": t[0]["n_drugs"],
                "n_cells": t[0]["n_cells"],
                "note": "DeepCDR's table is another GDSC screen/release (r=0.82 on shared pairs per the data "
                "README), so this measures transfer across screens, with the label noise that implies",
            },
            root=RESULTS,
        )


def gdsc(args: argparse.Namespace) -> None:
    for split in args.splits:
        for seed in args.seeds:
            for model in args.models:
                if args.skip_done and (RUNS / f"{model}_{split}_{seed}.json").is_file():
                    continue
                params = dict(p.split("=", 1) for p in args.param)
                params = {k: json.loads(v) for k, v in params.items()}
                _run_gdsc(model, split, seed, args.threads, params)
                aggregate()


def proximity_bench(args: argparse.Namespace) -> None:
    from drugloop.evaluate.results import write_result
    from drugloop.response.organoid import proximity_agreement

    start = time.perf_counter()
    table, summary = proximity_agreement(n_random=args.n_random, seed=args.seed)
    out = RESULTS / "response" / "proximity_agreement_per_drug.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    from drugloop.utils.io import atomic_write_text

    atomic_write_text(out, table.to_csv(index=False))
    atomic_write_text(RESULTS / "response" / "proximity_z_ours.csv", table.attrs["z"].to_csv())
    write_result(
        "response",
        "proximity_agreement",
        dataset="organoid_crc published z-scores vs ours (STRING v12 >= 700)",
        split="none (all 674 Reactome pathways x drugs with targets)",
        model="closest-distance proximity z",
        metrics={"spearman_per_drug": table["spearman"].tolist()},
        seeds=[args.seed],
        wall_seconds=time.perf_counter() - start,
        extra=summary,
        root=RESULTS,
    )


def organoid_bench(args: argparse.Namespace) -> None:
    import pandas as pd

    from drugloop.evaluate.results import write_result
    from drugloop.response.organoid import reproduce_organoid
    from drugloop.utils.io import atomic_write_text

    start = time.perf_counter()
    z_path = RESULTS / "response" / "proximity_z_ours.csv"
    z_table = None
    if args.proximity == "ours" and z_path.is_file():
        z_table = pd.read_csv(
            z_path, index_col=0
        )  # written by the proximity benchmark, same network and seed
    table, summary = reproduce_organoid(
        n_random_sets=args.n_random_sets, seed=args.seed, proximity_source=args.proximity, z_table=z_table
    )
    if args.proximity == "published":
        summary["z_scores_from"] = (
            "published (organoid_crc/coad_blca_organoid_drugs_zscore_result_reactome.txt)"
        )
    else:
        summary["z_scores_from"] = (
            str(z_path.relative_to(ROOT)) if z_table is not None else "computed in this run"
        )
    atomic_write_text(RESULTS / "response" / f"{args.name}_per_drug.csv", table.to_csv(index=False))
    summary["per_drug_csv"] = f"benchmarks/results/response/{args.name}_per_drug.csv"
    metrics = {
        f"{kind}_{m}": table[f"{kind}_{m}"].tolist()
        for kind in ("network", "all_genes", "random")
        for m in ("spearman", "rmse")
    }
    write_result(
        "response",
        args.name,
        dataset="organoid_crc (van de Wetering 2015 via Kong 2020)",
        split="leave-one-organoid-out per drug",
        model="ridge (alpha by inner LOO CV)",
        metrics=metrics,
        seeds=[args.seed],
        wall_seconds=time.perf_counter() - start,
        extra=summary,
        root=RESULTS,
    )


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gdsc")
    g.add_argument("--models", nargs="+", default=["deep"], choices=["deep", "lgbm"])
    g.add_argument("--splits", nargs="+", default=["mixed", "cold_cell", "cold_drug"])
    g.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    g.add_argument("--threads", type=int, default=1)
    g.add_argument("--skip-done", action="store_true")
    g.add_argument("--param", nargs="*", default=[], help="model parameter key=value (JSON values)")
    p = sub.add_parser("proximity")
    p.add_argument("--n-random", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    o = sub.add_parser("organoid")
    o.add_argument("--n-random-sets", type=int, default=20)
    o.add_argument("--seed", type=int, default=0)
    o.add_argument("--proximity", choices=["ours", "published"], default="ours")
    o.add_argument("--name", default="organoid_crc", help="result file name")
    sub.add_parser("aggregate")
    args = parser.parse_args(argv)
    if args.cmd == "gdsc":
        gdsc(args)
    elif args.cmd == "proximity":
        proximity_bench(args)
    elif args.cmd == "organoid":
        organoid_bench(args)
    else:
        aggregate()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()

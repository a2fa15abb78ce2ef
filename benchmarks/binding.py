"""Binding benchmarks: DeepDTA setting-1, cold-drug and cold-target splits, Human DTI; plus throughput.

Every (data set, split, model, seed) run is one subprocess writing one JSON under ``benchmarks/results/binding/runs``;
``aggregate`` folds them into one result file per data set and split through the shared result writer, so runs can
be spread over a GPU machine's workers and re-run one at a time.

  python benchmarks/binding.py all --models lgbm deep --seeds 0 1 2 --jobs 4
  python benchmarks/binding.py run --data davis --split setting1 --model deep --seed 0
  python benchmarks/binding.py aggregate
  python benchmarks/binding.py throughput --device cpu --threads 2

Protocol. setting1: the DeepDTA folds; train folds 1-4 train, train fold 0 validates (early stopping and any
model choice), the test fold is scored once. Hyper-parameters are the package defaults, fixed before any test
score was seen. cold_drug / cold_target: drugs (targets) split 70/10/20 by the seed, so each seed is a different
split. human random / cold: DrugBAN's own train/val/test files; nonstandard residues (B, Z, U, O, J) are read as X
so that every published test pair is scored. Deep model on CPU (no GPU has been lent): a fixed time budget, set
before any test score was seen and recorded in each run's params: DAVIS 30 epochs of batches of 256 (protein chunks
of 64); KIBA 12 epochs of batches of 512 (protein chunks of 256); Human 8 epochs of batches of 64, packed by
protein length within windows of 16 batches (``length_window``: ~2.4 pairs per protein leave nothing to group, so
padding is what is cut); the epoch with the lowest validation loss is kept.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RUNS = RESULTS / "binding" / "runs"
BENCHMARKS = {
    # result name: (data, split)
    "davis_setting1": ("davis", "setting1"),
    "kiba_setting1": ("kiba", "setting1"),
    "davis_cold_target": ("davis", "cold_target"),
    "davis_cold_drug": ("davis", "cold_drug"),
    "kiba_cold_target": ("kiba", "cold_target"),
    "kiba_cold_drug": ("kiba", "cold_drug"),
    "human_random": ("human", "predefined"),
    "human_cold": ("human_cold", "predefined"),
}
log = logging.getLogger("benchmarks.binding")


def split_frame(df, split: str, seed: int):
    """Train / validation / test frames for one benchmark split (see the module docstring)."""
    from drugloop.data.splits import split_pairs

    if split == "setting1":
        return df[df["fold"] > 0], df[df["fold"] == 0], df[df["fold"] == -1]
    if split == "predefined":
        return df[df["split"] == "train"], df[df["split"] == "val"], df[df["split"] == "test"]
    part = split_pairs(df, kind=split, fractions=(0.7, 0.1, 0.2), seed=seed)
    return df[part == "train"], df[part == "val"], df[part == "test"]


def run_one(name: str, model_name: str, seed: int, device: str, params: dict) -> Path:
    import torch

    from drugloop.binding.pairs import load_named
    from drugloop.binding.train import make_model
    from drugloop.bio.protein import clean_sequence
    from drugloop.evaluate.metrics import classification_metrics, regression_metrics
    from drugloop.evaluate.results import git_commit, hardware_info
    from drugloop.utils.io import atomic_write_json

    data, split = BENCHMARKS[name]
    commit = git_commit()  # of the code this run imports, taken before a long run lets HEAD move
    started = time.perf_counter()
    df = load_named(data)
    task = df.attrs["task"]
    # Human has a few selenocysteine (U) residues; score every published test pair by reading them as X.
    df["sequence"] = [clean_sequence(q, "X") for q in df["sequence"]]
    train, val, test = split_frame(df, split, seed)
    model = make_model(model_name, task=task, seed=seed, ensemble=1, device=device, params=params)
    t0 = time.perf_counter()
    model.fit(train, val)
    train_seconds = time.perf_counter() - t0
    pred = model.predict(test)
    y, p = test["label"].to_numpy(float), pred["prediction"].to_numpy(float)
    metrics = regression_metrics(y, p) if task == "regression" else classification_metrics(y, p)
    record = {
        "benchmark": name,
        "data": data,
        "split": split,
        "model": model_name,
        "seed": seed,
        "params": params,
        "n_train": len(train),
        "n_val": len(val),
        "n_test": len(test),
        "metrics": metrics,
        "train_seconds": train_seconds,
        "wall_seconds": time.perf_counter() - started,
        "best_epochs": model.card.get("best_epochs"),
        "hardware": hardware_info(),
        "torch_threads": torch.get_num_threads(),
        "commit": commit,
    }
    out = RUNS / f"{name}__{model_name}__seed{seed}.json"
    atomic_write_json(out, record)
    log.info(
        "%s %s seed %d: %s (%.0f s)",
        name,
        model_name,
        seed,
        {k: round(v, 4) for k, v in metrics.items()},
        record["wall_seconds"],
    )
    return out


def aggregate() -> list[Path]:
    from drugloop.evaluate.results import write_result

    # only this script's runs ("<benchmark>__<model>__seed<k>.json"); binding_regions.py keeps its runs here too
    runs = [json.loads(p.read_text()) for p in sorted(RUNS.glob("*__*__seed*.json"))]
    written = []
    for name, (data, split) in BENCHMARKS.items():
        mine = [r for r in runs if r["benchmark"] == name]
        if not mine:
            continue
        metrics: dict[str, list[float]] = {}
        models = sorted({r["model"] for r in mine})
        seeds = sorted({r["seed"] for r in mine})
        for r in sorted(mine, key=lambda r: (r["model"], r["seed"])):
            for k, v in r["metrics"].items():
                metrics.setdefault(f"{r['model']}.{k}", []).append(v)
        extra = {
            "protocol": __doc__.split("Protocol.")[1].strip(),
            "runs": [
                {
                    k: r[k]
                    for k in (
                        "model",
                        "seed",
                        "n_train",
                        "n_val",
                        "n_test",
                        "train_seconds",
                        "wall_seconds",
                        "best_epochs",
                        "params",
                    )
                }
                | {k: r[k] for k in ("torch_threads", "commit") if k in r}
                | {"hardware": r["hardware"]}
                for r in mine
            ],
        }
        written.append(
            write_result(
                "binding",
                name,
                dataset=data,
                split=split,
                model={m: _describe(m) for m in models},
                metrics=metrics,
                seeds=seeds,
                wall_seconds=sum(r["wall_seconds"] for r in mine),
                command="python benchmarks/binding.py all && python benchmarks/binding.py aggregate",
                extra=extra,
            )
        )
    written.append(_record_training_times(runs))
    return written


def _record_training_times(runs: list[dict]) -> Path:
    """Deep-model training wall time per benchmark (mean over seeds) into ``throughput.json``, beside prediction."""
    from drugloop.utils.io import atomic_write_json

    out = RESULTS / "binding" / "throughput.json"
    merged = json.loads(out.read_text()) if out.exists() else {}
    training = {}
    for name in BENCHMARKS:
        deep = [r for r in runs if r["benchmark"] == name and r["model"] == "deep"]
        if deep:
            training[name] = {
                "train_seconds_mean": float(np.mean([r["train_seconds"] for r in deep])),
                "seeds": sorted(r["seed"] for r in deep),
                "n_train": deep[0]["n_train"],
                "params": deep[0]["params"],
                "best_epochs": [r["best_epochs"] for r in deep],
                "torch_threads": deep[0].get("torch_threads"),
                "device": "cuda" if deep[0]["hardware"].get("gpu") else "cpu",
                "hardware": deep[0]["hardware"],
                "includes": "featurisation, training with a validation pass per epoch, early stopping",
            }
    merged["training"] = training
    atomic_write_json(out, merged)
    return out


def _describe(model: str) -> str:
    return {
        "lgbm": "LightGBM on ECFP4 counts + protein k-mer composition",
        "deep": "graph+ECFP compound encoder, dilated residue CNN, compound-to-residue cross-attention",
    }[model]


def throughput(device: str, threads: int, n_pairs: int, epochs: int, max_steps: int | None) -> Path:
    """Pairs/s predicting with a deep model trained on DAVIS setting-1 (train folds), timed after a warm-up.

    Prediction speed does not depend on the weights, so ``--max-steps`` may cut training short on a CPU; the
    record says how far training went, and its training time is only a full-training time when it ran to the end.
    """
    import torch

    from drugloop.binding.deep import DeepBindingModel
    from drugloop.binding.pairs import load_named
    from drugloop.evaluate.results import git_commit, hardware_info
    from drugloop.utils.io import atomic_write_json

    torch.set_num_threads(threads)
    df = load_named("davis")
    train, val, _ = split_frame(df, "setting1", 0)
    extra = {"max_steps": max_steps} if max_steps else {}
    model = DeepBindingModel(task="regression", seed=0, device=device, epochs=epochs, **extra)
    t0 = time.perf_counter()
    model.fit(train, val)
    train_seconds = time.perf_counter() - t0
    pairs = df.sample(n=n_pairs, replace=n_pairs > len(df), random_state=0).reset_index(drop=True)
    model.device_name = device
    model.predict(pairs.head(2000))  # warm-up: kernels, allocator
    t0 = time.perf_counter()
    model.predict(pairs)
    seconds = time.perf_counter() - t0
    hw = hardware_info()
    out = RESULTS / "binding" / "throughput.json"
    kind = "gpu" if device.startswith("cuda") else "cpu"
    merged = json.loads(out.read_text()) if out.exists() else {}
    record = {
        "device": device,
        "threads": threads,
        "pairs": n_pairs,
        "predict_seconds": seconds,
        "pairs_per_second": n_pairs / seconds,
        "train_epochs": epochs,
        "train_max_steps": max_steps,
        "train_seconds": train_seconds,
        "train_pairs": len(train),
        "hardware": hw,
        "includes": "featurisation + model, end to end",
        "load_average_1min_after": os.getloadavg()[0],
        "commit": git_commit(ROOT),
    }
    merged[kind] = record
    atomic_write_json(out, merged)
    log.info("throughput on %s: %.0f pairs/s", device, n_pairs / seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    one = sub.add_parser("run")
    one.add_argument("--benchmark", required=True, choices=list(BENCHMARKS))
    one.add_argument("--model", required=True, choices=["lgbm", "deep"])
    one.add_argument("--seed", type=int, default=0)
    one.add_argument("--device", default="auto")
    one.add_argument("--params", default="{}", help="JSON dict of model parameters")
    many = sub.add_parser("all")
    many.add_argument("--benchmarks", nargs="+", default=list(BENCHMARKS))
    many.add_argument("--models", nargs="+", default=["lgbm", "deep"])
    many.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    many.add_argument("--jobs", type=int, default=1)
    many.add_argument("--device", default="auto")
    many.add_argument(
        "--params", default="{}", help="JSON: {model: {param: value}} or {benchmark: {model: ...}}"
    )
    many.add_argument("--skip-done", action="store_true")
    sub.add_parser("aggregate")
    tp = sub.add_parser("throughput")
    tp.add_argument("--device", default="cpu")
    tp.add_argument("--threads", type=int, default=2)
    tp.add_argument("--pairs", type=int, default=50_000)
    tp.add_argument("--epochs", type=int, default=30)
    tp.add_argument("--max-steps", type=int, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("DRUGLOOP_MIRROR", str(ROOT.parent / "shared" / "data"))

    if args.cmd == "run":
        run_one(args.benchmark, args.model, args.seed, args.device, json.loads(args.params))
    elif args.cmd == "aggregate":
        for p in aggregate():
            print(p)
    elif args.cmd == "throughput":
        print(throughput(args.device, args.threads, args.pairs, args.epochs, args.max_steps))
    else:
        params = json.loads(args.params)
        jobs = []
        for name, model, seed in itertools.product(args.benchmarks, args.models, args.seeds):
            if args.skip_done and (RUNS / f"{name}__{model}__seed{seed}.json").exists():
                continue
            p = params.get(name, params).get(model, {})
            jobs.append(
                [
                    sys.executable,
                    __file__,
                    "run",
                    "--benchmark",
                    name,
                    "--model",
                    model,
                    "--seed",
                    str(seed),
                    "--device",
                    args.device,
                    "--params",
                    json.dumps(p),
                ]
            )
        log.info("%d runs, %d at a time", len(jobs), args.jobs)

        def go(cmd: list[str]) -> int:
            return subprocess.run(cmd, check=False).returncode

        with ThreadPoolExecutor(args.jobs) as pool:
            codes = list(pool.map(go, jobs))
        failed = int(np.sum(np.array(codes) != 0))
        for p in aggregate():
            print(p)
        if failed:
            sys.exit(f"{failed} run(s) failed")


if __name__ == "__main__":
    main()

"""Approval benchmarks: the paper's protocol (reproduction), our best model, and grouped (stricter) splits.

  python benchmarks/approval.py reproduction --repeats 1000 --jobs 2 --chunk 500
  python benchmarks/approval.py reproduction --engine sklearn --repeats 132   # the slow reference
  python benchmarks/approval.py best --repeats 100 --jobs 2
  python benchmarks/approval.py grouped --repeats 50 --jobs 2
  python benchmarks/approval.py features        # rebuilt features vs the shipped ML_dataset.tsv

Protocol (Park et al., eBioMedicine 2023; upstream ``run_ml.py``): per repeat ``i``, down-sample the majority class
to the minority size (seed ``i``), split 90/10 stratified (seed ``i + 1``), fit, score the 10 %. Reproduction:
RandomForestClassifier(n_estimators=1000) with scikit-learn's defaults on the six feature groups, all groups on the
same splits, grown by ``drugloop.approval.forest`` (``--engine sklearn`` runs scikit-learn itself, ~50x slower).
Results are written after every ``--chunk`` repeats, so a run cut short still leaves an honest file that states how
many repeats it holds (``extra.repeats_done``).

best: the mean of the tuned (inner 3-fold CV on the training part only), Platt-calibrated LightGBM and a
1,000-tree forest Platt-calibrated on its out-of-bag votes, on the extended features (paper features + max/min
over targets), same protocol; also writes ``reliability.png`` (pooled test predictions). ``--model lgbm|rf`` scores
one half alone (``best_lgbm.json`` / ``best_rf.json``).
grouped: RF on the paper's 'all' group and the best model, with the 90/10 split made by groups: drugs with the same
primary target (highest STITCH score) kept on one side, and by Bemis-Murcko scaffold (acyclic drugs each alone).
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "approval"
log = logging.getLogger("benchmarks.approval")

#: Park et al. 2023 (eBioMedicine), mean over 1,000 repeats: (AUROC, AUPRC), as quoted in issue 5.
PAPER = {
    "CGE": (0.597, 0.605),
    "OGE": (0.634, 0.621),
    "OGE+CGE": (0.670, 0.695),
    "target": (0.732, 0.744),
    "chemical": (0.717, 0.708),
    "all": (0.768, 0.779),
}
PROTOCOL = (
    "class-balanced down-sampling (seed i) + stratified 90/10 split (seed i+1) per repeat i; metrics on the 10 %; "
    "auprc = average precision with approved as positive; auprc_paper = trapezoidal PR area with unapproved as "
    "positive, as upstream run_ml.py computes the paper's AUPRC"
)


def _data() -> tuple[Any, np.ndarray, np.ndarray, list[str]]:
    from drugloop.approval.features import EXTENDED_FEATURES, build_dataset

    df = build_dataset()
    return df, df[EXTENDED_FEATURES].to_numpy(float), df["approved"].to_numpy(int), list(EXTENDED_FEATURES)


def _sets(names: list[str], groups: dict[str, list[str]]) -> dict[str, list[int]]:
    col = {c: i for i, c in enumerate(names)}
    return {g: [col[c] for c in cols] for g, cols in groups.items()}


def _flat(metrics: dict[str, dict[str, list[float]]]) -> dict[str, list[float]]:
    return {f"{g}.{m}": v for g, ms in metrics.items() for m, v in ms.items()}


def _chunked(
    X: np.ndarray,
    y: np.ndarray,
    sets: dict[str, list[int]],
    fit_predict: Any,
    repeats: int,
    chunk: int,
    jobs: int,
    on_chunk: Any,
    **kw: Any,
) -> None:
    """Run repeats in chunks, calling ``on_chunk(merged_metrics, repeats_done, wall, pooled)`` after each."""
    from drugloop.approval.protocol import run_protocol

    merged: dict[str, dict[str, list[float]]] = {}
    pooled: dict[str, tuple[list[int], list[float]]] = {}
    done: list[int] = []
    t0 = time.perf_counter()
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    try:
        for start in range(0, repeats, chunk):
            ids = list(range(start, min(repeats, start + chunk)))
            res = run_protocol(X, y, sets, fit_predict, ids, jobs=jobs, pool=pool, **kw)
            _merge(res, merged, pooled, done)
            wall = time.perf_counter() - t0
            log.info("%d/%d repeats, %.0f s", len(done), repeats, wall)
            on_chunk(merged, done, wall, pooled)
    finally:
        if pool is not None:
            pool.shutdown()


def _merge(res: Any, merged: dict, pooled: dict, done: list[int]) -> None:
    """Append one chunk's per-repeat metrics, pooled test predictions and repeat ids."""
    for g, ms in res.metrics.items():
        for m, v in ms.items():
            merged.setdefault(g, {}).setdefault(m, []).extend(v)
    for g, (rows, probs) in res.pooled.items():
        pooled.setdefault(g, ([], []))
        pooled[g][0].extend(rows)
        pooled[g][1].extend(probs)
    done += res.repeats


def _hardware_note(jobs: int) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{jobs} worker process(es), 1 thread each; 1-min load average at the end {load:.1f}"


#: The scikit-learn run of the reproduction (repeats 0-131, 16.7 CPU-s per forest), kept to check our forest.
SKLEARN_REFERENCE = OUT / "reproduction_sklearn.json"


def _paired_with_sklearn(merged: dict, done: list[int]) -> dict[str, Any] | None:
    """Per group, our AUROC minus scikit-learn's on the repeats both ran (same train/test split per repeat)."""
    import json

    if not SKLEARN_REFERENCE.exists():
        return None
    ref = json.loads(SKLEARN_REFERENCE.read_text())
    ref_ids = {int(r): i for i, r in enumerate(ref["seeds"])}
    common = [(i, ref_ids[r]) for i, r in enumerate(done) if r in ref_ids]
    if not common:
        return None
    out: dict[str, Any] = {"repeats": len(common), "file": str(SKLEARN_REFERENCE.relative_to(ROOT))}
    for g in merged:
        ours = np.array([merged[g]["auroc"][i] for i, _ in common])
        theirs = np.array([ref["metrics"][f"{g}.auroc"]["values"][j] for _, j in common])
        d = ours - theirs
        out[g] = {
            "ours_auroc": round(float(ours.mean()), 4),
            "sklearn_auroc": round(float(theirs.mean()), 4),
            "mean_diff": round(float(d.mean()), 4),
            "se_diff": round(float(d.std(ddof=1) / np.sqrt(len(d))), 4) if len(d) > 1 else None,
        }
    return out


def reproduction(repeats: int, jobs: int, chunk: int, engine: str = "drugloop") -> None:
    """Paper protocol: RF(1000 trees, scikit-learn defaults) on the six feature groups.

    ``engine``: ``drugloop`` grows the forest with :mod:`drugloop.approval.forest` (same algorithm; one-feature
    groups without growing trees at all); ``sklearn`` runs scikit-learn and writes ``reproduction_sklearn.json``.
    """
    from drugloop.approval.features import FEATURE_GROUPS, compare_with_ml_dataset
    from drugloop.approval.models import rf_fit_predict, sklearn_rf_fit_predict
    from drugloop.evaluate.results import write_result

    df, X, y, names = _data()
    sets = _sets(names, FEATURE_GROUPS)
    agreement = compare_with_ml_dataset(df)
    model = {
        "drugloop": "RandomForestClassifier(n_estimators=1000) with scikit-learn's defaults (paper), grown by "
        "drugloop.approval.forest: the same CART algorithm (Gini, bootstrap, sqrt features, fully grown), "
        "compiled with numba",
        "sklearn": "sklearn RandomForestClassifier(n_estimators=1000), defaults (paper)",
    }[engine]

    def write(merged: dict, done: list[int], wall: float, pooled: dict) -> None:
        comparison = {}
        for g, (p_roc, p_prc) in PAPER.items():
            ours_roc = float(np.mean(merged[g]["auroc"]))
            ours_prc = float(np.mean(merged[g]["auprc_paper"]))
            comparison[g] = {
                "paper_auroc": p_roc,
                "ours_auroc": round(ours_roc, 4),
                "diff_auroc": round(ours_roc - p_roc, 4),
                "within_0.02": abs(ours_roc - p_roc) <= 0.02,
                "paper_auprc": p_prc,
                "ours_auprc_paper_convention": round(ours_prc, 4),
                "ours_auprc_average_precision": round(float(np.mean(merged[g]["auprc"])), 4),
                "diff_auprc": round(ours_prc - p_prc, 4),
            }
        fits = len(done) * len(sets)
        extra: dict[str, Any] = {
            "protocol": PROTOCOL,
            "engine": engine,
            "repeats_requested": repeats,
            "repeats_done": len(done),
            "feature_groups": FEATURE_GROUPS,
            "paper": {g: {"auroc": a, "auprc": b} for g, (a, b) in PAPER.items()},
            "comparison": comparison,
            "all_within_0.02_auroc": all(c["within_0.02"] for c in comparison.values()),
            "seconds_per_fit": wall * max(jobs, 1) / fits,
            "projected_seconds_1000_repeats_this_machine": wall / len(done) * 1000,
            "goal_seconds_1000_repeats": 900,
            "hardware_note": _hardware_note(jobs),
            "feature_agreement_with_ML_dataset": agreement,
        }
        if engine == "drugloop":
            extra["paired_with_sklearn"] = _paired_with_sklearn(merged, done)
        write_result(
            "approval",
            "reproduction" if engine == "drugloop" else "reproduction_sklearn",
            dataset="drug_approval (SBIlab, rebuilt from raw tables; 2,474 drugs, 1,404 approved)",
            split="balanced down-sampling + stratified 90/10, per repeat",
            model=model,
            metrics=_flat(merged),
            seeds=list(done),
            wall_seconds=wall,
            extra=extra,
        )

    fit_predict = rf_fit_predict if engine == "drugloop" else sklearn_rf_fit_predict
    _chunked(X, y, sets, fit_predict, repeats, chunk, jobs, write)


def _reliability_png(y: np.ndarray, p: np.ndarray, title: str, path: Path) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from drugloop.utils.io import atomic_write_bytes

    bins = np.linspace(0, 1, 11)
    which = np.clip(np.digitize(p, bins) - 1, 0, 9)
    centres, observed, counts = [], [], []
    for b in range(10):
        m = which == b
        if m.any():
            centres.append(float(p[m].mean()))
            observed.append(float(y[m].mean()))
            counts.append(int(m.sum()))
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=120)
    ax.plot([0, 1], [0, 1], "--", color="grey", lw=1, label="perfect")
    ax.plot(centres, observed, "o-", label="model")
    ax.set_xlabel("predicted P(approved)")
    ax.set_ylabel("observed fraction approved")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left")
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    ece = float(
        sum(c * abs(o - q) for c, o, q in zip(counts, observed, centres, strict=True)) / max(sum(counts), 1)
    )
    return {"bin_mean_predicted": centres, "bin_observed": observed, "bin_counts": counts, "ece": ece}


BEST_MODELS = {
    "blend": "mean of tuned LightGBM gbdt (inner 3-fold CV on each training part, Platt on inner OOF) and "
    "RandomForest(1000) Platt-calibrated on its out-of-bag votes",
    "lgbm": "LightGBM gbdt, tuned by inner 3-fold CV on each training part, Platt-calibrated on inner OOF",
    "rf": "RandomForest(1000), Platt-calibrated on its out-of-bag votes",
}


def best(repeats: int, jobs: int, chunk: int, model: str = "blend") -> None:
    """Our best model on the extended features; same protocol; reliability curve.

    ``best.json`` holds the default (blend); ``--model lgbm|rf`` write ``best_lgbm.json`` / ``best_rf.json`` so
    the blend's parts can be compared on the same repeats.
    """
    from drugloop.approval.features import EXTENDED_FEATURES, FEATURE_GROUPS
    from drugloop.approval.models import (
        LGBM_GRID,
        blend_fit_predict,
        calibrated_rf_fit_predict,
        lgbm_fit_predict,
    )
    from drugloop.evaluate.results import write_result

    fit_predict = {"blend": blend_fit_predict, "lgbm": lgbm_fit_predict, "rf": calibrated_rf_fit_predict}[
        model
    ]
    name = "best" if model == "blend" else f"best_{model}"
    png = OUT / ("reliability.png" if model == "blend" else f"reliability_{model}.png")
    df, X, y, names = _data()
    sets = _sets(names, {"extended": EXTENDED_FEATURES})

    def write(merged: dict, done: list[int], wall: float, pooled: dict) -> None:
        rows, probs = pooled["extended"]
        calib = _reliability_png(
            y[np.asarray(rows)],
            np.asarray(probs),
            f"{model}, {len(done)} repeats (pooled tests)",
            png,
        )
        roc = float(np.mean(merged["extended"]["auroc"]))
        prc = float(np.mean(merged["extended"]["auprc"]))
        prc_paper = float(np.mean(merged["extended"]["auprc_paper"]))
        write_result(
            "approval",
            name,
            dataset="drug_approval (SBIlab, rebuilt from raw tables; 2,474 drugs)",
            split="balanced down-sampling + stratified 90/10, per repeat (paper protocol)",
            model=BEST_MODELS[model],
            metrics=_flat(merged),
            seeds=list(done),
            wall_seconds=wall,
            extra={
                "protocol": PROTOCOL,
                "repeats_requested": repeats,
                "repeats_done": len(done),
                "features": EXTENDED_FEATURES,
                "paper_feature_group_all": FEATURE_GROUPS["all"],
                "grid": LGBM_GRID,
                "goal": {"auroc": 0.80, "auprc": 0.80},
                "goal_met": {
                    "auroc": roc >= 0.80,
                    "auprc_average_precision": prc >= 0.80,
                    "auprc_paper_convention": prc_paper >= 0.80,
                },
                "paper_all": {"auroc": PAPER["all"][0], "auprc": PAPER["all"][1]},
                "calibration": calib,
                "reliability_png": str(png.relative_to(ROOT)),
                "hardware_note": _hardware_note(jobs),
            },
        )

    _chunked(X, y, sets, fit_predict, repeats, chunk, jobs, write)


def _groups(df: Any) -> dict[str, np.ndarray]:
    from drugloop.data.splits import scaffold_groups

    scaf = scaffold_groups(df["smiles"].reset_index(drop=True)).to_numpy(object)
    scaf = np.where(scaf == "", "acyclic:" + df["stitch_id"].to_numpy(object), scaf)
    return {"target_group": df["primary_target"].to_numpy(object), "scaffold": scaf}


def grouped(repeats: int, jobs: int, chunk: int) -> None:
    """RF (paper 'all') and the best model under target-grouped and scaffold-grouped 90/10 splits."""
    from drugloop.approval.features import EXTENDED_FEATURES, FEATURE_GROUPS
    from drugloop.approval.models import lgbm_fit_predict, rf_fit_predict
    from drugloop.evaluate.results import write_result

    df, X, y, names = _data()
    groups = _groups(df)
    results: dict[str, dict[str, dict[str, list[float]]]] = {}
    t0 = time.perf_counter()
    runs = [
        ("rf_all", rf_fit_predict, {"all": FEATURE_GROUPS["all"]}),
        ("lgbm_extended", lgbm_fit_predict, {"extended": EXTENDED_FEATURES}),
    ]
    n_groups = {k: int(len(set(v))) for k, v in groups.items()}

    for split in ("target_group", "scaffold"):
        for label, fp, group_sets in runs:
            key = f"{split}/{label}"

            def write(merged: dict, done: list[int], wall: float, pooled: dict, key: str = key) -> None:
                results[key] = {g: ms for g, ms in merged.items()}
                flat = {
                    f"{k}.{m}": v for k, gm in results.items() for ms in gm.values() for m, v in ms.items()
                }
                write_result(
                    "approval",
                    "grouped_split",
                    dataset="drug_approval (SBIlab, rebuilt from raw tables; 2,474 drugs)",
                    split="balanced down-sampling + grouped ~90/10 (target_group: same primary target on one "
                    "side; scaffold: same Murcko scaffold on one side)",
                    model="rf_all: RF(1000 trees, scikit-learn's defaults, grown by drugloop.approval.forest) on "
                    "the paper's 17 features; lgbm_extended: tuned, calibrated LightGBM on the extended features",
                    metrics=flat,
                    seeds=list(done),
                    wall_seconds=time.perf_counter() - t0,
                    extra={
                        "protocol": PROTOCOL
                        + "; test groups drawn per class until 10 % of that class is reached",
                        "repeats_requested": repeats,
                        "repeats_done": {
                            k: len(next(iter(gm.values()))["auroc"]) for k, gm in results.items()
                        },
                        "n_groups": n_groups,
                        "summary": {
                            k: {m: round(float(np.mean(v)), 4) for m, v in next(iter(gm.values())).items()}
                            for k, gm in results.items()
                        },
                        "hardware_note": _hardware_note(jobs),
                    },
                )

            sets = _sets(names, group_sets)
            _chunked(X, y, sets, fp, repeats, chunk, jobs, write, split=split, groups=groups[split])


def features() -> None:
    import json

    from drugloop.approval.features import compare_with_ml_dataset

    print(json.dumps(compare_with_ml_dataset(), indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["reproduction", "best", "grouped", "features"])
    parser.add_argument("--repeats", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=10, help="write the result file every this many repeats")
    parser.add_argument("--model", choices=sorted(BEST_MODELS), default="blend", help="best: which model")
    parser.add_argument(
        "--engine",
        choices=["drugloop", "sklearn"],
        default="drugloop",
        help="reproduction: grow the forests with drugloop.approval.forest or with scikit-learn",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.what == "features":
        features()
        return 0
    if args.what == "reproduction":
        reproduction(args.repeats, args.jobs, args.chunk, engine=args.engine)
    elif args.what == "best":
        best(args.repeats, args.jobs, args.chunk, args.model)
    else:
        grouped(args.repeats, args.jobs, args.chunk)
    return 0


if __name__ == "__main__":
    sys.exit(main())

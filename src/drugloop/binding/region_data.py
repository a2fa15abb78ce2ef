"""Data for the region model: leak-free train/validation/test sets, decoder selection and scoring.

Test sets (never trained on, never used for selection): HoTS ``BR_test_dataset_1`` (binding regions, per complex),
bindPredict ``uniprot_test.txt`` (TestSet300) and the independent set (TestSetNew46) (binding residues).
Validation (early stopping, decoder and threshold choice): bindPredict fold 5 and HoTS ``BR_validation_dataset``.
Training: bindPredict folds 1-4 and HoTS ``Validation_HoTS``. Any training or validation protein with >= 90%
identity to a test protein is removed, and any training protein with >= 90% identity to a validation protein.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drugloop.binding.regions import HEADS, RegionPredictor, TrainingProtein, check_sequence, decode_regions
from drugloop.evaluate.regions import (
    average_precision,
    best_threshold,
    regions_from_residues,
    residue_metrics,
    top_n_success,
)

log = logging.getLogger(__name__)

IDENTITY_MAX = 0.9
LOW_IDENTITY = 0.4
PAD = 5


def _mask(length: int, regions: list[tuple[int, int]]) -> np.ndarray:
    m = np.zeros(length, dtype=np.float32)
    for s, e in regions:
        m[max(0, s) : min(length, e)] = 1.0
    return m


def _onehot(length: int, positions: list[int]) -> np.ndarray:
    m = np.zeros(length, dtype=np.float32)
    m[list(positions)] = 1.0
    return m


def bindpredict_proteins(df: pd.DataFrame) -> list[TrainingProtein]:
    out = []
    for row in df.itertuples(index=False):
        seq = check_sequence(row.sequence)
        labels: dict[str, np.ndarray | None] = {c: _onehot(len(seq), getattr(row, c)) for c in HEADS[:3]}
        labels["region"] = _mask(len(seq), regions_from_residues(row.small, len(seq), PAD))
        out.append(TrainingProtein(row.protein_id, seq, labels))
    return out


def hots_proteins(df: pd.DataFrame) -> list[TrainingProtein]:
    """One protein per unique sequence; its region label is the union of the regions of all its complexes."""
    out = []
    for seq, group in df.groupby("sequence", sort=False):
        clean = check_sequence(seq)
        mask = np.zeros(len(clean), dtype=np.float32)
        for regions in group["binding_region"]:
            mask = np.maximum(mask, _mask(len(clean), list(regions)))
        labels: dict[str, np.ndarray | None] = {"small": None, "metal": None, "nuclear": None, "region": mask}
        out.append(TrainingProtein(str(group["protein_id"].iloc[0]), clean, labels))
    return out


@dataclass
class RegionData:
    train: list[TrainingProtein]
    valid: list[TrainingProtein]
    valid_hots: pd.DataFrame
    valid_bp: list[TrainingProtein]
    test_hots: pd.DataFrame
    test_bp: list[TrainingProtein]
    indep_bp: list[TrainingProtein]
    low_identity: dict[str, float] = field(
        default_factory=dict
    )  # test sequence -> max identity to train+valid
    report: dict[str, Any] = field(default_factory=dict)


def _cached_identity(
    queries: list[str], refs: list[str], cache_dir: Path, floor: float | None = None
) -> np.ndarray:
    from drugloop.binding.identity import max_identity

    key = hashlib.sha256(json.dumps([queries, refs, floor]).encode()).hexdigest()[:20]
    path = cache_dir / f"identity_{key}.npy"
    if path.is_file():
        return np.load(path)
    ident, _ = max_identity(queries, refs, floor=floor)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.npy")
    np.save(tmp, ident)
    tmp.replace(path)
    return ident


def prepare(cache_dir: Path = Path(".cache/regions"), with_low_identity: bool = True) -> RegionData:
    from drugloop.data.loaders.sites import load_bindpredict, load_hots

    bp = load_bindpredict("development")
    indep = load_bindpredict("independent")
    hots_test = load_hots("test")
    hots_val = load_hots("validation")
    hots_train = load_hots("hots_validation")

    test_seqs = sorted(
        set(hots_test["sequence"]) | set(bp.loc[bp.split == "test", "sequence"]) | set(indep["sequence"])
    )
    train_bp = bindpredict_proteins(bp[bp.split.isin(["fold1", "fold2", "fold3", "fold4"])])
    valid_bp = bindpredict_proteins(bp[bp.split == "fold5"])
    train_h = hots_proteins(hots_train)
    valid_h = hots_proteins(hots_val)
    train_all, valid_all = train_bp + train_h, valid_bp + valid_h

    report: dict[str, Any] = {"identity_threshold": IDENTITY_MAX, "n_test_sequences": len(test_seqs)}
    ident_valid = _cached_identity([p.sequence for p in valid_all], test_seqs, cache_dir, IDENTITY_MAX)
    keep_valid = ident_valid < IDENTITY_MAX
    valid_kept = [p for p, k in zip(valid_all, keep_valid, strict=True) if k]
    ident_train = _cached_identity([p.sequence for p in train_all], test_seqs, cache_dir, IDENTITY_MAX)
    ident_tv = _cached_identity(
        [p.sequence for p in train_all], [p.sequence for p in valid_kept], cache_dir, IDENTITY_MAX
    )
    keep_train = (ident_train < IDENTITY_MAX) & (ident_tv < IDENTITY_MAX)
    train_kept = [p for p, k in zip(train_all, keep_train, strict=True) if k]
    report.update(
        {
            "train_candidates": len(train_all),
            "train_removed_test_twins": int((ident_train >= IDENTITY_MAX).sum()),
            "train_removed_valid_twins": int(
                ((ident_train < IDENTITY_MAX) & (ident_tv >= IDENTITY_MAX)).sum()
            ),
            "train_kept": len(train_kept),
            "valid_candidates": len(valid_all),
            "valid_removed_test_twins": int((~keep_valid).sum()),
            "valid_kept": len(valid_kept),
        }
    )
    kept_valid_ids = {id(p) for p in valid_kept}
    hv_keep = {p.sequence for p in valid_h if id(p) in kept_valid_ids}
    valid_hots = hots_val[hots_val["sequence"].isin(hv_keep)].reset_index(drop=True)
    valid_bp_kept = [p for p in valid_bp if id(p) in kept_valid_ids]

    data = RegionData(
        train=train_kept,
        valid=valid_kept,
        valid_hots=valid_hots,
        valid_bp=valid_bp_kept,
        test_hots=hots_test,
        test_bp=bindpredict_proteins(bp[bp.split == "test"]),
        indep_bp=bindpredict_proteins(indep),
        report=report,
    )
    report["test_sequences"] = test_seqs
    if with_low_identity:
        add_low_identity(data, cache_dir)
    log.info("region data: %s", {k: v for k, v in report.items() if k != "test_sequences"})
    return data


def add_low_identity(data: RegionData, cache_dir: Path) -> None:
    """Each test sequence's highest identity to any training or validation protein (for the < 40% subsets)."""
    test_seqs = data.report.pop("test_sequences")
    seen = [p.sequence for p in data.train + data.valid]
    ident_test = _cached_identity(test_seqs, seen, cache_dir)
    data.low_identity = {s: float(i) for s, i in zip(test_seqs, ident_test, strict=True)}
    data.report["test_below_40pct"] = int((ident_test < LOW_IDENTITY).sum())


# ---------------------------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------------------------
DECODER_GRID: list[dict[str, Any]] = (
    [{"kind": "segment", "threshold": t, "min_length": 4} for t in (0.2, 0.3, 0.4, 0.5, 0.6)]
    + [{"kind": "pad", "threshold": t, "pad": PAD} for t in (0.2, 0.3, 0.4, 0.5, 0.6)]
    + [
        {"kind": "anchor", "threshold": t, "nms_iou": n, "max_regions": 30}
        for t in (0.2, 0.35, 0.5)
        for n in (0.1, 0.3)
    ]
)


def _in_range(regions: list[tuple[int, int, float]], lo: float, hi: float) -> list[tuple[int, int, float]]:
    """HoTS' protocol: drop predictions entirely outside the PDB-resolved part [pdb_start, pdb_end]."""
    return [r for r in regions if r[1] >= lo and r[0] <= hi]


def score_hots(
    model: RegionPredictor,
    df: pd.DataFrame,
    decoder: dict[str, Any] | None = None,
    probs: dict[str, np.ndarray] | None = None,
    decoders: dict[str, dict[str, Any]] | None = None,
) -> tuple[dict[str, float], dict[str, list]]:
    """AP@0.5 and top-n success per complex, with (HoTS protocol) and without the PDB-range restriction.

    ``decoder`` decodes every protein; without it each protein takes ``decoders[sequence]``, or else the model's
    own choice (its template decoder where a template was blended in).
    """
    seqs = list(dict.fromkeys(df["sequence"]))
    if probs is None:
        blended, hits = model.proba_and_templates([check_sequence(s) for s in seqs])
        probs = dict(zip(seqs, blended, strict=True))
        if decoder is None and decoders is None:
            decoders = {s: model.decoder_for(h is not None) for s, h in zip(seqs, hits, strict=True)}
    per_seq = {s: decoder or (decoders or {}).get(s) or model.decoder for s in seqs}
    regions = {
        s: [r.as_tuple() for r in decode_regions(probs[s][:, 0], probs[s][:, 3], per_seq[s])] for s in seqs
    }
    preds, preds_all, trues = [], [], []
    has_range = {"pdb_start", "pdb_end"} <= set(df.columns)
    for row in df.itertuples(index=False):
        r = regions[row.sequence]
        preds_all.append(r)
        preds.append(_in_range(r, row.pdb_start, row.pdb_end) if has_range else r)
        trues.append(list(row.binding_region))
    out = {
        "ap@0.5": average_precision(preds, trues, 0.5),
        "top_n@0.5": top_n_success(preds, trues, 0.5),
        "ap@0.5_full_sequence": average_precision(preds_all, trues, 0.5),
        "top_n@0.5_full_sequence": top_n_success(preds_all, trues, 0.5),
        "ap@0.3": average_precision(preds, trues, 0.3),
        "mean_regions_per_protein": float(np.mean([len(regions[s]) for s in seqs])),
    }
    return out, {"preds": preds, "trues": trues}


def hots_probs(model: RegionPredictor, df: pd.DataFrame) -> dict[str, np.ndarray]:
    seqs = list(dict.fromkeys(df["sequence"]))
    return dict(zip(seqs, model.predict_proba([check_sequence(s) for s in seqs]), strict=True))


def select_decoder(
    model: RegionPredictor, valid_hots: pd.DataFrame
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The decoder with the best validation AP@0.5 (ties: top-n success)."""
    probs = hots_probs(model, valid_hots)
    table = []
    for dec in DECODER_GRID:
        m, _ = score_hots(model, valid_hots, dec, probs)
        table.append({"decoder": dec, "ap@0.5": m["ap@0.5"], "top_n@0.5": m["top_n@0.5"]})
    best = max(table, key=lambda r: (r["ap@0.5"], r["top_n@0.5"]))
    return dict(best["decoder"]), table


def sibling_ceiling(df: pd.DataFrame) -> dict[str, float]:
    """AP@0.5 / top-n of predicting each complex by the regions of the *other* complexes of the same protein.

    Scored by how many siblings share a region. A sequence-only predictor gives every ligand of a protein the same
    regions, so this is roughly the best it can do: the gap below it is not knowing the pockets, not decoding.
    """
    from collections import Counter

    preds, trues = [], []
    for _, group in df.groupby("sequence", sort=False):
        rows = [[tuple(r) for r in regions] for regions in group["binding_region"]]
        for i, own in enumerate(rows):
            others = Counter(r for k, regs in enumerate(rows) if k != i for r in regs)
            if others:
                preds.append([(s, e, n / (len(rows) - 1)) for (s, e), n in others.items()])
                trues.append([list(r) for r in own])
    return {
        "ap@0.5": average_precision(preds, trues, 0.5),
        "top_n@0.5": top_n_success(preds, trues, 0.5),
        "n_complexes": len(preds),
    }


def reference_library() -> Any:
    """Every annotated protein the shipped data sets hold, for homology transfer on a user's proteins.

    bindPredict development + independent sets (MIT) and the three HoTS region sets (non-commercial licence), read
    through the data resolver. The benchmarks never use this: their libraries hold only their training proteins.
    """
    from drugloop.binding.templates import TemplateLibrary
    from drugloop.data.loaders.sites import load_bindpredict, load_hots

    proteins = bindpredict_proteins(load_bindpredict("development")) + bindpredict_proteins(
        load_bindpredict("independent")
    )
    for part in ("hots_validation", "validation", "test"):
        proteins += hots_proteins(load_hots(part))
    return TemplateLibrary(proteins)


# None = the CNN alone; min_identity below 0.3 is the twilight zone, where templates mislead more than they help
TEMPLATE_GRID: list[dict[str, float] | None] = [None] + [
    {"min_identity": m, "weight": w} for m in (0.3, 0.4, 0.5) for w in (1.0, 1.5, 2.5)
]


def select_template_blend(
    model: RegionPredictor, valid_hots: pd.DataFrame, library: Any, cache_dir: Path | None = None
) -> tuple[dict[str, float] | None, dict[str, Any], list[dict[str, Any]]]:
    """The (template blend, template decoder) pair with the best validation AP@0.5 (ties: top-n success).

    Proteins without a template keep the model's own (CNN) decoder; those with one decode with the candidate
    decoder. The CNN runs once and each validation protein's nearest template is searched once; every blend of the
    grid is then a cheap re-weighting of the two.
    """
    from drugloop.binding.templates import blend_template

    seqs = list(dict.fromkeys(valid_hots["sequence"]))
    clean = [check_sequence(s) for s in seqs]
    cnn = dict(zip(seqs, model.cnn_proba(clean), strict=True))
    hits = dict(zip(seqs, library.search(clean, 0.0, cache_dir=cache_dir), strict=True))
    table = []
    for blend in TEMPLATE_GRID:
        if blend is None:
            m, _ = score_hots(model, valid_hots, model.decoder, cnn)
            table.append(
                {"blend": None, "decoder": model.decoder, "ap@0.5": m["ap@0.5"], "top_n@0.5": m["top_n@0.5"]}
            )
            continue
        used = {
            s: hits[s] if hits[s] is not None and hits[s].identity >= blend["min_identity"] else None
            for s in seqs
        }
        probs = {s: blend_template(cnn[s], used[s], blend["weight"]) for s in seqs}
        for dec in DECODER_GRID:
            decoders = {s: dec if used[s] is not None else model.decoder for s in seqs}
            m, _ = score_hots(model, valid_hots, None, probs, decoders)
            table.append({"blend": blend, "decoder": dec, "ap@0.5": m["ap@0.5"], "top_n@0.5": m["top_n@0.5"]})
    best = max(table, key=lambda r: (r["ap@0.5"], r["top_n@0.5"]))
    return best["blend"], dict(best["decoder"]), table


def residue_scores(
    model: RegionPredictor, proteins: list[TrainingProtein], head: str = "small"
) -> tuple[list, list]:
    probs = model.predict_proba([p.sequence for p in proteins])
    h = HEADS.index(head)
    return [p.labels[head] for p in proteins], [pr[:, h] for pr in probs]


def select_binding_threshold(model: RegionPredictor, valid_bp: list[TrainingProtein]) -> float:
    labels, scores = residue_scores(model, valid_bp)
    return best_threshold(labels, scores, "mcc")


def score_residues(
    model: RegionPredictor, proteins: list[TrainingProtein], threshold: float
) -> dict[str, float]:
    labels, scores = residue_scores(model, proteins)
    return residue_metrics(labels, scores, threshold)

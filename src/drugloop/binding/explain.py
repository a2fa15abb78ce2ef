"""Explanations for compound-protein pairs: which residues and regions a prediction rests on.

Per residue, ``attribution`` combines two signals:

- the region predictor's small-molecule binding probability (``binding``, compound-independent), and
- for a deep binding model, its compound -> residue cross-attention (``attention``, ensemble mean), rescaled to 0..1
  between its median and its maximum (a typical residue gets 0, the most attended 1):
  ``attribution = (1 - w) * binding + w * scaled attention`` with ``w = attention_weight`` (0.5).

A model without residue-level internals (LightGBM over k-mer features) gets the region predictor only, and the
explanation says so in ``notes``. Regions are the region predictor's; each is reported with its confidence and,
for a deep model, the share of the attention that falls inside it.

``explain_pairs`` explains many pairs and reports an unusable input (bad sequence, unparsable compound) as one
message on that pair while the others are still explained. ``write_explanation`` writes ``residues.csv``,
``regions.json`` and a self-contained ``explanation.html``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drugloop.binding.regions import Region, RegionPredictor, check_sequence
from drugloop.errors import InputError

__all__ = ["Explanation", "explain_pair", "explain_pairs", "write_explanation"]

log = logging.getLogger(__name__)
ATTENTION_WEIGHT = 0.5


@dataclass
class Explanation:
    """One pair's explanation, or its ``error`` (then the other fields are empty)."""

    target_id: str
    smiles: str
    sequence: str = ""
    prediction: float | None = None
    task: str | None = None
    model_type: str | None = None
    method: str = ""
    residues: pd.DataFrame = field(default_factory=pd.DataFrame)
    regions: list[dict[str, Any]] = field(default_factory=list)
    true_regions: list[tuple[int, int]] | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def top_residues(self, n: int = 15) -> pd.DataFrame:
        return self.residues.sort_values("attribution", ascending=False, kind="stable").head(n)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target_id, "model": self.model_type or "none (regions only)"}
        if self.prediction is not None:
            out["prediction" if self.task != "binary" else "interaction probability"] = round(
                self.prediction, 4
            )
        out["method"] = self.method
        out["regions"] = len(self.regions)
        return out


def _check_smiles(smiles: str) -> str | None:
    from drugloop.chem.parse import parse_smiles

    if not isinstance(smiles, str) or not smiles.strip():
        return "empty SMILES"
    parsed = parse_smiles([smiles], standardize=False)[0]
    return None if parsed.ok else f"compound {smiles!r} does not parse: {parsed.error}"


def _attention(model: Any, pairs: pd.DataFrame) -> list[np.ndarray] | None:
    fn = getattr(model, "residue_attention", None)
    if fn is None:
        return None
    return list(fn(pairs))


def explain_pairs(
    model: Any | None,
    smiles: Sequence[str],
    targets: Sequence[tuple[str, str]],
    *,
    region_model: RegionPredictor | None = None,
    true_regions: Sequence[tuple[int, int]] | None = None,
    attention_weight: float = ATTENTION_WEIGHT,
) -> list[Explanation]:
    """Explain every (compound, target) combination; ``targets`` are (id, sequence) records.

    ``model``: a loaded binding model (``drugloop.binding.load_model``) or None for regions only. Bad inputs give
    an Explanation with ``error`` set, one clear message each; the others are explained.
    """
    if not 0.0 <= attention_weight <= 1.0:
        raise InputError("attention_weight must be within 0..1")
    started = time.perf_counter()
    region_model = region_model or RegionPredictor.default()
    out: list[Explanation] = []
    seq_ok: dict[int, str] = {}
    seq_err: dict[int, str] = {}
    max_len = int(getattr(model, "params", {}).get("max_len", 0) or 0) if model is not None else 0
    for t, (tid, seq) in enumerate(targets):
        try:
            seq_ok[t] = check_sequence(seq)
        except InputError as exc:
            seq_err[t] = f"target {tid}: {exc}"
    smi_err = {c: e for c, s in enumerate(smiles) if (e := _check_smiles(s)) is not None}
    preds = (
        dict(zip(seq_ok, region_model.predict([seq_ok[t] for t in seq_ok]), strict=True)) if seq_ok else {}
    )

    jobs = []
    for c, smi in enumerate(smiles):
        for t, (tid, _) in enumerate(targets):
            exp = Explanation(target_id=str(tid), smiles=str(smi))
            if t in seq_err or c in smi_err:
                exp.error = "; ".join(e for e in (seq_err.get(t), smi_err.get(c)) if e)
            else:
                exp.sequence = seq_ok[t]
                jobs.append((len(out), c, t))
            out.append(exp)
    if not jobs:
        return out

    pairs = pd.DataFrame(
        {"smiles": [smiles[c] for _, c, _ in jobs], "sequence": [seq_ok[t] for _, _, t in jobs]}
    )
    predictions: np.ndarray | None = None
    attention: list[np.ndarray] | None = None
    if model is not None:
        predicted = model.predict(pairs)
        predictions = predicted["prediction"].to_numpy(dtype=float)
        errors = predicted["error"].tolist()
        for (k, _, _), err in zip(jobs, errors, strict=True):
            if isinstance(err, str):
                out[k].error = f"target {out[k].target_id} / compound {out[k].smiles!r}: {err}"
        good = [i for i, e in enumerate(errors) if not isinstance(e, str)]
        if good:
            att = _attention(model, pairs.iloc[good].reset_index(drop=True))
            if att is not None:
                attention = [np.zeros(0)] * len(jobs)
                for i, a in zip(good, att, strict=True):
                    attention[i] = a

    for i, (k, _, t) in enumerate(jobs):
        exp = out[k]
        if exp.error:
            continue
        pred = preds[t]
        n = len(exp.sequence)
        binding = pred.binding
        cols: dict[str, Any] = {
            "position": np.arange(1, n + 1),
            "residue": list(exp.sequence),
            "binding": np.round(binding, 4),
            "region_prob": np.round(pred.region, 4),
        }
        if model is not None:
            exp.model_type = getattr(model, "model_type", type(model).__name__)
            exp.task = getattr(model, "task", None)
            exp.prediction = (
                None if predictions is None or np.isnan(predictions[i]) else float(predictions[i])
            )
        if attention is not None and len(attention[i]):
            a = np.asarray(attention[i], dtype=np.float64)[:n]
            a_scaled = _scale_attention(a)
            score = (1 - attention_weight) * binding + attention_weight * a_scaled
            cols["attention"] = np.round(a, 6)
            exp.method = f"cross-attention x region predictor (w={attention_weight:g})"
            if max_len and n > max_len:
                exp.notes.append(
                    f"the binding model reads only the first {max_len} residues; attention is 0 after"
                )
        else:
            score = binding
            exp.method = "region predictor only"
            if model is not None:
                exp.notes.append(
                    f"the {exp.model_type} binding model has no residue-level attribution (it sees "
                    "sequence composition only); residue scores come from the region predictor"
                )
        if pred.template_id is not None:
            exp.notes.append(
                f"regions and binding scores blend in the labels of {pred.template_id}, an annotated homolog "
                f"{100 * (pred.template_identity or 0):.0f}% identical to this protein"
            )
        cols["attribution"] = np.round(score, 4)
        inside = np.zeros(n, dtype=bool)
        regions: list[dict[str, Any]] = []
        for rank, r in enumerate(pred.regions, start=1):
            inside[r.start : r.end] = True
            row = _region_row(rank, r, score, cols.get("attention"))
            regions.append(row)
        cols["in_region"] = inside
        exp.residues = pd.DataFrame(cols)
        exp.regions = regions
        exp.true_regions = (
            [tuple(map(int, r[:2])) for r in true_regions] if true_regions is not None else None
        )
    elapsed = time.perf_counter() - started
    for exp in out:
        exp.seconds = elapsed / len(out)
    return out


def _scale_attention(a: np.ndarray) -> np.ndarray:
    """Attention mapped to 0..1 between its median (typical residue -> 0) and its maximum (-> 1)."""
    mid, top = float(np.median(a)), float(a.max()) if a.size else 0.0
    if top <= mid:
        return np.zeros_like(a)
    return np.clip((a - mid) / (top - mid), 0.0, 1.0)


def _region_row(rank: int, r: Region, score: np.ndarray, attention: np.ndarray | None) -> dict[str, Any]:
    from drugloop.report.sequence import region_label

    row: dict[str, Any] = {
        "rank": rank,
        "region": region_label(r.start, r.end),
        "start": r.start,
        "end": r.end,
        "length": r.end - r.start,
        "confidence": round(r.score, 4),
        "mean_attribution": round(float(score[r.start : r.end].mean()), 4),
    }
    if attention is not None:
        total = float(np.sum(attention))
        row["attention_share"] = (
            round(float(np.sum(attention[r.start : r.end])) / total, 4) if total > 0 else 0.0
        )
    return row


def explain_pair(
    model: Any | None,
    smiles: str,
    sequence: str,
    *,
    target_id: str = "target",
    region_model: RegionPredictor | None = None,
    true_regions: Sequence[tuple[int, int]] | None = None,
) -> Explanation:
    """Explain one pair; raises InputError for a bad sequence or compound (use ``explain_pairs`` to collect them)."""
    exp = explain_pairs(
        model, [smiles], [(target_id, sequence)], region_model=region_model, true_regions=true_regions
    )[0]
    if exp.error:
        raise InputError(exp.error)
    return exp


def explanation_html(exp: Explanation, top: int = 15) -> str:
    from drugloop.report.page import explanation_page

    tops = exp.top_residues(top)
    top_rows = [
        {
            "residue": f"{r.residue}{r.position}",
            "attribution": float(r.attribution),
            "binding": float(r.binding),
            **({"attention": float(r.attention)} if "attention" in tops else {}),
            "in region": "yes" if r.in_region else "",
        }
        for r in tops.itertuples()
    ]
    region_rows = [{k: v for k, v in r.items() if k not in ("start", "end")} for r in exp.regions]
    return explanation_page(
        title=f"{exp.target_id} with {exp.smiles[:60]}",
        sequence=exp.sequence,
        scores=exp.residues["attribution"].to_numpy(),
        regions=[(r["start"], r["end"], r["confidence"]) for r in exp.regions],
        smiles=exp.smiles,
        true_regions=exp.true_regions,
        summary=exp.summary(),
        top_residues=top_rows,
        region_rows=region_rows,
        notes=exp.notes,
    )


def write_explanation(exp: Explanation, folder: str | Path, top: int = 15) -> dict[str, Path]:
    """Write ``residues.csv``, ``regions.json`` and ``explanation.html`` (atomically) into ``folder``."""
    from drugloop.utils.io import atomic_write_json, atomic_write_text

    if not exp.ok:
        raise InputError(exp.error or "nothing to write")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "residues": atomic_write_text(folder / "residues.csv", exp.residues.to_csv(index=False)),
        "regions": atomic_write_json(
            folder / "regions.json",
            {
                **exp.summary(),
                "smiles": exp.smiles,
                "sequence_length": len(exp.sequence),
                "coordinates": "start 0-based inclusive, end exclusive; 'region' is 1-based inclusive",
                "regions": exp.regions,
                "notes": exp.notes,
                "true_regions": [list(r) for r in exp.true_regions] if exp.true_regions is not None else None,
                "top_residues": [
                    {"position": int(r.position), "residue": r.residue, "attribution": float(r.attribution)}
                    for r in exp.top_residues(top).itertuples()
                ],
            },
        ),
        "html": atomic_write_text(folder / "explanation.html", explanation_html(exp, top)),
    }
    return paths

"""Homology transfer of binding residues and regions: a protein inherits its closest annotated homolog's labels.

Binding pockets are conserved between homologs well below the 90% identity that the benchmarks filter at, and
the sequence CNN alone does not know where a protein's pockets are: on HoTS' validation complexes, the regions of a
sibling complex of the same protein score AP@0.5 0.74, the CNN 0.05. Where an annotated protein of at least
``min_identity`` exists, its per-residue labels are mapped through the best local alignment (Biopython, the same
aligner as the identity filter) and blended into the CNN's probabilities with weight ``min(1, weight * identity)``.
This is template-based site prediction (the S-SITE idea in COACH), applied on top of the CNN, not instead of it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drugloop.binding.identity import local_alignment, max_identity
from drugloop.binding.regions import HEADS, TrainingProtein
from drugloop.errors import InputError

__all__ = ["TemplateHit", "TemplateLibrary", "blend_template"]

log = logging.getLogger(__name__)


@dataclass
class TemplateHit:
    """The closest annotated homolog of one query, its labels mapped onto the query (NaN where unaligned)."""

    template_id: str
    identity: float
    labels: dict[str, np.ndarray]


class TemplateLibrary:
    """Annotated proteins to transfer labels from (per head; a protein may lack some heads)."""

    def __init__(self, proteins: Sequence[TrainingProtein]) -> None:
        self.proteins = [p for p in proteins if any(v is not None for v in p.labels.values())]
        if not self.proteins:
            raise InputError("a template library needs at least one annotated protein")

    def __len__(self) -> int:
        return len(self.proteins)

    def fingerprint(self) -> str:
        """Stable id of the library's sequences, for caches and model cards."""
        text = json.dumps([p.sequence for p in self.proteins])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def nearest(
        self, sequences: Sequence[str], cache_dir: Path | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per query, the highest identity to a library protein and its index (-1: none aligned)."""
        refs = [p.sequence for p in self.proteins]
        path = None
        if cache_dir is not None:
            key = hashlib.sha256(json.dumps([list(sequences), refs]).encode()).hexdigest()[:20]
            path = Path(cache_dir) / f"templates_{key}.npz"
            if path.is_file():
                with np.load(path) as z:
                    return z["identity"], z["index"]
        ident, which = max_identity(list(sequences), refs)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.stem + ".part.npz")
            np.savez(tmp, identity=ident, index=which)
            tmp.replace(path)
        return ident, which

    def search(
        self, sequences: Sequence[str], min_identity: float = 0.0, cache_dir: Path | None = None
    ) -> list[TemplateHit | None]:
        """The best template of each query (None below ``min_identity`` or when nothing aligned)."""
        ident, which = self.nearest(sequences, cache_dir)
        hits: list[TemplateHit | None] = []
        for seq, i, j in zip(sequences, ident, which, strict=True):
            if j < 0 or i <= 0 or i < min_identity:
                hits.append(None)
                continue
            hits.append(transfer(self.proteins[int(j)], seq, float(i)))
        return hits


def transfer(template: TrainingProtein, query: str, identity: float) -> TemplateHit:
    """Map ``template``'s label vectors onto ``query`` through their best local alignment."""
    alignment = local_alignment(template.sequence, query)
    blocks = list(zip(*alignment.aligned, strict=True)) if alignment is not None else []
    labels: dict[str, np.ndarray] = {}
    for head, values in template.labels.items():
        if values is None:
            continue
        mapped = np.full(len(query), np.nan)
        for (ts, te), (qs, qe) in blocks:
            mapped[qs:qe] = values[ts:te]
        labels[head] = mapped
    return TemplateHit(template.protein_id, identity, labels)


def blend_template(prob: np.ndarray, hit: TemplateHit | None, weight: float) -> np.ndarray:
    """CNN probabilities (L, len(HEADS)) with the template's labels mixed in where it aligns and has the head."""
    if hit is None:
        return prob
    w = min(1.0, max(0.0, weight * hit.identity))
    out = prob.copy()
    for h, head in enumerate(HEADS):
        mapped = hit.labels.get(head)
        if mapped is None:
            continue
        if len(mapped) != len(prob):
            raise InputError(f"template labels cover {len(mapped)} residues, the query has {len(prob)}")
        aligned = ~np.isnan(mapped)
        out[aligned, h] = w * mapped[aligned] + (1.0 - w) * prob[aligned, h]
    return out

"""Diversity filters: stop RL from spending the oracle budget on one scaffold.

Without a filter a REINVENT agent collapses onto the first chemotype that scores well (mode collapse, Blaschke
et al. 2020, "Memory-assisted reinforcement learning for diverse molecular de novo design"). The filter keeps
buckets keyed by Bemis–Murcko scaffold; a molecule that scores at least ``min_score`` joins its bucket, and once a
bucket holds ``bucket_size`` molecules every further member gets the penalised score, so the RL reward for that
chemotype falls to nothing and the agent moves on. The oracle's raw score is never changed in the ledger, only
the reward the agent learns from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

import numpy as np

from drugloop.chem.scaffold import murcko_scaffolds
from drugloop.errors import InputError

__all__ = ["ScaffoldDiversityFilter", "make_diversity_filter"]


class ScaffoldDiversityFilter:
    """Identical (or generic) Murcko scaffold buckets of ``bucket_size``; full buckets get ``penalty * score``.

    ``penalty=0`` is REINVENT's hard filter; acyclic molecules share the empty-scaffold bucket.
    """

    def __init__(
        self,
        bucket_size: int = 25,
        min_score: float = 0.4,
        penalty: float = 0.0,
        kind: Literal["murcko", "generic"] = "murcko",
    ) -> None:
        if bucket_size < 1:
            raise InputError(f"diversity filter bucket_size must be >= 1, got {bucket_size}")
        if not 0.0 <= penalty <= 1.0:
            raise InputError(f"diversity filter penalty must be in [0, 1], got {penalty}")
        if kind not in ("murcko", "generic"):
            raise InputError(f"unknown diversity filter kind {kind!r}; use murcko or generic")
        self.bucket_size, self.min_score, self.penalty, self.kind = bucket_size, min_score, penalty, kind
        self.buckets: Counter[str] = Counter()

    def __call__(self, smiles: Sequence[str], scores: Sequence[float]) -> np.ndarray:
        """Scores to learn from: each molecule is bucketed in order; a member beyond a full bucket is penalised."""
        out = np.asarray(scores, dtype=np.float64).copy()
        if len(out) != len(smiles):
            raise InputError(f"{len(smiles)} SMILES but {len(out)} scores")
        keys = murcko_scaffolds(smiles, generic=self.kind == "generic")
        for i, key in enumerate(keys):
            if key is None:  # unparsable: nothing to learn from
                out[i] = 0.0
                continue
            if self.buckets[key] >= self.bucket_size:
                out[i] *= self.penalty
            elif out[i] >= self.min_score:
                self.buckets[key] += 1
        return out

    def bucket_of(self, smiles: str) -> int:
        """How many molecules the bucket of ``smiles`` holds (0 for an unseen scaffold)."""
        key = murcko_scaffolds([smiles], generic=self.kind == "generic")[0]
        return self.buckets.get(key, 0) if key is not None else 0


def make_diversity_filter(spec: ScaffoldDiversityFilter | str | None) -> ScaffoldDiversityFilter | None:
    """``None``/``"none"`` → no filter; ``"scaffold"``/``"murcko"``/``"generic"`` → REINVENT's defaults."""
    if spec is None or isinstance(spec, ScaffoldDiversityFilter):
        return spec
    name = spec.lower()
    if name == "none":
        return None
    if name in ("scaffold", "murcko"):
        return ScaffoldDiversityFilter(kind="murcko")
    if name == "generic":
        return ScaffoldDiversityFilter(kind="generic")
    raise InputError(f"unknown diversity filter {spec!r}; use none, scaffold (murcko) or generic")

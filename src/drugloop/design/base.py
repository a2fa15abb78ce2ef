"""The contract between the design loop and its generators.

A generator proposes candidate SMILES and learns from the oracle's verdict on the ones the loop chose to
"make and test". The loop (not the generator) validates, de-duplicates, picks and scores candidates, so a
generator may return invalid or repeated strings: they are counted, never sent to the oracle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Generator(Protocol):
    """Anything that can propose molecules and learn from scored ones."""

    name: str

    def propose(self, n: int, rng: np.random.Generator) -> list[str]:
        """Return ``n`` candidate SMILES (possibly invalid or duplicated)."""
        ...

    def update(self, smiles: Sequence[str], scores: Sequence[float]) -> None:
        """Learn from molecules the oracle scored (canonical SMILES, scores in [0, 1])."""
        ...

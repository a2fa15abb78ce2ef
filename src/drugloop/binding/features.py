"""Fixed-length pair features for the tree baseline: compound ECFP counts (+ descriptors) beside protein k-mers.

Pair tables repeat a few thousand molecules and a few hundred proteins over 10^4-10^5 rows, so every unique SMILES
and sequence is featurised once (and kept in a per-featurizer cache across fit/validate/predict); the pair matrix is
two ``np.take`` gathers into one preallocated float32 block. ``FEATURIZER_VERSION`` is written into model cards:
changing what a column means must change it, so an old model cannot silently read new features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from drugloop.errors import InputError

FEATURIZER_VERSION = "pairfeat-1"

DESCRIPTORS: tuple[str, ...] = (
    "MolWt",
    "MolLogP",
    "TPSA",
    "NumHDonors",
    "NumHAcceptors",
    "NumRotatableBonds",
    "RingCount",
    "NumAromaticRings",
    "FractionCSP3",
    "HeavyAtomCount",
)
_CHUNK_ROWS = 16_384  # ~180 MB of float32 features per block


@dataclass(frozen=True)
class FeaturizerParams:
    """What the columns are; stored in the model card and compared on load."""

    radius: int = 2
    n_bits: int = 2048
    descriptors: bool = True
    kmers: tuple[int, ...] = (1, 2, 3)  # k >= 3 over the 7 conjoint-triad classes

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kmers"] = list(self.kmers)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeaturizerParams:
        known = {k: d[k] for k in ("radius", "n_bits", "descriptors", "kmers") if k in d}
        if "kmers" in known:
            known["kmers"] = tuple(int(k) for k in known["kmers"])
        return cls(**known)


# --------------------------------------------------------------------------- compounds


def compound_features(smiles: Sequence[str], params: FeaturizerParams) -> np.ndarray:
    """(n, n_bits [+ descriptors]) float32: ECFP counts, then a few RDKit descriptors.

    Callers pass only validated SMILES; one that still fails to parse raises InputError (a programming error
    upstream, not a row to silently zero).
    """
    from drugloop.chem.featurize import descriptors, ecfp
    from drugloop.chem.parse import parse_smiles

    parsed = parse_smiles(list(smiles), standardize=False)
    bad = [p for p in parsed if p.error]
    if bad:
        raise InputError(f"cannot featurise SMILES {bad[0].input!r}: {bad[0].error}")
    mols = [p.mol for p in parsed]
    fp = ecfp(mols, radius=params.radius, n_bits=params.n_bits, counts=True, dtype=np.float32)
    if not params.descriptors:
        return fp
    # a failing descriptor is NaN, which LightGBM treats as missing
    desc = descriptors(mols, names=list(DESCRIPTORS)).to_numpy(dtype=np.float32)
    return np.hstack([fp, desc])


def compound_feature_names(params: FeaturizerParams) -> list[str]:
    names = [f"ecfp{2 * params.radius}_{i}" for i in range(params.n_bits)]
    if params.descriptors:
        names += [f"desc_{d}" for d in DESCRIPTORS]
    return names


# --------------------------------------------------------------------------- proteins


def protein_features(sequences: Sequence[str], params: FeaturizerParams) -> np.ndarray:
    """(n, 20 + 400 + 343) float32: amino-acid and dipeptide composition, conjoint-triad 3-mers (k >= 3 reduced).

    Whitespace and case are dropped first, as ``validate_sequence`` ignores them, so pasted FASTA lines do not
    break k-mers.
    """
    from drugloop.bio.protein import kmer_composition

    cleaned = ["".join(str(s).split()).upper() for s in sequences]
    if not cleaned:
        return np.zeros((0, len(protein_feature_names(params))), dtype=np.float32)
    return np.asarray(kmer_composition(cleaned, k=params.kmers), dtype=np.float32)


def protein_feature_names(params: FeaturizerParams) -> list[str]:
    from drugloop.bio.protein import kmer_feature_names

    return kmer_feature_names(params.kmers)


# --------------------------------------------------------------------------- pairs


class PairFeaturizer:
    """Pair table -> float32 matrix [compound features | protein features], featurising each entity once."""

    def __init__(self, params: FeaturizerParams | None = None) -> None:
        self.params = params or FeaturizerParams()
        self._drugs: dict[str, np.ndarray] = {}
        self._targets: dict[str, np.ndarray] = {}

    @property
    def feature_names(self) -> list[str]:
        return compound_feature_names(self.params) + protein_feature_names(self.params)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def _lookup(
        self, values: pd.Series, cache: dict[str, np.ndarray], fn: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """(codes per row, matrix of unique-entity features) with only uncached entities featurised."""
        codes, uniques = pd.factorize(values, sort=False)
        if (codes < 0).any():
            raise InputError("pairs to featurise must have a SMILES and a sequence on every row")
        uniques = [str(u) for u in uniques]
        missing = [u for u in uniques if u not in cache]
        if missing:
            for key, row in zip(missing, fn(missing, self.params), strict=True):
                cache[key] = row
        return codes, np.vstack([cache[u] for u in uniques])

    def transform(self, pairs: pd.DataFrame) -> np.ndarray:
        """Features for every row of a validated pair table (no row may carry an error)."""
        d_codes, d_mat = self._lookup(pairs["smiles"], self._drugs, compound_features)
        t_codes, t_mat = self._lookup(pairs["sequence"], self._targets, protein_features)
        out = np.empty((len(pairs), d_mat.shape[1] + t_mat.shape[1]), dtype=np.float32)
        np.take(d_mat, d_codes, axis=0, out=out[:, : d_mat.shape[1]], mode="clip")  # codes are valid
        np.take(t_mat, t_codes, axis=0, out=out[:, d_mat.shape[1] :], mode="clip")
        return out

    def iter_chunks(self, pairs: pd.DataFrame, rows: int = _CHUNK_ROWS):  # noqa: ANN201 - generator
        """Feature blocks of at most ``rows`` rows, so prediction memory stays flat for large tables."""
        for start in range(0, len(pairs), rows):
            yield self.transform(pairs.iloc[start : start + rows])

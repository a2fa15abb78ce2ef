"""Fixed-length pair features for the tree baseline: compound ECFP counts (+ descriptors) beside protein k-mers.

Pair tables repeat a few thousand molecules and a few hundred proteins over 10^4-10^5 rows, so every unique SMILES
and sequence is featurised once (and kept in a per-featurizer cache across fit/validate/predict); the pair matrix is
two ``np.take`` gathers into one preallocated float32 block. ``FEATURIZER_VERSION`` is written into model cards:
changing what a column means must change it, so an old model cannot silently read new features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from drugloop.errors import InputError

FEATURIZER_VERSION = "pairfeat-1"

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
#: Shen et al. 2007 conjoint-triad classes (dipole and side-chain volume): 7 letters -> 343 reduced 3-mers.
REDUCED_CLASSES: tuple[str, ...] = ("AGV", "ILFP", "YMTS", "HNQW", "RK", "DE", "C")
DESCRIPTORS: tuple[str, ...] = (
    "MolWt", "MolLogP", "TPSA", "NumHDonors", "NumHAcceptors", "NumRotatableBonds", "RingCount",
    "NumAromaticRings", "FractionCSP3", "HeavyAtomCount",
)
_CHUNK_ROWS = 65_536


@dataclass(frozen=True)
class FeaturizerParams:
    """What the columns are; stored in the model card and compared on load."""

    radius: int = 2
    n_bits: int = 2048
    descriptors: bool = True
    kmers: tuple[int, ...] = (1, 2)
    reduced_kmer: int = 3

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kmers"] = list(self.kmers)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeaturizerParams:
        known = {k: d[k] for k in ("radius", "n_bits", "descriptors", "kmers", "reduced_kmer") if k in d}
        if "kmers" in known:
            known["kmers"] = tuple(int(k) for k in known["kmers"])
        return cls(**known)


# --------------------------------------------------------------------------- compounds


def compound_features(smiles: Sequence[str], params: FeaturizerParams) -> np.ndarray:
    """(n, n_bits [+ descriptors]) float32: ECFP counts, then a few RDKit descriptors.

    Callers pass only validated SMILES; one that still fails to parse raises InputError (a programming error
    upstream, not a row to silently zero).
    """
    from drugloop.chem.featurize import ecfp
    from drugloop.chem.parse import parse_smiles

    parsed = parse_smiles(list(smiles), standardize=False)
    bad = [p for p in parsed if p.error]
    if bad:
        raise InputError(f"cannot featurise SMILES {bad[0].input!r}: {bad[0].error}")
    mols = [p.mol for p in parsed]
    fp = np.asarray(ecfp(mols, radius=params.radius, n_bits=params.n_bits, counts=True), dtype=np.float32)
    if not params.descriptors:
        return fp
    return np.hstack([fp, _descriptors(mols)])


def _descriptors(mols: Sequence[Any]) -> np.ndarray:
    from rdkit.Chem import Descriptors

    fns = [getattr(Descriptors, name) for name in DESCRIPTORS]
    out = np.empty((len(mols), len(fns)), dtype=np.float32)
    for i, mol in enumerate(mols):
        for j, fn in enumerate(fns):
            try:
                out[i, j] = float(fn(mol))
            except (ValueError, RuntimeError, ZeroDivisionError):
                out[i, j] = np.nan  # LightGBM handles missing values natively
    return out


def compound_feature_names(params: FeaturizerParams) -> list[str]:
    names = [f"ecfp{2 * params.radius}_{i}" for i in range(params.n_bits)]
    if params.descriptors:
        names += [f"desc_{d}" for d in DESCRIPTORS]
    return names


# --------------------------------------------------------------------------- proteins

_REDUCE = str.maketrans({aa: str(i) for i, group in enumerate(REDUCED_CLASSES) for aa in group})


def _reduced_kmers(seq: str, k: int) -> np.ndarray:
    """Normalised counts of k-mers over the 7-class alphabet; k-mers touching X (or other letters) are skipped."""
    n_classes = len(REDUCED_CLASSES)
    codes = np.frombuffer(seq.upper().translate(_REDUCE).encode("ascii", "replace"), dtype=np.uint8).astype(np.int64)
    codes = codes - ord("0")
    valid = (codes >= 0) & (codes < n_classes)
    out = np.zeros(n_classes**k, dtype=np.float32)
    if codes.size < k:
        return out
    index = np.zeros(codes.size - k + 1, dtype=np.int64)
    ok = np.ones(codes.size - k + 1, dtype=bool)
    for j in range(k):
        window = codes[j : codes.size - k + 1 + j]
        index = index * n_classes + np.where(valid[j : j + index.size], window, 0)
        ok &= valid[j : j + index.size]
    counts = np.bincount(index[ok], minlength=n_classes**k).astype(np.float32)
    total = counts.sum()
    return counts / total if total else out


def protein_features(sequences: Sequence[str], params: FeaturizerParams) -> np.ndarray:
    """(n, 20 + 400 + 343) float32: amino-acid and dipeptide composition, then reduced-alphabet 3-mers."""
    from drugloop.bio.protein import kmer_composition

    rows = []
    for seq in sequences:
        parts = [np.asarray(kmer_composition(seq, k=k), dtype=np.float32).reshape(-1) for k in params.kmers]
        if params.reduced_kmer:
            parts.append(_reduced_kmers(seq, params.reduced_kmer))
        rows.append(np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32))
    width = len(protein_feature_names(params))
    if not rows:
        return np.zeros((0, width), dtype=np.float32)
    out = np.vstack(rows)
    if out.shape[1] != width:
        raise InputError(f"protein features have {out.shape[1]} columns, expected {width}")
    return out


def protein_feature_names(params: FeaturizerParams) -> list[str]:
    names = []
    for k in params.kmers:
        names += [f"aa{k}_{''.join(t)}" for t in product(AMINO_ACIDS, repeat=k)]
    if params.reduced_kmer:
        names += [f"ct{params.reduced_kmer}_{''.join(t)}" for t in
                  product("0123456"[: len(REDUCED_CLASSES)], repeat=params.reduced_kmer)]
    return names


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

    def _lookup(self, values: pd.Series, cache: dict[str, np.ndarray], fn: Any) -> tuple[np.ndarray, np.ndarray]:
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

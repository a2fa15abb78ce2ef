"""Molecule featurisers: ECFP bits/counts, RDKit 2D descriptors, and a ``MolFeaturizer`` that models keep.

A model must featurise new molecules exactly as it featurised its training set, so ``MolFeaturizer`` carries its
own name, version and parameters (``card()``), is rebuilt from them (``from_card``), and is what model cards
record. The lower-level functions take already-parsed molecules; ``None`` entries (invalid input) give a zero row
(fingerprints) or a NaN row (descriptors) so that row *i* always belongs to molecule *i*.

Graph and token featurisers live in ``graph.py`` and ``tokens.py`` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import rdkit
from rdkit import Chem, rdBase
from rdkit.Chem import Descriptors, rdFingerprintGenerator

from drugloop.chem.graph import ATOM_ELEMENTS, ATOM_FEATURE_DIM, BOND_FEATURE_DIM, mol_to_graph
from drugloop.chem.parse import parse_smiles
from drugloop.chem.tokens import SMILES_VOCAB, SmilesVocab, build_smiles_vocab, smiles_tokenize
from drugloop.errors import InputError, ModelError

__all__ = [
    "ATOM_ELEMENTS",
    "ATOM_FEATURE_DIM",
    "BOND_FEATURE_DIM",
    "DESCRIPTOR_NAMES",
    "FEATURIZER_KINDS",
    "SMILES_VOCAB",
    "MolFeaturizer",
    "SmilesVocab",
    "build_smiles_vocab",
    "descriptors",
    "ecfp",
    "ecfp_from_smiles",
    "graphs_from_smiles",
    "mol_to_graph",
    "smiles_tokenize",
]

_DESCRIPTOR_FUNCTIONS: dict[str, Any] = dict(Descriptors._descList)
DESCRIPTOR_NAMES: tuple[str, ...] = tuple(name for name, _ in Descriptors._descList)
"""Every RDKit 2D descriptor of the installed RDKit, in RDKit's order (217 in RDKit 2026.09)."""

_FLOAT32_MAX = float(np.finfo(np.float32).max)


@cache
def _morgan_generator(radius: int, n_bits: int, chirality: bool) -> Any:
    # one generator per setting for the whole process: building it per molecule is the classic slow path
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits, includeChirality=chirality)


def ecfp(
    mols: Iterable[Chem.Mol | None],
    radius: int = 2,
    n_bits: int = 2048,
    counts: bool = False,
    *,
    chirality: bool = False,
    dtype: np.dtype | type | None = None,
) -> np.ndarray:
    """Morgan/ECFP fingerprints, one row per molecule (ECFP4 = radius 2).

    Bits come as uint8 0/1; counts as uint16 (saturating at 65535) unless ``dtype`` asks for e.g. float32.
    ``None`` molecules give all-zero rows, so row positions stay aligned with the input.
    """
    if radius < 0 or n_bits <= 0:
        raise InputError(f"ECFP needs radius >= 0 and n_bits > 0, got radius={radius}, n_bits={n_bits}")
    mols = list(mols)
    generator = _morgan_generator(int(radius), int(n_bits), bool(chirality))
    out_dtype = np.dtype(dtype) if dtype is not None else np.dtype(np.uint16 if counts else np.uint8)
    out = np.zeros((len(mols), n_bits), dtype=out_dtype)
    for i, mol in enumerate(mols):
        if mol is None:
            continue
        if counts:
            row = generator.GetCountFingerprintAsNumPy(mol)
            if out_dtype.kind in "ui":
                row = np.minimum(row, np.iinfo(out_dtype).max)
            out[i] = row
        else:
            out[i] = generator.GetFingerprintAsNumPy(mol)
    return out


def ecfp_from_smiles(
    smiles: Iterable[str | None],
    radius: int = 2,
    n_bits: int = 2048,
    counts: bool = False,
    *,
    standardize: bool = True,
    dtype: np.dtype | type | None = None,
) -> tuple[np.ndarray, list[str | None]]:
    """Parse (and standardise) SMILES, then ECFP; returns the matrix and the per-row error (None = fine)."""
    parsed = parse_smiles(smiles, standardize=standardize)
    X = ecfp([p.mol for p in parsed], radius=radius, n_bits=n_bits, counts=counts, dtype=dtype)
    return X, [p.error for p in parsed]


def _check_descriptor_names(names: Sequence[str] | None) -> list[str]:
    if names is None:
        return list(DESCRIPTOR_NAMES)
    unknown = [name for name in names if name not in _DESCRIPTOR_FUNCTIONS]
    if unknown:
        raise InputError(f"unknown RDKit descriptor(s) {unknown}; see drugloop.chem.DESCRIPTOR_NAMES")
    return list(names)


def _safe_value(function: Any, mol: Chem.Mol) -> float:
    try:
        value = float(function(mol))
    except Exception:  # a descriptor that fails on one odd molecule must not sink the batch
        return math.nan
    if not math.isfinite(value) or abs(value) > _FLOAT32_MAX:
        return math.nan
    return value


def descriptors(mols: Iterable[Chem.Mol | None], names: list[str] | None = None) -> pd.DataFrame:
    """RDKit 2D descriptors as a float32 frame (all of ``Descriptors._descList`` by default).

    Never raises for a molecule: a descriptor that fails, is infinite or overflows float32 (``Ipc`` on large
    molecules) becomes NaN, and ``None`` molecules give NaN rows.
    """
    chosen = _check_descriptor_names(names)
    functions = [_DESCRIPTOR_FUNCTIONS[name] for name in chosen]
    mols = list(mols)
    values = np.full((len(mols), len(chosen)), np.nan, dtype=np.float64)
    with rdBase.BlockLogs():
        for i, mol in enumerate(mols):
            if mol is None:
                continue
            values[i] = [_safe_value(function, mol) for function in functions]
    return pd.DataFrame(values.astype(np.float32), columns=chosen)


def graphs_from_smiles(
    smiles: Iterable[str | None], *, standardize: bool = True
) -> tuple[list[dict[str, np.ndarray] | None], list[str | None]]:
    """Graph arrays per SMILES (None where the SMILES is invalid) and the per-row errors."""
    parsed = parse_smiles(smiles, standardize=standardize)
    graphs = [mol_to_graph(p.mol) if p.mol is not None else None for p in parsed]
    return graphs, [p.error for p in parsed]


FEATURIZER_KINDS: tuple[str, ...] = ("ecfp", "descriptors", "ecfp+descriptors")
_FEATURIZER_VERSION = "1"


class MolFeaturizer:
    """SMILES → feature matrix, with the settings a model needs to featurise new molecules identically.

    ``kind`` is ``"ecfp"``, ``"descriptors"`` or ``"ecfp+descriptors"``. ``transform`` returns a float32
    matrix and the per-row errors; rows of invalid SMILES are all NaN, so they cannot be mistaken for a
    molecule with no bits set. Descriptor columns may hold NaN for valid molecules too (see ``descriptors``).
    """

    def __init__(
        self,
        kind: str = "ecfp",
        *,
        radius: int = 2,
        n_bits: int = 2048,
        counts: bool = False,
        descriptor_names: Sequence[str] | None = None,
        standardize: bool = True,
    ) -> None:
        if kind not in FEATURIZER_KINDS:
            raise InputError(f"unknown featurizer kind {kind!r}; choose one of {list(FEATURIZER_KINDS)}")
        self.kind = kind
        self.radius = int(radius)
        self.n_bits = int(n_bits)
        self.counts = bool(counts)
        self.standardize = bool(standardize)
        self.descriptor_names: list[str] = (
            _check_descriptor_names(descriptor_names) if "descriptors" in kind else []
        )

    version: str = _FEATURIZER_VERSION

    @property
    def name(self) -> str:
        """Short human name, e.g. ``ecfp4-2048``, ``ecfp4-counts-2048``, ``rdkit2d-217``."""
        parts = []
        if "ecfp" in self.kind:
            parts.append(f"ecfp{2 * self.radius}-{'counts-' if self.counts else ''}{self.n_bits}")
        if "descriptors" in self.kind:
            parts.append(f"rdkit2d-{len(self.descriptor_names)}")
        return "+".join(parts)

    @property
    def params(self) -> dict[str, Any]:
        """Constructor arguments; ``MolFeaturizer(**params)`` rebuilds the same featuriser."""
        params: dict[str, Any] = {"kind": self.kind, "standardize": self.standardize}
        if "ecfp" in self.kind:
            params.update(radius=self.radius, n_bits=self.n_bits, counts=self.counts)
        if "descriptors" in self.kind:
            params["descriptor_names"] = list(self.descriptor_names)
        return params

    @property
    def n_features(self) -> int:
        return (self.n_bits if "ecfp" in self.kind else 0) + len(self.descriptor_names)

    @property
    def feature_names(self) -> list[str]:
        names = [f"ecfp_{i}" for i in range(self.n_bits)] if "ecfp" in self.kind else []
        return names + list(self.descriptor_names)

    def card(self) -> dict[str, Any]:
        """What a model card records about its input features."""
        return {
            "name": self.name,
            "version": self.version,
            "params": self.params,
            "n_features": self.n_features,
            "rdkit_version": rdkit.__version__,
        }

    @classmethod
    def from_card(cls, card: dict[str, Any]) -> MolFeaturizer:
        """Rebuild the featuriser a model was trained with; ModelError when this install cannot."""
        if str(card.get("version")) != _FEATURIZER_VERSION:
            raise ModelError(
                f"model features come from featurizer version {card.get('version')!r}; "
                f"this drugloop provides version {_FEATURIZER_VERSION!r}"
            )
        try:
            featurizer = cls(**card["params"])
        except (InputError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot rebuild the model's featurizer from its card: {exc}") from exc
        if "n_features" in card and featurizer.n_features != card["n_features"]:
            raise ModelError(
                f"featurizer gives {featurizer.n_features} features, the model expects {card['n_features']}"
            )
        return featurizer

    def transform(self, smiles: Iterable[str | None]) -> tuple[np.ndarray, list[str | None]]:
        """Feature matrix (float32, one row per input) and the per-row error (None where the SMILES is fine)."""
        parsed = parse_smiles(smiles, standardize=self.standardize)
        mols = [p.mol for p in parsed]
        blocks: list[np.ndarray] = []
        if "ecfp" in self.kind:
            blocks.append(ecfp(mols, self.radius, self.n_bits, self.counts, dtype=np.float32))
        if "descriptors" in self.kind:
            blocks.append(descriptors(mols, self.descriptor_names).to_numpy(dtype=np.float32))
        X = np.concatenate(blocks, axis=1) if len(blocks) > 1 else blocks[0]
        errors = [p.error for p in parsed]
        bad = np.array([e is not None for e in errors], dtype=bool)
        if bad.any():
            X[bad] = np.nan
        return X, errors

    def __repr__(self) -> str:
        return f"MolFeaturizer({', '.join(f'{k}={v!r}' for k, v in self.params.items() if k != 'descriptor_names')})"

"""Molecular graphs as plain numpy arrays, for the message-passing encoders in ``drugloop.nn``.

Arrays rather than torch tensors or a PyG ``Data`` object: featurisation runs in worker processes and in the
data layer, which must not depend on torch; the encoder converts at the batch boundary.

Atom features (``ATOM_FEATURE_DIM`` columns, one-hot blocks, each with a final "other" slot so that unusual
atoms never raise): element over ``ATOM_ELEMENTS``, degree 0-5, formal charge -2..+2, total Hs 0-4,
hybridisation, chirality tag, then aromatic and in-ring flags and the mass / 100.
Bond features (``BOND_FEATURE_DIM``): bond type, conjugated, in ring, stereo.
Each bond appears twice in ``edge_index`` (i→j then j→i), the convention of directed message passing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rdkit import Chem

__all__ = ["ATOM_ELEMENTS", "ATOM_FEATURE_DIM", "BOND_FEATURE_DIM", "mol_to_graph"]

ATOM_ELEMENTS: tuple[str, ...] = ("C", "N", "O", "S", "F", "Cl", "Br", "I", "P", "B", "Si", "Se", "H")
_DEGREES = (0, 1, 2, 3, 4, 5)
_CHARGES = (-2, -1, 0, 1, 2)
_NUM_HS = (0, 1, 2, 3, 4)
_HYBRIDISATIONS = (
    Chem.HybridizationType.S,
    Chem.HybridizationType.SP,
    Chem.HybridizationType.SP2,
    Chem.HybridizationType.SP3,
    Chem.HybridizationType.SP3D,
    Chem.HybridizationType.SP3D2,
)
_CHIRALITY = (
    Chem.ChiralType.CHI_UNSPECIFIED,
    Chem.ChiralType.CHI_TETRAHEDRAL_CW,
    Chem.ChiralType.CHI_TETRAHEDRAL_CCW,
)
_BOND_TYPES = (Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE, Chem.BondType.AROMATIC)
_BOND_STEREO = (
    Chem.BondStereo.STEREONONE,
    Chem.BondStereo.STEREOANY,
    Chem.BondStereo.STEREOZ,
    Chem.BondStereo.STEREOE,
    Chem.BondStereo.STEREOCIS,
    Chem.BondStereo.STEREOTRANS,
)

_ATOM_BLOCKS: tuple[tuple[Any, ...], ...] = (
    ATOM_ELEMENTS,
    _DEGREES,
    _CHARGES,
    _NUM_HS,
    _HYBRIDISATIONS,
    _CHIRALITY,
)
# every one-hot block has len(choices) + 1 slots (the last one is "other"); then aromatic, in ring, mass/100
ATOM_FEATURE_DIM: int = sum(len(block) + 1 for block in _ATOM_BLOCKS) + 3
# bond type (4 + other), conjugated, in ring, stereo (6 + other)
BOND_FEATURE_DIM: int = (len(_BOND_TYPES) + 1) + 2 + (len(_BOND_STEREO) + 1)

_ELEMENT_INDEX = {symbol: i for i, symbol in enumerate(ATOM_ELEMENTS)}


def _one_hot(value: Any, choices: tuple[Any, ...], out: list[float]) -> None:
    slots = [0.0] * (len(choices) + 1)
    try:
        slots[choices.index(value)] = 1.0
    except ValueError:
        slots[-1] = 1.0
    out.extend(slots)


def _atom_features(atom: Chem.Atom) -> list[float]:
    features: list[float] = []
    _one_hot(atom.GetSymbol(), ATOM_ELEMENTS, features)
    _one_hot(atom.GetDegree(), _DEGREES, features)
    _one_hot(atom.GetFormalCharge(), _CHARGES, features)
    _one_hot(atom.GetTotalNumHs(), _NUM_HS, features)
    _one_hot(atom.GetHybridization(), _HYBRIDISATIONS, features)
    _one_hot(atom.GetChiralTag(), _CHIRALITY, features)
    features.append(1.0 if atom.GetIsAromatic() else 0.0)
    features.append(1.0 if atom.IsInRing() else 0.0)
    features.append(atom.GetMass() / 100.0)
    return features


def _bond_features(bond: Chem.Bond) -> list[float]:
    features: list[float] = []
    _one_hot(bond.GetBondType(), _BOND_TYPES, features)
    features.append(1.0 if bond.GetIsConjugated() else 0.0)
    features.append(1.0 if bond.IsInRing() else 0.0)
    _one_hot(bond.GetStereo(), _BOND_STEREO, features)
    return features


def mol_to_graph(mol: Chem.Mol) -> dict[str, np.ndarray]:
    """Graph arrays for one molecule.

    Returns ``{"x": float32 (n_atoms, ATOM_FEATURE_DIM), "edge_index": int64 (2, 2 * n_bonds),
    "edge_attr": float32 (2 * n_bonds, BOND_FEATURE_DIM)}``. Hydrogens stay implicit (counted in the
    num-Hs feature), which keeps graphs small.
    """
    x = np.array([_atom_features(atom) for atom in mol.GetAtoms()], dtype=np.float32)
    x = x.reshape(mol.GetNumAtoms(), ATOM_FEATURE_DIM)
    sources: list[int] = []
    targets: list[int] = []
    edge_features: list[list[float]] = []
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        features = _bond_features(bond)
        sources += [i, j]
        targets += [j, i]
        edge_features += [features, features]
    edge_index = np.array([sources, targets], dtype=np.int64).reshape(2, len(sources))
    edge_attr = np.array(edge_features, dtype=np.float32).reshape(len(sources), BOND_FEATURE_DIM)
    return {"x": x, "edge_index": edge_index, "edge_attr": edge_attr}

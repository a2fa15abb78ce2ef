"""The fast Gobbi pharmacophore fingerprint must set exactly RDKit's bits (PMO's hop tasks depend on it)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem
from rdkit.Chem import ChemicalFeatures
from rdkit.Chem.Pharm2D import Generate, Gobbi_Pharm2D
from rdkit.Chem.Pharm2D.SigFactory import SigFactory

from drugloop.chem.pharm2d import Pharm2DFingerprinter, gobbi_pharm2d
from molecules import DRUG_LIKE_SMILES

HOP_REF = "CCCOc1cc2ncnc(Nc3ccc4ncsc4c3)c2cc1S(=O)(=O)C(C)(C)C"
EDGE_CASES = [
    "C",  # no features
    "O",  # one atom, two families on the same atom
    "OCCO",  # two donors two bonds apart... and one bond (below the first bin)
    "c1ccccc1",  # ring features only
    "OC(=O)CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCN",  # distances beyond the 8+ bin start
    "[Se]CC[Si]CCP",  # unusual atoms
    "CC(C)(C)c1ccc(cc1)C(=O)N[C@@H](Cc1c[nH]c2ccccc12)C(=O)N1CCN(CC1)c1ncccn1",
]


def _same_bits(smiles: str, factory: SigFactory = Gobbi_Pharm2D.factory) -> None:
    mol = Chem.MolFromSmiles(smiles)
    ours = Pharm2DFingerprinter(factory)(mol) if factory is not Gobbi_Pharm2D.factory else gobbi_pharm2d(mol)
    ref = Generate.Gen2DFingerprint(mol, factory)
    assert ours.GetNumBits() == ref.GetNumBits()
    assert list(ours.GetOnBits()) == list(ref.GetOnBits()), smiles


@pytest.mark.parametrize("smiles", [*DRUG_LIKE_SMILES, HOP_REF, *EDGE_CASES])
def test_gobbi_bits_equal_rdkit(smiles: str) -> None:
    _same_bits(smiles)


def test_reference_has_many_bits_and_empty_molecule_none() -> None:
    assert gobbi_pharm2d(Chem.MolFromSmiles(HOP_REF)).GetNumOnBits() > 500
    assert gobbi_pharm2d(Chem.MolFromSmiles("C")).GetNumOnBits() == 0


_FRAGMENTS = [
    "C",
    "N",
    "O",
    "S",
    "F",
    "Cl",
    "C(=O)",
    "C(=O)O",
    "N(C)",
    "c1ccccc1",
    "c1ccncc1",
    "n1ccnc1",
    "S(=O)(=O)",
    "C1CCNCC1",
    "[NH3+]",
    "C(=O)[O-]",
    "P(=O)(O)O",
    "C#N",
    "c1ccc2[nH]ccc2c1",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=12))
def test_gobbi_bits_equal_rdkit_on_random_chains(parts: list[str]) -> None:
    smiles = "".join(parts)
    if Chem.MolFromSmiles(smiles) is None:
        return
    _same_bits(smiles)


def test_two_point_factory_and_unsupported_factories() -> None:
    feats = ChemicalFeatures.BuildFeatureFactoryFromString(Gobbi_Pharm2D.fdef)
    pairs = SigFactory(feats, minPointCount=2, maxPointCount=2)
    pairs.SetBins([(1, 2), (2, 5), (5, 8)])
    pairs.Init()
    for smiles in (HOP_REF, DRUG_LIKE_SMILES[1]):
        _same_bits(smiles, pairs)
    counts = SigFactory(feats, minPointCount=2, maxPointCount=3, useCounts=True)
    counts.SetBins([(2, 3), (3, 100)])
    counts.Init()
    with pytest.raises(ValueError, match="bit-vector"):
        Pharm2DFingerprinter(counts)

"""Molecules: parse and standardise SMILES (RDKit), featurise (ECFP, descriptors, graphs, tokens), properties."""

from __future__ import annotations

from drugloop.chem.featurize import (
    DESCRIPTOR_NAMES,
    FEATURIZER_KINDS,
    MolFeaturizer,
    descriptors,
    ecfp,
    ecfp_from_smiles,
    graphs_from_smiles,
)
from drugloop.chem.graph import ATOM_ELEMENTS, ATOM_FEATURE_DIM, BOND_FEATURE_DIM, mol_to_graph
from drugloop.chem.parse import (
    ParsedMolecule,
    parse_one,
    parse_smiles,
    standardize_mol,
    standardize_smiles,
    standardize_smiles_frame,
)
from drugloop.chem.pharm2d import gobbi_pharm2d
from drugloop.chem.properties import (
    PROPERTY_COLUMNS,
    design_alerts,
    lipinski_violations,
    logp,
    mol_weight,
    pains_alerts,
    properties_frame,
    qed,
    sa_score,
    tpsa,
)
from drugloop.chem.scaffold import murcko_scaffold, murcko_scaffolds, scaffold_of_mol
from drugloop.chem.tokens import SMILES_VOCAB, SmilesVocab, build_smiles_vocab, smiles_tokenize

__all__ = [
    "ATOM_ELEMENTS",
    "ATOM_FEATURE_DIM",
    "BOND_FEATURE_DIM",
    "DESCRIPTOR_NAMES",
    "FEATURIZER_KINDS",
    "PROPERTY_COLUMNS",
    "SMILES_VOCAB",
    "MolFeaturizer",
    "ParsedMolecule",
    "SmilesVocab",
    "build_smiles_vocab",
    "descriptors",
    "ecfp",
    "ecfp_from_smiles",
    "gobbi_pharm2d",
    "graphs_from_smiles",
    "lipinski_violations",
    "logp",
    "mol_to_graph",
    "mol_weight",
    "murcko_scaffold",
    "murcko_scaffolds",
    "pains_alerts",
    "design_alerts",
    "parse_one",
    "parse_smiles",
    "properties_frame",
    "qed",
    "sa_score",
    "scaffold_of_mol",
    "smiles_tokenize",
    "standardize_mol",
    "standardize_smiles",
    "standardize_smiles_frame",
    "tpsa",
]

"""Bemis–Murcko scaffolds, the grouping key of scaffold splits (unseen-scaffold evaluation).

A random split lets near-copies of a training molecule into the test set; grouping by scaffold does not. The
generic form (the cyclic skeleton: every atom carbon, every bond single) groups more coarsely, for a harder split.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdkit import Chem, rdBase
from rdkit.Chem.Scaffolds import MurckoScaffold

from drugloop.chem.parse import parse_one, parse_smiles
from drugloop.errors import InputError

__all__ = ["murcko_scaffold", "murcko_scaffolds", "scaffold_of_mol"]


def scaffold_of_mol(mol: Chem.Mol, *, generic: bool = False, chirality: bool = False) -> str:
    """Canonical scaffold SMILES of a parsed molecule; ``""`` for acyclic molecules (they share one group)."""
    with rdBase.BlockLogs():
        core = MurckoScaffold.GetScaffoldForMol(mol)
        if generic and core.GetNumAtoms() > 0:
            # all atoms carbon, all bonds single; the second pass drops what were exocyclic double-bonded
            # atoms (C=O on a ring or linker), which the generic form has turned into methyl side chains
            core = MurckoScaffold.GetScaffoldForMol(MurckoScaffold.MakeScaffoldGeneric(core))
        return Chem.MolToSmiles(core, isomericSmiles=chirality) if core.GetNumAtoms() > 0 else ""


def murcko_scaffold(
    smiles: str | Chem.Mol, *, generic: bool = False, chirality: bool = False, standardize: bool = False
) -> str:
    """Bemis–Murcko scaffold SMILES of one molecule; InputError for invalid SMILES.

    ``standardize=True`` first strips salts and charges, so that a counter-ion ring cannot change the group.
    """
    mol = smiles if isinstance(smiles, Chem.Mol) else parse_one(smiles, standardize=standardize)
    return scaffold_of_mol(mol, generic=generic, chirality=chirality)


def murcko_scaffolds(
    smiles: Iterable[str | None], *, generic: bool = False, chirality: bool = False, standardize: bool = False
) -> list[str | None]:
    """Scaffolds for many SMILES, None where a SMILES is invalid (the caller decides where those go)."""
    out: list[str | None] = []
    for parsed in parse_smiles(smiles, standardize=standardize):
        if parsed.mol is None:
            out.append(None)
            continue
        try:
            out.append(scaffold_of_mol(parsed.mol, generic=generic, chirality=chirality))
        except (ValueError, RuntimeError, InputError):
            out.append(None)
    return out

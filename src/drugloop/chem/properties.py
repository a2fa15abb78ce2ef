"""Drug-likeness properties: QED, synthetic accessibility, Lipinski, PAINS alerts, and a per-row table.

These score generated molecules (the design engine) and describe libraries; they use RDKit's reference
implementations (``QED``, Contrib ``SA_Score`` of Ertl & Schuffenhauer 2009, ``FilterCatalog`` PAINS A/B/C) so
numbers match what readers compute with RDKit themselves.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
from collections.abc import Iterable
from functools import cache
from types import ModuleType

import pandas as pd
from rdkit import Chem, RDConfig, rdBase
from rdkit.Chem import QED, Crippen, Descriptors, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from drugloop.chem.parse import parse_smiles
from drugloop.errors import ModelError

__all__ = [
    "PROPERTY_COLUMNS",
    "hba",
    "hbd",
    "lipinski_violations",
    "logp",
    "mol_weight",
    "pains_alerts",
    "properties_frame",
    "qed",
    "rotatable_bonds",
    "sa_score",
    "tpsa",
]

PROPERTY_COLUMNS: tuple[str, ...] = ("qed", "sa", "logp", "mw", "tpsa", "hbd", "hba", "rotb")


@cache
def _sascorer() -> ModuleType:
    """Import RDKit Contrib's sascorer once (it loads its fragment-score table on first use)."""
    directory = os.path.join(RDConfig.RDContribDir, "SA_Score")
    if not os.path.isfile(os.path.join(directory, "sascorer.py")):
        raise ModelError(
            f"RDKit Contrib SA_Score is missing (looked in {directory}); the synthetic-accessibility score needs "
            "an RDKit build that ships Contrib (the PyPI 'rdkit' wheel does)"
        )
    if directory not in sys.path:
        sys.path.append(directory)
    try:
        return importlib.import_module("sascorer")
    except Exception as exc:  # a broken Contrib install: say so rather than fail deep inside a scoring loop
        raise ModelError(f"cannot import RDKit Contrib sascorer from {directory}: {exc}") from exc


@cache
def _pains_catalog() -> FilterCatalog:
    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
    return FilterCatalog(params)


def qed(mol: Chem.Mol) -> float:
    """Quantitative estimate of drug-likeness (Bickerton 2012), 0 (unlike drugs) … 1 (like drugs)."""
    return float(QED.qed(mol))


def sa_score(mol: Chem.Mol) -> float:
    """Synthetic accessibility, 1 (easy) … 10 (hard); raises ModelError when RDKit Contrib is missing."""
    return float(_sascorer().calculateScore(mol))


def logp(mol: Chem.Mol) -> float:
    """Crippen logP (Wildman & Crippen 1999)."""
    return float(Crippen.MolLogP(mol))


def tpsa(mol: Chem.Mol) -> float:
    """Topological polar surface area (Ertl 2000), Å²."""
    return float(rdMolDescriptors.CalcTPSA(mol))


def mol_weight(mol: Chem.Mol) -> float:
    """Average molecular weight, g/mol."""
    return float(Descriptors.MolWt(mol))


def hbd(mol: Chem.Mol) -> int:
    """Hydrogen-bond donors (RDKit's pharmacophore definition, as in ``Descriptors.NumHDonors``)."""
    return int(rdMolDescriptors.CalcNumHBD(mol))


def hba(mol: Chem.Mol) -> int:
    """Hydrogen-bond acceptors (RDKit's pharmacophore definition, as in ``Descriptors.NumHAcceptors``)."""
    return int(rdMolDescriptors.CalcNumHBA(mol))


def rotatable_bonds(mol: Chem.Mol) -> int:
    """Rotatable bonds (RDKit's default, strict definition)."""
    return int(rdMolDescriptors.CalcNumRotatableBonds(mol))


def lipinski_violations(mol: Chem.Mol) -> int:
    """Number of broken rule-of-five criteria (MW > 500, logP > 5, donors > 5, acceptors > 10).

    Uses Lipinski's own counting (donors = NH + OH, acceptors = N + O), not the pharmacophore counts of
    ``hbd``/``hba``, because that is how the rule was defined.
    """
    return int(
        (mol_weight(mol) > 500)
        + (logp(mol) > 5)
        + (rdMolDescriptors.CalcNumLipinskiHBD(mol) > 5)
        + (rdMolDescriptors.CalcNumLipinskiHBA(mol) > 10)
    )


#: Groups generators love and chemists will not make: medium rings (8-11 atoms; macrocycles of 12+ are left
#: alone, several are drugs), small rings fused to another ring, double bonds inside 3-/4-rings (e.g.
#: benzocyclobutadienes), N/O-halogen bonds, peroxides and C-O-N hydroxylamine ethers (oximes and aromatic N-O
#: rings are not matched). SMARTS by name, for the ``alerts`` objective component.
DESIGN_ALERTS: dict[str, str] = {
    "medium ring (8-11 atoms)": "[r8,r9,r10,r11]",
    "fused 3- or 4-membered ring": "[R2;r3,r4]",
    "double bond in a 3- or 4-membered ring": "[r3,r4]=[r3,r4]",
    "N- or O-halogen bond": "[#7,#8]-[F,Cl,Br,I]",
    "peroxide": "[OX2]-[OX2]",
    "O-alkyl/aryl hydroxylamine": "[#6]-[OX2]-[NX3;!a]",
}


def design_alerts(mol: Chem.Mol) -> list[str]:
    """Names of the :data:`DESIGN_ALERTS` the molecule matches; [] if none."""
    return [name for name, query in _alert_queries().items() if mol.HasSubstructMatch(query)]


@cache
def _alert_queries() -> dict[str, Chem.Mol]:
    return {name: Chem.MolFromSmarts(smarts) for name, smarts in DESIGN_ALERTS.items()}


def pains_alerts(mol: Chem.Mol) -> list[str]:
    """Descriptions of the PAINS substructure alerts (Baell & Holloway 2010) the molecule matches; [] if none."""
    return [entry.GetDescription() for entry in _pains_catalog().GetMatches(mol)]


def properties_frame(
    smiles: Iterable[str | None], *, standardize: bool = True, pains: bool = False
) -> pd.DataFrame:
    """One row per input SMILES: canonical ``smiles``, qed, sa, logp, mw, tpsa, hbd, hba, rotb, ``error``.

    Invalid SMILES keep their row with NaN properties and the reason in ``error``. ``pains=True`` adds
    ``pains`` (number of PAINS alerts).
    """
    _sascorer()  # fail once, up front, if Contrib is missing
    parsed = parse_smiles(smiles, standardize=standardize)
    rows: list[dict[str, object]] = []
    with rdBase.BlockLogs():
        for p in parsed:
            row: dict[str, object] = {"smiles": p.smiles}
            if p.mol is None:
                row.update({column: math.nan for column in PROPERTY_COLUMNS})
                if pains:
                    row["pains"] = math.nan
                row["error"] = p.error
            else:
                try:
                    row.update(
                        qed=qed(p.mol),
                        sa=sa_score(p.mol),
                        logp=logp(p.mol),
                        mw=mol_weight(p.mol),
                        tpsa=tpsa(p.mol),
                        hbd=hbd(p.mol),
                        hba=hba(p.mol),
                        rotb=rotatable_bonds(p.mol),
                    )
                    if pains:
                        row["pains"] = len(pains_alerts(p.mol))
                    row["error"] = None
                except Exception as exc:  # a property that fails on one molecule is that row's error
                    row.update({column: math.nan for column in PROPERTY_COLUMNS})
                    if pains:
                        row["pains"] = math.nan
                    row["error"] = f"property calculation failed: {exc}"
            rows.append(row)
    columns = ["smiles", *PROPERTY_COLUMNS, *(["pains"] if pains else []), "error"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in [*PROPERTY_COLUMNS, *(["pains"] if pains else [])]:
        frame[column] = frame[column].astype("float64")
    # object columns keep None for "no value"; pandas 3's inferred str dtype would turn it into NaN
    frame["smiles"] = pd.Series([row["smiles"] for row in rows], index=frame.index, dtype=object)
    frame["error"] = pd.Series([row["error"] for row in rows], index=frame.index, dtype=object)
    return frame

"""The 20 RDKit-only PMO tasks (Gao et al. 2022) as oracles, and PMO's AUC top-10 metric.

Each oracle follows the GuacaMol goal-directed definition (Brown et al. 2019) that TDC wraps: Tanimoto similarity
on count fingerprints (ECFP4/6, FCFP4, atom pairs) or the Gobbi 2D pharmacophore fingerprint, descriptor targets
through Gaussian-type modifiers, SMARTS (anti-)patterns, isomer formulas; components combined by a geometric mean
(arithmetic for the two hop tasks). Invalid molecules score 0. The definitions written out are in the project's
``PMO_TASKS.md``; the unit tests check a task's reference molecule and known isomers score 1.0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from rdkit import Chem, DataStructs, rdBase
from rdkit.Chem import AllChem, Crippen, Descriptors, rdMolDescriptors

from drugloop.chem.pharm2d import gobbi_pharm2d
from drugloop.errors import InputError

__all__ = ["PMO_TASKS", "PMOOracle", "auc_top_k", "pmo_oracle", "top_k_curve"]

PMO_TASKS: tuple[str, ...] = (
    "albuterol_similarity",
    "amlodipine_mpo",
    "celecoxib_rediscovery",
    "deco_hop",
    "fexofenadine_mpo",
    "isomers_c7h8n2o2",
    "isomers_c9h10n2o2pf2cl",
    "median1",
    "median2",
    "mestranol_similarity",
    "osimertinib_mpo",
    "perindopril_mpo",
    "qed",
    "ranolazine_mpo",
    "scaffold_hop",
    "sitagliptin_mpo",
    "thiothixene_rediscovery",
    "troglitazone_rediscovery",
    "valsartan_smarts",
    "zaleplon_mpo",
)

# --- fingerprints -------------------------------------------------------------------------------------------


def _fp(mol: Chem.Mol, kind: str) -> object:
    with rdBase.BlockLogs():  # the classic count-fingerprint API is deprecated but is what GuacaMol uses
        if kind == "ecfp4":
            return AllChem.GetMorganFingerprint(mol, 2)
        if kind == "ecfp6":
            return AllChem.GetMorganFingerprint(mol, 3)
        if kind == "fcfp4":
            return AllChem.GetMorganFingerprint(mol, 2, useFeatures=True)
        if kind == "ap":
            return rdMolDescriptors.GetAtomPairFingerprint(mol, maxLength=10)
        if kind == "phco":
            return gobbi_pharm2d(mol)  # RDKit's bits, computed ~5-20x faster
    raise ValueError(kind)


@cache
def _ref_mol(smiles: str) -> Chem.Mol:
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:  # pragma: no cover - constants
        raise ValueError(smiles)
    return mol


@cache
def _ref_fp(smiles: str, kind: str) -> object:
    return _fp(_ref_mol(smiles), kind)


def _tanimoto(mol: Chem.Mol, ref: str, kind: str) -> float:
    return float(DataStructs.TanimotoSimilarity(_fp(mol, kind), _ref_fp(ref, kind)))


# --- modifiers ----------------------------------------------------------------------------------------------


def gaussian(x: float, mu: float, sigma: float) -> float:
    return math.exp(-0.5 * ((x - mu) / sigma) ** 2)


def min_gaussian(x: float, mu: float, sigma: float) -> float:
    """1 for x <= mu, Gaussian above: penalises exceeding mu."""
    return 1.0 if x <= mu else gaussian(x, mu, sigma)


def max_gaussian(x: float, mu: float, sigma: float) -> float:
    """1 for x >= mu, Gaussian below: penalises falling short of mu."""
    return 1.0 if x >= mu else gaussian(x, mu, sigma)


def clipped(x: float, upper_x: float) -> float:
    return float(min(max(x / upper_x, 0.0), 1.0))


def _gmean(values: Sequence[float]) -> float:
    if any(v <= 0 for v in values):
        return 0.0
    return float(math.exp(sum(math.log(v) for v in values) / len(values)))


# --- building blocks ----------------------------------------------------------------------------------------


def _element_counts(mol: Chem.Mol) -> dict[str, int]:
    counts: dict[str, int] = {}
    for atom in Chem.AddHs(mol).GetAtoms():
        counts[atom.GetSymbol()] = counts.get(atom.GetSymbol(), 0) + 1
    return counts


def _parse_formula(formula: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for element, count in re.findall(r"([A-Z][a-z]?)(\d*)", formula):
        out[element] = out.get(element, 0) + (int(count) if count else 1)
    return out


def isomer_score(mol: Chem.Mol, formula: str) -> float:
    """Gaussian(n, 1) per element of ``formula`` and Gaussian(total, 2) on all atoms (H included); geometric mean."""
    target = _parse_formula(formula)
    counts = _element_counts(mol)
    parts = [gaussian(counts.get(el, 0), n, 1.0) for el, n in target.items()]
    parts.append(gaussian(sum(counts.values()), sum(target.values()), 2.0))
    return _gmean(parts)


@cache
def _smarts(pattern: str) -> Chem.Mol:
    query = Chem.MolFromSmarts(pattern)
    if query is None:  # pragma: no cover - constants
        raise ValueError(pattern)
    return query


def _has(mol: Chem.Mol, pattern: str) -> float:
    return 1.0 if mol.HasSubstructMatch(_smarts(pattern)) else 0.0


def _logp(mol: Chem.Mol) -> float:
    return float(Crippen.MolLogP(mol))


def _tpsa(mol: Chem.Mol) -> float:
    return float(Descriptors.TPSA(mol))


# --- the tasks ----------------------------------------------------------------------------------------------

ALBUTEROL = "CC(C)(C)NCC(O)c1ccc(O)c(CO)c1"
MESTRANOL = "COc1ccc2[C@H]3CC[C@@]4(C)[C@@H](CC[C@@]4(O)C#C)[C@@H]3CCc2c1"
CELECOXIB = "CC1=CC=C(C=C1)C1=CC(=NN1C1=CC=C(C=C1)S(N)(=O)=O)C(F)(F)F"
TROGLITAZONE = "Cc1c(C)c2OC(C)(COc3ccc(CC4SC(=O)NC4=O)cc3)CCc2c(C)c1O"
THIOTHIXENE = "CN(C)S(=O)(=O)c1ccc2Sc3ccccc3C(=CCCN4CCN(C)CC4)c2c1"
CAMPHOR = "CC1(C)C2CCC1(C)C(=O)C2"
MENTHOL = "CC(C)C1CCC(C)CC1O"
TADALAFIL = "O=C1N(CC(N2C1CC3=C(C2C4=CC5=C(OCO5)C=C4)NC6=C3C=CC=C6)=O)C"
SILDENAFIL = "CCCC1=NN(C2=C1N=C(NC2=O)C3=C(C=CC(=C3)S(=O)(=O)N4CCN(CC4)C)OCC)C"
OSIMERTINIB = "COc1cc(N(C)CCN(C)C)c(NC(=O)C=C)cc1Nc2nccc(n2)c3cn(C)c4ccccc34"
FEXOFENADINE = "CC(C)(C(=O)O)c1ccc(cc1)C(O)CCCN2CCC(CC2)C(O)(c3ccccc3)c4ccccc4"
RANOLAZINE = "COc1ccccc1OCC(O)CN2CCN(CC(=O)Nc3c(C)cccc3C)CC2"
PERINDOPRIL = "O=C(OCC)C(NC(C(=O)N1C(C(=O)O)CC2CCCCC12)C)CCC"
AMLODIPINE = "Clc1ccccc1C2C(=C(/N/C(=C2/C(=O)OCC)COCCN)C)\\C(=O)OC"
SITAGLIPTIN = "Fc1cc(c(F)cc1F)CC(N)CC(=O)N3Cc2nnc(n2CC3)C(F)(F)F"
SITAGLIPTIN_VALSARTAN = "NC(CC(=O)N1CCn2c(nnc2C(F)(F)F)C1)Cc1cc(F)c(F)cc1F"
ZALEPLON = "O=C(C)N(CC)C1=CC=CC(C2=CC=NC3=C(C=NN23)C#N)=C1"
HOP_REF = "CCCOc1cc2ncnc(Nc3ccc4ncsc4c3)c2cc1S(=O)(=O)C(C)(C)C"


def _albuterol(m: Chem.Mol) -> float:
    return clipped(_tanimoto(m, ALBUTEROL, "fcfp4"), 0.75)


def _mestranol(m: Chem.Mol) -> float:
    return clipped(_tanimoto(m, MESTRANOL, "ap"), 0.75)


def _rediscovery(ref: str) -> Callable[[Chem.Mol], float]:
    return lambda m: _tanimoto(m, ref, "ecfp4")


def _median1(m: Chem.Mol) -> float:
    return _gmean([_tanimoto(m, CAMPHOR, "ecfp4"), _tanimoto(m, MENTHOL, "ecfp4")])


def _median2(m: Chem.Mol) -> float:
    return _gmean([_tanimoto(m, TADALAFIL, "ecfp6"), _tanimoto(m, SILDENAFIL, "ecfp6")])


def _osimertinib(m: Chem.Mol) -> float:
    return _gmean(
        [
            clipped(_tanimoto(m, OSIMERTINIB, "fcfp4"), 0.8),
            min_gaussian(_tanimoto(m, OSIMERTINIB, "ecfp6"), 0.85, 0.1),
            max_gaussian(_tpsa(m), 100.0, 10.0),
            min_gaussian(_logp(m), 1.0, 1.0),
        ]
    )


def _fexofenadine(m: Chem.Mol) -> float:
    return _gmean(
        [
            clipped(_tanimoto(m, FEXOFENADINE, "ap"), 0.8),
            max_gaussian(_tpsa(m), 90.0, 10.0),
            min_gaussian(_logp(m), 4.0, 1.0),
        ]
    )


def _ranolazine(m: Chem.Mol) -> float:
    n_f = sum(1 for a in m.GetAtoms() if a.GetSymbol() == "F")
    return _gmean(
        [
            clipped(_tanimoto(m, RANOLAZINE, "ap"), 0.7),
            max_gaussian(_logp(m), 7.0, 1.0),
            max_gaussian(_tpsa(m), 95.0, 20.0),
            gaussian(n_f, 1.0, 1.0),
        ]
    )


def _perindopril(m: Chem.Mol) -> float:
    return _gmean(
        [
            _tanimoto(m, PERINDOPRIL, "ecfp4"),
            gaussian(rdMolDescriptors.CalcNumAromaticRings(m), 2.0, 0.5),
        ]
    )


def _amlodipine(m: Chem.Mol) -> float:
    return _gmean([_tanimoto(m, AMLODIPINE, "ecfp4"), gaussian(rdMolDescriptors.CalcNumRings(m), 3.0, 0.5)])


@cache
def _ref_props(smiles: str) -> tuple[float, float, float]:
    mol = _ref_mol(smiles)
    return _logp(mol), _tpsa(mol), float(Descriptors.BertzCT(mol))


def _sitagliptin(m: Chem.Mol) -> float:
    logp, tpsa, _ = _ref_props(SITAGLIPTIN)
    return _gmean(
        [
            gaussian(_tanimoto(m, SITAGLIPTIN, "ecfp4"), 0.0, 0.1),
            gaussian(_logp(m), logp, 0.2),
            gaussian(_tpsa(m), tpsa, 5.0),
            isomer_score(m, "C16H15F6N5O"),
        ]
    )


def _zaleplon(m: Chem.Mol) -> float:
    return _gmean([_tanimoto(m, ZALEPLON, "ecfp4"), isomer_score(m, "C19H17N3O2")])


def _valsartan(m: Chem.Mol) -> float:
    logp, tpsa, bertz = _ref_props(SITAGLIPTIN_VALSARTAN)
    return _gmean(
        [
            _has(m, "CN(C=O)Cc1ccc(c2ccccc2)cc1"),
            gaussian(_logp(m), logp, 0.2),
            gaussian(_tpsa(m), tpsa, 5.0),
            gaussian(float(Descriptors.BertzCT(m)), bertz, 30.0),
        ]
    )


_HOP_CORE = "[#7]-c1n[c;h1]nc2[c;h1]c(-[#8])[c;h0][c;h1]c12"


def _deco_hop(m: Chem.Mol) -> float:
    parts = [
        clipped(_tanimoto(m, HOP_REF, "phco"), 0.85),
        1.0 - _has(m, "CS([#6])(=O)=O"),
        1.0 - _has(m, "[#7]-c1ccc2ncsc2c1"),
        _has(m, _HOP_CORE),
    ]
    return float(np.mean(parts))


def _scaffold_hop(m: Chem.Mol) -> float:
    parts = [
        clipped(_tanimoto(m, HOP_REF, "phco"), 0.75),
        _has(m, "[#6]-[#6]-[#6]-[#8]-[#6]~[#6]~[#6]~[#6]~[#6]-[#7]-c1ccc2ncsc2c1"),
        1.0 - _has(m, _HOP_CORE),
    ]
    return float(np.mean(parts))


def _qed(m: Chem.Mol) -> float:
    return float(Descriptors.qed(m))


_FUNCTIONS: dict[str, Callable[[Chem.Mol], float]] = {
    "albuterol_similarity": _albuterol,
    "amlodipine_mpo": _amlodipine,
    "celecoxib_rediscovery": _rediscovery(CELECOXIB),
    "deco_hop": _deco_hop,
    "fexofenadine_mpo": _fexofenadine,
    "isomers_c7h8n2o2": lambda m: isomer_score(m, "C7H8N2O2"),
    "isomers_c9h10n2o2pf2cl": lambda m: isomer_score(m, "C9H10N2O2PF2Cl"),
    "median1": _median1,
    "median2": _median2,
    "mestranol_similarity": _mestranol,
    "osimertinib_mpo": _osimertinib,
    "perindopril_mpo": _perindopril,
    "qed": _qed,
    "ranolazine_mpo": _ranolazine,
    "scaffold_hop": _scaffold_hop,
    "sitagliptin_mpo": _sitagliptin,
    "thiothixene_rediscovery": _rediscovery(THIOTHIXENE),
    "troglitazone_rediscovery": _rediscovery(TROGLITAZONE),
    "valsartan_smarts": _valsartan,
    "zaleplon_mpo": _zaleplon,
}


@dataclass(frozen=True)
class PMOOracle:
    """A PMO task as a callable: SMILES (or RDKit Mol) → score in [0, 1]; invalid input scores 0."""

    name: str

    def score_mol(self, mol: Chem.Mol | None) -> float:
        if mol is None:
            return 0.0
        try:
            with rdBase.BlockLogs():
                value = _FUNCTIONS[self.name](mol)
        except Exception:  # a descriptor failing on an odd molecule scores it 0, as GuacaMol does
            return 0.0
        return float(min(max(value, 0.0), 1.0)) if math.isfinite(value) else 0.0

    def __call__(self, smiles: str) -> float:
        with rdBase.BlockLogs():
            mol = Chem.MolFromSmiles(smiles) if smiles else None
        return self.score_mol(mol)

    def score_many(self, smiles: Sequence[str]) -> list[float]:
        return [self(s) for s in smiles]


def pmo_oracle(name: str) -> PMOOracle:
    """The oracle for one of :data:`PMO_TASKS`; an unknown name raises InputError listing the known ones."""
    if name not in _FUNCTIONS:
        raise InputError(f"unknown PMO task {name!r}; known: {', '.join(PMO_TASKS)}")
    return PMOOracle(name)


# --- the metric ---------------------------------------------------------------------------------------------


def top_k_curve(scores: Sequence[float], k: int = 10, freq: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """(calls, mean of the best ``k`` so far) every ``freq`` calls, plus the final point at ``len(scores)``."""
    scores = np.asarray(scores, dtype=float)
    n = len(scores)
    xs: list[int] = []
    ys: list[float] = []
    for idx in [*range(freq, n, freq), n] if n else []:
        best = np.sort(scores[:idx])[::-1][:k]
        xs.append(idx)
        ys.append(float(best.mean()))
    return np.asarray(xs), np.asarray(ys)


def auc_top_k(scores: Sequence[float], budget: int = 10_000, k: int = 10, freq: int = 100) -> float:
    """PMO's AUC top-k: the top-``k`` mean every ``freq`` calls, trapezoid rule from 0 at call 0, normalised.

    ``scores`` are the oracle scores of distinct molecules in call order (at most ``budget`` of them are used).
    The curve's last partial step runs to the number of calls made; a run that stopped early keeps its final
    value to the budget. The result lies in [0, 1].
    """
    if budget <= 0 or k <= 0 or freq <= 0:
        raise InputError("budget, k and freq must be positive")
    scores = list(scores)[:budget]
    if not scores:
        return 0.0
    xs, ys = top_k_curve(scores, k=k, freq=freq)
    area = 0.0
    prev_x, prev_y = 0, 0.0
    for x, y in zip(xs, ys, strict=True):
        area += (x - prev_x) * (y + prev_y) / 2.0
        prev_x, prev_y = int(x), float(y)
    area += (budget - prev_x) * prev_y
    return float(area / budget)

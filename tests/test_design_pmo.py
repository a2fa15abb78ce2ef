"""PMO oracles against hand-checkable values and the GuacaMol reference numbers; the AUC top-10 metric."""

from __future__ import annotations

import math

import pytest
from rdkit import Chem

from drugloop.design import pmo
from drugloop.design.pmo import PMO_TASKS, auc_top_k, pmo_oracle, top_k_curve
from drugloop.errors import InputError

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
IMATINIB = "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1"

# (task, aspirin, celecoxib, imatinib, deco/scaffold-hop reference): GuacaMol definitions, RDKit 2026.09
CHECK = {
    "albuterol_similarity": (0.2353, 0.1980, 0.2005, 0.2523),
    "mestranol_similarity": (0.0915, 0.0641, 0.1177, 0.1181),
    "celecoxib_rediscovery": (0.1158, 1.0000, 0.2013, 0.1791),
    "troglitazone_rediscovery": (0.1204, 0.1295, 0.1548, 0.1689),
    "thiothixene_rediscovery": (0.1429, 0.2093, 0.2697, 0.1862),
    "isomers_c7h8n2o2": (0.2725, 0.0, 0.0, 0.0),
    "isomers_c9h10n2o2pf2cl": (0.1850, 0.0004, 0.0, 0.0),
    "median1": (0.0398, 0.0177, 0.0452, 0.0346),
    "median2": (0.0955, 0.1297, 0.1524, 0.1361),
    "osimertinib_mpo": (0.1295, 0.1818, 0.1345, 0.0738),
    "fexofenadine_mpo": (0.1486, 0.4065, 0.5891, 0.3986),
    "ranolazine_mpo": (0.0073, 0.0664, 0.3030, 0.4063),
    "perindopril_mpo": (0.1187, 0.0626, 0.0049, 0.0050),
    "amlodipine_mpo": (0.0085, 0.3602, 0.0064, 0.1448),
    "sitagliptin_mpo": (0.0002, 0.0004, 0.0, 0.0),
    "zaleplon_mpo": (0.0, 0.2265, 0.0, 0.0018),
    "valsartan_smarts": (0.0, 0.0, 0.0, 0.0),
    "deco_hop": (0.5092, 0.5362, 0.5703, 0.5000),
    "scaffold_hop": (0.3472, 0.3880, 0.4396, 0.6667),
    "qed": (0.5501, 0.7541, 0.3894, 0.4181),
}


def test_twenty_tasks_all_checked() -> None:
    assert len(PMO_TASKS) == 20 and set(CHECK) == set(PMO_TASKS)


@pytest.mark.parametrize("task", PMO_TASKS)
def test_reference_values(task: str) -> None:
    oracle = pmo_oracle(task)
    for smiles, expected in zip((ASPIRIN, pmo.CELECOXIB, IMATINIB, pmo.HOP_REF), CHECK[task], strict=True):
        assert oracle(smiles) == pytest.approx(expected, abs=1.5e-3), (task, smiles)


@pytest.mark.parametrize(
    ("task", "reference"),
    [
        ("celecoxib_rediscovery", pmo.CELECOXIB),
        ("troglitazone_rediscovery", pmo.TROGLITAZONE),
        ("thiothixene_rediscovery", pmo.THIOTHIXENE),
        ("albuterol_similarity", pmo.ALBUTEROL),
        ("mestranol_similarity", pmo.MESTRANOL),
    ],
)
def test_reference_molecule_scores_one(task: str, reference: str) -> None:
    # similarity 1 to itself; the similarity tasks clip at 0.75, so 1.0 as well
    assert pmo_oracle(task)(reference) == pytest.approx(1.0)
    # a different SMILES string for the same molecule gives the same score
    shuffled = Chem.MolToSmiles(Chem.MolFromSmiles(reference), doRandom=True)
    assert pmo_oracle(task)(shuffled) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("task", "formula", "smiles"),
    [
        ("isomers_c7h8n2o2", "C7H8N2O2", "Nc1ccc(C(=O)O)cc1N"),  # 3,4-diaminobenzoic acid
        ("isomers_c7h8n2o2", "C7H8N2O2", "Cc1ccc([N+](=O)[O-])cc1N"),  # 2-methyl-5-nitroaniline
        ("isomers_c9h10n2o2pf2cl", "C9H10N2O2PF2Cl", "NCc1ccc(C(N)P(=O)(F)F)c(Cl)c1C=O"),
    ],
)
def test_isomers_score_one(task: str, formula: str, smiles: str) -> None:
    mol = Chem.MolFromSmiles(smiles)
    counts = pmo._element_counts(mol)
    assert counts == pmo._parse_formula(formula)
    assert pmo_oracle(task)(smiles) == pytest.approx(1.0)


def test_isomer_score_by_hand() -> None:
    # aspirin C9H8O4 against C7H8N2O2: C off by 2, H exact, N off by 2, O off by 2, total 21 vs 19
    g = math.exp
    parts = [g(-0.5 * 4), 1.0, g(-0.5 * 4), g(-0.5 * 4), g(-0.5 * (2 / 2) ** 2)]
    expected = math.prod(parts) ** (1 / 5)
    assert pmo_oracle("isomers_c7h8n2o2")(ASPIRIN) == pytest.approx(expected, abs=1e-9)


def test_invalid_and_unknown() -> None:
    assert pmo_oracle("qed")("not a smiles") == 0.0
    assert pmo_oracle("qed")("") == 0.0
    with pytest.raises(InputError, match="unknown PMO task"):
        pmo_oracle("drd2")


def test_modifiers() -> None:
    assert pmo.min_gaussian(0.5, 1.0, 1.0) == 1.0
    assert pmo.min_gaussian(2.0, 1.0, 1.0) == pytest.approx(math.exp(-0.5))
    assert pmo.max_gaussian(2.0, 1.0, 1.0) == 1.0
    assert pmo.max_gaussian(0.0, 1.0, 1.0) == pytest.approx(math.exp(-0.5))
    assert pmo.clipped(0.375, 0.75) == pytest.approx(0.5)
    assert pmo.clipped(0.9, 0.75) == 1.0


def test_auc_hand_computed_curve() -> None:
    # 300 calls, budget 300: top-10 mean is 0.5 after 100 calls, 1.0 after 200 and stays there
    scores = [0.5] * 10 + [0.0] * 90 + [1.0] * 10 + [0.0] * 190
    xs, ys = top_k_curve(scores)
    assert xs.tolist() == [100, 200, 300] and ys.tolist() == [0.5, 1.0, 1.0]
    # trapezoids from (0, 0): 100*(0+0.5)/2 + 100*(0.5+1)/2 + 100*(1+1)/2 = 25 + 75 + 100 = 200
    assert auc_top_k(scores, budget=300) == pytest.approx(200 / 300)


def test_auc_partial_step_and_early_stop() -> None:
    # 250 calls, budget 400: points (100, 0.2), (200, 0.2), (250, 0.6); then 0.6 held to 400
    scores = [0.2] * 10 + [0.0] * 190 + [0.6] * 10 + [0.0] * 40
    area = 100 * 0.2 / 2 + 100 * 0.2 + 50 * (0.2 + 0.6) / 2 + 150 * 0.6
    assert auc_top_k(scores, budget=400) == pytest.approx(area / 400)
    # a perfect optimiser (ten 1.0s first) is close to 1
    assert auc_top_k([1.0] * 10 + [0.0] * 9990) == pytest.approx(1 - 50 / 10_000)
    assert auc_top_k([]) == 0.0

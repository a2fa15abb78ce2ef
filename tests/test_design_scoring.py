"""Objective configs: transforms, aggregation, and one clear InputError for every config mistake."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem

from drugloop.design.scoring import TransformConfig, load_objective, objective_from_config, transform
from drugloop.errors import InputError

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def _obj(*components: dict, aggregation: str = "geometric"):
    return objective_from_config({"objective": {"aggregation": aggregation, "components": list(components)}})


def test_transforms_by_hand() -> None:
    sig = TransformConfig(type="sigmoid", low=0, high=10, k=0.5)
    # midpoint 5 -> 0.5; slope 10*k/(high-low) = 0.5 per unit in log10 space
    assert transform(np.array([5.0]), sig)[0] == pytest.approx(0.5)
    assert transform(np.array([7.0]), sig)[0] == pytest.approx(1 / (1 + 10 ** (-1.0)))
    rev = TransformConfig(type="reverse_sigmoid", low=0, high=10, k=0.5)
    assert transform(np.array([7.0]), rev)[0] == pytest.approx(1 - 1 / (1 + 10 ** (-1.0)))
    step = TransformConfig(type="step", low=1, high=2)
    assert transform(np.array([0.5, 1.0, 1.5, 2.5]), step).tolist() == [0, 1, 1, 0]
    gauss = TransformConfig(type="gaussian", mu=3, sigma=2)
    assert transform(np.array([5.0]), gauss)[0] == pytest.approx(math.exp(-0.5))


def test_geometric_and_arithmetic_aggregation() -> None:
    comps = (
        {"type": "qed", "weight": 3.0},
        {"type": "logp", "weight": 1.0, "transform": {"type": "step", "low": -10, "high": 0}},
    )
    scores, parts = _obj(*comps).score([ASPIRIN])
    # aspirin logP 1.31 is outside the step [-10, 0] -> 0 and the geometric mean is 0
    assert scores[0] == 0.0 and parts[0]["logp"] == 0.0
    scores, parts = _obj(*comps, aggregation="arithmetic").score([ASPIRIN])
    assert scores[0] == pytest.approx(0.75 * parts[0]["qed"])
    assert parts[0]["qed_raw"] == pytest.approx(0.5501, abs=1e-3)


def test_similarity_filter_and_invalid_molecules() -> None:
    obj = _obj(
        {"type": "similarity", "references": [ASPIRIN]},
        {"type": "alerts", "smarts": ["C(=O)O"]},
    )
    scores, parts = obj.score([ASPIRIN, "c1ccccc1", "not smiles"])
    assert scores[0] == 0.0 and parts[0]["similarity"] == pytest.approx(1.0)  # similar but has the alert
    assert 0.0 < parts[1]["similarity"] < 1.0 and scores[1] == pytest.approx(parts[1]["similarity"])
    assert scores[2] == 0.0 and parts[2] == {}


def test_pharmacophore_similarity_matches_the_pmo_hop_oracles_fingerprint() -> None:
    from drugloop.design.pmo import HOP_REF, _tanimoto

    imatinib = "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1"
    obj = _obj({"type": "similarity", "references": [HOP_REF], "fingerprint": "pharm2d"})
    _, parts = obj.score([HOP_REF, imatinib])
    assert parts[0]["similarity"] == pytest.approx(1.0)
    assert parts[1]["similarity"] == pytest.approx(_tanimoto(Chem.MolFromSmiles(imatinib), HOP_REF, "phco"))
    assert 0.0 < parts[1]["similarity"] < 1.0


@pytest.mark.parametrize(
    ("components", "message"),
    [
        ([{"type": "docking"}], "unknown component 'docking'"),
        ([{"type": "qed", "weight": -1}], "weight must be"),
        ([{"type": "qed", "weight": 0}], "sum to 0"),
        ([{"type": "qed", "weight": float("nan")}], "weight must be"),
        ([{"type": "similarity", "references": ["C1CC"]}], "invalid reference SMILES"),
        ([{"type": "similarity"}], "at least one reference"),
        ([{"type": "alerts", "smarts": ["[C"]}], "invalid SMARTS"),
        ([{"type": "logp"}], "give it a transform"),
        ([{"type": "qed", "transform": {"type": "sigmoid", "low": 5, "high": 1}}], "high > low"),
        ([{"type": "qed", "transform": {"type": "wobble"}}], "transform"),
        ([{"type": "qed", "colour": "red"}], "colour"),
        (
            [{"type": "binding", "model": "/nonexistent/model", "sequence": "MKV"}],
            "not a saved binding model",
        ),
        ([{"type": "pmo", "task": "drd2"}], "unknown PMO task"),
        ([], "no components"),
    ],
)
def test_config_errors(components: list[dict], message: str) -> None:
    with pytest.raises(InputError, match=message):
        _obj(*components)


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "objective.toml"
    path.write_text(
        '[objective]\naggregation = "arithmetic"\n\n[[objective.components]]\ntype = "qed"\n\n'
        '[[objective.components]]\ntype = "sa"\ntransform = { type = "reverse_sigmoid", low = 2.0, high = 6.0 }\n'
    )
    obj = load_objective(path)
    scores, _ = obj.score([ASPIRIN])
    assert 0.0 < scores[0] <= 1.0
    bad = tmp_path / "bad.toml"
    bad.write_text("[objective\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_objective(bad)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="CNOcn1()=#[]+-@Hl", max_size=12))
def test_reference_smiles_parser(text: str) -> None:
    """Any reference string either builds an objective or raises one InputError, never anything else."""
    mol = Chem.MolFromSmiles(text) if text else None
    try:
        obj = _obj({"type": "similarity", "references": [text]})
    except InputError as exc:
        assert mol is None or mol.GetNumAtoms() == 0
        assert "invalid reference SMILES" in str(exc)
    else:
        assert mol is not None
        assert obj.score(["CCO"])[0].shape == (1,)

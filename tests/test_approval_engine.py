"""The deployed engine on real data: prediction on a small input with bad rows, target profiles, save/load, CLI.

A small engine (400 drugs, one LightGBM setting) keeps this fast; ``drugloop approval train`` fits the same parts
on all 2,474 drugs with the full inner-CV grid.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.data

GRID = [{"num_leaves": 7, "min_data_in_leaf": 20}]


@pytest.fixture(scope="module")
def engine_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from drugloop.approval.engine import ENGINE_VERSION, PARTS, ApprovalEngine
    from drugloop.approval.features import build_dataset, rdkit_chemical
    from drugloop.approval.models import tune_lgbm

    df = build_dataset().sample(400, random_state=0).reset_index(drop=True)
    chem, _ = rdkit_chemical(df["smiles"].tolist())
    df = pd.concat([df, chem], axis=1)
    y = df["approved"].to_numpy(int)
    parts, meta = {}, {}
    for name, cols in PARTS.items():
        m = tune_lgbm(df[cols].to_numpy(float), y, seed=0, grid=GRID, feature_names=cols)
        parts[name] = m
        meta[name] = {
            "features": cols,
            "params": m.params,
            "rounds": m.rounds,
            "inner_auroc": m.inner_auroc,
            "calibration": {"a": m.calibration.a, "b": m.calibration.b},
        }
    card = {"engine_version": ENGINE_VERSION, "n_drugs": 400, "n_approved": int(y.sum()), "parts": meta}
    folder = tmp_path_factory.mktemp("approval") / "model"
    ApprovalEngine(parts=parts, card=card).save(folder)
    return folder


DRUGS = pd.DataFrame(
    {
        "name": ["both", "no_target", "bad_smiles", "nothing", "unknown_only"],
        "smiles": ["CC(=O)Oc1ccccc1C(=O)O", "CCO", "C1CC(", "not a smiles", None],
        "targets": ["PTGS1|ptgs2|NOTAGENE", "", "EGFR", "FAKE1;FAKE2", "FAKE3"],
    }
)


def test_predict_handles_bad_rows_and_flags_fallbacks(
    engine_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from drugloop.approval import ApprovalEngine

    out = ApprovalEngine.load(engine_dir).predict_drugs(DRUGS).set_index("name")
    assert list(out.index) == list(DRUGS["name"])  # one row per input, input order
    assert out.loc["both", "model"] == "full" and out.loc["both", "n_targets_used"] == 2
    assert out.loc["both", "unknown_targets"] == "NOTAGENE"
    assert (
        out.loc["no_target", "model"] == "chemical_only" and "chemical model" in out.loc["no_target", "note"]
    )
    assert (
        out.loc["bad_smiles", "model"] == "target_only" and "invalid SMILES" in out.loc["bad_smiles", "note"]
    )
    for bad in ("nothing", "unknown_only"):
        assert (
            math.isnan(out.loc[bad, "approval_probability"]) and "nothing to score" in out.loc[bad, "error"]
        )
    scored = out["approval_probability"].dropna()
    assert len(scored) == 3 and ((scored > 0) & (scored < 1)).all()
    assert out.loc["both", "top_contributions"].count("=") == 3
    assert "NOTAGENE" in caplog.text and "FAKE1" in caplog.text  # warned and listed


def test_contributions_explain_the_calibrated_log_odds(engine_dir: Path) -> None:
    from drugloop.approval import ApprovalEngine
    from drugloop.approval.engine import PARTS

    engine = ApprovalEngine.load(engine_dir)
    part = engine.parts["target"]
    x = np.array([[0.1] * len(PARTS["target"])])
    contrib = part.contributions(x)[0]
    margin = contrib.sum()  # tree SHAP: contributions + bias add up to the raw margin
    assert part.predict(x)[0] == pytest.approx(
        1 / (1 + math.exp(-(part.calibration.a * margin + part.calibration.b)))
    )


def test_target_profile_and_unknown_genes(engine_dir: Path) -> None:
    from drugloop.approval import ApprovalEngine

    table, unknown = ApprovalEngine.load(engine_dir).target_profile(["EGFR", "BOGUS", "tp53"])
    assert unknown == ["BOGUS"]
    assert list(table["gene"]) == ["EGFR", "TP53"]
    egfr = table.iloc[0]
    assert egfr["CGE"] == pytest.approx(-1.3394675302162433) and egfr["OGE"] == pytest.approx(1.647)
    assert 0 <= egfr["OGE_percentile"] <= 100 and 0 < egfr["target_only_approval_probability"] < 1


def test_cli_predict_target_and_errors(engine_dir: Path, tmp_path: Path) -> None:
    from drugloop.cli.main import app

    runner = CliRunner()
    drugs = tmp_path / "drugs.csv"
    DRUGS.to_csv(drugs, index=False)
    out = tmp_path / "scores.csv"
    res = runner.invoke(
        app, ["approval", "predict", "--drugs", str(drugs), "--model", str(engine_dir), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    scores = pd.read_csv(out)
    assert len(scores) == 5 and scores["approval_probability"].notna().sum() == 3
    res = runner.invoke(app, ["approval", "target", "EGFR", "NOPE", "--model", str(engine_dir)])
    assert res.exit_code == 0 and "EGFR" in res.output
    res = runner.invoke(
        app, ["approval", "predict", "--drugs", str(drugs), "--model", str(tmp_path / "none")]
    )
    assert res.exit_code == 2 and "not a saved approval model" in res.output
    res = runner.invoke(app, ["approval", "target", "NOPE", "--model", str(engine_dir)])
    assert res.exit_code == 2


def test_config_rejects_bad_values() -> None:
    from drugloop.approval import ApprovalConfig
    from drugloop.errors import InputError

    with pytest.raises(InputError):
        ApprovalConfig.from_dict({"coverage": 1.5})
    with pytest.raises(InputError):
        ApprovalConfig.from_dict({"unknown": 1})
    assert ApprovalConfig().override(seed=3, out=None).seed == 3

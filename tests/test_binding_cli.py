"""`drugloop binding` end to end: train on a small table, predict with a bad row, evaluate, and fail cleanly."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from drugloop.cli.main import app
from molecules import DRUG_LIKE_SMILES

SMILES = DRUG_LIKE_SMILES[:8]
FAST = [
    "-p",
    "n_estimators=60",
    "-p",
    "learning_rate=0.2",
    "-p",
    "num_leaves=15",
    "-p",
    "min_child_samples=3",
    "-p",
    "n_jobs=1",
]
runner = CliRunner()


def _pairs(n_targets: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    letters = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    seqs = ["".join(rng.choice(letters, size=int(rng.integers(60, 140)))) for _ in range(n_targets)]
    rows = [
        {
            "compound": f"c{i}",
            "smiles": s,
            "target_id": f"t{j}",
            "sequence": q,
            "label": 5.0 + (i % 4) * 0.8 + (j % 3) * 0.5 + rng.normal(0, 0.05),
        }
        for i, s in enumerate(SMILES)
        for j, q in enumerate(seqs)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    table = folder / "train.csv"
    _pairs().to_csv(table, index=False)
    run = folder / "run"
    result = runner.invoke(
        app,
        [
            "binding",
            "train",
            "--data",
            str(table),
            "--model",
            "lgbm",
            "--split",
            "random",
            "--seed",
            "2",
            "--ensemble",
            "2",
            "--out",
            str(run),
            *FAST,
        ],
    )
    assert result.exit_code == 0, result.output
    return folder, run, result.output


def test_train_prints_metrics_and_writes_run_folder(trained):
    _, run, output = trained
    assert "binding metrics" in output and "ci" in output and "mse" in output
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["seed"] == 2 and metrics["ensemble"] == 2 and metrics["split"] == "random"
    assert (run / "model" / "card.json").is_file() and (run / "test_predictions.parquet").is_file()


def test_predict_file_with_a_bad_smiles(trained):
    folder, run, _ = trained
    pairs = _pairs().drop(columns="label").head(6)
    pairs.loc[2, "smiles"] = "C1CC(=O"
    src = folder / "query.csv"
    pairs.to_csv(src, index=False)
    out = folder / "pred.csv"
    result = runner.invoke(
        app, ["binding", "predict", "--model", str(run), "--pairs", str(src), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "5 predicted, 1 rows with errors" in result.output
    pred = pd.read_csv(out)
    assert list(pred.columns) == [*pairs.columns, "prediction", "uncertainty", "error"]
    assert pred["compound"].tolist() == pairs["compound"].tolist()
    assert pred.loc[2, "prediction"] != pred.loc[2, "prediction"]  # NaN
    assert "SMILES" in pred.loc[2, "error"]
    ok = pred.drop(index=2)
    assert ok["error"].isna().all() and ok["prediction"].notna().all() and (ok["uncertainty"] >= 0).all()


def test_predict_smiles_against_fasta_and_raw_sequence(trained):
    folder, run, _ = trained
    seqs = _pairs()["sequence"].unique()[:2]
    fasta = folder / "targets.fasta"
    fasta.write_text(f">kinA some kinase\n{seqs[0][:50]}\n{seqs[0][50:]}\n>kinB\n{seqs[1]}\n")
    out = folder / "pred.parquet"
    result = runner.invoke(
        app,
        [
            "binding",
            "predict",
            "--model",
            str(run / "model"),
            "--smiles",
            SMILES[0],
            "--smiles",
            SMILES[1],
            "--target",
            str(fasta),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    pred = pd.read_parquet(out)
    assert len(pred) == 4 and pred["target_id"].tolist() == ["kinA", "kinB", "kinA", "kinB"]
    assert pred["error"].isna().all()
    raw = folder / "raw.csv"
    result = runner.invoke(
        app,
        [
            "binding",
            "predict",
            "--model",
            str(run),
            "--smiles",
            SMILES[0],
            "--target",
            "MKVBZ1",
            "--out",
            str(raw),
        ],
    )
    assert result.exit_code == 0 and "0 predicted, 1 rows with errors" in result.output


def test_evaluate_prints_metrics(trained):
    folder, run, _ = trained
    out = folder / "eval.json"
    result = runner.invoke(
        app,
        [
            "binding",
            "evaluate",
            "--model",
            str(run),
            "--data",
            str(folder / "train.csv"),
            "--split",
            "random",
            "--seed",
            "2",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    assert record["metrics"]["ci"] == pytest.approx(
        metrics["test"]["ci"]
    )  # same split + seed, same test part


@pytest.mark.parametrize(
    "args",
    [
        ["binding", "train", "--data", "missing.csv", "--out", "x"],
        [
            "binding",
            "predict",
            "--model",
            "no_such_model",
            "--smiles",
            "CCO",
            "--target",
            "MKV",
            "--out",
            "p.csv",
        ],
        ["binding", "train", "--data", "davis", "--split", "sideways"],
    ],
)
def test_user_mistakes_exit_2_with_one_line(args, tmp_path):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.strip().startswith("error:") and len(result.output.strip().splitlines()) == 1


def test_console_script_missing_file_is_one_line(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from drugloop.cli.main import main; main()",
            "binding",
            "predict",
            "--model",
            str(tmp_path),
            "--pairs",
            str(tmp_path / "missing.csv"),
            "--out",
            str(tmp_path / "o.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0
    assert "error:" in proc.stderr

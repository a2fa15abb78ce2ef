"""Retrospective DMTA on a synthetic library: hits, metrics, method behaviour; the design CLI's error path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from drugloop.cli.main import app
from drugloop.design.dmta import _hits, dmta_libraries, run_dmta_target
from drugloop.errors import InputError

HEADS = [
    "c1ccccc1",
    "c1ccncc1",
    "c1ccoc1",
    "c1ccsc1",
    "C1CCNCC1",
    "C1CCOCC1",
    "c1cncnc1",
    "C1CCCC1",
    "c1ccc2ccccc2c1",
    "C1CC1",
]
TAILS = [
    "C",
    "CC",
    "CCC",
    "CO",
    "CN",
    "CF",
    "CCl",
    "C(=O)O",
    "C(=O)N",
    "OC",
    "NC",
    "SC",
    "C#N",
    "C(F)(F)F",
    "CC(C)C",
    "OCC",
    "NCC",
    "C(=O)C",
    "S(=O)(=O)N",
    "Br",
]


def _library() -> pd.DataFrame:
    # additive head + tail effects: the hits are the best head with the best tails, learnable from fingerprints
    rng = np.random.default_rng(0)
    head_effect = rng.normal(0, 1, len(HEADS))
    tail_effect = rng.normal(0, 1, len(TAILS))
    rows = []
    for i, head in enumerate(HEADS):
        for j, tail in enumerate(TAILS):
            rows.append((f"D{i:02d}{j:02d}", head + tail, 10 + head_effect[i] + tail_effect[j]))
    return pd.DataFrame(rows, columns=["drug_id", "smiles", "affinity"])


def test_hits_are_top_two_percent_highest_scores() -> None:
    y = np.arange(100, dtype=float)
    mask = _hits(y, 0.02)
    assert mask.sum() == 2 and mask[98] and mask[99]


def test_dmta_metrics_and_methods() -> None:
    lib = _library()
    random_run = run_dmta_target("T", lib, "random", 0)
    loop_run = run_dmta_target("T", lib, "loop", 0)
    for run in (random_run, loop_run):
        assert run.n_hits == 4 and run.library_size == 200
        assert 0 < run.frac_tested_half_hits <= 1 and 0 <= run.hits_found_at_10pct <= 1
        tested = [c[0] for c in run.curve]
        assert tested == sorted(tested) and run.curve[0][0] == 2  # 1 % random start
    assert loop_run.frac_tested_half_hits < random_run.frac_tested_half_hits
    again = run_dmta_target("T", lib, "loop", 0)
    assert again.curve == loop_run.curve  # deterministic per seed
    with pytest.raises(InputError):
        run_dmta_target("T", lib, "oracle", 0)


def test_libraries_filter_by_size() -> None:
    lib = _library().head(50).assign(target_id="A")
    small = lib.head(10).assign(target_id="B")
    libs = dmta_libraries(pd.concat([lib, small]), min_compounds=20)
    assert list(libs) == ["A"] and len(libs["A"]) == 50


def test_cli_config_error_before_any_oracle_call(tmp_path: Path) -> None:
    config = tmp_path / "objective.toml"
    config.write_text('[objective]\n[[objective.components]]\ntype = "similarity"\nreferences = ["C1CC"]\n')
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["design", "run", "--config", str(config), "--budget", "10", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "invalid reference SMILES" in result.output
    assert not (out / "ledger.parquet").exists()

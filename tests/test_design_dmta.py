"""Retrospective DMTA on a synthetic library: hits, metrics, method behaviour; the design CLI's error path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from drugloop.bio.protein import kmer_cosine_similarity
from drugloop.cli.main import app
from drugloop.design.dmta import _hits, dmta_libraries, run_dmta_target, transfer_prior
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


def _kiba_with_relatives() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Target T's library (half the compounds), a close relative U and an unrelated V measured on the other half.

    U shares T's structure-activity relationship, V has the opposite one, and the library compounds are also
    measured on U with random values: a prior that used them would be visibly off.
    """
    lib = _library()
    rng = np.random.default_rng(1)
    aa = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    seq_t = "".join(rng.choice(aa, 300))
    seq_u = seq_t[:150] + "".join(rng.choice(aa, 10)) + seq_t[160:]
    seq_v = "".join(rng.choice(aa, 300))
    in_lib = np.arange(len(lib)) % 2 == 0
    rows = []
    for k, r in enumerate(lib.itertuples()):
        if in_lib[k]:
            rows.append(("T", seq_t, r.drug_id, r.smiles, r.affinity))
            rows.append(("U", seq_u, r.drug_id, r.smiles, float(rng.normal(10, 1))))
        else:
            rows.append(("U", seq_u, r.drug_id, r.smiles, r.affinity))
            rows.append(("V", seq_v, r.drug_id, r.smiles, 20.0 - r.affinity))
    kiba = pd.DataFrame(rows, columns=["target_id", "sequence", "drug_id", "smiles", "affinity"])
    return kiba, lib[in_lib].reset_index(drop=True)


def test_transfer_prior_learns_from_relatives_without_library_measurements() -> None:
    kiba, library = _kiba_with_relatives()
    prior = transfer_prior(kiba, "T", library)
    assert prior.shape == (len(library),)
    assert abs(prior.mean()) < 1e-9 and prior.std() == pytest.approx(1.0)
    # the related kinase U outweighs the unrelated V: the prior ranks T's strong binders high
    rho = pd.Series(prior).corr(library["affinity"], method="spearman")
    assert rho > 0.5
    # library compounds' own measurements (here on U) never enter: scrambling them changes nothing
    scrambled = kiba.copy()
    on_lib = scrambled["drug_id"].isin(library["drug_id"]) & (scrambled["target_id"] == "U")
    scrambled.loc[on_lib, "affinity"] = scrambled.loc[on_lib, "affinity"].to_numpy()[::-1]
    np.testing.assert_allclose(transfer_prior(scrambled, "T", library), prior)
    with pytest.raises(InputError, match="not a KIBA target"):
        transfer_prior(kiba, "W", library)
    with pytest.raises(InputError, match="drug_id and smiles"):
        transfer_prior(kiba, "T", library.drop(columns="drug_id"))


def test_loop_transfer_needs_a_prior_and_uses_it() -> None:
    kiba, library = _kiba_with_relatives()
    with pytest.raises(InputError, match="prior"):
        run_dmta_target("T", library, "loop_transfer", 0)
    prior = transfer_prior(kiba, "T", library)
    run = run_dmta_target("T", library, "loop_transfer", 0, prior=prior)
    random_run = run_dmta_target("T", library, "random", 0)
    assert run.n_hits == 2 and run.frac_tested_half_hits < random_run.frac_tested_half_hits


def test_kmer_cosine_similarity() -> None:
    sim = kmer_cosine_similarity(["MKVLAAGG", "MKVLAAGG", "WWWPPPWWW", "MKVLAAGW", "AX"], k=3)
    assert sim.shape == (5, 5)
    np.testing.assert_allclose(np.diag(sim)[:4], 1.0)
    assert sim[0, 1] == pytest.approx(1.0) and sim[0, 2] == 0.0
    assert 0.0 < sim[0, 3] < 1.0  # one changed residue keeps most 3-mers
    assert sim[4, 4] == 0.0  # no valid 3-mer: no similarity, not NaN
    np.testing.assert_allclose(sim, sim.T)
    with pytest.raises(InputError):
        kmer_cosine_similarity(["MKV"], k=0)

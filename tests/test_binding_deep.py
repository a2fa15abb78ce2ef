"""The deep binding model: it learns, round-trips exactly, explains per residue and survives bad rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drugloop.binding.base import load_model
from drugloop.binding.deep import DeepBindingModel
from drugloop.errors import InputError, ModelError
from molecules import DRUG_LIKE_SMILES

SMILES = DRUG_LIKE_SMILES[:6]


def _synthetic(n_targets: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    seqs = ["".join(rng.choice(letters, size=rng.integers(60, 120))) for _ in range(n_targets)]
    rows = []
    for i, s in enumerate(SMILES):
        for j, q in enumerate(seqs):
            rows.append({"smiles": s, "sequence": q, "label": 5.0 + (i % 3) + 0.5 * j})
    return pd.DataFrame(rows)


def test_loss_falls_and_predictions_roundtrip(tmp_path):
    df = _synthetic()
    model = DeepBindingModel(
        seed=0,
        device="cpu",
        epochs=12,
        batch_size=8,
        hidden=32,
        gnn_layers=2,
        heads=2,
        ecfp_bits=256,
        lr=3e-3,
    )
    model.fit(df)
    losses = [r["train_loss"] for r in model.history[0]]
    assert losses[-1] < 0.5 * losses[0]
    before = model.predict(df)
    assert before["error"].isna().all()
    # a pair's prediction does not depend on the rows beside it (visiting order, batch padding)
    shuffled = df.sample(frac=1.0, random_state=3)
    again = model.predict(shuffled)["prediction"].to_numpy()
    np.testing.assert_allclose(again, before["prediction"].to_numpy()[shuffled.index], rtol=1e-5, atol=1e-5)
    alone = model.predict(df.iloc[[5]])["prediction"].to_numpy()
    np.testing.assert_allclose(alone, before["prediction"].to_numpy()[[5]], rtol=1e-5, atol=1e-5)
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    after = loaded.predict(df)
    np.testing.assert_array_equal(before["prediction"].to_numpy(), after["prediction"].to_numpy())


def test_ensemble_uncertainty_and_bad_rows():
    df = _synthetic(n_targets=2)
    model = DeepBindingModel(
        seed=1,
        ensemble=2,
        device="cpu",
        epochs=2,
        batch_size=8,
        hidden=32,
        gnn_layers=1,
        heads=2,
        ecfp_bits=128,
    )
    model.fit(df)
    bad = pd.DataFrame(
        {
            "smiles": [SMILES[0], "not a smiles", "", SMILES[1]],
            "sequence": [df["sequence"][0], df["sequence"][0], df["sequence"][0], "MKV1Z"],
        }
    )
    out = model.predict(bad)
    assert np.isfinite(out.loc[0, "prediction"]) and out.loc[0, "uncertainty"] > 0
    assert out.loc[1:, "prediction"].isna().all()
    assert out["error"].notna().tolist() == [False, True, True, True]


def test_residue_attention_covers_sequence_and_long_sequences_truncate(caplog):
    df = _synthetic(n_targets=2)
    long_seq = "M" + "ACDEFGHIKL" * 20
    df.loc[0, "sequence"] = long_seq
    model = DeepBindingModel(
        device="cpu", epochs=1, batch_size=16, hidden=32, gnn_layers=1, heads=2, ecfp_bits=128, max_len=100
    )
    with caplog.at_level("WARNING"):
        model.fit(df)
    assert any("truncated" in r.message for r in caplog.records)
    att = model.residue_attention(df.head(3))
    assert [len(a) for a in att] == [len(s) for s in df["sequence"].head(3)]
    assert np.isclose(att[1][:100].sum(), 1.0, atol=1e-3) and np.all(att[0][100:] == 0)


def test_bad_parameters_and_task_mismatch(tmp_path):
    with pytest.raises(InputError, match="unknown deep model parameter"):
        DeepBindingModel(bogus=1)
    for chunk in (0, -4, 2.5):
        with pytest.raises(InputError, match="protein_chunk"):
            DeepBindingModel(protein_chunk=chunk)
    assert DeepBindingModel(protein_chunk=None).params["protein_chunk"] is None
    for window in (0, "8", 1.5):
        with pytest.raises(InputError, match="length_window"):
            DeepBindingModel(length_window=window)
    df = _synthetic(n_targets=1)
    with pytest.raises(ModelError):
        DeepBindingModel(task="binary", device="cpu", epochs=1).fit(df)


def test_card_guards_featurizer_version(tmp_path):
    df = _synthetic(n_targets=1)
    model = DeepBindingModel(
        device="cpu", epochs=1, batch_size=8, hidden=32, gnn_layers=1, heads=2, ecfp_bits=64
    )
    model.fit(df).save(tmp_path / "m")
    card = (
        (tmp_path / "m" / "card.json").read_text().replace(DeepBindingModel.featurizer_version, "deep-old/0")
    )
    (tmp_path / "m" / "card.json").write_text(card)
    with pytest.raises(ModelError, match="featurizer version"):
        load_model(tmp_path / "m")


def test_grouped_attention_matches_gathered_attention() -> None:
    """The per-protein matmul path must give the same context and weights as the per-pair gather path."""
    import torch

    from drugloop.nn.encoders import ResidueAttention

    torch.manual_seed(0)
    attention = ResidueAttention(32, 4)
    residues = torch.randn(5, 17, 32)
    mask = torch.ones(5, 17, dtype=torch.bool)
    mask[1, 10:] = False
    mask[3, 3:] = False
    k, v = attention.keys_values(residues)
    index = torch.tensor([0, 0, 1, 2, 2, 2, 3, 4, 4, 1, 0, 3, 2, 2, 2, 2, 2, 2, 2])  # uneven: several blocks
    q = attention.q(torch.randn(len(index), 32)).reshape(len(index), 4, 8)
    c1, w1 = attention._gathered(q, k, v, mask, index)
    c2, w2 = attention._grouped(q, k, v, mask, index)
    assert torch.allclose(c1, c2, atol=1e-6)
    assert torch.allclose(w1, w2, atol=1e-6)
    assert torch.allclose(w2.sum(1), torch.ones(len(index)))
    assert float(w2[6, 3:].detach().abs().max()) == 0.0  # protein 3 has 3 residues: no weight on padding

"""The language-model generator: tokenisation, training, likelihood, RL, diversity filter, persistence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem

from drugloop.chem.tokens import SmilesVocab, smiles_tokenize
from drugloop.design.base import Generator
from drugloop.design.lm import (
    WEIGHTS_DIR,
    PriorConfig,
    ReinventGenerator,
    ScaffoldDiversityFilter,
    SmilesLM,
    TrainConfig,
    canonical_training_set,
    load_prior,
    make_diversity_filter,
    sample_metrics,
    train_prior,
)
from drugloop.errors import InputError, ModelError

ZINC_LIKE = [
    "CC(C)(C)c1ccc2occ(CC(=O)Nc3ccccc3F)c2c1",
    "C[C@@H]1CC(Nc2cncc(-c3nncn3C)c2)C[C@@H](C)C1",
    "N#Cc1ccc(-c2ccc(O[C@@H](C(=O)N3CCCC3)c3ccccc3)cc2)cc1",
    "CCOC(=O)[C@@H]1CCCN(C(=O)c2nc(-c3ccc(C)cc3)n3c2CCCCC3)C1",
    "N#CC1=C(SCC(=O)Nc2cccc(Cl)c2)N=C([O-])[C@H](C#N)C12CCCCC2",
    "CC[NH+](CC)[C@](C)(CC)[C@H](O)c1cscc1Br",
    "COc1ccc(C(=O)N(C)[C@@H](C)C/C(N)=N/O)cc1O",
    "O=C(Nc1ccc(F)cc1F)N1CC[NH+](CCc2ccccc2)CC1",
    "Cc1ccc(S(=O)(=O)N2CCC(C(=O)NCc3ccco3)CC2)cc1",
    "CC(=O)Nc1ccc(-c2nc3ccccc3s2)cc1",
    "O=C([O-])c1ccccc1NC(=O)c1ccc(I)cc1",
    "C[C@H]1CN(C(=O)c2cc(Br)ccc2O)C[C@@H](C)O1",
]
TINY = PriorConfig(embedding_dim=16, hidden_size=32, num_layers=1, max_len=80)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Small GRUs run fastest (and identically) on one thread; restore the caller's setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny() -> SmilesLM:
    torch.set_num_threads(1)
    data = canonical_training_set(ZINC_LIKE, TINY.max_len)
    model, _ = train_prior(
        data, TINY, TrainConfig(epochs=40, batch_size=6, lr=2e-2, lr_final=2e-3, seed=3), device="cpu"
    )
    return model


# -- tokenisation -------------------------------------------------------------------------------------------------
_TOKENS = [
    "C",
    "c",
    "N",
    "n",
    "O",
    "o",
    "S",
    "s",
    "F",
    "Cl",
    "Br",
    "I",
    "(",
    ")",
    "=",
    "#",
    "1",
    "2",
    "3",
    "[C@@H]",
    "[C@H]",
    "[nH]",
    "[NH+]",
    "[O-]",
    "/",
    "\\",
    "-",
    "%10",
]


@given(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=60))
def test_tokens_round_trip_any_token_string(tokens: list[str]) -> None:
    text = "".join(tokens)
    assert "".join(smiles_tokenize(text)) == text
    vocab = SmilesVocab(_TOKENS)
    assert vocab.decode(vocab.encode(text)) == text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ZINC_LIKE), st.integers(0, 2**31 - 1))
def test_random_smiles_of_zinc_molecules_round_trip(smiles: str, seed: int) -> None:
    mol = Chem.MolFromSmiles(smiles)
    text = Chem.MolToSmiles(mol, doRandom=True, canonical=False) if seed % 2 else Chem.MolToSmiles(mol)
    tokens = smiles_tokenize(text)
    assert "".join(tokens) == text
    vocab = SmilesVocab.build([text])
    assert vocab.decode(vocab.encode(text)) == text
    assert Chem.MolToSmiles(Chem.MolFromSmiles(vocab.decode(vocab.encode(text)))) == Chem.MolToSmiles(mol)


# -- training and likelihood --------------------------------------------------------------------------------------
def test_tiny_prior_learns(tiny: SmilesLM) -> None:
    history = tiny.card.get("history") or {}
    data = canonical_training_set(ZINC_LIKE, TINY.max_len)
    fresh = SmilesLM(tiny.vocab, TINY, device="cpu", seed=3)
    assert tiny.likelihood(data).mean() > fresh.likelihood(data).mean() + 20
    del history


def test_training_loss_falls_and_is_deterministic() -> None:
    data = canonical_training_set(ZINC_LIKE[:6], TINY.max_len)
    cfg = TrainConfig(epochs=8, batch_size=3, lr=1e-2, seed=5, log_every=1)
    a, hist = train_prior(data, TINY, cfg, device="cpu")
    b, _ = train_prior(data, TINY, cfg, device="cpu")
    assert hist["train_loss"][-1] < hist["train_loss"][0] - 0.5
    assert a.state_bytes() == b.state_bytes()
    assert a.sample(20, seed=1) == b.sample(20, seed=1)
    # continuing from saved weights starts where the first run ended and keeps its vocabulary
    c, _ = train_prior(
        data, None, TrainConfig(epochs=1, batch_size=3, lr=1e-9, lr_final=1e-9, seed=5), device="cpu", init=a
    )
    assert c.vocab == a.vocab
    np.testing.assert_allclose(c.likelihood(data), a.likelihood(data), atol=1e-3)


def test_likelihood_matches_sampling_log_probability(tiny: SmilesLM) -> None:
    gen = torch.Generator().manual_seed(0)
    ids, logp = tiny.sample_ids(16, gen)
    texts = tiny.decode(ids)
    finished = [i for i, row in enumerate(ids.tolist()) if tiny.vocab.eos_id in row and texts[i]]
    ll = tiny.likelihood([texts[i] for i in finished])
    # the sampler records the model probability of each drawn token, so the two agree to float precision
    np.testing.assert_allclose(ll, logp[finished].numpy(), atol=1e-3)


def test_unencodable_smiles_is_an_input_error(tiny: SmilesLM) -> None:
    with pytest.raises(InputError):
        tiny.likelihood(["[Xe]"])
    assert not tiny.encodable("C" * 200)


# -- persistence -------------------------------------------------------------------------------------------------
def test_save_load_reproduces_likelihoods_exactly(tiny: SmilesLM, tmp_path: Path) -> None:
    tiny.save(tmp_path / "p")
    back = load_prior(tmp_path / "p", device="cpu")
    data = canonical_training_set(ZINC_LIKE, TINY.max_len)
    assert np.array_equal(back.likelihood(data), tiny.likelihood(data))
    assert back.vocab == tiny.vocab and back.config == tiny.config
    assert back.sample(10, seed=4) == tiny.sample(10, seed=4)


def test_damaged_weights_are_a_model_error(tiny: SmilesLM, tmp_path: Path) -> None:
    folder = tiny.save(tmp_path / "p")
    (folder / "prior.safetensors").write_bytes(b"garbage")
    with pytest.raises(ModelError):
        load_prior(folder)
    with pytest.raises(ModelError):
        load_prior(tmp_path / "missing")


# -- diversity filter --------------------------------------------------------------------------------------------
def test_scaffold_buckets_penalise_after_k() -> None:
    df = ScaffoldDiversityFilter(bucket_size=2, min_score=0.5)
    benzenes = ["Oc1ccccc1", "Cc1ccccc1", "Nc1ccccc1", "Fc1ccccc1"]
    out = df(benzenes, [0.9, 0.8, 0.7, 0.6])
    np.testing.assert_allclose(out, [0.9, 0.8, 0.0, 0.0])
    assert df.bucket_of("Clc1ccccc1") == 2
    # another scaffold is untouched; a low score does not fill its bucket
    np.testing.assert_allclose(df(["OC1CCCCC1", "NC1CCCCC1", "CC1CCCCC1"], [0.2, 0.9, 0.9]), [0.2, 0.9, 0.9])
    assert df.bucket_of("C1CCCCC1") == 2
    soft = ScaffoldDiversityFilter(bucket_size=1, min_score=0.0, penalty=0.5)
    np.testing.assert_allclose(soft(["CCO", "CCN", "c1ccccc1"], [1.0, 1.0, 1.0]), [1.0, 0.5, 1.0])


def test_diversity_filter_specs() -> None:
    assert make_diversity_filter(None) is None and make_diversity_filter("none") is None
    assert make_diversity_filter("generic").kind == "generic"
    with pytest.raises(InputError):
        make_diversity_filter("tanimoto-magic")
    with pytest.raises(InputError):
        ScaffoldDiversityFilter(bucket_size=0)


# -- reinforcement learning --------------------------------------------------------------------------------------
def test_rl_raises_likelihood_of_high_scoring_molecules(tiny: SmilesLM) -> None:
    gen = ReinventGenerator(tiny, sigma=60.0, lr=5e-3, diversity_filter=None, replay=0, device="cpu", seed=0)
    assert isinstance(gen, Generator)
    good, bad = "CC(=O)Nc1ccc(-c2nc3ccccc3s2)cc1", "Cc1ccc(S(=O)(=O)N2CCC(C(=O)NCc3ccco3)CC2)cc1"
    before = gen.likelihood([good, bad])
    for _ in range(5):
        gen.update([good, bad], [1.0, 0.0])
    after = gen.likelihood([good, bad])
    assert after[0] - before[0] > 5.0  # the rewarded molecule became much more likely
    assert after[0] - before[0] > after[1] - before[1]
    np.testing.assert_array_equal(gen.prior.likelihood([good]), tiny.likelihood([good]))  # prior frozen
    assert gen.steps == 5 and len(gen.history) == 5


def test_rl_memory_replay_and_skips(tiny: SmilesLM) -> None:
    gen = ReinventGenerator(tiny, diversity_filter="scaffold", memory_size=3, device="cpu", seed=0)
    data = canonical_training_set(ZINC_LIKE, TINY.max_len)
    gen.update([*data[:5], "[Xe]"], [0.9, 0.8, 0.7, 0.6, 0.5, 1.0])
    assert gen.skipped == 1
    assert list(gen.memory) == data[:3]
    with pytest.raises(InputError):
        gen.update(["CCO"], [0.1, 0.2])


def test_propose_is_deterministic_given_rng(tiny: SmilesLM) -> None:
    a = ReinventGenerator(tiny, device="cpu", seed=0)
    b = ReinventGenerator(tiny, device="cpu", seed=0)
    one = a.propose(12, np.random.default_rng(7))
    assert one == b.propose(12, np.random.default_rng(7))
    assert len(one) == 12 and a.propose(0, np.random.default_rng(0)) == []


# -- the shipped prior ---------------------------------------------------------------------------------------------
@pytest.mark.skipif(not (WEIGHTS_DIR / "prior.safetensors").is_file(), reason="no shipped prior weights")
def test_shipped_prior_loads_and_samples_mostly_valid_smiles() -> None:
    prior = load_prior(device="cpu")
    assert prior.card["training_data"]["dataset"] == "zinc250k"
    samples = prior.sample(200, seed=0)
    metrics = sample_metrics(samples)
    assert metrics["validity"] >= 0.5, metrics  # 63.8% on 10k samples (card)
    assert metrics["uniqueness"] >= 0.95, metrics
    assert np.all(np.isfinite(prior.likelihood(["CC(=O)Nc1ccc(O)cc1"])))

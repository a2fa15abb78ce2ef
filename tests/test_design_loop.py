"""The DMTA loop: budget, de-duplication, invalid proposals, determinism per seed, resume after interruption."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from tests.molecules import DRUG_LIKE_SMILES

from drugloop.design.base import Generator
from drugloop.design.graph_ga import GraphGA, crossover, mutate
from drugloop.design.ledger import Ledger
from drugloop.design.loop import LibrarySampler, LoopConfig, canonical, run_loop
from drugloop.design.scoring import PMOObjective
from drugloop.design.surrogate import FingerprintEnsemble, TanimotoGP, acquire, featurize
from drugloop.errors import InputError

LIBRARY = [
    *DRUG_LIKE_SMILES,
    "CCOc1ccc(CC(=O)N2CCCC2)cc1",
    "Cc1ccc(S(=O)(=O)NCCO)cc1",
    "O=C(Nc1ccccc1)c1ccncc1",
    "CN(C)CCOc1ccc(Cl)cc1",
    "OC(c1ccccc1)c1ccccn1",
    "CC(C)NCC(O)c1ccc(O)cc1",
    "COc1ccc(C(=O)NCc2ccco2)cc1",
    "Cc1nc(N)sc1C(=O)OCC",
    "c1ccc2[nH]c(CN3CCOCC3)nc2c1",
    "NC(=O)c1cccc(Oc2ccccc2)c1",
]


class Noisy:
    """A generator that also proposes garbage and repeats, to check the loop's bookkeeping."""

    name = "noisy"

    def propose(self, n: int, rng: np.random.Generator) -> list[str]:
        return ["not a smiles", "", "C1CC", "OCC", "CCO"][: max(n, 0)]

    def update(self, smiles: Sequence[str], scores: Sequence[float]) -> None:
        self.seen = list(smiles)


def _config(budget: int, seed: int = 0) -> LoopConfig:
    return LoopConfig(
        budget=budget,
        batch_size=20,
        candidates={"graph_ga": 40, "zinc": 10, "noisy": 5},
        seed=seed,
        n_models=2,
        n_estimators=20,
    )


def _gens() -> list[Generator]:
    return [GraphGA(population_size=30, mutation_rate=0.3), LibrarySampler(LIBRARY), Noisy()]


def test_protocol_and_canonical() -> None:
    assert all(isinstance(g, Generator) for g in _gens())
    assert canonical("C(C)O") == "CCO" and canonical("nope") is None and canonical("") is None


def test_loop_budget_dedup_invalid_and_determinism(tmp_path: Path) -> None:
    result = run_loop(PMOObjective("qed"), _gens(), _config(60), Ledger(60, tmp_path / "a.parquet"))
    ledger = result.ledger
    assert len(ledger) == 60 and len(set(ledger.smiles)) == 60
    assert ledger.counters["invalid"] >= 3 * 3  # 3 bad strings per cycle, never scored
    assert "not a smiles" not in ledger and "OCC" not in ledger or ledger.smiles.count("CCO") == 1
    assert all(canonical(s) == s for s in ledger.smiles)
    again = run_loop(PMOObjective("qed"), _gens(), _config(60))
    assert again.ledger.smiles == ledger.smiles and np.allclose(again.ledger.scores, ledger.scores)
    assert Ledger.load(tmp_path / "a.parquet").smiles == ledger.smiles
    other = run_loop(PMOObjective("qed"), _gens(), _config(60, seed=1))
    assert other.ledger.smiles != ledger.smiles


def test_resume_after_interruption(tmp_path: Path) -> None:
    full = run_loop(PMOObjective("qed"), _gens(), _config(80)).ledger
    path = tmp_path / "ledger.parquet"

    class Stop(Exception):
        pass

    def interrupt(ledger: Ledger) -> None:
        if len(ledger) >= 40:
            raise Stop

    with pytest.raises(Stop):
        run_loop(PMOObjective("qed"), _gens(), _config(80), Ledger(80, path), on_batch=interrupt)
    saved = Ledger.load(path)
    assert len(saved) == 40
    scored_before = saved.smiles
    resumed = run_loop(PMOObjective("qed"), _gens(), _config(80), saved).ledger
    assert resumed.smiles[:40] == scored_before  # nothing lost, nothing re-scored
    assert resumed.smiles == full.smiles and len(set(resumed.smiles)) == 80


def test_bad_loop_settings() -> None:
    with pytest.raises(InputError):
        run_loop(PMOObjective("qed"), _gens(), LoopConfig(budget=10, acquisition="thompson"))
    with pytest.raises(InputError):
        run_loop(PMOObjective("qed"), [object()], LoopConfig(budget=10))  # type: ignore[list-item]


def test_graph_operators_make_valid_molecules() -> None:
    from rdkit import Chem

    rng = np.random.default_rng(0)
    mols = [Chem.MolFromSmiles(s) for s in LIBRARY]
    children = [crossover(mols[i % len(mols)], mols[(i * 7 + 3) % len(mols)], rng) for i in range(40)]
    mutants = [mutate(mols[i % len(mols)], rng) for i in range(40)]
    made = [m for m in children + mutants if m is not None]
    assert len(made) >= 60
    for m in made:
        assert Chem.MolFromSmiles(Chem.MolToSmiles(m)) is not None
        assert len(Chem.GetMolFrags(m)) == 1
    ga = GraphGA()
    ga.update(LIBRARY, list(np.linspace(0, 1, len(LIBRARY))))
    a = ga.propose(20, np.random.default_rng(5))
    b = ga.propose(20, np.random.default_rng(5))
    assert a == b and len(a) == 20


def test_surrogate_and_acquisition() -> None:
    x = featurize(LIBRARY + ["nope"])
    assert x.shape[0] == len(LIBRARY) + 1 and x[-1].nnz == 0
    y = np.array([Chem_len(s) for s in LIBRARY], dtype=float)
    model = FingerprintEnsemble(3, n_estimators=20).fit(x[: len(LIBRARY)], y)
    mean, std = model.predict(x[: len(LIBRARY)])
    assert np.corrcoef(mean, y)[0, 1] > 0.5 and (std >= 0).all()
    assert acquire(np.array([0.1, 0.9, 0.5]), np.zeros(3), 2, kind="greedy").tolist() == [1, 2]
    assert acquire(np.array([0.5, 0.4]), np.array([0.0, 0.5]), 1, kind="ucb", beta=1.0).tolist() == [1]
    assert acquire(np.array([0.5, 0.4]), np.array([0.0, 0.5]), 1, kind="ei", best=0.6).tolist() == [1]
    bits = (x[: len(LIBRARY), :2048] > 0).toarray()
    gp = TanimotoGP(noise=1e-4).fit(bits, y)
    gm, gs = gp.predict(bits)
    assert np.allclose(gm, y, atol=0.05) and (gs < 0.1 * y.std()).all()


def Chem_len(smiles: str) -> int:
    from rdkit import Chem

    return Chem.MolFromSmiles(smiles).GetNumAtoms()

"""The design–make–test–learn loop: generators propose, a surrogate picks, the oracle scores, everyone learns.

Each cycle (one "batch" of compounds made and tested):

1. every generator proposes its share of candidates (invalid or repeated SMILES allowed);
2. the loop canonicalises them, counts and drops the invalid ones, drops those already in the ledger and repeats;
3. the surrogate (a fingerprint ensemble refitted on the ledger) predicts mean and spread for each candidate and
   the acquisition function (UCB by default) picks ``batch_size`` of them; before the surrogate has data the
   pick is random;
4. the oracle scores the batch, the ledger logs it (and is saved atomically), and generators and surrogate learn.

Randomness comes from ``numpy.random.default_rng([seed, cycle])``, so a run is deterministic per seed and a run
resumed from its ledger continues exactly as the uninterrupted one would have.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rdkit import Chem, rdBase

from drugloop.design.base import Generator
from drugloop.design.ledger import Ledger
from drugloop.design.scoring import Objective
from drugloop.design.surrogate import FingerprintEnsemble, acquire, featurize, featurize_mols
from drugloop.errors import InputError

__all__ = ["LibrarySampler", "LoopConfig", "LoopResult", "canonical", "run_loop"]

log = logging.getLogger(__name__)


class LibrarySampler:
    """A generator that proposes random molecules from a fixed library (e.g. ZINC250k); it does not learn."""

    def __init__(self, smiles: Sequence[str], name: str = "zinc", limit: int | None = None) -> None:
        if not smiles:
            raise InputError("the library to sample from is empty")
        self.smiles = list(smiles)
        self.name = name
        self.limit = limit  # stop proposing after this many (e.g. only a GA's starting population)
        self._given = 0

    def propose(self, n: int, rng: np.random.Generator) -> list[str]:
        if self.limit is not None:
            n = min(n, self.limit - self._given)
            if n <= 0:
                return []
        self._given += n
        idx = rng.choice(len(self.smiles), size=min(n, len(self.smiles)), replace=False)
        return [self.smiles[int(i)] for i in idx]

    def update(self, smiles: Sequence[str], scores: Sequence[float]) -> None:
        return None


def canonical(smiles: str) -> str | None:
    """RDKit canonical SMILES, or None when it does not parse (or is empty)."""
    return _canonical_mol(smiles)[0]


def _canonical_mol(smiles: str) -> tuple[str | None, Chem.Mol | None]:
    if not smiles or not isinstance(smiles, str):
        return None, None
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
        if mol is None or mol.GetNumAtoms() == 0:
            return None, None
        return Chem.MolToSmiles(mol), mol


@dataclass
class LoopConfig:
    """Settings of one loop run.

    ``candidates`` maps a generator's name to how many SMILES it proposes per cycle. ``use_surrogate=False``
    sends candidates to the oracle in proposal order (a plain generator run, e.g. Graph GA alone).
    ``warmup`` is the number of calls in the first (random) batch.
    """

    budget: int = 10_000
    batch_size: int = 100
    candidates: Mapping[str, int] = field(default_factory=lambda: {"graph_ga": 250, "zinc": 50})
    acquisition: str = "ucb"
    beta: float = 1.0
    use_surrogate: bool = True
    warmup: int | None = None
    n_models: int = 3
    n_estimators: int = 50
    max_train: int = 1500
    seed: int = 0
    max_idle_cycles: int = 5

    def check(self) -> None:
        if self.budget <= 0 or self.batch_size <= 0:
            raise InputError("budget and batch size must be positive")
        if self.acquisition not in ("ucb", "ei", "greedy", "random"):
            raise InputError(f"unknown acquisition {self.acquisition!r}; choose ucb, ei, greedy or random")
        if any(int(v) < 0 for v in self.candidates.values()) or sum(self.candidates.values()) <= 0:
            raise InputError("candidate counts per generator must be >= 0 with a positive total")


@dataclass
class LoopResult:
    ledger: Ledger
    wall_seconds: float
    cycles: int
    stopped: str


def _pool(
    generators: Sequence[Generator], config: LoopConfig, ledger: Ledger, rng: np.random.Generator, first: int
) -> tuple[list[str], list[str], list[Chem.Mol]]:
    seen: set[str] = set()
    smiles: list[str] = []
    sources: list[str] = []
    mols: list[Chem.Mol] = []
    for gen in generators:
        n = int(config.candidates.get(gen.name, 0))
        if first and n > 0:  # the first batch has nothing to learn from: ask for at least a batch's worth
            n = max(n, first)
        if n <= 0:
            continue
        proposed = gen.propose(n, rng)
        ledger.counters["proposed"] += len(proposed)
        for raw in proposed:
            can, mol = _canonical_mol(raw)
            if can is None or mol is None:
                ledger.counters["invalid"] += 1
                continue
            if can in seen or can in ledger:
                ledger.counters["duplicate"] += 1
                continue
            seen.add(can)
            smiles.append(can)
            sources.append(gen.name)
            mols.append(mol)
    return smiles, sources, mols


def run_loop(
    objective: Objective,
    generators: Sequence[Generator],
    config: LoopConfig,
    ledger: Ledger | None = None,
    *,
    progress: bool = False,
    on_batch: Callable[[Ledger], None] | None = None,
) -> LoopResult:
    """Run the loop until the ledger's budget is spent (or generators stop producing new molecules).

    ``ledger`` may be a resumed one: its molecules are fed to the generators and the surrogate first, and the
    loop continues from its next batch without re-scoring anything.
    """
    config.check()
    if not generators:
        raise InputError("the loop needs at least one generator")
    for gen in generators:
        if not isinstance(gen, Generator):
            raise InputError(f"{gen!r} does not implement the Generator protocol (name, propose, update)")
    ledger = ledger if ledger is not None else Ledger(config.budget)
    start = time.perf_counter()
    surrogate = FingerprintEnsemble(
        config.n_models, n_estimators=config.n_estimators, max_train=config.max_train, seed=config.seed
    )
    feats_smiles: list[str] = []
    feats_rows: list[Any] = []
    import scipy.sparse as sp

    if len(ledger):  # resume: everyone learns what the ledger already knows
        done = ledger.smiles
        scores = ledger.scores.tolist()
        for gen in generators:
            gen.update(done, scores)
        feats_smiles = list(done)
        feats_rows = [featurize(done)]
    cycle = ledger.n_batches
    idle = 0
    stopped = "budget"
    bar = None
    task = None
    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("top-10 {task.fields[top10]:.3f}"),
            TimeElapsedColumn(),
        )
        bar.start()
        task = bar.add_task(objective.name, total=ledger.budget, completed=len(ledger), top10=_top10(ledger))
    try:
        while ledger.remaining > 0:
            rng = np.random.default_rng([config.seed, cycle])
            first = len(ledger) == 0
            want = min(config.batch_size, ledger.remaining)
            if first and config.warmup:
                want = min(config.warmup, ledger.remaining)
            cand, sources, cand_mols = _pool(generators, config, ledger, rng, want if first else 0)
            if not cand:
                idle += 1
                if idle >= config.max_idle_cycles:
                    stopped = "no new candidates"
                    break
                cycle += 1
                continue
            idle = 0
            cand_x = None
            if config.use_surrogate and len(ledger) >= 20 and len(cand) > want:
                x_train = sp.vstack(feats_rows).tocsr()
                surrogate.seed = config.seed * 1_000_003 + cycle
                surrogate._fits = 0
                surrogate.fit(x_train, ledger.scores[: x_train.shape[0]])
                cand_x = featurize_mols(cand_mols)
                mean, std = surrogate.predict(cand_x)
                pick = acquire(
                    mean,
                    std,
                    want,
                    kind=config.acquisition,
                    beta=config.beta,
                    best=float(ledger.scores.max()),
                    rng=rng,
                )
            elif config.use_surrogate and len(cand) > want:
                pick = rng.choice(len(cand), size=want, replace=False)
            else:
                pick = np.arange(min(want, len(cand)))
            chosen = [cand[int(i)] for i in pick]
            chosen_sources = [sources[int(i)] for i in pick]
            scores, parts = objective.score(chosen)
            ledger.add(cycle, chosen, scores, parts, chosen_sources)
            if config.use_surrogate:
                feats_rows.append(
                    cand_x[pick] if cand_x is not None else featurize_mols([cand_mols[int(i)] for i in pick])
                )
                feats_smiles.extend(chosen)
            for gen in generators:
                gen.update(chosen, [float(s) for s in scores])
            if ledger.path is not None:
                ledger.meta.update({"seed": config.seed, "objective": objective.name})
                ledger.save()
            if on_batch is not None:
                on_batch(ledger)
            if bar is not None and task is not None:
                bar.update(task, completed=len(ledger), top10=_top10(ledger))
            cycle += 1
    finally:
        if bar is not None:
            bar.stop()
    return LoopResult(ledger=ledger, wall_seconds=time.perf_counter() - start, cycles=cycle, stopped=stopped)


def _top10(ledger: Ledger) -> float:
    if not len(ledger):
        return 0.0
    scores = np.sort(ledger.scores)[::-1][:10]
    return float(scores.mean())

"""Language-model generator: a SMILES GRU prior trained on ZINC250k, REINVENT-style RL and a diversity filter.

``load_prior()`` gives the shipped ZINC250k prior (``.sample(n, seed)``, ``.likelihood(smiles)``);
``ReinventGenerator(sigma=500, lr=5e-4, diversity_filter="scaffold", seed=0)`` is the design loop's generator
(``propose(n, rng)`` / ``update(smiles, scores)``); ``scripts/train_prior.py`` regenerates the weights.
"""

from drugloop.design.lm.diversity import ScaffoldDiversityFilter, make_diversity_filter
from drugloop.design.lm.model import WEIGHTS_DIR, PriorConfig, SmilesLM, SmilesRNN, load_prior
from drugloop.design.lm.rl import ReinventGenerator
from drugloop.design.lm.train import TrainConfig, canonical_training_set, sample_metrics, train_prior

__all__ = [
    "WEIGHTS_DIR",
    "PriorConfig",
    "ReinventGenerator",
    "ScaffoldDiversityFilter",
    "SmilesLM",
    "SmilesRNN",
    "TrainConfig",
    "canonical_training_set",
    "load_prior",
    "make_diversity_filter",
    "sample_metrics",
    "train_prior",
]

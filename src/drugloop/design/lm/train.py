"""Maximum-likelihood training of a SMILES prior and the sample-quality numbers written into its card.

Training is teacher forcing with cross-entropy per token. Batches are drawn in a seeded order and grouped by
similar length (so a batch of short molecules is not padded to the longest one in the data set), which makes a
run with the same seed, data and device repeat exactly. Checkpoints are written atomically every few minutes so
a stopped run still leaves a usable prior.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from rdkit import Chem, rdBase

from drugloop.chem.tokens import SmilesVocab, smiles_tokenize
from drugloop.design.lm.model import PriorConfig, SmilesLM
from drugloop.errors import InputError

__all__ = ["TrainConfig", "canonical_training_set", "sample_metrics", "smiles_sha256", "train_prior"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings; ``max_steps`` (if set) stops before the epochs end, for time-boxed runs."""

    epochs: float = 1.0
    batch_size: int = 128
    lr: float = 1e-3
    lr_final: float = 1e-4
    clip_grad: float = 5.0
    max_steps: int | None = None
    val_fraction: float = 0.01
    seed: int = 0
    checkpoint_every_s: float = 300.0
    log_every: int = 100
    extra: dict[str, Any] = field(default_factory=dict)


def canonical_training_set(smiles: Sequence[str], max_len: int) -> list[str]:
    """Canonical RDKit SMILES, de-duplicated in first-seen order, without unparsable or over-long ones."""
    seen: set[str] = set()
    out: list[str] = []
    with rdBase.BlockLogs():
        for text in smiles:
            mol = Chem.MolFromSmiles(str(text).strip())
            if mol is None:
                continue
            canon = Chem.MolToSmiles(mol)
            if canon in seen or len(smiles_tokenize(canon)) > max_len:
                continue
            seen.add(canon)
            out.append(canon)
    return out


def smiles_sha256(smiles: Sequence[str]) -> str:
    """Checksum of a SMILES list (order-sensitive, one per line), for the card."""
    digest = hashlib.sha256()
    for s in smiles:
        digest.update(s.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def sample_metrics(samples: Sequence[str], training: set[str] | None = None) -> dict[str, float]:
    """MOSES-style validity (parses, non-empty), uniqueness (distinct valid / valid), novelty (unique not in training)."""
    canon: list[str] = []
    with rdBase.BlockLogs():
        for s in samples:
            mol = Chem.MolFromSmiles(s) if s else None
            if mol is not None and mol.GetNumAtoms() > 0:
                canon.append(Chem.MolToSmiles(mol))
    unique = set(canon)
    n = max(len(samples), 1)
    out = {
        "n": float(len(samples)),
        "validity": len(canon) / n,
        "uniqueness": len(unique) / len(canon) if canon else 0.0,
    }
    if training is not None:
        out["novelty"] = len(unique - training) / len(unique) if unique else 0.0
    return out


def _batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """One epoch of index batches: shuffled, then sorted by length inside windows of 64 batches."""
    order = rng.permutation(len(lengths))
    window = batch_size * 64
    batches = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    for j in rng.permutation(len(batches)):
        yield batches[j]


def train_prior(
    smiles: Sequence[str],
    model_config: PriorConfig | None = None,
    train_config: TrainConfig | None = None,
    *,
    device: str = "auto",
    vocab: SmilesVocab | None = None,
    checkpoint: Callable[[SmilesLM, dict[str, Any]], None] | None = None,
    init: SmilesLM | None = None,
) -> tuple[SmilesLM, dict[str, Any]]:
    """Train a prior on ``smiles`` (used as given: canonicalise first); returns the model and its history.

    ``checkpoint(model, history)`` is called every ``checkpoint_every_s`` seconds and at the end. The history
    is also stored in ``model.card["history"]``. ``init`` continues from a saved model's weights and vocabulary
    (a time-boxed CPU run finished later, or on a GPU) with a fresh optimiser and learning-rate schedule.
    """
    model_config = model_config or PriorConfig()
    cfg = train_config or TrainConfig()
    smiles = list(smiles)
    if len(smiles) < 2:
        raise InputError("training a prior needs at least two SMILES")
    if init is not None:
        vocab, model_config = init.vocab, init.config
    vocab = vocab or SmilesVocab.build(smiles)
    model = SmilesLM(vocab, model_config, device=device, seed=cfg.seed)
    if init is not None:
        model.net.load_state_dict(init.net.state_dict())
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    n_val = int(round(len(smiles) * cfg.val_fraction)) if len(smiles) >= 100 else 0
    perm = rng.permutation(len(smiles))
    val = [smiles[i] for i in perm[:n_val]]
    train = [smiles[i] for i in perm[n_val:]]
    encoded = [vocab.encode(s) for s in train]
    lengths = np.array([len(e) for e in encoded])
    steps_per_epoch = math.ceil(len(train) / cfg.batch_size)
    total = int(math.ceil(cfg.epochs * steps_per_epoch))
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
    opt = torch.optim.Adam(model.net.parameters(), lr=cfg.lr)
    decay = (cfg.lr_final / cfg.lr) ** (1.0 / max(total - 1, 1))  # geometric decay from lr to lr_final
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=decay)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=vocab.pad_id)
    history: dict[str, Any] = {
        "steps": [],
        "train_loss": [],
        "val_loss": [],
        "seconds": [],
        "total_steps": total,
    }
    start = last_ckpt = time.time()
    step, running, seen = 0, 0.0, 0

    def val_loss() -> float | None:
        if not val:
            return None
        ll = model.likelihood(val[:2000])
        ntok = sum(len(smiles_tokenize(s)) + 1 for s in val[:2000])
        return float(-ll.sum() / ntok)

    while step < total:
        for idx in _batches(lengths, cfg.batch_size, rng):
            if step >= total:
                break
            width = int(lengths[idx].max())
            batch = np.full((len(idx), width), vocab.pad_id, dtype=np.int64)
            for r, i in enumerate(idx):
                batch[r, : lengths[i]] = encoded[i]
            ids = torch.from_numpy(batch).to(model.device)
            model.net.train()
            logits, _ = model.net(ids[:, :-1])
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.net.parameters(), cfg.clip_grad)
            opt.step()
            sched.step()
            step += 1
            running += loss.item()
            seen += 1
            if step % cfg.log_every == 0 or step == total:
                v = val_loss() if (step % (cfg.log_every * 10) == 0 or step == total) else None
                history["steps"].append(step)
                history["train_loss"].append(running / seen)
                history["val_loss"].append(v)
                history["seconds"].append(time.time() - start)
                log.info(
                    "step %d/%d loss %.4f val %s lr %.2e %.0fs",
                    step,
                    total,
                    running / seen,
                    f"{v:.4f}" if v is not None else "-",
                    sched.get_last_lr()[0],
                    time.time() - start,
                )
                running, seen = 0.0, 0
            if checkpoint is not None and time.time() - last_ckpt >= cfg.checkpoint_every_s:
                history["step"] = step
                checkpoint(model, history)
                last_ckpt = time.time()
    history["step"] = step
    history["train_seconds"] = time.time() - start
    history["n_train"], history["n_val"] = len(train), len(val)
    model.net.eval()
    model.card["history"] = history
    if checkpoint is not None:
        checkpoint(model, history)
    return model, history

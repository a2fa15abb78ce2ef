"""Train the SMILES language-model prior of the design engine on ZINC250k and write it atomically.

Regenerates the weights shipped in ``src/drugloop/design/lm/weights/``:

    DRUGLOOP_MIRROR=/path/to/data python scripts/train_prior.py --out src/drugloop/design/lm/weights

The run is deterministic for a seed on a given device. A checkpoint (same format as the final weights, with
``"complete": false`` in the card) is written every ``--checkpoint-min`` minutes, so a stopped run leaves a
usable prior; ``--evaluate DIR`` (re)computes the card's sample metrics for a saved prior without training.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
import time
from pathlib import Path
from typing import Any

import torch

from drugloop.data.loaders import load_zinc250k
from drugloop.data.loaders._common import resolve_all
from drugloop.design.lm.model import WEIGHTS_DIR, PriorConfig, SmilesLM
from drugloop.design.lm.train import (
    TrainConfig,
    canonical_training_set,
    sample_metrics,
    smiles_sha256,
    train_prior,
)

log = logging.getLogger("train_prior")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def evaluate(model: SmilesLM, training: set[str], n: int, seed: int) -> dict[str, Any]:
    """Validity/uniqueness/novelty of ``n`` samples, plus how long sampling took."""
    start = time.time()
    samples = model.sample(n, seed=seed)
    seconds = time.time() - start
    metrics: dict[str, Any] = sample_metrics(samples, training)
    metrics.update({"sample_seconds": seconds, "sample_seed": seed, "device": str(model.device)})
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=WEIGHTS_DIR, help="folder for prior.safetensors + prior.json"
    )
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=float, default=1.2)
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many optimiser steps")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lr-final", type=float, default=1e-4)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--embedding", type=int, default=128)
    parser.add_argument("--max-len", type=int, default=100)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)"
    )
    parser.add_argument("--checkpoint-min", type=float, default=5.0)
    parser.add_argument("--eval-samples", type=int, default=10_000)
    parser.add_argument(
        "--limit", type=int, default=None, help="train on the first N molecules (smoke tests)"
    )
    parser.add_argument(
        "--init", type=Path, default=None, help="continue from this saved prior (its vocabulary and sizes)"
    )
    parser.add_argument(
        "--evaluate", type=Path, default=None, help="only compute sample metrics for this prior"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)

    source = resolve_all(["zinc250k/zinc250k.smi.gz"])[0]
    raw = load_zinc250k()["smiles"].tolist()
    if args.limit:
        raw = raw[: args.limit]
    start = time.time()
    data = canonical_training_set(raw, args.max_len)
    log.info("%d canonical SMILES from %d rows (%.0fs)", len(data), len(raw), time.time() - start)
    training = set(data)

    if args.evaluate is not None:
        model = SmilesLM.load(args.evaluate, device=args.device)
        model.card["metrics"] = evaluate(model, training, args.eval_samples, args.seed)
        model.save(args.evaluate)
        log.info("metrics: %s", model.card["metrics"])
        return 0

    model_config = PriorConfig(
        embedding_dim=args.embedding, hidden_size=args.hidden, num_layers=args.layers, max_len=args.max_len
    )
    train_config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        lr_final=args.lr_final,
        max_steps=args.max_steps,
        seed=args.seed,
        checkpoint_every_s=args.checkpoint_min * 60,
    )
    card_base: dict[str, Any] = {
        "name": "drugloop SMILES GRU prior",
        "training_data": {
            "dataset": "zinc250k",
            "file": "zinc250k/zinc250k.smi.gz",
            "file_sha256": _file_sha256(source),
            "canonical_smiles_sha256": smiles_sha256(data),
            "n_molecules": len(data),
            "preprocessing": "RDKit canonical isomeric SMILES, de-duplicated, <= max_len tokens",
        },
        "train_config": {k: v for k, v in vars(train_config).items() if k != "extra"},
        "seed": args.seed,
        "torch": torch.__version__,
    }

    def checkpoint(model: SmilesLM, history: dict[str, Any]) -> None:
        model.card = {**card_base, "history": history, "complete": False, "step": history.get("step")}
        model.save(args.out)
        log.info("checkpoint at step %s -> %s", history.get("step"), args.out)

    init = SmilesLM.load(args.init, device=args.device) if args.init is not None else None
    if init is not None:
        card_base["init"] = {
            "from": str(args.init),
            "weights_sha256": init.card.get("weights_sha256"),
            "step": init.card.get("step"),
            "train_config": init.card.get("train_config"),
        }
    model, history = train_prior(
        data, model_config, train_config, device=args.device, checkpoint=checkpoint, init=init
    )
    n_params = sum(p.numel() for p in model.net.parameters())
    model.card = {
        **card_base,
        "history": history,
        "complete": True,
        "step": history["step"],
        "n_parameters": n_params,
        "train_device": str(model.device),
    }
    model.card["metrics"] = evaluate(model, training, args.eval_samples, args.seed)
    model.save(args.out)
    log.info(
        "done: %d parameters, %.0fs, metrics %s", n_params, history["train_seconds"], model.card["metrics"]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Deep binding model: molecular-graph + ECFP compound encoder, residue CNN, compound→residue cross-attention.

Each unique compound and protein in a batch is encoded once; residue keys/values are gathered per pair. The
attention weights over residues are kept so the explanation engine can read which stretches the compound uses.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from drugloop.binding.base import BindingModel, register
from drugloop.errors import InputError, ModelError
from drugloop.nn.device import resolve_device, seed_everything
from drugloop.nn.encoders import MoleculeGNN, ResidueAttention, ResidueCNN

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "hidden": 128,
    "gnn_layers": 4,
    "heads": 4,
    "ecfp_bits": 2048,
    "max_len": 1200,
    "dropout": 0.1,
    "epochs": 100,
    "batch_size": 256,
    # Batches are packed from per-protein chunks of at most this many pairs, so a step encodes a few proteins
    # instead of ~one per pair (a DAVIS step: 0.28 s against 9.2 s on 2 CPU cores, the residue CNN being most of it).
    # None draws pairs uniformly at random.
    "protein_chunk": 64,
    # With few pairs per protein (Human: ~2.4) grouping cannot cut the proteins per batch, but padding can be cut:
    # pieces are sorted by protein length within windows of this many batches before packing, and the batches are
    # then shuffled. None keeps the packing order random (the DAVIS / KIBA benchmark runs).
    "length_window": None,
    "lr": 1e-3,
    "weight_decay": 1e-4,
    "patience": 25,
    "max_steps": None,  # stop after this many optimiser steps (tests, smoke runs)
}


# ---------------------------------------------------------------------------------------------------------------
# Featurisation: one packed store of unique compounds, one padded token matrix of unique proteins
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class CompoundStore:
    x: torch.Tensor
    atom_ptr: torch.Tensor
    edge_index: torch.Tensor
    edge_attr: torch.Tensor
    edge_ptr: torch.Tensor
    ecfp: torch.Tensor

    @classmethod
    def build(cls, smiles: list[str], n_bits: int) -> CompoundStore:
        from drugloop.chem.featurize import ecfp
        from drugloop.chem.graph import mol_to_graph
        from drugloop.chem.parse import parse_smiles

        parsed = parse_smiles(smiles, standardize=False)
        bad = [p for p in parsed if p.mol is None]
        if bad:
            raise InputError(
                f"cannot featurise {len(bad)} compounds (first: {bad[0].input!r}: {bad[0].error})"
            )
        mols = [p.mol for p in parsed]
        graphs = [mol_to_graph(m) for m in mols]
        n_atoms = [g["x"].shape[0] for g in graphs]
        n_edges = [g["edge_index"].shape[1] for g in graphs]
        return cls(
            x=torch.from_numpy(np.concatenate([g["x"] for g in graphs]).astype(np.float32)),
            atom_ptr=torch.from_numpy(np.concatenate([[0], np.cumsum(n_atoms)]).astype(np.int64)),
            edge_index=torch.from_numpy(
                np.concatenate([g["edge_index"] for g in graphs], axis=1).astype(np.int64)
            ),
            edge_attr=torch.from_numpy(np.concatenate([g["edge_attr"] for g in graphs]).astype(np.float32)),
            edge_ptr=torch.from_numpy(np.concatenate([[0], np.cumsum(n_edges)]).astype(np.int64)),
            ecfp=torch.from_numpy(
                np.log1p(ecfp(mols, radius=2, n_bits=n_bits, counts=True).astype(np.float32))
            ),
        )

    def to(self, device: torch.device) -> CompoundStore:
        return CompoundStore(*(getattr(self, f).to(device) for f in self.__dataclass_fields__))

    def gather(self, ids: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Batch the graphs of compounds ``ids`` into one disjoint graph."""
        n_atoms = self.atom_ptr[ids + 1] - self.atom_ptr[ids]
        n_edges = self.edge_ptr[ids + 1] - self.edge_ptr[ids]
        new_atom_start = torch.cumsum(n_atoms, 0) - n_atoms
        total_atoms = int(n_atoms.sum())
        atom_idx = torch.repeat_interleave(
            self.atom_ptr[ids] - new_atom_start, n_atoms, output_size=total_atoms
        )
        atom_idx = atom_idx + torch.arange(total_atoms, device=ids.device)
        new_edge_start = torch.cumsum(n_edges, 0) - n_edges
        total_edges = int(n_edges.sum())
        edge_idx = torch.repeat_interleave(
            self.edge_ptr[ids] - new_edge_start, n_edges, output_size=total_edges
        )
        edge_idx = edge_idx + torch.arange(total_edges, device=ids.device)
        shift = torch.repeat_interleave(new_atom_start, n_edges, output_size=total_edges)
        batch = torch.repeat_interleave(
            torch.arange(len(ids), device=ids.device), n_atoms, output_size=total_atoms
        )
        return self.x[atom_idx], self.edge_index[:, edge_idx] + shift, self.edge_attr[edge_idx], batch


def tokenize_proteins(sequences: list[str], max_len: int) -> torch.Tensor:
    from drugloop.bio.protein import tokenize

    long = sum(len(s) > max_len for s in sequences)
    if long:
        log.warning(
            "%d protein(s) longer than max_len=%d residues are truncated to their first %d residues",
            long,
            max_len,
            max_len,
        )
    width = min(max_len, max(len(s) for s in sequences))
    out = np.zeros((len(sequences), width), dtype=np.int64)
    for i, s in enumerate(sequences):
        tok = tokenize(s.strip().upper(), max_len=max_len)[:width]
        out[i, : len(tok)] = tok
    return torch.from_numpy(out)


def protein_batches(
    target_idx: torch.Tensor,
    batch_size: int,
    chunk: int | None,
    gen: torch.Generator,
    peek: bool = False,
    lengths: torch.Tensor | None = None,
    window: int | None = None,
) -> list[torch.Tensor]:
    """One epoch of pair indices, shuffled, in batches that each hold few proteins.

    Each protein's pairs are shuffled and cut into chunks of at most ``chunk``; the chunks are shuffled and packed
    in that order into batches of at most ``batch_size`` pairs (a chunk never straddles two batches). Every pair
    appears exactly once. ``peek`` counts the batches without drawing from ``gen``.

    With ``lengths`` (tokens per protein) and ``window``, the shuffled chunks are sorted by protein length within
    consecutive windows of about ``window`` batches before packing, and the batches are shuffled afterwards: each
    batch then pads to proteins of about one length, while every epoch still draws a fresh random order.
    """
    targets = target_idx.cpu()
    n = len(targets)
    if not chunk:
        if peek:
            return [torch.empty(0)] * math.ceil(n / batch_size)
        order = torch.randperm(n, generator=gen)
        return list(order.split(batch_size))
    chunk = min(int(chunk), batch_size)
    g = gen if not peek else torch.Generator().manual_seed(0)
    order = torch.randperm(n, generator=g)
    order = order[torch.argsort(targets[order], stable=True)]  # grouped by protein, shuffled within
    counts = torch.bincount(targets, minlength=int(targets.max()) + 1 if n else 0)
    pieces = [c for part in order.split(counts[counts > 0].tolist()) for c in part.split(chunk)]
    pieces = [pieces[k] for k in torch.randperm(len(pieces), generator=g).tolist()]
    bucketed = bool(window) and lengths is not None
    if bucketed:
        pieces = _sort_within_windows(pieces, targets, lengths.cpu(), int(window) * batch_size)
    batches, current, size = [], [], 0
    for piece in pieces:
        if size + len(piece) > batch_size and current:
            batches.append(torch.cat(current))
            current, size = [], 0
        current.append(piece)
        size += len(piece)
    if current:
        batches.append(torch.cat(current))
    if bucketed:
        batches = [batches[k] for k in torch.randperm(len(batches), generator=g).tolist()]
    return batches


def _sort_within_windows(
    pieces: list[torch.Tensor], targets: torch.Tensor, lengths: torch.Tensor, window_pairs: int
) -> list[torch.Tensor]:
    """Pieces in their given order, cut into runs of about ``window_pairs`` pairs, each run sorted by length."""
    out: list[torch.Tensor] = []
    run: list[torch.Tensor] = []
    size = 0
    for piece in pieces + [None]:  # type: ignore[list-item]
        if piece is None or (size >= window_pairs and run):
            out.extend(sorted(run, key=lambda c: int(lengths[targets[c[0]]])))
            run, size = [], 0
        if piece is not None:
            run.append(piece)
            size += len(piece)
    return out


# ---------------------------------------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------------------------------------
class BindingNet(nn.Module):
    def __init__(
        self,
        atom_dim: int,
        bond_dim: int,
        vocab: int,
        hidden: int,
        gnn_layers: int,
        heads: int,
        ecfp_bits: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.gnn = MoleculeGNN(atom_dim, bond_dim, hidden, gnn_layers)
        self.ecfp = nn.Sequential(
            nn.Linear(ecfp_bits, 2 * hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * hidden, hidden)
        )
        self.compound = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.LayerNorm(hidden))
        self.protein = ResidueCNN(vocab, hidden)
        self.attention = ResidueAttention(hidden, heads)
        self.head = nn.Sequential(
            nn.Linear(4 * hidden, 4 * hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(4 * hidden, 2 * hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(2 * hidden, 1),
        )

    def forward(
        self, compounds: CompoundStore, tokens: torch.Tensor, drug_idx: torch.Tensor, target_idx: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        d_u, d_inv = torch.unique(drug_idx, return_inverse=True)
        t_u, t_inv = torch.unique(target_idx, return_inverse=True)
        x, edge_index, edge_attr, batch = compounds.gather(d_u)
        _, graph_vec = self.gnn(x, edge_index, edge_attr, batch, len(d_u))
        comp_u = self.compound(torch.cat([graph_vec, self.ecfp(compounds.ecfp[d_u])], dim=1))
        comp = comp_u[d_inv]
        tok = tokens[t_u]
        width = int((tok > 0).sum(1).max())
        residues, mask = self.protein(tok[:, :width])
        k, v = self.attention.keys_values(residues)
        prot_max = residues.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(1)
        context, weights = self.attention(comp, k, v, mask, t_inv)
        fused = torch.cat([comp, context, prot_max[t_inv], comp * context], dim=1)
        return self.head(fused).squeeze(-1), weights, t_inv


# ---------------------------------------------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------------------------------------------
@register
class DeepBindingModel(BindingModel):
    """Cross-attention binding model; ``ensemble=N`` trains N seeds and reports their spread as uncertainty."""

    model_type = "deep"
    featurizer_version = "deep-graph-ecfp-cnn/1"

    def __init__(
        self, task: str = "regression", seed: int = 0, ensemble: int = 1, device: str = "auto", **params: Any
    ) -> None:
        super().__init__(task=task, seed=seed)
        unknown = set(params) - set(DEFAULTS)
        if unknown:
            raise InputError(
                f"unknown deep model parameter(s): {', '.join(sorted(unknown))}; valid: {', '.join(DEFAULTS)}"
            )
        if ensemble < 1:
            raise InputError("ensemble must be at least 1")
        chunk = params.get("protein_chunk")
        if chunk is not None and (not isinstance(chunk, int) or chunk < 1):
            raise InputError(f"protein_chunk must be a positive integer or None, not {chunk!r}")
        window = params.get("length_window")
        if window is not None and (not isinstance(window, int) or window < 1):
            raise InputError(f"length_window must be a positive integer or None, not {window!r}")
        self.params = {**DEFAULTS, **params}
        self.ensemble = ensemble
        self.device_name = device
        self.members: list[BindingNet] = []
        self.y_mean, self.y_std = 0.0, 1.0
        self.history: list[list[dict[str, float]]] = []

    # -- data -------------------------------------------------------------------------------------------------
    def _encode(
        self, pairs: pd.DataFrame, device: torch.device
    ) -> tuple[CompoundStore, torch.Tensor, torch.Tensor, torch.Tensor]:
        smiles = pairs["smiles"].astype(str).tolist()
        seqs = pairs["sequence"].astype(str).tolist()
        uniq_s, drug_idx = np.unique(smiles, return_inverse=True)
        uniq_p, target_idx = np.unique(seqs, return_inverse=True)
        compounds = CompoundStore.build(list(uniq_s), self.params["ecfp_bits"]).to(device)
        tokens = tokenize_proteins(list(uniq_p), self.params["max_len"]).to(device)
        return (
            compounds,
            tokens,
            torch.as_tensor(drug_idx, device=device),
            torch.as_tensor(target_idx, device=device),
        )

    def _new_net(self) -> BindingNet:
        from drugloop.bio.protein import VOCAB_SIZE
        from drugloop.chem.graph import ATOM_FEATURE_DIM, BOND_FEATURE_DIM

        p = self.params
        return BindingNet(
            ATOM_FEATURE_DIM,
            BOND_FEATURE_DIM,
            VOCAB_SIZE,
            p["hidden"],
            p["gnn_layers"],
            p["heads"],
            p["ecfp_bits"],
            p["dropout"],
        )

    # -- training ---------------------------------------------------------------------------------------------
    def _fit(self, train: pd.DataFrame, valid: pd.DataFrame | None) -> None:
        device = resolve_device(self.device_name)
        y = train["label"].to_numpy(dtype=np.float32)
        if self.task == "regression":
            self.y_mean, self.y_std = float(y.mean()), float(y.std() or 1.0)
        data = self._encode(train, device)
        y_t = torch.as_tensor(
            (y - self.y_mean) / self.y_std if self.task == "regression" else y, device=device
        )
        val = None
        if valid is not None and len(valid):
            val = (self._encode(valid, device), valid["label"].to_numpy(dtype=np.float64))
        self.members, self.history = [], []
        started = time.perf_counter()
        for member in range(self.ensemble):
            net, history = self._train_one(self.seed + member, data, y_t, val, device)
            self.members.append(net.cpu().eval())
            self.history.append(history)
        self.card.update(
            {
                "params": self.params,
                "ensemble": self.ensemble,
                "y_mean": self.y_mean,
                "y_std": self.y_std,
                "device": str(device),
                "train_seconds": round(time.perf_counter() - started, 2),
                "best_epochs": [
                    int(min(h, key=lambda r: r["val_loss"])["epoch"]) if h and "val_loss" in h[0] else len(h)
                    for h in self.history
                ],
            }
        )

    def _train_one(
        self, seed: int, data: tuple, y: torch.Tensor, val: tuple | None, device: torch.device
    ) -> tuple[BindingNet, list[dict[str, float]]]:
        from drugloop.evaluate.metrics import auroc, concordance_index, mse

        gen = seed_everything(seed)
        p = self.params
        net = self._new_net().to(device)
        compounds, tokens, drug_idx, target_idx = data
        n = len(y)
        # packing varies the batch count by a few per epoch; the schedule follows a typical epoch and holds its
        # final rate for any extra steps
        lengths = (tokens > 0).sum(1)
        batching = {"lengths": lengths, "window": p["length_window"]}
        steps_per_epoch = len(
            protein_batches(target_idx, p["batch_size"], p["protein_chunk"], gen, peek=True, **batching)
        )
        total_steps = p["epochs"] * steps_per_epoch
        max_steps = int(p["max_steps"]) if p["max_steps"] else None
        if max_steps:
            total_steps = min(total_steps, max_steps)
        opt = torch.optim.AdamW(net.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=p["lr"], total_steps=max(total_steps, 2), pct_start=0.05
        )
        loss_fn = nn.MSELoss() if self.task == "regression" else nn.BCEWithLogitsLoss()
        amp = device.type == "cuda"
        best_state, best_loss, bad_epochs, step = None, math.inf, 0, 0
        history: list[dict[str, float]] = []
        for epoch in range(1, p["epochs"] + 1):
            net.train()
            running = 0.0
            for idx in protein_batches(target_idx, p["batch_size"], p["protein_chunk"], gen, **batching):
                idx = idx.to(device)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                    out, _, _ = net(compounds, tokens, drug_idx[idx], target_idx[idx])
                loss = loss_fn(out.float(), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                opt.step()
                if step < total_steps - 1:
                    sched.step()
                running += float(loss.detach()) * len(idx)
                step += 1
                if max_steps and step >= max_steps:
                    break
            record = {"epoch": epoch, "train_loss": running / n}
            if val is not None:
                pred = self._run(net, *val[0], device)
                truth = val[1]
                if self.task == "regression":
                    record["val_loss"] = mse(truth, pred)
                    record["val_ci"] = concordance_index(truth, pred)
                else:
                    prob = np.clip(pred, 1e-7, 1 - 1e-7)
                    record["val_loss"] = float(
                        -np.mean(truth * np.log(prob) + (1 - truth) * np.log(1 - prob))
                    )
                    record["val_auroc"] = auroc(truth, pred) if len(np.unique(truth)) == 2 else float("nan")
                if record["val_loss"] < best_loss - 1e-6:
                    best_loss, bad_epochs = record["val_loss"], 0
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    bad_epochs += 1
            history.append(record)
            log.info(
                "seed %d epoch %d %s",
                seed,
                epoch,
                " ".join(f"{k}={v:.4f}" for k, v in record.items() if k != "epoch"),
            )
            if (max_steps and step >= max_steps) or (val is not None and bad_epochs >= p["patience"]):
                break
        if best_state is not None:
            net.load_state_dict(best_state)
        return net, history

    # -- prediction -------------------------------------------------------------------------------------------
    @torch.no_grad()
    def _run(
        self,
        net: BindingNet,
        compounds: CompoundStore,
        tokens: torch.Tensor,
        drug_idx: torch.Tensor,
        target_idx: torch.Tensor,
        device: torch.device,
        batch_size: int = 1024,
    ) -> np.ndarray:
        """Predictions in input order.

        Pairs are visited sorted by protein length, then protein, so each protein is encoded ~once and a batch is
        padded only to the longest of proteins of about its own length.
        """
        net.eval()
        lengths = (tokens > 0).sum(1)
        order = torch.argsort(lengths[target_idx] * len(tokens) + target_idx, stable=True)
        out = torch.empty(len(order), device=device)
        amp = device.type == "cuda"
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                pred, _, _ = net(compounds, tokens, drug_idx[idx], target_idx[idx])
            out[idx] = pred.float()
        values = out.cpu().numpy().astype(np.float64)
        if self.task == "regression":
            return values * self.y_std + self.y_mean
        return 1.0 / (1.0 + np.exp(-values))

    def _predict(self, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        if not self.members:
            raise ModelError("the model is not trained")
        device = resolve_device(
            self.device_name if self.device_name != "cuda" or torch.cuda.is_available() else "auto"
        )
        data = self._encode(pairs, device)
        preds = []
        for net in self.members:
            net.to(device)
            preds.append(self._run(net, *data, device))
            net.cpu()
        stacked = np.stack(preds)
        spread = stacked.std(axis=0, ddof=1) if len(preds) > 1 else None
        return stacked.mean(axis=0), spread

    @torch.no_grad()
    def residue_attention(self, pairs: pd.DataFrame) -> list[np.ndarray]:
        """Per pair, the ensemble-mean attention over the protein's residues (zeros past ``max_len``)."""
        if not self.members:
            raise ModelError("the model is not trained")
        checked = self._usable(pairs, "explanation")
        device = resolve_device(self.device_name if torch.cuda.is_available() else "cpu")
        compounds, tokens, drug_idx, target_idx = self._encode(checked, device)
        total: torch.Tensor | None = None
        for net in self.members:
            net.to(device).eval()
            _, weights, _ = net(compounds, tokens, drug_idx, target_idx)
            total = weights.float() if total is None else total + weights.float()
            net.cpu()
        assert total is not None
        mean = (total / len(self.members)).cpu().numpy()
        return [
            np.pad(mean[i, : min(len(s), mean.shape[1])], (0, max(0, len(s) - mean.shape[1])))
            for i, s in enumerate(checked["sequence"].astype(str))
        ]

    # -- persistence ------------------------------------------------------------------------------------------
    def _save_weights(self, folder: Path) -> None:
        tensors = {
            f"m{i}.{k}": v.detach().cpu().contiguous()
            for i, net in enumerate(self.members)
            for k, v in net.state_dict().items()
        }
        tmp = folder / ".weights.safetensors.part"
        save_file(tensors, str(tmp))
        tmp.replace(folder / "weights.safetensors")
        self.card.setdefault("params", self.params)
        self.card.update(
            {
                "ensemble": len(self.members),
                "y_mean": self.y_mean,
                "y_std": self.y_std,
                "history": self.history,
            }
        )

    def _load_weights(self, folder: Path) -> None:
        card = self.card
        self.params = {**DEFAULTS, **card.get("params", {})}
        self.ensemble = int(card.get("ensemble", 1))
        self.device_name = "cpu"
        self.y_mean, self.y_std = float(card.get("y_mean", 0.0)), float(card.get("y_std", 1.0))
        self.history = card.get("history", [])
        path = folder / "weights.safetensors"
        if not path.is_file():
            raise ModelError(f"{folder}: weights.safetensors is missing")
        tensors = load_file(str(path))
        self.members = []
        for i in range(self.ensemble):
            prefix = f"m{i}."
            net = self._new_net()
            state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            try:
                net.load_state_dict(state)
            except RuntimeError as exc:
                raise ModelError(f"{folder}: weights do not fit this model version ({exc})") from None
            self.members.append(net.eval())

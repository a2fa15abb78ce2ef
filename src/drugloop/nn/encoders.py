"""Sequence and graph encoders built from plain torch ops (no torch_geometric needed on a user's machine)."""

from __future__ import annotations

import torch
from torch import nn


def segment_max(x: torch.Tensor, index: torch.Tensor, n: int) -> torch.Tensor:
    out = torch.full((n, x.shape[1]), float("-inf"), dtype=x.dtype, device=x.device)
    out = out.scatter_reduce(0, index.unsqueeze(1).expand_as(x), x, reduce="amax", include_self=True)
    return torch.nan_to_num(out, neginf=0.0)


def segment_sum(x: torch.Tensor, index: torch.Tensor, n: int) -> torch.Tensor:
    return torch.zeros((n, x.shape[1]), dtype=x.dtype, device=x.device).index_add_(0, index, x)


class GINEConv(nn.Module):
    """GIN with edge features (Hu et al. 2020): sum of relu(h_j + W e_ij) over neighbours, then an MLP."""

    def __init__(self, hidden: int, bond_dim: int) -> None:
        super().__init__()
        self.edge = nn.Linear(bond_dim, hidden)
        self.mlp = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.GELU(), nn.Linear(2 * hidden, hidden))
        self.eps = nn.Parameter(torch.zeros(1))
        self.norm = nn.LayerNorm(hidden)

    def forward(self, h: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        src, dst = edge_index
        msg = torch.relu(h[src] + self.edge(edge_attr))
        agg = torch.zeros_like(h).index_add_(0, dst, msg.to(h.dtype))
        return self.norm(h + self.mlp((1 + self.eps) * h + agg))


class MoleculeGNN(nn.Module):
    """Atom-level states and a per-molecule vector (sum and max pooling)."""

    def __init__(self, atom_dim: int, bond_dim: int, hidden: int = 128, layers: int = 4) -> None:
        super().__init__()
        self.inp = nn.Linear(atom_dim, hidden)
        self.convs = nn.ModuleList(GINEConv(hidden, bond_dim) for _ in range(layers))
        self.out = nn.Linear(2 * hidden, hidden)

    def forward(
        self,
        x: torch.Tensor,
        edge_index: torch.Tensor,
        edge_attr: torch.Tensor,
        batch: torch.Tensor,
        n_graphs: int,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.inp(x)
        for conv in self.convs:
            h = conv(h, edge_index, edge_attr)
        pooled = torch.cat([segment_sum(h, batch, n_graphs), segment_max(h, batch, n_graphs)], dim=1)
        return h, self.out(pooled)


class ResidueCNN(nn.Module):
    """Residue-level protein states from stacked dilated 1-D convolutions (local motifs, wide receptive field)."""

    def __init__(
        self, vocab: int, hidden: int = 128, kernel: int = 9, dilations: tuple[int, ...] = (1, 2, 4)
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden, padding_idx=0)
        self.convs = nn.ModuleList(
            nn.Conv1d(hidden, hidden, kernel, padding=d * (kernel - 1) // 2, dilation=d) for d in dilations
        )
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in dilations)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mask = tokens > 0
        h = self.embed(tokens)
        for conv, norm in zip(self.convs, self.norms, strict=True):
            z = conv(h.transpose(1, 2)).transpose(1, 2)
            h = norm(h + torch.nn.functional.gelu(z)) * mask.unsqueeze(-1)
        return h, mask


class ResidueAttention(nn.Module):
    """Multi-head attention of one compound query over a protein's residues.

    Keys and values are computed once per unique protein and gathered per pair, so a batch with many pairs of the
    same protein pays for its residues once. The head-averaged weights are the per-residue binding evidence the
    explanation layer reads.
    """

    def __init__(self, hidden: int, heads: int = 4) -> None:
        super().__init__()
        if hidden % heads:
            raise ValueError("hidden must be divisible by heads")
        self.heads, self.dh = heads, hidden // heads
        self.q = nn.Linear(hidden, hidden)
        self.kv = nn.Linear(hidden, 2 * hidden)
        self.out = nn.Linear(hidden, hidden)

    def keys_values(self, residues: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k, v = self.kv(residues).chunk(2, dim=-1)
        shape = (*residues.shape[:2], self.heads, self.dh)
        return k.reshape(shape), v.reshape(shape)

    def forward(
        self, query: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor, index: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        q = self.q(query).reshape(query.shape[0], self.heads, self.dh)
        context, weights = self._grouped(q, k, v, mask, index)
        return self.out(context.reshape(query.shape[0], -1)), weights

    def _gathered(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor, index: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Each pair gathers its protein's keys: simple, but memory-bound (B x L x H x d copies)."""
        scores = torch.einsum("bhd,blhd->bhl", q, k[index]) / self.dh**0.5
        scores = scores.masked_fill(~mask[index].unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores.float(), dim=-1).to(v.dtype)
        context = torch.einsum("bhl,blhd->bhd", weights, v[index])
        return context, weights.mean(dim=1)

    def _grouped(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor, index: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Queries of one protein packed into blocks, so attention is a batched matmul per block.

        Same numbers as :meth:`_gathered`, but keys are copied once per block of up to ``chunk`` queries
        instead of once per pair; ``chunk`` follows the mean number of pairs per protein, which bounds the
        padding to about one block per protein.
        """
        n_prot, n = k.shape[0], len(index)
        counts = torch.bincount(index, minlength=n_prot)
        chunk = max(1, min(64, -(-n // max(1, int((counts > 0).sum())))))
        blocks = (counts + chunk - 1) // chunk
        first_block = torch.cumsum(blocks, 0) - blocks
        order = torch.argsort(index, stable=True)
        starts = torch.cumsum(counts, 0) - counts
        slot = torch.empty_like(index)
        slot[order] = torch.arange(n, device=index.device) - starts[index[order]]
        row, col = first_block[index] + slot // chunk, slot % chunk
        owner = torch.repeat_interleave(torch.arange(n_prot, device=index.device), blocks)
        packed = q.new_zeros((len(owner), chunk, self.heads, self.dh))
        packed[row, col] = q
        scores = torch.einsum("rchd,rlhd->rhcl", packed, k[owner]) / self.dh**0.5
        scores = scores.masked_fill(~mask[owner][:, None, None, :], float("-inf"))
        weights = torch.softmax(scores.float(), dim=-1).to(v.dtype)
        context = torch.einsum("rhcl,rlhd->rchd", weights, v[owner])
        return context[row, col], weights.mean(dim=1)[row, col]

"""Protein-grouped batches: every pair once per epoch, few proteins per batch, reproducible under a seed."""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from drugloop.binding.deep import protein_batches

targets_strategy = st.lists(st.integers(0, 12), min_size=1, max_size=300)


@settings(max_examples=40, deadline=None)
@given(
    targets=targets_strategy, batch_size=st.integers(1, 64), chunk=st.one_of(st.none(), st.integers(1, 80))
)
def test_every_pair_once_and_batches_bounded(targets, batch_size, chunk):
    target_idx = torch.tensor(targets)
    batches = protein_batches(target_idx, batch_size, chunk, torch.Generator().manual_seed(0))
    flat = torch.cat(batches).tolist()
    assert sorted(flat) == list(range(len(targets)))
    assert all(0 < len(b) <= batch_size for b in batches)


@settings(max_examples=30, deadline=None)
@given(targets=targets_strategy, batch_size=st.integers(2, 64), chunk=st.integers(1, 80))
def test_chunks_never_straddle_batches(targets, batch_size, chunk):
    """A protein with no more pairs than a chunk has all of them in one batch; a larger one in few batches."""
    target_idx = torch.tensor(targets)
    batches = protein_batches(target_idx, batch_size, chunk, torch.Generator().manual_seed(1))
    eff = min(chunk, batch_size)
    batch_of = torch.empty(len(targets), dtype=torch.long)
    for k, b in enumerate(batches):
        batch_of[b] = k
    counts = torch.bincount(target_idx)
    for protein, count in enumerate(counts.tolist()):
        if count:
            n_batches = len(torch.unique(batch_of[target_idx == protein]))
            assert n_batches <= math.ceil(count / eff)
    pieces = int(sum(math.ceil(int(c) / eff) for c in counts if c > 0))
    assert math.ceil(len(targets) / batch_size) <= len(batches) <= pieces


def test_grouping_cuts_the_proteins_per_batch():
    """DAVIS-like: 400 proteins x 45 pairs. Random batches of 256 touch ~190 proteins; grouped ones ~6."""
    target_idx = torch.arange(400).repeat_interleave(45)
    gen = torch.Generator().manual_seed(0)
    grouped = protein_batches(target_idx, 256, 64, gen)
    uniform = protein_batches(target_idx, 256, None, gen)
    per_grouped = max(len(torch.unique(target_idx[b])) for b in grouped)
    per_uniform = min(len(torch.unique(target_idx[b])) for b in uniform[:-1])
    assert per_grouped <= 256 // 45 + 1
    assert per_uniform > 150
    # one protein with more pairs than a batch is spread over several batches of whole chunks
    many = torch.zeros(500, dtype=torch.long)
    sizes = [len(b) for b in protein_batches(many, 256, 64, gen)]
    assert sum(sizes) == 500 and max(sizes) <= 256 and len(sizes) >= 2
    assert all(size % 64 in (0, 500 % 64) for size in sizes)


def test_same_seed_same_batches_and_epochs_differ():
    target_idx = torch.randint(0, 30, (1000,), generator=torch.Generator().manual_seed(3))
    a = protein_batches(target_idx, 100, 16, torch.Generator().manual_seed(7))
    b = protein_batches(target_idx, 100, 16, torch.Generator().manual_seed(7))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    gen = torch.Generator().manual_seed(7)
    first, second = protein_batches(target_idx, 100, 16, gen), protein_batches(target_idx, 100, 16, gen)
    assert not all(torch.equal(x, y) for x, y in zip(first, second, strict=False))


def test_peek_does_not_draw():
    target_idx = torch.randint(0, 30, (1000,), generator=torch.Generator().manual_seed(3))
    gen = torch.Generator().manual_seed(5)
    state = gen.get_state()
    n = len(protein_batches(target_idx, 100, 16, gen, peek=True))
    assert torch.equal(gen.get_state(), state)
    assert n >= 10


@settings(max_examples=40, deadline=None)
@given(
    targets=targets_strategy,
    batch_size=st.integers(1, 64),
    chunk=st.integers(1, 80),
    window=st.integers(1, 6),
    seed=st.integers(0, 3),
)
def test_length_windows_keep_every_pair_once(targets, batch_size, chunk, window, seed):
    target_idx = torch.tensor(targets)
    lengths = torch.randint(1, 1000, (13,), generator=torch.Generator().manual_seed(seed))
    gen = torch.Generator().manual_seed(seed)
    batches = protein_batches(target_idx, batch_size, chunk, gen, lengths=lengths, window=window)
    assert sorted(torch.cat(batches).tolist()) == list(range(len(targets)))
    assert all(0 < len(b) <= batch_size for b in batches)
    peeked = protein_batches(target_idx, batch_size, chunk, gen, peek=True, lengths=lengths, window=window)
    assert abs(len(peeked) - len(batches)) <= max(2, len(batches) // 2)


def test_length_windows_cut_the_padding():
    """Human-like: ~2.4 pairs per protein of very different lengths. Windows shrink the padded width per batch."""
    gen = torch.Generator().manual_seed(0)
    target_idx = torch.randint(0, 1700, (4200,), generator=gen)
    lengths = torch.randint(50, 1200, (1700,), generator=gen)

    def padded_cost(batches):
        return sum(int(lengths[target_idx[b].unique()].max()) * len(target_idx[b].unique()) for b in batches)

    plain = protein_batches(target_idx, 256, 64, torch.Generator().manual_seed(1))
    windowed = protein_batches(
        target_idx, 256, 64, torch.Generator().manual_seed(1), lengths=lengths, window=8
    )
    assert padded_cost(windowed) < 0.7 * padded_cost(plain)
    # the batch order is still shuffled: the first batches are not the shortest proteins
    widths = [int(lengths[target_idx[b]].max()) for b in windowed]
    assert widths != sorted(widths)
    again = protein_batches(target_idx, 256, 64, torch.Generator().manual_seed(1), lengths=lengths, window=8)
    assert all(torch.equal(x, y) for x, y in zip(windowed, again, strict=True))

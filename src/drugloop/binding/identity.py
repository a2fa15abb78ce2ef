"""Sequence identity between protein sets, for leak-free train/test splits (Biopython's pairwise aligner).

Identity of a pair = identical aligned residues of the best local alignment (BLOSUM62, gap open -10, extend -0.5)
divided by the length of the shorter sequence, so a fragment or domain of a longer protein counts as its twin.

Aligning every train protein against every test protein costs hours, so candidate pairs are chosen first by a
k-mer diagonal prefilter (the FASTA/BLAST idea): shared 3-mers are counted per alignment diagonal band, and only
pairs whose best band holds enough hits, plus each query's ``top_k`` best-scoring references, are aligned. Pairs that
fail the prefilter are reported with identity 0 (they share almost no 3-mers on any diagonal, far below 40%).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from drugloop.errors import InputError

__all__ = ["filter_by_identity", "local_alignment", "max_identity", "pairwise_identity"]

log = logging.getLogger(__name__)

_K = 3
_BAND = 24
_LETTERS = "ACDEFGHIKLMNPQRSTVWY"
_CODE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(_LETTERS):
    _CODE[ord(_c)] = _i


@lru_cache(maxsize=1)
def _aligner():  # noqa: ANN202  (Bio type)
    from Bio import Align
    from Bio.Align import substitution_matrices

    return Align.PairwiseAligner(
        mode="local",
        substitution_matrix=substitution_matrices.load("BLOSUM62"),
        open_gap_score=-10.0,
        extend_gap_score=-0.5,
    )


def _clean(seq: str) -> str:
    text = "".join(str(seq).split()).upper()
    # the BLOSUM62 table knows B, Z, X and '*', not U/O/J: map anything else to X
    return "".join(c if c in _LETTERS or c in "BZX" else "X" for c in text)


def local_alignment(a: str, b: str):  # noqa: ANN201  (Bio.Align.Alignment)
    """The best local alignment of ``a`` and ``b`` (the scoring the identity uses); None when nothing aligns."""
    alignments = _aligner().align(_clean(a), _clean(b))
    try:
        return alignments[0]
    except IndexError:
        return None


def pairwise_identity(a: str, b: str) -> float:
    """Identical aligned residues / length of the shorter sequence (0..1), from the best local alignment."""
    a, b = _clean(a), _clean(b)
    if not a or not b:
        raise InputError("pairwise_identity needs two non-empty sequences")
    if a == b:
        return 1.0
    best = local_alignment(a, b)
    if best is None:  # no positive-scoring local alignment
        return 0.0
    return float(best.counts().identities) / min(len(a), len(b))


def _kmer_codes(seq: str) -> np.ndarray:
    codes = _CODE[np.frombuffer(_clean(seq).encode(), dtype=np.uint8)]
    if len(codes) < _K:
        return np.empty(0, dtype=np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(codes, _K)
    kmers = windows[:, 0] * 400 + windows[:, 1] * 20 + windows[:, 2]
    return np.where((windows < 0).any(axis=1), -1, kmers)


class _KmerIndex:
    """k-mer -> (reference index, position) postings, as sorted flat arrays."""

    def __init__(self, references: Sequence[str]) -> None:
        kmers, owners, positions = [], [], []
        for j, seq in enumerate(references):
            codes = _kmer_codes(seq)
            ok = codes >= 0
            kmers.append(codes[ok])
            owners.append(np.full(int(ok.sum()), j, dtype=np.int64))
            positions.append(np.nonzero(ok)[0])
        kmer = np.concatenate(kmers) if kmers else np.empty(0, dtype=np.int64)
        order = np.argsort(kmer, kind="stable")
        self.kmer = kmer[order]
        self.owner = np.concatenate(owners)[order] if owners else np.empty(0, dtype=np.int64)
        self.pos = np.concatenate(positions)[order] if positions else np.empty(0, dtype=np.int64)
        self.n = len(references)
        self.lengths = np.array([len(s) for s in references], dtype=np.int64)
        self.max_len = max((len(s) for s in references), default=0)

    def band_scores(self, query: str) -> np.ndarray:
        """Per reference: the most shared k-mers found in one diagonal band of width ``_BAND``."""
        codes = _kmer_codes(query)
        qpos = np.nonzero(codes >= 0)[0]
        codes = codes[qpos]
        lo = np.searchsorted(self.kmer, codes, side="left")
        hi = np.searchsorted(self.kmer, codes, side="right")
        counts = hi - lo
        if counts.sum() == 0:
            return np.zeros(self.n, dtype=np.int64)
        hit_q = np.repeat(qpos, counts)
        starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
        flat = starts + np.arange(int(counts.sum()))
        owner, rpos = self.owner[flat], self.pos[flat]
        diag = hit_q - rpos + self.max_len  # >= 0
        scores = np.zeros(self.n, dtype=np.int64)
        width = (self.max_len + len(query)) // _BAND + 2
        for shift in (0, _BAND // 2):  # two band phases so a diagonal near a band edge is not split
            key = owner * width + (diag + shift) // _BAND
            uniq, cnt = np.unique(key, return_counts=True)
            np.maximum.at(scores, uniq // width, cnt)
        return scores


def max_identity(
    queries: Sequence[str],
    references: Sequence[str],
    *,
    top_k: int = 8,
    min_hits: int = 6,
    floor: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """For each query, the highest identity to any reference and that reference's index (-1 when none aligned).

    Only prefiltered pairs are aligned: each query's ``top_k`` references by k-mer band score, plus every
    reference with at least ``min_hits`` shared 3-mers in one diagonal band. Exact duplicates are found by hashing.
    With ``floor`` (e.g. 0.9, when only "identity >= floor?" matters), only references whose best band holds at
    least half the 3-mers a ``floor``-identical pair keeps on average (``floor**3`` of the shorter length) are
    aligned, and identities below ``floor`` may be reported as 0.
    """
    best = np.zeros(len(queries), dtype=np.float64)
    which = np.full(len(queries), -1, dtype=np.int64)
    if not len(queries) or not len(references):
        return best, which
    exact: dict[str, int] = {}
    for j, s in enumerate(references):
        exact.setdefault(_clean(s), j)
    index = _KmerIndex(references)
    n_aligned = 0
    for i, q in enumerate(queries):
        cq = _clean(q)
        if cq in exact:
            best[i], which[i] = 1.0, exact[cq]
            continue
        scores = index.band_scores(cq)
        if floor is not None:
            shorter = np.minimum(index.lengths, len(cq)) - _K + 1
            need = np.maximum(3, 0.5 * floor**3 * shorter)
            candidates = set(np.nonzero(scores >= need)[0].tolist())
        else:
            order = np.argsort(-scores, kind="stable")
            candidates = set(order[:top_k][scores[order[:top_k]] > 0].tolist())
            candidates |= set(np.nonzero(scores >= min_hits)[0].tolist())
        for j in sorted(candidates):
            n_aligned += 1
            ident = pairwise_identity(cq, references[j])
            if ident > best[i]:
                best[i], which[i] = ident, j
    log.debug(
        "identity: %d queries x %d references, %d pairs aligned", len(queries), len(references), n_aligned
    )
    return best, which


def filter_by_identity(
    train: Sequence[str], test: Sequence[str], threshold: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """Mask of ``train`` sequences to keep (identity < ``threshold`` to every ``test`` sequence) and their max identity.

    A train protein identical to a test protein, or sharing >= ``threshold`` identity with one, is removed.
    """
    if not 0 < threshold <= 1:
        raise InputError(f"identity threshold must be in (0, 1], not {threshold}")
    ident, _ = max_identity(train, test, floor=threshold)
    return ident < threshold, ident

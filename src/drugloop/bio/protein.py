"""Protein sequences: validation with readable reasons, integer tokens, and k-mer composition features.

drugloop's protein alphabet is the 20 standard amino acids plus ``X`` (unknown). The IUPAC ambiguity and rare
letters ``B`` (D/N), ``Z`` (E/Q), ``J`` (I/L), ``U`` (selenocysteine) and ``O`` (pyrrolysine) are reported by
``validate_sequence`` and mapped to ``X`` by ``clean_sequence`` when the caller asks, so nothing is changed
silently.

Token ids: 0 = padding, 1..20 = ``AMINO_ACIDS`` in order, 21 = ``X``/unknown; ``VOCAB_SIZE`` = 22.

K-mer composition (``kmer_composition``): k = 1 is the amino-acid composition (20 features), k = 2 the
dipeptide composition (400). For k >= 3 the 20 letters are first reduced to the 7 physicochemical classes of
the conjoint triad (Shen et al. 2007, PNAS 104:4337) — {AGV}, {ILFP}, {YMTS}, {HNQW}, {RK}, {DE}, {C} — so k = 3
gives 7³ = 343 features instead of 8,000 sparse ones. Each k block counts the overlapping k-mers that contain no
X/nonstandard letter and is normalised to sum to 1 (all zeros when the sequence has no such k-mer).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any, Literal

import numpy as np

from drugloop.errors import InputError

__all__ = [
    "ALPHABET",
    "AMINO_ACIDS",
    "CONJOINT_TRIAD_GROUPS",
    "NONSTANDARD",
    "PAD_ID",
    "UNKNOWN_ID",
    "VOCAB_SIZE",
    "ParsedSequence",
    "clean_sequence",
    "detokenize",
    "kmer_composition",
    "kmer_cosine_similarity",
    "kmer_feature_names",
    "tokenize",
    "tokenize_batch",
    "validate_sequence",
    "validate_sequences",
]

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
ALPHABET = AMINO_ACIDS + "X"
NONSTANDARD = "BZUOJ"
PAD_ID = 0
UNKNOWN_ID = len(AMINO_ACIDS) + 1  # 21
VOCAB_SIZE = UNKNOWN_ID + 1  # 22

CONJOINT_TRIAD_GROUPS: tuple[str, ...] = ("AGV", "ILFP", "YMTS", "HNQW", "RK", "DE", "C")

_MAX_POSITIONS_SHOWN = 10

# byte -> token id; every byte that is not one of the 20 letters (either case) is "unknown"
_TOKEN_TABLE = np.full(256, UNKNOWN_ID, dtype=np.int64)
for _i, _aa in enumerate(AMINO_ACIDS, start=1):
    _TOKEN_TABLE[ord(_aa)] = _i
    _TOKEN_TABLE[ord(_aa.lower())] = _i

# byte -> index in AMINO_ACIDS (0..19), -1 for anything else (X, nonstandard, junk)
_AA_INDEX = np.full(256, -1, dtype=np.int64)
for _i, _aa in enumerate(AMINO_ACIDS):
    _AA_INDEX[ord(_aa)] = _i
    _AA_INDEX[ord(_aa.lower())] = _i

# index in AMINO_ACIDS -> conjoint-triad class (0..6)
_REDUCED = np.empty(len(AMINO_ACIDS), dtype=np.int64)
for _g, _members in enumerate(CONJOINT_TRIAD_GROUPS):
    for _aa in _members:
        _REDUCED[AMINO_ACIDS.index(_aa)] = _g


@dataclass(frozen=True)
class ParsedSequence:
    """One input row: the cleaned sequence, or None and the reason it is not usable."""

    index: int
    input: Any
    sequence: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def _normalise(seq: str) -> str:
    return "".join(seq.split()).upper()


def _positions(text: str, letters: Sequence[str]) -> str:
    """``B at 3, U at 10`` with 1-based residue numbers, shortened for long lists."""
    hits = [f"{ch} at {i}" for i, ch in enumerate(text, start=1) if ch in letters]
    shown = ", ".join(hits[:_MAX_POSITIONS_SHOWN])
    if len(hits) > _MAX_POSITIONS_SHOWN:
        shown += f" (+{len(hits) - _MAX_POSITIONS_SHOWN} more)"
    return shown


def _is_missing(value: Any) -> bool:
    return (
        value is None or (isinstance(value, float) and math.isnan(value)) or type(value).__name__ == "NAType"
    )


def validate_sequence(seq: Any) -> str | None:
    """None when ``seq`` is a usable sequence, else a human reason (positions are 1-based residue numbers).

    Case and whitespace (including line breaks from pasted FASTA) are ignored. Nonstandard letters
    (B, Z, U, O, J) and any other character outside the 20 amino acids + X are reported by letter and position.
    """
    if _is_missing(seq):
        return "empty sequence"
    if not isinstance(seq, str):
        return f"not a sequence string: {type(seq).__name__}"
    text = _normalise(seq)
    if not text:
        return "empty sequence"
    bad = sorted({ch for ch in text if ch not in ALPHABET})
    if not bad:
        return None
    nonstandard = [ch for ch in bad if ch in NONSTANDARD]
    invalid = [ch for ch in bad if ch not in NONSTANDARD]
    reasons = []
    if nonstandard:
        reasons.append(
            f"nonstandard residue(s) {''.join(nonstandard)}: {_positions(text, nonstandard)} "
            "(clean_sequence maps them to X)"
        )
    if invalid:
        reasons.append(
            f"invalid character(s) {' '.join(repr(c) for c in invalid)}: {_positions(text, invalid)}"
        )
    return "; ".join(reasons)


def clean_sequence(seq: str, nonstandard: Literal["X", "keep", "error"] = "X") -> str:
    """Uppercase, whitespace-free sequence; B/Z/U/O/J become X (``"X"``), stay (``"keep"``) or raise (``"error"``).

    Raises InputError for an empty sequence or a character that is not a letter of the alphabet.
    """
    if nonstandard not in ("X", "keep", "error"):
        raise InputError(f"nonstandard must be 'X', 'keep' or 'error', not {nonstandard!r}")
    reason = validate_sequence(seq)
    if reason is None:
        return _normalise(seq)
    text = _normalise(seq) if isinstance(seq, str) else ""
    invalid = sorted({ch for ch in text if ch not in ALPHABET and ch not in NONSTANDARD})
    if not text or invalid or nonstandard == "error":
        raise InputError(f"invalid protein sequence: {reason}")
    if nonstandard == "keep":
        return text
    return text.translate(str.maketrans(NONSTANDARD, "X" * len(NONSTANDARD)))


def validate_sequences(
    seqs: Iterable[Any], nonstandard: Literal["X", "error"] = "error"
) -> list[ParsedSequence]:
    """Validate and clean every sequence; one result per input, same order, never raising for bad input.

    With ``nonstandard="X"`` the letters B/Z/U/O/J are mapped to X instead of making the row invalid.
    """
    if nonstandard not in ("X", "error"):
        raise InputError(f"nonstandard must be 'X' or 'error', not {nonstandard!r}")
    out: list[ParsedSequence] = []
    for i, value in enumerate(seqs):
        try:
            cleaned = clean_sequence(value, nonstandard=nonstandard)
        except InputError:
            out.append(ParsedSequence(index=i, input=value, sequence=None, error=validate_sequence(value)))
        else:
            out.append(ParsedSequence(index=i, input=value, sequence=cleaned, error=None))
    return out


def _codes(seq: str, table: np.ndarray) -> np.ndarray:
    raw = np.frombuffer(_normalise(seq).encode("ascii", errors="replace"), dtype=np.uint8)
    return table[raw]


def tokenize(seq: str, max_len: int | None = None) -> np.ndarray:
    """Token ids (int64): 1..20 for the amino acids, 21 for X or anything else, 0 for padding.

    With ``max_len`` the result has exactly that length: longer sequences are cut at the end (the usual
    protein-model convention, e.g. DeepDTA's 1,000 residues), shorter ones padded with 0.
    """
    ids = _codes(seq, _TOKEN_TABLE)
    if max_len is None:
        return ids
    if max_len < 0:
        raise InputError(f"max_len must be >= 0, got {max_len}")
    out = np.zeros(max_len, dtype=np.int64)
    n = min(max_len, len(ids))
    out[:n] = ids[:n]
    return out


def tokenize_batch(seqs: Sequence[str], max_len: int | None = None) -> np.ndarray:
    """A (n, max_len) int64 matrix of token ids; ``max_len`` defaults to the longest sequence."""
    rows = [_codes(s, _TOKEN_TABLE) for s in seqs]
    width = max((len(r) for r in rows), default=0) if max_len is None else max_len
    out = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        n = min(width, len(row))
        out[i, :n] = row[:n]
    return out


def detokenize(ids: Iterable[int]) -> str:
    """Sequence text for token ids (padding dropped, unknown shown as X)."""
    return "".join(ALPHABET[i - 1] for i in (int(t) for t in ids) if i != PAD_ID)


def _block_size(k: int) -> int:
    return len(AMINO_ACIDS) ** k if k <= 2 else len(CONJOINT_TRIAD_GROUPS) ** k


def kmer_feature_names(k: Sequence[int] | int = (1, 2, 3)) -> list[str]:
    """Column names matching ``kmer_composition``: ``AAC_A``, ``DPC_AC``, ``CT3_012`` (triad classes)."""
    ks = (k,) if isinstance(k, int) else tuple(k)
    names: list[str] = []
    for kk in ks:
        if kk == 1:
            names += [f"AAC_{a}" for a in AMINO_ACIDS]
        elif kk == 2:
            names += [f"DPC_{a}{b}" for a, b in product(AMINO_ACIDS, repeat=2)]
        else:
            names += [
                f"CT{kk}_{''.join(map(str, c))}"
                for c in product(range(len(CONJOINT_TRIAD_GROUPS)), repeat=kk)
            ]
    return names


def kmer_composition(seqs: Sequence[str] | str, k: Sequence[int] | int = (1, 2, 3)) -> np.ndarray:
    """Normalised k-mer frequency features (float32, one row per sequence; see the module docstring).

    Vectorised over the whole batch: all sequences are concatenated once, k-mer codes are computed with array
    arithmetic and counted with a single ``bincount`` per k, so thousands of sequences take milliseconds.
    """
    if isinstance(seqs, str):
        seqs = [seqs]
    ks = (k,) if isinstance(k, int) else tuple(k)
    if not ks or any(not 1 <= kk <= 5 for kk in ks):
        raise InputError(f"k must be between 1 and 5, got {ks}")
    n = len(seqs)
    codes_list = [_codes(s, _AA_INDEX) for s in seqs]
    lengths = np.array([len(c) for c in codes_list], dtype=np.int64)
    codes = np.concatenate(codes_list) if n else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    blocks: list[np.ndarray] = []
    for kk in ks:
        size = _block_size(kk)
        base = len(AMINO_ACIDS) if kk <= 2 else len(CONJOINT_TRIAD_GROUPS)
        letters = codes if kk <= 2 else np.where(codes >= 0, _REDUCED[np.maximum(codes, 0)], -1)
        m = len(letters) - kk + 1
        if m <= 0:
            blocks.append(np.zeros((n, size), dtype=np.float32))
            continue
        kmer = np.zeros(m, dtype=np.int64)
        valid = np.ones(m, dtype=bool)
        for offset in range(kk):
            part = letters[offset : offset + m]
            kmer = kmer * base + np.maximum(part, 0)
            valid &= part >= 0
        valid &= owner[:m] == owner[kk - 1 : kk - 1 + m]  # the k-mer must not span two sequences
        counts = np.bincount(owner[:m][valid] * size + kmer[valid], minlength=n * size).reshape(n, size)
        totals = counts.sum(axis=1, keepdims=True)
        block = np.divide(counts, totals, out=np.zeros((n, size), dtype=np.float64), where=totals > 0)
        blocks.append(block.astype(np.float32))
    return np.concatenate(blocks, axis=1)


def kmer_cosine_similarity(seqs: Sequence[str], k: int = 3) -> np.ndarray:
    """Cosine similarity of raw amino-acid k-mer counts between all pairs of ``seqs`` (n x n, float64).

    An alignment-free measure of how related two proteins are (1 for identical composition): cheap enough for
    hundreds of kinases at once, where a pairwise aligner would take minutes. k-mers containing a letter other
    than the 20 standard amino acids are skipped.
    """
    if not 1 <= k <= 5:
        raise InputError(f"k must be between 1 and 5, got {k}")
    n = len(seqs)
    size = len(AMINO_ACIDS) ** k
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for i, seq in enumerate(seqs):
        codes = _codes(seq, _AA_INDEX).astype(np.int64)
        m = len(codes) - k + 1
        if m <= 0:
            continue
        kmer = np.zeros(m, dtype=np.int64)
        valid = np.ones(m, dtype=bool)
        for offset in range(k):
            part = codes[offset : offset + m]
            kmer = kmer * len(AMINO_ACIDS) + np.maximum(part, 0)
            valid &= part >= 0
        cols.append(kmer[valid])
        rows.append(np.full(int(valid.sum()), i, dtype=np.int64))
    import scipy.sparse as sp
    from sklearn.metrics.pairwise import cosine_similarity

    data = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    counts = sp.csr_matrix(
        (np.ones(len(data)), (np.concatenate(rows) if rows else data, data)), shape=(n, size)
    )  # duplicate (row, col) entries are summed: k-mer counts
    return np.asarray(cosine_similarity(counts, dense_output=True), dtype=np.float64)

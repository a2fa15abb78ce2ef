"""SMILES tokenisation and vocabularies for sequence models (generators, SMILES encoders).

The regular expression is the one of Schwaller et al. 2019 (Molecular Transformer): two-letter halogens
``Br``/``Cl`` are single tokens, a bracket atom such as ``[C@@H]`` or ``[nH+]`` is one token, and ``%nn`` ring
closures (plus RDKit's ``%(nnn)``) are one token. A final catch-all alternative turns any other character into a
token of its own, so tokenisation is lossless: ``"".join(smiles_tokenize(s)) == s`` for every string, and
unknown characters become ``<unk>`` at encoding time instead of vanishing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from drugloop.errors import InputError

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "SMILES_REGEX",
    "SMILES_VOCAB",
    "SPECIAL_TOKENS",
    "UNK",
    "SmilesVocab",
    "build_smiles_vocab",
    "smiles_tokenize",
]

SMILES_REGEX = re.compile(
    r"(\[[^\]]+\]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$"
    r"|%\([0-9]+\)|%[0-9]{2}|[0-9]|.)",
    re.DOTALL,
)

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIAL_TOKENS: tuple[str, ...] = (PAD, BOS, EOS, UNK)


def smiles_tokenize(smiles: str) -> list[str]:
    """Split a SMILES string into tokens; joining the tokens gives the string back exactly."""
    return SMILES_REGEX.findall(smiles)


class SmilesVocab:
    """Token ↔ id map with ``<pad>`` = 0, ``<bos>`` = 1, ``<eos>`` = 2, ``<unk>`` = 3, then the tokens."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self.itos: list[str] = list(SPECIAL_TOKENS)
        for token in tokens:
            if token not in self.itos:
                self.itos.append(token)
        self.stoi: dict[str, int] = {token: i for i, token in enumerate(self.itos)}

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    @classmethod
    def build(cls, smiles: Iterable[str], min_freq: int = 1) -> SmilesVocab:
        """Vocabulary of every token seen at least ``min_freq`` times, most frequent first (ties by name)."""
        counts: Counter[str] = Counter()
        for text in smiles:
            counts.update(smiles_tokenize(text))
        kept = [token for token, n in counts.items() if n >= min_freq]
        kept.sort(key=lambda token: (-counts[token], token))
        return cls(kept)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SmilesVocab) and self.itos == other.itos

    def __hash__(self) -> int:
        return hash(tuple(self.itos))

    def encode(
        self, smiles: str, max_len: int | None = None, *, add_bos_eos: bool = True, truncate: bool = False
    ) -> np.ndarray:
        """Token ids (int64); with ``max_len`` padded with 0 to that length.

        A SMILES longer than ``max_len`` raises InputError unless ``truncate=True``: a silently cut molecule
        would teach a generator to write broken SMILES.
        """
        ids = [self.stoi.get(token, self.unk_id) for token in smiles_tokenize(smiles)]
        if add_bos_eos:
            ids = [self.bos_id, *ids, self.eos_id]
        if max_len is not None:
            if len(ids) > max_len:
                if not truncate:
                    raise InputError(f"SMILES has {len(ids)} tokens, more than max_len={max_len}: {smiles!r}")
                ids = ids[:max_len]
            ids = ids + [self.pad_id] * (max_len - len(ids))
        return np.asarray(ids, dtype=np.int64)

    def encode_batch(
        self, smiles: Sequence[str], max_len: int | None = None, *, truncate: bool = False
    ) -> np.ndarray:
        """A padded (n, max_len) int64 matrix; ``max_len`` defaults to the longest encoded SMILES."""
        rows = [self.encode(s, add_bos_eos=True) for s in smiles]
        width = max((len(r) for r in rows), default=0) if max_len is None else max_len
        out = np.full((len(rows), width), self.pad_id, dtype=np.int64)
        for i, row in enumerate(rows):
            if len(row) > width:
                if not truncate:
                    raise InputError(f"SMILES {i} has {len(row)} tokens, more than max_len={width}")
                row = row[:width]
            out[i, : len(row)] = row
        return out

    def decode(self, ids: Iterable[int]) -> str:
        """SMILES text for ids, stopping at ``<eos>`` and skipping ``<pad>``/``<bos>``; ``<unk>`` stays visible."""
        parts: list[str] = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i in (self.pad_id, self.bos_id):
                continue
            parts.append(self.itos[i] if 0 <= i < len(self.itos) else UNK)
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for model cards and checkpoints."""
        return {"tokens": self.itos[len(SPECIAL_TOKENS) :]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SmilesVocab:
        return cls(data["tokens"])


def build_smiles_vocab(smiles: Iterable[str], min_freq: int = 1) -> SmilesVocab:
    """Vocabulary built from a training set (see ``SmilesVocab.build``)."""
    return SmilesVocab.build(smiles, min_freq=min_freq)


# fmt: off
_DEFAULT_TOKENS: list[str] = [
    "C", "c", "N", "n", "O", "o", "S", "s", "F", "Cl", "Br", "I", "P", "p", "B", "b", "(", ")", "=", "#",
    "-", "+", "/", "\\", ".", ":", "@", "*", "1", "2", "3", "4", "5", "6", "7", "8", "9", "%10", "%11",
    "%12", "%13", "%14", "%15", "%16", "%17", "%18", "%19", "[C@H]", "[C@@H]", "[C@]", "[C@@]", "[nH]",
    "[NH+]", "[NH2+]", "[NH3+]", "[N+]", "[N-]", "[n+]", "[nH+]", "[O-]", "[S-]", "[S+]", "[s+]", "[P+]",
    "[Na+]", "[K+]", "[Li+]", "[Cl-]", "[Br-]", "[I-]", "[H]", "[2H]", "[CH-]", "[CH2-]", "[C-]", "[B-]",
    "[Si]", "[Se]", "[se]", "[SH]", "[OH-]", "[S@]", "[S@@]", "[S@+]", "[S@@+]", "[N@+]", "[N@@+]", "[Sn]",
    "[Fe]", "[Zn]", "[Cu]", "[Pt]", "[As]", "[te]",
]
# fmt: on

SMILES_VOCAB: SmilesVocab = SmilesVocab(_DEFAULT_TOKENS)
"""A fixed vocabulary covering drug-like organic chemistry (ZINC/ChEMBL style), for models that need no
training-set vocabulary; a model trained on its own data should build and save its own."""

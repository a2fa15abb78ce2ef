"""Biology inputs: protein sequences (validation, tokens, k-mer features), FASTA files, gene identifier maps."""

from __future__ import annotations

from drugloop.bio.fasta import FastaRecord, fasta_to_frame, read_fasta, write_fasta
from drugloop.bio.genes import GeneMap
from drugloop.bio.protein import (
    ALPHABET,
    AMINO_ACIDS,
    CONJOINT_TRIAD_GROUPS,
    NONSTANDARD,
    VOCAB_SIZE,
    ParsedSequence,
    clean_sequence,
    detokenize,
    kmer_composition,
    kmer_feature_names,
    tokenize,
    tokenize_batch,
    validate_sequence,
    validate_sequences,
)

__all__ = [
    "ALPHABET",
    "AMINO_ACIDS",
    "CONJOINT_TRIAD_GROUPS",
    "NONSTANDARD",
    "VOCAB_SIZE",
    "FastaRecord",
    "GeneMap",
    "ParsedSequence",
    "clean_sequence",
    "detokenize",
    "fasta_to_frame",
    "kmer_composition",
    "kmer_feature_names",
    "read_fasta",
    "tokenize",
    "tokenize_batch",
    "validate_sequence",
    "validate_sequences",
    "write_fasta",
]

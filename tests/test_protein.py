"""Protein sequences: validation reasons, cleaning, tokens, k-mer composition."""

from __future__ import annotations

import re
import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drugloop.bio.protein import (
    ALPHABET,
    AMINO_ACIDS,
    CONJOINT_TRIAD_GROUPS,
    NONSTANDARD,
    PAD_ID,
    UNKNOWN_ID,
    VOCAB_SIZE,
    clean_sequence,
    detokenize,
    kmer_composition,
    kmer_feature_names,
    tokenize,
    tokenize_batch,
    validate_sequence,
    validate_sequences,
)
from drugloop.errors import InputError


def test_alphabet_constants() -> None:
    assert AMINO_ACIDS == "ACDEFGHIKLMNPQRSTVWY" and ALPHABET == AMINO_ACIDS + "X"
    assert VOCAB_SIZE == 22 and UNKNOWN_ID == 21 and PAD_ID == 0
    assert sorted("".join(CONJOINT_TRIAD_GROUPS)) == sorted(AMINO_ACIDS)


def test_validate_sequence_reasons() -> None:
    assert validate_sequence("MKV LLA\nGG") is None  # whitespace and line breaks are ignored
    assert validate_sequence("mkvx") is None  # case is ignored, X is allowed
    assert validate_sequence("") == "empty sequence"
    assert validate_sequence("  \n") == "empty sequence"
    assert validate_sequence(None) == "empty sequence"
    assert validate_sequence(float("nan")) == "empty sequence"
    reason = validate_sequence("MKBAU")
    assert reason is not None and "B at 3" in reason and "U at 5" in reason and "nonstandard" in reason
    reason = validate_sequence("MK1*")
    assert reason is not None and "invalid" in reason and "1 at 3" in reason and "* at 4" in reason


BAD_CHARS = "BZUOJ0123*-.#"


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=ALPHABET + ALPHABET.lower() + BAD_CHARS, min_size=1, max_size=8))
def test_validate_sequence_flags_exactly_the_non_alphabet_letters(seq: str) -> None:
    reason = validate_sequence(seq)
    text = seq.upper()
    bad = {ch for ch in text if ch not in ALPHABET}
    if not bad:
        assert reason is None
        return
    assert reason is not None
    nonstandard = re.search(r"nonstandard residue\(s\) ([A-Z]+):", reason)
    invalid = re.search(r"invalid character\(s\) ((?:'.' ?)+):", reason)
    named = set(nonstandard.group(1) if nonstandard else "") | set(
        re.findall(r"'(.)'", invalid.group(1)) if invalid else []
    )
    assert named == bad
    # every position quoted points at that letter (1-based), and every bad position is quoted (<= 8 here)
    quoted = {(ch, int(pos)) for ch, pos in re.findall(r"(\S) at (\d+)", reason)}
    expected = {(ch, i) for i, ch in enumerate(text, start=1) if ch in bad}
    assert quoted == expected


def test_clean_sequence_modes() -> None:
    assert clean_sequence(" mk bz\nuoj ") == "MKXXXXX"
    assert clean_sequence("MKB", nonstandard="keep") == "MKB"
    with pytest.raises(InputError, match="nonstandard"):
        clean_sequence("MKB", nonstandard="error")
    with pytest.raises(InputError, match="invalid"):
        clean_sequence("MK1")
    with pytest.raises(InputError, match="empty"):
        clean_sequence("")
    with pytest.raises(InputError):
        clean_sequence("MK", nonstandard="Y")  # type: ignore[arg-type]


def test_validate_sequences_never_drops_rows() -> None:
    inputs = ["MKV", "MKB", "", None, "MK1"]
    strict = validate_sequences(inputs)
    assert [p.index for p in strict] == [0, 1, 2, 3, 4]
    assert [p.sequence for p in strict] == ["MKV", None, None, None, None]
    assert [p.ok for p in strict] == [True, False, False, False, False]
    assert "B at 3" in (strict[1].error or "")
    lenient = validate_sequences(inputs, nonstandard="X")
    assert [p.sequence for p in lenient] == ["MKV", "MKX", None, None, None]


def test_tokenize_ids_and_padding() -> None:
    ids = tokenize("ACDXB", max_len=8)
    assert ids.dtype == np.int64
    assert ids.tolist() == [1, 2, 3, 21, 21, 0, 0, 0]
    assert tokenize("acd").tolist() == [1, 2, 3]
    assert tokenize("ACDEF", max_len=3).tolist() == [1, 2, 3]  # cut at the end
    assert detokenize(tokenize(AMINO_ACIDS)) == AMINO_ACIDS
    batch = tokenize_batch(["AC", "ACDE"])
    assert batch.shape == (2, 4) and batch[0].tolist() == [1, 2, 0, 0]
    assert tokenize_batch(["ACDEFG"], max_len=3).tolist() == [[1, 2, 3]]


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet=ALPHABET + NONSTANDARD + ALPHABET.lower() + " \n", max_size=60),
    st.one_of(st.none(), st.integers(min_value=0, max_value=80)),
)
def test_tokenize_round_trip_lengths(seq: str, max_len: int | None) -> None:
    clean = "".join(seq.split()).upper()
    ids = tokenize(seq, max_len=max_len)
    assert len(ids) == (len(clean) if max_len is None else max_len)
    n = len(clean) if max_len is None else min(len(clean), max_len)
    assert ((ids[:n] >= 1) & (ids[:n] < VOCAB_SIZE)).all()
    assert (ids[n:] == PAD_ID).all()
    expected = clean.translate(str.maketrans(NONSTANDARD, "X" * len(NONSTANDARD)))[:n]
    assert detokenize(ids) == expected


def test_tokenize_unknown_characters_are_x() -> None:
    assert tokenize("A1é*").tolist() == [1, 21, 21, 21]


def test_kmer_composition_shape_and_known_values() -> None:
    features = kmer_composition(["AAAA", "ACAC"])
    assert features.shape == (2, 20 + 400 + 343) and features.dtype == np.float32
    names = kmer_feature_names()
    assert len(names) == features.shape[1] and names[0] == "AAC_A" and names[20] == "DPC_AA"
    assert features[0, names.index("AAC_A")] == 1.0
    assert features[1, names.index("AAC_A")] == pytest.approx(0.5)
    assert features[1, names.index("DPC_AC")] == pytest.approx(2 / 3)
    assert features[1, names.index("DPC_CA")] == pytest.approx(1 / 3)
    # A is in class 0 (AGV), C in class 6
    assert features[0, names.index("CT3_000")] == 1.0
    assert features[1, names.index("CT3_060")] == pytest.approx(0.5)
    single = kmer_composition("AGV", k=3)
    assert single.shape == (1, 343) and single[0, 0] == 1.0


def test_kmer_composition_skips_unknown_and_short_sequences() -> None:
    features = kmer_composition(["AXA", "", "A"], k=(1, 2))
    assert features.shape == (3, 420)
    assert features[0, :20].sum() == pytest.approx(1.0) and features[0, 20:].sum() == 0  # AX, XA skipped
    assert features[1].sum() == 0
    assert features[2, :20].sum() == pytest.approx(1.0) and features[2, 20:].sum() == 0
    with pytest.raises(InputError):
        kmer_composition(["AAA"], k=0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet=AMINO_ACIDS + "X", min_size=0, max_size=40), min_size=1, max_size=6))
def test_kmer_blocks_sum_to_one_and_batch_equals_single(seqs: list[str]) -> None:
    features = kmer_composition(seqs)
    blocks = [(0, 20, 1), (20, 420, 2), (420, 763, 3)]
    for i, seq in enumerate(seqs):
        for start, stop, k in blocks:
            has_kmer = any("X" not in seq[j : j + k] for j in range(len(seq) - k + 1))
            expected = 1.0 if has_kmer else 0.0
            assert features[i, start:stop].sum() == pytest.approx(expected, abs=1e-5)
        # batching must not let k-mers run across sequence boundaries
        np.testing.assert_array_equal(features[i], kmer_composition([seq])[0])


def test_kmer_composition_is_fast_for_thousands_of_sequences() -> None:
    rng = np.random.default_rng(0)
    letters = np.array(list(AMINO_ACIDS))
    seqs = ["".join(rng.choice(letters, size=300)) for _ in range(2000)]
    features = kmer_composition(seqs)
    assert features.shape == (2000, 763)
    np.testing.assert_allclose(features[:, :20].sum(axis=1), 1.0, atol=1e-5)


def test_lowercase_and_punctuation_in_kmer_input() -> None:
    upper = kmer_composition(["MKVL"])
    lower = kmer_composition(["mk vl"])
    np.testing.assert_array_equal(upper, lower)
    assert set(string.ascii_uppercase) - set(ALPHABET) == set(NONSTANDARD)

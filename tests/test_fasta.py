"""FASTA reading/writing: messy input, line-numbered errors, atomic writes, round-trips."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drugloop.bio.fasta import FastaRecord, fasta_to_frame, read_fasta, write_fasta
from drugloop.errors import InputError


def test_read_handles_crlf_blank_lines_wrapping_and_descriptions() -> None:
    text = "\ufeff>sp|P1|A  first protein  \r\nMKV\r\nLLA\r\n\r\n>b\r\n\r\nGG G\r\n;comment\r\n>c empty\r\n"
    records = read_fasta(text)
    assert records == [
        FastaRecord(id="sp|P1|A", description="first protein", sequence="MKVLLA"),
        FastaRecord(id="b", description="", sequence="GGG"),
        FastaRecord(id="c", description="empty", sequence=""),
    ]
    assert records[0].header == "sp|P1|A first protein"


def test_read_from_path_and_gzip(tmp_path: Path) -> None:
    plain = tmp_path / "x.fasta"
    plain.write_bytes(b">a\nMK\nV")  # no final newline
    assert read_fasta(plain) == [FastaRecord("a", "", "MKV")]
    assert read_fasta(str(plain)) == [FastaRecord("a", "", "MKV")]
    packed = tmp_path / "x.fasta.gz"
    with gzip.open(packed, "wb") as fh:
        fh.write(b">a\r\nMK\r\n")
    assert read_fasta(packed) == [FastaRecord("a", "", "MK")]
    with pytest.raises(InputError, match="not found"):
        read_fasta(tmp_path / "missing.fasta")


def test_sequence_before_header_names_the_line() -> None:
    with pytest.raises(InputError, match="line 2"):
        read_fasta("\nMKV\n>a\nMK\n")


def test_empty_header_names_the_line() -> None:
    with pytest.raises(InputError, match="line 3"):
        read_fasta(">a\nMK\n>  \nMK\n")


def test_duplicate_ids_are_named() -> None:
    with pytest.raises(InputError, match=r"duplicate FASTA id\(s\): a, b"):
        read_fasta(">a\nM\n>b\nK\n>a x\nV\n>b\nL\n>c\nA\n")


def test_write_wraps_and_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "out" / "seqs.fasta"
    write_fasta([FastaRecord("p1", "kinase", "A" * 130), ("p2", "MK")], target, width=60)
    lines = target.read_text().splitlines()
    assert lines == [">p1 kinase", "A" * 60, "A" * 60, "A" * 10, ">p2", "MK"]
    before = target.read_bytes()
    with pytest.raises(InputError):
        write_fasta([("p1", "MK"), ("bad id", "MK")], target)
    assert target.read_bytes() == before  # a failed write leaves the old file whole
    with pytest.raises(InputError, match="duplicate"):
        write_fasta([("p1", "MK"), ("p1", "MV")], target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["seqs.fasta"]  # no temp files left
    write_fasta([("p1", "A" * 100)], target, width=0)
    assert target.read_text() == ">p1\n" + "A" * 100 + "\n"


def test_fasta_to_frame(tmp_path: Path) -> None:
    frame = fasta_to_frame(">a one\nMK\n>b\nVL\n")
    assert frame.columns.tolist() == ["id", "description", "sequence"]
    assert frame["id"].tolist() == ["a", "b"] and frame["sequence"].tolist() == ["MK", "VL"]


_ID_CHARS = st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp"))
_ids = st.text(alphabet=_ID_CHARS, min_size=1, max_size=12).filter(lambda s: not any(c.isspace() for c in s))
_descriptions = (
    st.text(alphabet=st.one_of(_ID_CHARS, st.just(" ")), max_size=20)
    .map(str.strip)
    .filter(lambda s: s.splitlines() in ([s], []))
)
_sequences = st.text(alphabet="ACDEFGHIKLMNPQRSTVWYXBZUOJ*-acgtu", max_size=200)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(_ids, _descriptions, _sequences), max_size=6, unique_by=lambda t: t[0]),
    st.sampled_from([0, 1, 7, 60, 80]),
)
def test_write_read_round_trip(tmp_path: Path, items: list[tuple[str, str, str]], width: int) -> None:
    records = [FastaRecord(id=i, description=d, sequence=s) for i, d, s in items]
    path = write_fasta(records, tmp_path / "rt.fasta", width=width)
    assert read_fasta(path) == records

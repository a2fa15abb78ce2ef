"""GMT reader/writer: hypothesis round trips plus the messy inputs real GMT files contain."""

from __future__ import annotations

import gzip
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drugloop.bio.genesets import iter_gmt, read_gmt, write_gmt
from drugloop.errors import InputError

# Anything printable-ish: no control characters, surrogates or line/paragraph separators; no outer whitespace.
# Mostly Latin-1 and Greek, plus a few characters that trip naive parsers (NBSP, BOM, CJK, emoji).
# (an explicit list: st.characters with category filters is ~10x slower to draw from)
_CHARS = [chr(c) for c in range(0x20, 0x400) if unicodedata.category(chr(c)) not in {"Cc", "Cs", "Zl", "Zp"}]
_alphabet = st.sampled_from(_CHARS + ["\u00a0", "\ufeff", "\u4e2d", "\U0001f9ec", "\u2003"])
_token = st.text(alphabet=_alphabet, min_size=1, max_size=12).map(str.strip).filter(bool)
_gene = st.one_of(st.sampled_from(["TP53", "EGFR", "KRAS", "HLA-A", "C4orf3"]), _token)
_sets = st.dictionaries(keys=_token, values=st.lists(_gene, max_size=8), max_size=8)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sets=_sets)
def test_write_then_read_round_trips(tmp_path: Path, sets: dict[str, list[str]]) -> None:
    path = tmp_path / "sets.gmt"
    write_gmt(sets, path)
    assert read_gmt(path) == sets
    assert list(read_gmt(path)) == list(sets)  # order kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sets=_sets, descriptions=st.lists(_token, min_size=8, max_size=8))
def test_round_trip_gzip_with_descriptions(
    tmp_path: Path, sets: dict[str, list[str]], descriptions: list[str]
) -> None:
    desc = dict(zip(sets, descriptions, strict=False))
    path = tmp_path / "sets.gmt.gz"
    write_gmt(sets, path, descriptions=desc)
    records = list(iter_gmt(path))
    assert {r.name: r.genes for r in records} == sets
    assert {r.name: r.description for r in records} == {name: desc.get(name, "") for name in sets}


@settings(max_examples=60, deadline=None)
@given(sets=_sets, crlf=st.booleans(), trailing_tabs=st.integers(0, 3), blank_every=st.integers(0, 3))
def test_reader_tolerates_crlf_trailing_tabs_and_blank_lines(
    sets: dict[str, list[str]], crlf: bool, trailing_tabs: int, blank_every: int
) -> None:
    end = "\r\n" if crlf else "\n"
    lines: list[str] = []
    for i, (name, genes) in enumerate(sets.items()):
        if blank_every and i % blank_every == 0:
            lines.append(end)
            lines.append("  \t " + end)
        lines.append("\t".join([name, "http://example.org", *genes]) + "\t" * trailing_tabs + end)
    assert read_gmt(lines) == sets


def test_reads_file_with_crlf_and_trailing_tab(tmp_path: Path) -> None:
    path = tmp_path / "x.gmt"
    path.write_bytes(b"SET_A\tdesc\tTP53\tEGFR\t\r\n\r\nSET_B\t\tKRAS\r\nSET_C\tonly description\n")
    assert read_gmt(path) == {"SET_A": ["TP53", "EGFR"], "SET_B": ["KRAS"], "SET_C": []}


def test_reads_gzip_path(tmp_path: Path) -> None:
    path = tmp_path / "x.gmt.gz"
    path.write_bytes(gzip.compress(b"S1\tu\tA\tB\n"))
    assert read_gmt(str(path)) == {"S1": ["A", "B"]}


def test_malformed_line_names_its_number() -> None:
    lines = ["S1\tu\tA\n", "\n", "JUST_A_NAME\n"]
    with pytest.raises(InputError, match="line 3"):
        read_gmt(lines)


def test_duplicate_set_name_is_refused() -> None:
    with pytest.raises(InputError, match=r"line 2: gene set 'S1' already defined on line 1"):
        read_gmt(["S1\tu\tA\n", "S1\tu\tB\n"])


def test_empty_name_is_refused() -> None:
    with pytest.raises(InputError, match="line 1: empty gene set name"):
        read_gmt([" \tu\tA\n"])


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_gmt(tmp_path / "absent.gmt")


@pytest.mark.parametrize(
    "sets",
    [
        {"BAD\tNAME": ["A"]},
        {"S": ["A\nB"]},
        {"S": [" A"]},
        {"S": [""]},
        {"": ["A"]},
        {"S": "ABC"},
    ],
)
def test_writer_refuses_values_that_would_not_read_back(tmp_path: Path, sets: dict) -> None:
    path = tmp_path / "out.gmt"
    with pytest.raises(InputError):
        write_gmt(sets, path)
    assert not path.exists()


def test_write_is_atomic_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "out.gmt"
    write_gmt({"S": ["A"]}, path)
    write_gmt({"T": ["B", "C"]}, path)
    assert read_gmt(path) == {"T": ["B", "C"]}
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.gmt"]
    # a refused write leaves the old file untouched
    with pytest.raises(InputError):
        write_gmt({"T": ["B\tC"]}, path)
    assert read_gmt(path) == {"T": ["B", "C"]}

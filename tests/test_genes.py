"""Gene id maps: lookups both ways, tolerant input types, conflicts, and the real HGNC 2019 file."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from drugloop.bio.genes import DEFAULT_GENE_FILE, GeneMap
from drugloop.errors import DataError


@pytest.fixture()
def small() -> GeneMap:
    frame = pd.DataFrame(
        {"symbol": ["TP53", "BRCA1", "EGFR", "A1S9T~withdrawn"], "entrez_id": ["7157", "672", "1956", ""]}
    )
    return GeneMap.from_pairs(frame)


def test_lookups_both_ways(small: GeneMap) -> None:
    assert small.to_entrez(["TP53", "tp53", " Brca1 ", "NOPE", None, 5]) == [
        7157,
        7157,
        672,
        None,
        None,
        None,
    ]
    assert small.to_symbol([7157, "672", 1956.0, "1956\r", 1, None, float("nan"), "x"]) == [
        "TP53", "BRCA1", "EGFR", "EGFR", None, None, None, None,
    ]  # fmt: skip
    assert small.to_entrez(["A1S9T~withdrawn"]) == [None]  # known symbol, no id
    assert "egfr" in small and "NOPE" not in small
    assert len(small) == 4


def test_from_pairs_accepts_tuples_and_first_two_columns() -> None:
    gmap = GeneMap.from_pairs([("TP53", 7157), ("KRAS", None)])
    assert gmap.to_entrez(["KRAS", "TP53"]) == [None, 7157]
    frame = pd.DataFrame({"Approved symbol": ["KRAS"], "NCBI Gene ID": [3845]})
    assert GeneMap.from_pairs(frame).to_symbol([3845]) == ["KRAS"]


def test_conflicting_ids_raise() -> None:
    with pytest.raises(DataError, match="7157"):
        GeneMap.from_pairs([("TP53", 7157), ("P53", 7157)])
    with pytest.raises(DataError, match="two Entrez ids"):
        GeneMap.from_pairs([("TP53", 7157), ("TP53", 1)])


def test_case_collision_prefers_exact_case() -> None:
    gmap = GeneMap.from_pairs([("Abc", 1), ("ABC", 2)])
    assert gmap.to_entrez(["Abc", "ABC", "abc"]) == [1, 2, None]  # "abc" is ambiguous


def test_to_frame_round_trip(small: GeneMap) -> None:
    frame = small.to_frame()
    assert frame.columns.tolist() == ["symbol", "entrez_id"]
    assert str(frame["entrez_id"].dtype) == "Int64"
    again = GeneMap.from_pairs(frame)
    assert again.to_entrez(small.symbols) == small.to_entrez(small.symbols)


def test_from_file_reads_crlf_without_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "map.tsv"
    path.write_bytes(
        b"Approved symbol\tNCBI Gene ID(supplied by NCBI)\r\nA1BG\t1\r\nA1S9T~withdrawn\t\r\nTP53\t7157"
    )
    gmap = GeneMap.from_file(path)
    assert gmap.to_entrez(["A1BG", "TP53", "A1S9T~withdrawn"]) == [1, 7157, None]
    assert gmap.to_symbol([7157]) == ["TP53"]


def _real_file_available() -> bool:
    if os.environ.get("DRUGLOOP_MIRROR"):
        return True
    from drugloop.data import verify

    ok, _ = verify(DEFAULT_GENE_FILE)
    return ok


@pytest.mark.data
def test_default_map_on_the_real_hgnc_file() -> None:
    if not _real_file_available():
        pytest.skip(f"{DEFAULT_GENE_FILE} not available: set DRUGLOOP_MIRROR or fill the drugloop cache")
    gmap = GeneMap.default()
    assert GeneMap.default() is gmap  # loaded once per process
    assert len(gmap) == 46_125
    assert sum(e is None for e in gmap.to_entrez(gmap.symbols)) == 4_575
    assert gmap.to_entrez(["TP53", "tp53", "EGFR", "KRAS"]) == [7157, 7157, 1956, 3845]
    assert gmap.to_symbol([7157, 1956, "3845"]) == ["TP53", "EGFR", "KRAS"]
    assert gmap.to_symbol([-1]) == [None]
    # the file has CRLF line endings and no final newline: the last row must still parse cleanly
    assert gmap.to_entrez(["ZZZ3"]) == [26009]

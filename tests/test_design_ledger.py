"""The oracle ledger: canonical de-duplication, the budget, atomic Parquet round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from drugloop.design.ledger import Ledger, LedgerFullError
from drugloop.errors import DataError, InputError


def test_dedup_and_budget(tmp_path: Path) -> None:
    ledger = Ledger(3, tmp_path / "ledger.parquet")
    assert ledger.add(0, ["CCO", "CCN"], [0.1, 0.2], [{"a": 1.0}, {"a": 2.0}], ["x", "y"]) == 2
    assert "CCO" in ledger and ledger.remaining == 1
    with pytest.raises(InputError, match="already in the ledger"):
        ledger.add(1, ["CCO"], [0.5])
    with pytest.raises(InputError, match="repeats"):
        ledger.add(1, ["CCC", "CCC"], [0.5, 0.5])
    with pytest.raises(LedgerFullError, match="budget"):
        ledger.add(1, ["CCC", "CCCC"], [0.5, 0.5])
    assert len(ledger) == 2  # refused batches leave no trace
    ledger.add(1, ["CCC"], [float("nan")])
    assert ledger.scores.tolist() == [0.1, 0.2, 0.0] and ledger.remaining == 0


def test_save_load_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "ledger.parquet"
    ledger = Ledger(10, path)
    ledger.add(0, ["CCO", "CCN"], [0.1, 0.9], [{"qed": 0.4}, {"qed": 0.5}], ["graph_ga", "zinc"])
    ledger.counters["invalid"] = 7
    ledger.save()
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.parquet"]  # no temporary file left
    back = Ledger.load(path)
    assert back.budget == 10 and back.smiles == ["CCO", "CCN"] and back.counters["invalid"] == 7
    frame = back.frame()
    assert frame["order"].tolist() == [0, 1] and frame["source"].tolist() == ["graph_ga", "zinc"]
    assert frame["components"].iloc[0] == '{"qed": 0.4}'
    assert back.top(1)["smiles"].iloc[0] == "CCN"
    assert Ledger.load(path, budget=20).remaining == 18
    with pytest.raises(InputError, match="more than the budget"):
        Ledger.load(path, budget=1)
    with pytest.raises(DataError):
        Ledger.load(tmp_path / "missing.parquet")


def test_bad_budget() -> None:
    with pytest.raises(InputError):
        Ledger(0)

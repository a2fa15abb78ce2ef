"""The oracle ledger: every scored molecule is a compound "made and tested", logged once, within a budget.

A ledger holds one row per oracle call: ``order`` (0-based call number), ``batch`` (the cycle that chose it),
canonical ``smiles``, ``score``, ``components`` (JSON object of the objective's raw and transformed parts),
``source`` (the generator that proposed it) and ``time`` (UTC ISO seconds). Canonical SMILES are de-duplicated:
asking for a molecule already in the ledger costs nothing and is refused by :meth:`Ledger.add`. The budget is a
hard cap. ``save`` writes Parquet atomically (temporary file + rename), with the loop's counters (invalid and
duplicate proposals) in the file's metadata, so an interrupted run resumes from the last completed batch.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from drugloop.errors import DataError, InputError
from drugloop.utils.io import atomic_write_bytes

__all__ = ["LEDGER_COLUMNS", "Ledger", "LedgerFullError"]

LEDGER_COLUMNS = ("order", "batch", "smiles", "score", "components", "source", "time")
_META_KEY = b"drugloop.ledger"


class LedgerFullError(InputError):
    """More oracle calls were asked for than the budget allows."""


class Ledger:
    """Oracle calls in order, unique by canonical SMILES, at most ``budget`` of them."""

    def __init__(self, budget: int, path: str | Path | None = None) -> None:
        if int(budget) <= 0:
            raise InputError(f"the oracle budget must be a positive number of calls, not {budget!r}")
        self.budget = int(budget)
        self.path = Path(path) if path is not None else None
        self._rows: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}
        self.counters: dict[str, int] = {"proposed": 0, "invalid": 0, "duplicate": 0}
        self.meta: dict[str, Any] = {}

    # -- queries -------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, smiles: object) -> bool:
        return smiles in self._index

    @property
    def remaining(self) -> int:
        return self.budget - len(self._rows)

    @property
    def smiles(self) -> list[str]:
        return [r["smiles"] for r in self._rows]

    @property
    def scores(self) -> np.ndarray:
        return np.array([r["score"] for r in self._rows], dtype=float)

    @property
    def n_batches(self) -> int:
        return (max(r["batch"] for r in self._rows) + 1) if self._rows else 0

    def score_of(self, smiles: str) -> float | None:
        i = self._index.get(smiles)
        return None if i is None else float(self._rows[i]["score"])

    def top(self, k: int = 10) -> pd.DataFrame:
        frame = self.frame()
        return frame.sort_values(["score", "order"], ascending=[False, True]).head(k).reset_index(drop=True)

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self._rows, columns=list(LEDGER_COLUMNS))
        frame["order"] = frame["order"].astype("int64")
        frame["batch"] = frame["batch"].astype("int64")
        frame["score"] = frame["score"].astype("float64")
        return frame

    # -- writes --------------------------------------------------------------------------------------------
    def add(
        self,
        batch: int,
        smiles: Sequence[str],
        scores: Sequence[float],
        components: Sequence[Mapping[str, float]] | None = None,
        sources: Sequence[str] | None = None,
    ) -> int:
        """Log one batch of oracle results; returns how many rows were added.

        Refuses (InputError) a molecule already in the ledger or repeated within the batch, and a batch that
        would exceed the budget (LedgerFullError): the loop must never pay for those calls.
        """
        n = len(smiles)
        if len(scores) != n or (components is not None and len(components) != n):
            raise InputError("smiles, scores and components must have the same length")
        if sources is not None and len(sources) != n:
            raise InputError("smiles and sources must have the same length")
        if len(set(smiles)) != n:
            raise InputError("a batch repeats a molecule; de-duplicate before calling the oracle")
        again = [s for s in smiles if s in self._index]
        if again:
            raise InputError(f"{len(again)} molecule(s) are already in the ledger (e.g. {again[0]})")
        if n > self.remaining:
            raise LedgerFullError(
                f"batch of {n} exceeds the remaining oracle budget ({self.remaining} calls)"
            )
        now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        for i, s in enumerate(smiles):
            score = float(scores[i])
            if not np.isfinite(score):
                score = 0.0
            row = {
                "order": len(self._rows),
                "batch": int(batch),
                "smiles": str(s),
                "score": score,
                "components": json.dumps(
                    {k: float(v) for k, v in (components[i] if components is not None else {}).items()},
                    sort_keys=True,
                ),
                "source": str(sources[i]) if sources is not None else "",
                "time": now,
            }
            self._index[row["smiles"]] = len(self._rows)
            self._rows.append(row)
        return n

    def save(self, path: str | Path | None = None) -> Path:
        """Write the ledger to Parquet atomically (a reader sees the old or the new file, never half of one)."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise InputError("the ledger has no path to save to")
        table = pa.Table.from_pandas(self.frame(), preserve_index=False)
        state = {"budget": self.budget, "counters": self.counters, "meta": self.meta}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: json.dumps(state)})
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return atomic_write_bytes(target, buffer.getvalue())

    @classmethod
    def load(cls, path: str | Path, budget: int | None = None) -> Ledger:
        """Read a saved ledger; ``budget`` (if given) replaces the saved one but may not be below its size."""
        path = Path(path)
        if not path.is_file():
            raise DataError(f"no ledger at {path}")
        try:
            table = pq.read_table(path)
        except Exception as exc:
            raise DataError(f"{path}: not a readable ledger ({exc})") from None
        missing = [c for c in LEDGER_COLUMNS if c not in table.column_names]
        if missing:
            raise DataError(f"{path}: not a drugloop ledger (missing columns {', '.join(missing)})")
        raw = (table.schema.metadata or {}).get(_META_KEY)
        state = json.loads(raw) if raw else {}
        frame = table.to_pandas()
        saved_budget = int(state.get("budget", len(frame) or 1))
        ledger = cls(budget if budget is not None else saved_budget, path)
        if len(frame) > ledger.budget:
            raise InputError(f"{path} already holds {len(frame)} calls, more than the budget {ledger.budget}")
        ledger.counters.update({k: int(v) for k, v in state.get("counters", {}).items()})
        ledger.meta = dict(state.get("meta", {}))
        for row in frame.sort_values("order").to_dict("records"):
            clean = {c: row[c] for c in LEDGER_COLUMNS}
            clean["order"], clean["batch"], clean["score"] = (
                int(clean["order"]),
                int(clean["batch"]),
                float(clean["score"]),
            )
            ledger._index[clean["smiles"]] = len(ledger._rows)
            ledger._rows.append(clean)
        return ledger

"""Gene identifiers: HGNC symbol ↔ NCBI Entrez Gene id.

The data sets name genes both ways (GDSC/CCLE matrices and STRING by Entrez id, pathways and drug targets by
symbol), so engines translate through one map. ``GeneMap.default()`` reads ``gdsc/entrez_to_symbol.tsv`` (HGNC,
March 2019: ``Approved symbol<TAB>NCBI Gene ID(supplied by NCBI)``, CRLF, no final newline) through the
checksum-verifying resolver. Its 4,575 symbols without an Entrez id (mostly ``~withdrawn`` entries) are kept as
known symbols that map to None.

Symbol lookup is case-insensitive (``tp53`` finds ``TP53``); an exact-case match wins if two symbols ever differ
only by case. Unknown ids and symbols give None rather than raising, because gene lists from users routinely
contain a few that a 2019 snapshot does not know.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from drugloop.errors import DataError

__all__ = ["DEFAULT_GENE_FILE", "GeneMap"]

DEFAULT_GENE_FILE = "gdsc/entrez_to_symbol.tsv"


def _entrez_key(value: Any) -> int | None:
    """An Entrez id as int from int, numeric str (``"7157"``, ``" 7157\\r"``) or integral float; else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if math.isfinite(number) and number.is_integer() else None
    try:  # numpy integers and other number types
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


class GeneMap:
    """Two-way map between HGNC symbols and Entrez Gene ids."""

    def __init__(self, symbol_to_entrez: Mapping[str, int | None], source: str = "<pairs>") -> None:
        self.source = source
        self._symbol_to_entrez: dict[str, int | None] = dict(symbol_to_entrez)
        self._entrez_to_symbol: dict[int, str] = {}
        # UPPER -> symbol, or None when two symbols differ only by case
        self._upper: dict[str, str | None] = {}
        for symbol, entrez in self._symbol_to_entrez.items():
            if entrez is not None:
                previous = self._entrez_to_symbol.get(entrez)
                if previous is not None and previous != symbol:
                    raise DataError(
                        f"{source}: Entrez id {entrez} is given to both {previous!r} and {symbol!r}"
                    )
                self._entrez_to_symbol[entrez] = symbol
            key = symbol.upper()
            self._upper[key] = symbol if key not in self._upper else None

    @classmethod
    def from_pairs(cls, pairs: pd.DataFrame | Iterable[tuple[str, Any]], source: str = "<pairs>") -> GeneMap:
        """Build from a DataFrame (columns ``symbol``, ``entrez_id``, or else the first two) or (symbol, id) pairs.

        Blank or missing ids mean "symbol known, no Entrez id". Raises DataError when one id has two symbols.
        """
        if isinstance(pairs, pd.DataFrame):
            if {"symbol", "entrez_id"} <= set(pairs.columns):
                items = zip(pairs["symbol"].tolist(), pairs["entrez_id"].tolist(), strict=True)
            elif pairs.shape[1] >= 2:
                items = zip(pairs.iloc[:, 0].tolist(), pairs.iloc[:, 1].tolist(), strict=True)
            else:
                raise DataError(f"{source}: a gene table needs a symbol and an Entrez id column")
        else:
            items = iter(pairs)
        mapping: dict[str, int | None] = {}
        for symbol, entrez in items:
            if not isinstance(symbol, str) or not symbol.strip():
                continue
            name = symbol.strip()
            key = _entrez_key(entrez)
            if name in mapping and mapping[name] is not None and key is not None and mapping[name] != key:
                raise DataError(f"{source}: symbol {name!r} has two Entrez ids, {mapping[name]} and {key}")
            if mapping.get(name) is None:
                mapping[name] = key
        return cls(mapping, source=source)

    @classmethod
    def from_file(cls, path: str | Path) -> GeneMap:
        """Read an HGNC-style two-column TSV (symbol, Entrez id) with a header line."""
        try:
            frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read gene map {path}: {exc}") from exc
        if frame.shape[1] < 2:
            raise DataError(f"gene map {path}: expected two tab-separated columns, got {list(frame.columns)}")
        return cls.from_pairs(frame.iloc[:, :2], source=str(path))

    @classmethod
    def default(cls) -> GeneMap:
        """The HGNC March 2019 map from the data registry, loaded once per process."""
        return _default_map()

    def __len__(self) -> int:
        return len(self._symbol_to_entrez)

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and self._lookup(symbol) is not None

    def __repr__(self) -> str:
        return f"GeneMap({len(self)} symbols, {len(self._entrez_to_symbol)} with Entrez ids, source={self.source!r})"

    @property
    def symbols(self) -> list[str]:
        """Every known symbol, including those without an Entrez id."""
        return list(self._symbol_to_entrez)

    def _lookup(self, symbol: str) -> str | None:
        name = symbol.strip()
        if name in self._symbol_to_entrez:
            return name
        return self._upper.get(name.upper())

    def symbol_of(self, entrez_id: Any) -> str | None:
        """Symbol for one Entrez id (int, numeric string or integral float), None if unknown."""
        key = _entrez_key(entrez_id)
        return None if key is None else self._entrez_to_symbol.get(key)

    def entrez_of(self, symbol: Any) -> int | None:
        """Entrez id for one symbol (case-insensitive), None if unknown or without an id."""
        if not isinstance(symbol, str):
            return None
        name = self._lookup(symbol)
        return None if name is None else self._symbol_to_entrez[name]

    def to_symbol(self, entrez_ids: Iterable[Any]) -> list[str | None]:
        """Symbols for Entrez ids, aligned with the input (None where unknown)."""
        return [self.symbol_of(value) for value in entrez_ids]

    def to_entrez(self, symbols: Iterable[Any]) -> list[int | None]:
        """Entrez ids for symbols, aligned with the input (None where unknown or without an id)."""
        return [self.entrez_of(value) for value in symbols]

    def to_frame(self) -> pd.DataFrame:
        """The map as a table (``symbol``, ``entrez_id`` as nullable Int64)."""
        return pd.DataFrame(
            {
                "symbol": list(self._symbol_to_entrez),
                "entrez_id": pd.array(list(self._symbol_to_entrez.values()), dtype="Int64"),
            }
        )


@cache
def _default_map() -> GeneMap:
    from drugloop.data import resolve  # late import: the data layer is not needed for maps built in memory

    path = resolve(DEFAULT_GENE_FILE)
    return GeneMap.from_file(path)

"""Shared helpers for the loaders: argument checks, strict JSON, FASTA, a small memo of parsed frames.

Parsing the bigger matrices takes a second or so; engines call loaders inside CV loops, so parsed frames are kept
(bounded, keyed by the resolved files' identity) and every call gets a fresh copy it may mutate freely.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from drugloop.data.resolver import resolve
from drugloop.errors import DataError, InputError

_MEMO: OrderedDict[tuple[Any, ...], pd.DataFrame] = OrderedDict()
_MEMO_MAX = 24


def choose(what: str, value: object, valid: Iterable[str]) -> str:
    """Normalise a string option; an unknown value raises InputError listing the valid ones."""
    options = list(valid)
    key = value.strip().lower() if isinstance(value, str) else value
    if key not in options:
        raise InputError(f"unknown {what} {value!r}; valid: {', '.join(options)}")
    return key  # type: ignore[return-value]


def open_text(path: Path) -> TextIO:
    """Open a UTF-8 text file, gunzipping ``.gz``; universal newlines make CRLF files read like LF ones."""
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def read_lines(path: Path) -> list[str]:
    """Non-blank lines, stripped of surrounding whitespace (handles CRLF and trailing tabs)."""
    with open_text(path) as fh:
        return [s for line in fh if (s := line.strip())]


def _unique_pairs(path: Path) -> Callable[[list[tuple[str, Any]]], OrderedDict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> OrderedDict[str, Any]:
        out: OrderedDict[str, Any] = OrderedDict()
        for key, value in pairs:
            if key in out:
                raise DataError(f"{path}: duplicate JSON key {key!r}; key order defines the matrix order")
            out[key] = value
        return out

    return hook


def read_json(path: Path) -> Any:
    """JSON with key order kept and duplicate keys refused (DeepDTA files rely on key order)."""
    with open_text(path) as fh:
        try:
            return json.load(fh, object_pairs_hook=_unique_pairs(path))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not valid JSON ({exc})") from None


def read_fasta(path: Path) -> OrderedDict[str, str]:
    """FASTA as {first word of header: sequence}, multi-line records joined; duplicate ids refused."""
    records: OrderedDict[str, str] = OrderedDict()
    current: str | None = None
    chunks: list[str] = []
    with open_text(path) as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line:
                continue
            if line.startswith(">"):
                if current is not None:
                    records[current] = "".join(chunks)
                parts = line[1:].split()
                if not parts:
                    raise DataError(f"{path}:{number}: FASTA header without an id")
                current, chunks = parts[0], []
                if current in records:
                    raise DataError(f"{path}:{number}: duplicate FASTA id {current!r}")
            elif current is None:
                raise DataError(f"{path}:{number}: sequence line before the first FASTA header")
            else:
                chunks.append(line)
    if current is not None:
        records[current] = "".join(chunks)
    return records


def require_columns(df: pd.DataFrame, columns: Sequence[str], path: Path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{path}: expected column(s) {missing} not found (has: {list(df.columns)})")


def snake(name: str) -> str:
    """``'Drug Name'`` -> ``'drug_name'``, ``'Original.Source.of.Cell.Line'`` -> ``'original_source_of_cell_line'``."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def resolve_all(paths: Iterable[str]) -> list[Path]:
    return [resolve(p) for p in paths]


def memo(
    key: tuple[Any, ...],
    files: Sequence[Path],
    build: Callable[[], pd.DataFrame],
    list_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Build once per (key, file identity); hand out copies so callers can mutate what they get.

    ``list_columns`` hold Python lists; those are copied too, since ``DataFrame.copy`` shares nested objects.
    """
    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    full = (key, stamp)
    frame = _MEMO.get(full)
    if frame is None:
        frame = build()
        _MEMO[full] = frame
        while len(_MEMO) > _MEMO_MAX:
            _MEMO.popitem(last=False)
    else:
        _MEMO.move_to_end(full)
    out = frame.copy(deep=True)
    for column in (c for c in list_columns if c in out.columns):
        out[column] = pd.Series([_copy_nested(v) for v in out[column]], index=out.index, dtype=object)
    return out


def _copy_nested(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy_nested(v) for v in value]
    return value


def clear_memo() -> None:
    """Forget parsed frames (tests, or after swapping the mirror)."""
    _MEMO.clear()


def object_column(values: Iterable[Any]) -> pd.Series:
    """A column kept as Python objects (lists, None, or strings shared between rows without copying)."""
    return pd.Series(list(values), dtype=object)

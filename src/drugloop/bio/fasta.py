"""FASTA reading and writing with errors that point at the line, and atomic writes.

The reader is format-level only: sequences keep their letters as written (whitespace removed); checking the
alphabet is ``drugloop.bio.protein.validate_sequences``'s job, so a FASTA of DNA or with ``*`` stop codons can
still be read and then reported on per record.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from drugloop.errors import InputError

__all__ = ["FastaRecord", "fasta_to_frame", "read_fasta", "write_fasta"]


@dataclass(frozen=True)
class FastaRecord:
    """One FASTA entry: ``id`` is the header up to the first whitespace, ``description`` the rest."""

    id: str
    description: str
    sequence: str

    @property
    def header(self) -> str:
        return f"{self.id} {self.description}" if self.description else self.id


def _read_text(source: str | os.PathLike[str]) -> tuple[str, str]:
    """(text, name for messages). A str with a newline or starting with '>' is FASTA text, else a path."""
    if isinstance(source, str) and ("\n" in source or "\r" in source or source.lstrip().startswith(">")):
        return source, "<text>"
    path = Path(source)
    if not path.is_file():
        raise InputError(f"FASTA file not found: {path}")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
                return fh.read(), str(path)
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(f"cannot read FASTA file {path}: {exc}") from exc


def read_fasta(source: str | os.PathLike[str]) -> list[FastaRecord]:
    """Records of a FASTA file (path, ``.gz`` path, or the FASTA text itself), in file order.

    Accepts CRLF/CR line endings, blank lines, wrapped sequence lines and ``;`` comment lines. Raises
    InputError with the line number for sequence data before the first header or an empty header, and
    InputError naming them when ids repeat (records are looked up by id downstream, e.g. binding labels).
    """
    text, name = _read_text(source)
    text = text.removeprefix("\ufeff")
    records: list[FastaRecord] = []
    header: tuple[str, str] | None = None
    chunks: list[str] = []

    def flush() -> None:
        if header is not None:
            records.append(FastaRecord(id=header[0], description=header[1], sequence="".join(chunks)))

    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(";"):
            continue
        if stripped.startswith(">"):
            flush()
            parts = stripped[1:].strip().split(maxsplit=1)
            if not parts:
                raise InputError(f"{name}, line {number}: FASTA header '>' without an id")
            header = (parts[0], parts[1].strip() if len(parts) > 1 else "")
            chunks = []
        else:
            if header is None:
                raise InputError(
                    f"{name}, line {number}: sequence data before the first '>' header (is this a FASTA file?)"
                )
            chunks.append("".join(stripped.split()))
    flush()

    duplicates = sorted(i for i, n in Counter(r.id for r in records).items() if n > 1)
    if duplicates:
        shown = ", ".join(duplicates[:10]) + (
            f" (+{len(duplicates) - 10} more)" if len(duplicates) > 10 else ""
        )
        raise InputError(f"{name}: duplicate FASTA id(s): {shown}")
    return records


def _check_record(record: FastaRecord) -> None:
    if not record.id or any(ch.isspace() for ch in record.id):
        raise InputError(f"FASTA id must be non-empty and contain no whitespace: {record.id!r}")
    if record.description and record.description.splitlines() != [record.description]:
        raise InputError(f"FASTA description of {record.id!r} contains a line break")
    if any(ch.isspace() for ch in record.sequence) or ">" in record.sequence or ";" in record.sequence:
        raise InputError(
            f"sequence of {record.id!r} contains whitespace, '>' or ';', which FASTA cannot hold"
        )


def write_fasta(
    records: Iterable[FastaRecord | tuple[str, str]], path: str | os.PathLike[str], width: int = 60
) -> Path:
    """Write records (or ``(id, sequence)`` pairs) to ``path``, wrapping at ``width`` (0 = no wrapping).

    The file appears complete or not at all (written to a temporary file, then ``os.replace``), so an
    interrupted run never leaves a truncated FASTA for the next step to read.
    """
    items = [
        r if isinstance(r, FastaRecord) else FastaRecord(id=r[0], description="", sequence=r[1])
        for r in records
    ]
    for record in items:
        _check_record(record)
    duplicates = sorted(i for i, n in Counter(r.id for r in items).items() if n > 1)
    if duplicates:
        raise InputError(f"duplicate FASTA id(s): {', '.join(duplicates[:10])}")
    lines: list[str] = []
    for record in items:
        lines.append(f">{record.header}")
        seq = record.sequence
        if width and width > 0:
            lines.extend(seq[i : i + width] for i in range(0, len(seq), width))
        elif seq:
            lines.append(seq)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines) + ("\n" if lines else ""))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def fasta_to_frame(source: str | os.PathLike[str]) -> pd.DataFrame:
    """FASTA as a table with columns ``id``, ``description``, ``sequence`` (file order)."""
    records = read_fasta(source)
    return pd.DataFrame(
        {
            "id": [r.id for r in records],
            "description": [r.description for r in records],
            "sequence": [r.sequence for r in records],
        }
    )

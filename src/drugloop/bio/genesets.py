"""Gene sets in GMT format (``name<TAB>description<TAB>gene...``): a tolerant reader and an atomic writer.

GMT files in the wild carry CRLF endings, trailing tabs and blank lines; the reader accepts all of those and stops
at a truly malformed line with its line number. The writer refuses values the reader could not give back, so
``read_gmt(write_gmt(sets))`` round-trips exactly.
"""

from __future__ import annotations

import gzip
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from drugloop.errors import InputError

GmtSource = str | os.PathLike[str] | Iterable[str]


class GeneSet(NamedTuple):
    name: str
    description: str
    genes: list[str]


def _lines(source: GmtSource) -> tuple[str, Iterator[str], io.IOBase | None]:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"GMT file not found: {path}")
        raw = gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")  # noqa: SIM115
        handle = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        return str(path), iter(handle), handle
    if isinstance(source, bytes | bytearray):
        raise InputError("read_gmt takes a path or an iterable of text lines, not bytes")
    return "<lines>", iter(source), None


def iter_gmt(source: GmtSource) -> Iterator[GeneSet]:
    """Yield each gene set with its description (MSigDB puts a URL there), in file order.

    ``source`` is a path (``.gz`` is decompressed) or an iterable of lines. Blank lines are skipped; CR/LF endings,
    trailing tabs and empty gene fields are ignored; surrounding spaces are stripped from every field. A line with
    fewer than 2 tab-separated fields, an empty set name, or a set name seen before raises InputError naming the
    line number.
    """
    where, lines, handle = _lines(source)
    seen: dict[str, int] = {}
    try:
        for number, raw in enumerate(lines, start=1):
            if not isinstance(raw, str):
                raise InputError(f"{where}: line {number}: expected text, got {type(raw).__name__}")
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) < 2:
                raise InputError(
                    f"{where}: line {number}: malformed GMT line, needs 'name<TAB>description<TAB>genes...': "
                    f"{line[:60]!r}"
                )
            name = fields[0].strip()
            if not name:
                raise InputError(f"{where}: line {number}: empty gene set name")
            if name in seen:
                raise InputError(
                    f"{where}: line {number}: gene set {name!r} already defined on line {seen[name]}"
                )
            seen[name] = number
            genes = [g for f in fields[2:] if (g := f.strip())]
            yield GeneSet(name, fields[1].strip(), genes)
    finally:
        if handle is not None:
            handle.close()


def read_gmt(path_or_lines: GmtSource) -> dict[str, list[str]]:
    """Gene sets as {name: genes in file order}; see :func:`iter_gmt` for what is tolerated."""
    return {s.name: s.genes for s in iter_gmt(path_or_lines)}


def _check_field(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"GMT {what} must be a string, got {type(value).__name__}")
    if len(value.splitlines()) > 1 or value.endswith(("\n", "\r")) or "\t" in value:
        raise InputError(f"GMT {what} {value!r} contains a tab or a line break")
    if value != value.strip():
        raise InputError(f"GMT {what} {value!r} has leading or trailing whitespace")
    return value


def write_gmt(
    sets: Mapping[str, Sequence[str]],
    path: str | os.PathLike[str],
    descriptions: Mapping[str, str] | None = None,
) -> Path:
    """Write ``sets`` as GMT (UTF-8, LF; gzipped when ``path`` ends in .gz), atomically: the file appears complete
    or not at all. ``descriptions`` fills the second column (default empty). Raises InputError for a name, gene or
    description that would not read back the same (empty name or gene, tabs, line breaks, outer whitespace).
    """
    descriptions = descriptions or {}
    lines = []
    for name, genes in sets.items():
        _check_field(name, "gene set name")
        if not name:
            raise InputError("GMT gene set name must not be empty")
        if isinstance(genes, str):
            raise InputError(f"genes of {name!r} must be a sequence of strings, not one string")
        checked = [_check_field(g, f"gene in {name!r}") for g in genes]
        if any(not g for g in checked):
            raise InputError(f"gene set {name!r} contains an empty gene name")
        description = _check_field(descriptions.get(name, ""), f"description of {name!r}")
        lines.append("\t".join([name, description, *checked]) + "\n")
    data = "".join(lines).encode("utf-8")
    target = Path(path)
    if target.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target

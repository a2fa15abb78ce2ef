"""Parse and standardise SMILES, one result per input row, with a readable reason for every failure.

Invalid molecules are reported, never dropped: a table of 250k SMILES comes back as 250k results in the same
order, so callers can join the reasons back onto their rows. RDKit's own stderr chatter is silenced; the reason is
captured into ``ParsedMolecule.error`` instead.

Standardisation (on by default) follows the usual MolVS order with RDKit's ``rdMolStandardize``: cleanup
(remove explicit Hs, disconnect metals, normalise functional groups, reionise), keep the largest (organic)
fragment, neutralise charges, and optionally pick the canonical tautomer (off by default: it is by far the slowest
step). The standardiser objects are built once per process, not once per molecule: ``rdMolStandardize.Cleanup``
re-parses its transformation SMARTS on every call and costs twice as much as reusing the objects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd
from rdkit import Chem, rdBase
from rdkit.Chem.MolStandardize import rdMolStandardize

from drugloop.errors import InputError

__all__ = [
    "ParsedMolecule",
    "parse_one",
    "parse_smiles",
    "standardize_mol",
    "standardize_smiles",
    "standardize_smiles_frame",
]

_TIMESTAMP = re.compile(r"^\[\d\d:\d\d:\d\d\]\s*")
_POSITION = re.compile(r"check for mistakes around position (\d+)")
_WHITESPACE = re.compile(r"\s")


@dataclass(frozen=True)
class ParsedMolecule:
    """One input row: the molecule and its canonical SMILES, or the reason it could not be read."""

    index: int
    input: Any
    mol: Chem.Mol | None
    smiles: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        """True when the row yielded a molecule."""
        return self.error is None


class _Standardizer:
    """The rdMolStandardize objects, built once and reused for every molecule."""

    def __init__(self, tautomer: bool) -> None:
        self.metal = rdMolStandardize.MetalDisconnector()
        self.normalizer = rdMolStandardize.Normalizer()
        self.reionizer = rdMolStandardize.Reionizer()
        self.fragment = rdMolStandardize.LargestFragmentChooser(preferOrganic=True)
        self.uncharger = rdMolStandardize.Uncharger(canonicalOrder=True)
        self.tautomer = rdMolStandardize.TautomerEnumerator() if tautomer else None

    def __call__(self, mol: Chem.Mol) -> Chem.Mol:
        # same steps as rdMolStandardize.Cleanup, without rebuilding the normaliser each call
        mol = Chem.RemoveHs(mol)
        self.metal.DisconnectInPlace(mol)
        self.normalizer.normalizeInPlace(mol)
        self.reionizer.reionizeInPlace(mol)
        Chem.AssignStereochemistry(mol, cleanIt=True, force=True)
        mol = self.fragment.choose(mol)  # chooseInPlace leaves RingInfo uninitialised (RDKit 2026.09)
        self.uncharger.unchargeInPlace(mol)
        if self.tautomer is not None:
            mol = self.tautomer.Canonicalize(mol)
        return mol


@cache
def _standardizer(tautomer: bool) -> _Standardizer:
    return _Standardizer(tautomer)


def _parse_failure_reason(text: str) -> str:
    """Turn RDKit's multi-line parser log into one short phrase (the input itself is not repeated)."""
    capture = getattr(rdBase, "CaptureErrorLog", None)
    if capture is None:  # an RDKit without CaptureErrorLog: the log cannot be read, give the generic reason
        return "cannot parse SMILES"
    with capture() as log:
        Chem.MolFromSmiles(text, sanitize=False)
    try:
        messages = log.messages
    except UnicodeDecodeError:  # RDKit truncates long inputs in its log, possibly inside a character
        return "cannot parse SMILES"
    lines = [_TIMESTAMP.sub("", line).strip() for line in messages.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return "cannot parse SMILES"
    position = next((m.group(1) for line in lines if (m := _POSITION.search(line))), None)
    first = lines[0].removeprefix("SMILES Parse Error:").strip()
    first = re.sub(r"\s+for input:.*$", "", first)
    if first.startswith("syntax error"):
        first = "syntax error"
    if position is not None:
        first += f" at position {position}"
    return f"cannot parse SMILES: {first}"


def _sanitize_reason(exc: Exception) -> str:
    kind = type(exc).__name__
    message = str(exc).strip()
    if "Valence" in kind:
        return f"valence error: {message}"
    if "Kekulize" in kind:
        return f"kekulization error: {message}"
    return f"sanitization error: {message}"


def _parse_row(index: int, value: Any, standardizer: _Standardizer | None) -> ParsedMolecule:
    def fail(reason: str) -> ParsedMolecule:
        return ParsedMolecule(index=index, input=value, mol=None, smiles=None, error=reason)

    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return fail("empty SMILES")
    if not isinstance(value, str):
        return fail(f"not a SMILES string: {type(value).__name__}")
    text = value.strip()
    if not text:
        return fail("empty SMILES")
    if _WHITESPACE.search(text):
        # RDKit would silently read only the part before the space ("C C" -> methane)
        return fail("whitespace inside SMILES (a name or a second column?)")
    if not text.isascii():
        # SMILES is ASCII; RDKit would silently stop at the first other character ("CCé" -> ethane)
        bad = next(i for i, ch in enumerate(text) if not ch.isascii())
        return fail(f"non-ASCII character {text[bad]!r} at position {bad}")
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        return fail(_parse_failure_reason(text))
    if mol.GetNumAtoms() == 0:
        return fail("empty molecule")
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # RDKit raises several MolSanitizeException subclasses
        return fail(_sanitize_reason(exc))
    if standardizer is not None:
        try:
            mol = standardizer(mol)
        except Exception as exc:  # standardisation failures are per molecule, never fatal for the batch
            return fail(f"standardization failed: {exc}")
        if mol is None or mol.GetNumAtoms() == 0:
            return fail("standardization left no atoms")
    try:
        smiles = Chem.MolToSmiles(mol)
    except Exception as exc:
        return fail(f"cannot write SMILES: {exc}")
    return ParsedMolecule(index=index, input=value, mol=mol, smiles=smiles, error=None)


def parse_smiles(
    smiles: Iterable[str | None], standardize: bool = True, *, tautomer: bool = False
) -> list[ParsedMolecule]:
    """Parse every SMILES; one ``ParsedMolecule`` per input, same order, never raising for bad input.

    ``tautomer=True`` adds canonical-tautomer selection to the standardisation (much slower).
    """
    standardizer = _standardizer(tautomer) if standardize else None
    with rdBase.BlockLogs():
        return [_parse_row(i, value, standardizer) for i, value in enumerate(smiles)]


def parse_one(smiles: str, standardize: bool = True, *, tautomer: bool = False) -> Chem.Mol:
    """Parse a single SMILES the user typed; raise InputError with the reason when it is not a molecule."""
    result = parse_smiles([smiles], standardize=standardize, tautomer=tautomer)[0]
    if result.mol is None:
        raise InputError(f"invalid SMILES {smiles!r}: {result.error}")
    return result.mol


def standardize_mol(mol: Chem.Mol, *, tautomer: bool = False) -> Chem.Mol:
    """Standardise an already-parsed molecule (a new object; the input is left as it was)."""
    with rdBase.BlockLogs():
        return _standardizer(tautomer)(Chem.Mol(mol))


def _standardize_chunk(args: tuple[list[Any], bool, bool]) -> tuple[list[str | None], list[str | None]]:
    values, standardize, tautomer = args
    parsed = parse_smiles(values, standardize=standardize, tautomer=tautomer)
    return [p.smiles for p in parsed], [p.error for p in parsed]


def standardize_smiles(
    smiles: Iterable[str | None],
    *,
    standardize: bool = True,
    tautomer: bool = False,
    n_jobs: int = 1,
    chunk_size: int = 5000,
) -> tuple[list[str | None], list[str | None]]:
    """Canonical standardised SMILES and error reasons as two aligned lists (strings only, cheap to ship).

    ``n_jobs > 1`` spreads chunks over worker processes: standardisation is CPU bound and molecules are not
    worth pickling, so the workers receive and return strings.
    """
    values = list(smiles)
    if n_jobs <= 1 or len(values) <= chunk_size:
        return _standardize_chunk((values, standardize, tautomer))
    chunks = [(values[i : i + chunk_size], standardize, tautomer) for i in range(0, len(values), chunk_size)]
    out_smiles: list[str | None] = []
    out_errors: list[str | None] = []
    with ProcessPoolExecutor(max_workers=n_jobs) as pool:
        for chunk_smiles, chunk_errors in pool.map(_standardize_chunk, chunks):
            out_smiles.extend(chunk_smiles)
            out_errors.extend(chunk_errors)
    return out_smiles, out_errors


def standardize_smiles_frame(
    df: pd.DataFrame,
    column: str = "smiles",
    *,
    tautomer: bool = False,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Return a copy of ``df`` with ``smiles_std`` (canonical SMILES or None) and ``smiles_error`` columns.

    Rows are kept, in order, whatever happens to them, so invalid input stays visible next to its reason.
    """
    if column not in df.columns:
        raise InputError(f"no column {column!r} in the table; columns are {list(df.columns)}")
    values: Sequence[Any] = df[column].tolist()
    smiles, errors = standardize_smiles(values, tautomer=tautomer, n_jobs=n_jobs)
    out = df.copy()
    out["smiles_std"] = pd.Series(smiles, index=df.index, dtype=object)
    out["smiles_error"] = pd.Series(errors, index=df.index, dtype=object)
    return out

"""Molecule grids: RDKit's ``MolsToGridImage`` as SVG (always) and PNG (when RDKit was built with Cairo)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rdkit import Chem, rdBase
from rdkit.Chem import Draw

from drugloop.errors import InputError
from drugloop.utils.io import atomic_write_bytes, atomic_write_text

__all__ = ["mol_grid_svg", "write_mol_grid"]


def _mols(smiles: Sequence[str]) -> list[Chem.Mol]:
    with rdBase.BlockLogs():
        mols = [Chem.MolFromSmiles(s) for s in smiles]
    bad = [s for s, m in zip(smiles, mols, strict=True) if m is None]
    if bad:
        raise InputError(f"cannot draw {len(bad)} invalid SMILES (e.g. {bad[0]!r})")
    return mols


def mol_grid_svg(
    smiles: Sequence[str], legends: Sequence[str] | None = None, per_row: int = 5, size: int = 220
) -> str:
    """An SVG grid of the molecules with optional legends (e.g. scores)."""
    if not smiles:
        raise InputError("no molecules to draw")
    mols = _mols(smiles)
    svg = Draw.MolsToGridImage(
        mols,
        molsPerRow=per_row,
        subImgSize=(size, size),
        legends=list(legends) if legends is not None else None,
        useSVG=True,
    )
    return svg if isinstance(svg, str) else svg.data


def write_mol_grid(
    smiles: Sequence[str],
    path: str | Path,
    legends: Sequence[str] | None = None,
    per_row: int = 5,
    size: int = 220,
) -> list[Path]:
    """Write ``path`` with suffix .svg and .png (PNG skipped when RDKit cannot render it); returns what was written."""
    path = Path(path)
    written = [atomic_write_text(path.with_suffix(".svg"), mol_grid_svg(smiles, legends, per_row, size))]
    try:
        image = Draw.MolsToGridImage(
            _mols(smiles),
            molsPerRow=per_row,
            subImgSize=(size, size),
            legends=list(legends) if legends is not None else None,
        )
        import io

        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        written.append(atomic_write_bytes(path.with_suffix(".png"), buffer.getvalue()))
    except Exception:  # a headless RDKit without Cairo/PIL: the SVG is the grid
        pass
    return written

"""Self-contained HTML pages (inline CSS and SVG, no scripts or external files) and RDKit molecule drawings.

``html_page`` wraps any body; ``molecule_svg`` draws a compound; ``explanation_page`` lays out one compound-protein
explanation (summary, molecule, highlighted sequence, regions and top residues). The campaign report reuses them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from drugloop.report.sequence import SEQUENCE_CSS, region_label, sequence_html

__all__ = ["PAGE_CSS", "html_page", "molecule_svg", "explanation_page", "table_html"]

PAGE_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 24px 32px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px 0; } h2 { font-size: 16px; margin: 22px 0 8px 0; }
.sub { color: #666; font-size: 13px; margin-bottom: 14px; }
.top { display: flex; gap: 28px; align-items: flex-start; flex-wrap: wrap; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: 10px 14px; background: #fafafa; }
table.dl { border-collapse: collapse; font-size: 13px; }
table.dl th, table.dl td { border-bottom: 1px solid #e4e4e4; padding: 3px 10px; text-align: left; }
table.dl th { background: #f0f0f0; }
.note { color: #8a5a00; font-size: 13px; }
.mono { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
"""


def html_page(title: str, body: str, css: str = "") -> str:
    """A complete HTML5 document with the shared styles inlined."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{PAGE_CSS}{SEQUENCE_CSS}{css}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def molecule_svg(smiles_or_mol: Any, width: int = 320, height: int = 240) -> str:
    """An inline ``<svg>`` drawing of a molecule (SMILES or RDKit Mol); raises ValueError if it does not parse."""
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = Chem.MolFromSmiles(smiles_or_mol) if isinstance(smiles_or_mol, str) else smiles_or_mol
    if mol is None:
        raise ValueError(f"cannot draw {smiles_or_mol!r}: not a valid molecule")
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
    drawer.drawOptions().clearBackground = False
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    drawer.FinishDrawing()
    svg = drawer.GetDrawingText()
    return svg[svg.index("<svg") :]  # drop the XML declaration so it can be inlined


def table_html(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A plain HTML table of dict rows; floats get 3 decimals; missing values (None, NaN) are left blank."""
    if not rows:
        return "<p>(none)</p>"
    cols = list(columns or rows[0].keys())

    def fmt(v: Any) -> str:
        if v is None or (isinstance(v, float) and v != v):
            return ""
        return f"{v:.3f}" if isinstance(v, float) else html.escape(str(v))

    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{fmt(r.get(c, ''))}</td>" for c in cols) + "</tr>" for r in rows)
    return f'<table class="dl"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def explanation_page(
    *,
    title: str,
    sequence: str,
    scores: Sequence[float],
    regions: Sequence[Sequence[float]],
    smiles: str | None = None,
    true_regions: Sequence[Sequence[float]] | None = None,
    summary: Mapping[str, Any] | None = None,
    top_residues: Sequence[Mapping[str, Any]] = (),
    region_rows: Sequence[Mapping[str, Any]] | None = None,
    notes: Sequence[str] = (),
    score_name: str = "attribution",
) -> str:
    """The explanation page: molecule + summary on top, then the highlighted sequence, regions and top residues."""
    mol = ""
    if smiles:
        try:
            mol = (
                f'<div class="card">{molecule_svg(smiles)}<div class="mono" style="max-width:320px">'
                f"{html.escape(smiles)}</div></div>"
            )
        except ValueError as exc:
            mol = f'<div class="card note">{html.escape(str(exc))}</div>'
    summ = (
        table_html([{"": k, "value": v} for k, v in (summary or {}).items()], ["", "value"])
        if summary
        else ""
    )
    note_html = "".join(f'<p class="note">{html.escape(n)}</p>' for n in notes)
    if region_rows is None:
        region_rows = [
            {
                "region": region_label(int(r[0]), int(r[1])),
                "length": int(r[1]) - int(r[0]),
                "confidence": float(r[2]) if len(r) > 2 else "",
            }
            for r in regions
        ]
    true_html = ""
    if true_regions is not None:
        true_html = (
            "<p>true regions: " + ", ".join(region_label(int(r[0]), int(r[1])) for r in true_regions) + "</p>"
        )
    body = (
        f"<h1>{html.escape(title)}</h1>"
        f'<div class="sub">{len(sequence)} residues &middot; residues numbered from 1</div>'
        f'<div class="top">{mol}<div>{summ}{note_html}</div></div>'
        f"<h2>Sequence</h2>{sequence_html(sequence, scores, regions, true_regions, score_name=score_name)}"
        f"<h2>Predicted regions</h2>{table_html(list(region_rows))}{true_html}"
        f"<h2>Top residues</h2>{table_html(list(top_residues))}"
    )
    return html_page(title, body)

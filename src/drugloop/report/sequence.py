"""Protein sequences with per-residue scores and regions: a self-contained HTML block and a Rich terminal view.

HTML: the sequence in rows of 60 residues (10-residue groups, 1-based numbers at the left), each residue shaded by
its score (white -> red) with a hover title, and above each row one track of bars for the predicted regions and,
when given, one for the true regions. Regions are half-open 0-based ``(start, end[, score])`` tuples and are
labelled 1-based inclusive (``start + 1``-``end``), the way biologists number residues.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["SEQUENCE_CSS", "region_label", "rich_sequence", "sequence_html"]

ROW = 60
_CELL = 13  # px per residue
_GAP = 6  # px between groups of 10

SEQUENCE_CSS = """
.dl-seq { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
.dl-seq .row { position: relative; margin: 2px 0 10px 0; }
.dl-seq .num { position: absolute; left: 0; width: 52px; text-align: right; color: #888; }
.dl-seq .body { margin-left: 60px; position: relative; }
.dl-seq .track { position: relative; height: 9px; margin-bottom: 2px; }
.dl-seq .bar { position: absolute; height: 7px; border-radius: 3px; top: 1px; }
.dl-seq .bar.pred { background: #1f6fd1; opacity: 0.8; }
.dl-seq .bar.true { background: #2a9d4b; }
.dl-seq .res { display: inline-block; width: 13px; text-align: center; line-height: 18px; }
.dl-seq .res.g { margin-left: 6px; }
.dl-seq .res.in { border-bottom: 2px solid #1f6fd1; }
.dl-legend { font-size: 12px; color: #444; margin: 6px 0 12px 0; }
.dl-legend span.sw { display: inline-block; width: 24px; height: 8px; border-radius: 3px; margin: 0 4px 0 12px; }
"""


def region_label(start: int, end: int) -> str:
    """1-based inclusive label of a half-open 0-based region: (0, 10) -> '1-10'."""
    return f"{start + 1}-{end}"


def _shade(score: float) -> str:
    s = float(np.clip(score, 0.0, 1.0))
    return f"rgba(214,39,40,{0.08 + 0.82 * s:.2f})" if s > 0.02 else "transparent"


def _x(col: int) -> int:
    return col * _CELL + (col // 10) * _GAP


def _track(regions: Sequence[Sequence[float]], row_start: int, row_end: int, kind: str) -> str:
    bars = []
    for r in regions:
        s, e = int(r[0]), int(r[1])
        lo, hi = max(s, row_start), min(e, row_end)
        if hi <= lo:
            continue
        left, right = _x(lo - row_start), _x(hi - 1 - row_start) + _CELL
        label = f"{'predicted' if kind == 'pred' else 'true'} region {region_label(s, e)}"
        if len(r) > 2:
            label += f", confidence {float(r[2]):.2f}"
        bars.append(
            f'<div class="bar {kind}" style="left:{left + 1}px;width:{right - left - 2}px" '
            f'title="{html.escape(label)}"></div>'
        )
    return f'<div class="track">{"".join(bars)}</div>'


def sequence_html(
    sequence: str,
    scores: Sequence[float] | np.ndarray | None = None,
    regions: Sequence[Sequence[float]] = (),
    true_regions: Sequence[Sequence[float]] | None = None,
    row: int = ROW,
    score_name: str = "score",
) -> str:
    """An HTML ``<div class="dl-seq">`` block (style it with ``SEQUENCE_CSS``); every residue is one ``<span>``."""
    n = len(sequence)
    vals = np.zeros(n) if scores is None else np.asarray(scores, dtype=np.float64)
    if vals.shape != (n,):
        raise ValueError(f"{vals.size} scores for a sequence of {n} residues")
    inside = np.zeros(n, dtype=bool)
    for r in regions:
        inside[max(0, int(r[0])) : min(n, int(r[1]))] = True
    parts = ['<div class="dl-seq">']
    for row_start in range(0, n, row):
        row_end = min(n, row_start + row)
        parts.append(
            f'<div class="row"><div class="num" style="top:{22 if true_regions is not None else 11}px">'
            f'{row_start + 1}</div><div class="body">'
        )
        parts.append(_track(regions, row_start, row_end, "pred"))
        if true_regions is not None:
            parts.append(_track(true_regions, row_start, row_end, "true"))
        cells = []
        for i in range(row_start, row_end):
            cls = (
                "res"
                + (" g" if (i - row_start) and (i - row_start) % 10 == 0 else "")
                + (" in" if inside[i] else "")
            )
            title = f"{sequence[i]}{i + 1} {score_name} {vals[i]:.3f}"
            cells.append(
                f'<span class="{cls}" style="background:{_shade(vals[i])}" title="{title}">'
                f"{html.escape(sequence[i])}</span>"
            )
        parts.append("".join(cells))
        parts.append("</div></div>")
    parts.append("</div>")
    legend = (
        '<div class="dl-legend">residue shade = '
        + html.escape(score_name)
        + ' (white 0 &rarr; red 1)<span class="sw" style="background:#1f6fd1"></span>predicted region'
    )
    if true_regions is not None:
        legend += '<span class="sw" style="background:#2a9d4b"></span>true region'
    legend += "</div>"
    return legend + "".join(parts)


def rich_sequence(
    sequence: str,
    scores: Sequence[float] | np.ndarray | None = None,
    regions: Sequence[Sequence[float]] = (),
    row: int = ROW,
) -> Any:
    """A ``rich.text.Text``: rows of ``row`` residues with 1-based numbers; residues inside a region are shown
    bold white on blue, others dimmed by score (bright = high)."""
    from rich.text import Text

    n = len(sequence)
    vals = np.zeros(n) if scores is None else np.asarray(scores, dtype=np.float64)
    inside = np.zeros(n, dtype=bool)
    for r in regions:
        inside[max(0, int(r[0])) : min(n, int(r[1]))] = True
    text = Text()
    for row_start in range(0, n, row):
        text.append(f"{row_start + 1:>6} ", style="dim")
        for i in range(row_start, min(n, row_start + row)):
            if i > row_start and (i - row_start) % 10 == 0:
                text.append(" ")
            if inside[i]:
                style = "bold white on blue"
            else:
                style = "bold red" if vals[i] >= 0.5 else ("default" if vals[i] >= 0.2 else "dim")
            text.append(sequence[i], style=style)
        text.append("\n")
    return text

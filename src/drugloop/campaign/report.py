"""The campaign report: one self-contained HTML page (inline SVG/PNG, no network) built from the run folder alone."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drugloop.report.page import html_page, molecule_svg, table_html
from drugloop.report.sequence import sequence_html
from drugloop.utils.io import atomic_write_bytes, atomic_write_text

CSS = """
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
.mol { border: 1px solid #ddd; border-radius: 8px; padding: 6px; background: #fff; font-size: 12px; }
.mol svg { width: 100%; height: auto; }
.mol .cap { font-family: ui-monospace, Menlo, monospace; }
section { margin: 22px 0; overflow-x: auto; }
h2 { border-bottom: 2px solid #1f6fd1; padding-bottom: 3px; }
.skip { color: #8a5a00; }
.kv td:first-child { color: #555; padding-right: 16px; }
img.curve { max-width: 720px; width: 100%; }
"""


def _read(out: Path, name: str) -> Any:
    path = out / name
    if not path.exists():
        return None
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return json.loads(path.read_text(encoding="utf-8"))


def _kv(pairs: dict[str, Any]) -> str:
    rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{_fmt(v)}</td></tr>" for k, v in pairs.items())
    return f'<table class="kv">{rows}</table>'


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return "n/a" if not np.isfinite(v) else f"{v:.3f}"
    return html.escape(str(v))


def learning_curve_png(ledger: pd.DataFrame, path: Path | None = None) -> bytes:
    """Best-so-far and top-10 mean objective against compounds made and tested (the design engine's plot)."""
    from drugloop.design.plots import learning_curve_bytes

    data = learning_curve_bytes(ledger.sort_values("order")["score"].to_numpy(float))
    if path is not None:
        atomic_write_bytes(path, data)
    return data


def tissue_heatmap_png(tissues: pd.DataFrame) -> bytes:
    """Compounds x tissues, colour = median predicted ln IC50 relative to the compound's median cell line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ranked = tissues[tissues["tissue_rank"].notna()]
    grid = ranked.pivot(index="compound", columns="tissue", values="median_relative_ln_ic50")
    grid = grid.reindex(index=list(dict.fromkeys(ranked["compound"])))
    grid = grid[grid.mean(axis=0).sort_values().index]
    limit = float(np.nanmax(np.abs(grid.to_numpy()))) if grid.size else 1.0
    fig, ax = plt.subplots(figsize=(min(2.5 + 0.32 * grid.shape[1], 11), 1.6 + 0.26 * grid.shape[0]), dpi=100)
    image = ax.imshow(grid.to_numpy(float), cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [t[:28] for t in grid.columns], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(grid.shape[0]), list(grid.index), fontsize=7)
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01).set_label(
        "median relative ln IC50\n(red = sensitive)", fontsize=7
    )
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _cell_line_section(out: Path, steps: list[dict[str, Any]]) -> str:
    frame = _read(out, "cell_line_sensitivity.parquet")
    info = _read(out, "cell_lines.json")
    if frame is None or info is None:
        return _skipped(steps, "cell_lines") or "<p>(not run)</p>"
    hold = info.get("holdout", {})
    test = hold.get("test", {})
    per_drug, baseline = test.get("per_drug_pearson_median"), hold.get("baseline_per_drug_pearson_median")
    body = [
        _kv(
            {
                "model": f"LightGBM pan-drug response ({'+'.join(hold.get('omics', []))} + "
                f"{hold.get('n_bits')}-bit ECFP -> ln IC50)",
                "trained on": "GDSC (TGSA copy): "
                + ", ".join(
                    f"{hold[k]} {what}"
                    for k, what in (
                        ("n_train", "pairs"),
                        ("train_drugs", "drugs"),
                        ("cell_lines", "cell lines"),
                    )
                    if hold.get(k)
                ),
                "held-out split": hold.get("split"),
                "held-out drugs": f"{len(hold.get('test_drugs') or []) or 'n/a'} ({hold.get('n_test')} pairs)",
            }
        )
    ]
    if test:
        body.append(
            "<p>Accuracy on drugs the model never saw (a design is such a drug), in ln IC50 (µM):</p>"
        )
        body.append(
            table_html(
                [
                    {
                        **{k: float(v) for k, v in test.items()},
                        "baseline per-drug Pearson": float(baseline) if baseline is not None else "n/a",
                    }
                ]
            )
        )
        body.append(
            "<p>Per-drug Pearson is how well the model orders the cell lines for one unseen drug (median over "
            "the held-out drugs). The baseline orders every drug's cell lines by the lines' mean ln IC50 over "
            "the training drugs, i.e. by how sensitive each line is to drugs in general. "
            + (
                f"Here the model ({_fmt(per_drug)}) is no better than that baseline ({_fmt(baseline)}), so the "
                "lists below mostly name cell lines that are sensitive to most drugs, not to this chemistry in "
                "particular. "
                if per_drug is not None and baseline is not None and per_drug < baseline + 0.05
                else ""
            )
            + "Absolute ln IC50 of new drugs is far less reliable than the order of cell lines, so the tables "
            "also give each line relative to the compound's median line (negative = more sensitive).</p>"
        )
    refs = _read(out, "cell_line_references.parquet")
    if refs is not None and len(refs):
        held = hold.get("test_drugs")
        body.append(
            "<h3>GDSC drugs that hit the target (reference)</h3><p>Linked by GDSC's own target annotation "
            "or by a DAVIS Kd of at most 100 nM within 10-fold of the drug's best kinase. Their predictions "
            "below are in-sample where the drug was in training; their measured GDSC values are given "
            "beside them.</p>"
        )
        body.append(
            table_html(
                [
                    {
                        "drug": r.drug_name,
                        "sources": r.sources,
                        "in training": "unknown"
                        if held is None
                        else "no (held out)"
                        if r.drug_name in held
                        else "yes",
                        "evidence": r.evidence,
                    }
                    for r in refs.itertuples()
                ]
            )
        )
    rows = []
    for compound, g in frame.groupby("compound", sort=False):
        top = g.nsmallest(5, "rank")
        first = g.iloc[0]
        row = {
            "compound": compound,
            "kind": first["kind"],
            "nearest GDSC drug (Tanimoto)": f"{first['nearest_gdsc_drug']} ({first['nearest_gdsc_similarity']:.2f})",
            "most sensitive cell lines: name (cancer type) predicted ln IC50 [relative]": "; ".join(
                f"{r.cell_line} ({r.cancer_type}) {r.predicted_ln_ic50:.2f} [{r.relative_ln_ic50:+.2f}]"
                for r in top.itertuples()
            ),
        }
        measured = g.dropna(subset=["measured_ln_ic50"]).nsmallest(3, "measured_ln_ic50")
        row["measured most sensitive (GDSC ln IC50)"] = (
            "; ".join(f"{r.cell_line} {r.measured_ln_ic50:.2f}" for r in measured.itertuples()) or "-"
        )
        rows.append(row)
    body.append("<h3>Cell lines predicted most sensitive</h3>" + table_html(rows))
    tissues = _read(out, "cell_line_tissues.parquet")
    if tissues is not None and tissues["tissue_rank"].notna().any():
        png = tissue_heatmap_png(tissues)
        body.append(
            "<h3>By tissue</h3>" + f'<div id="tissue-heatmap">{_img(png, "tissue sensitivity")}</div>'
        )
        best = tissues[tissues["tissue_rank"].le(3).fillna(False)]
        body.append(
            table_html(
                [
                    {
                        "compound": c,
                        **{
                            f"tissue {int(r.tissue_rank)}": f"{r.tissue} ({r.cell_lines} lines,"
                            f" {r.median_relative_ln_ic50:+.2f})"
                            for r in g.itertuples()
                        },
                    }
                    for c, g in best.groupby("compound", sort=False)
                ]
            )
        )
    return "".join(body)


def _img(png: bytes, alt: str) -> str:
    return f'<img class="curve" alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _molecule_grid(designs: pd.DataFrame, unit: str) -> str:
    cells = []
    for r in designs.itertuples():
        try:
            svg = molecule_svg(r.smiles, 300, 220)
        except ValueError:
            svg = "<p>(cannot draw)</p>"
        unc = f" &plusmn; {r.uncertainty:.2f}" if np.isfinite(r.uncertainty) else ""
        cells.append(
            f'<div class="mol">{svg}<div class="cap"><b>#{r.rank}</b> score {r.score:.3f}<br>'
            f"{html.escape(unit)} {r.predicted_affinity:.2f}{unc}<br>QED {r.qed:.2f} · SA {r.sa:.2f}"
            f' · call {r.found_at_call}</div><div class="mono" style="font-size:10px">{html.escape(r.smiles)}</div>'
            "</div>"
        )
    return f'<div class="grid" id="molecule-grid">{"".join(cells)}</div>'


def _region_trust(steps: list[dict[str, Any]]) -> str:
    """How far to trust the sequence-only regions: the region model's accuracy on proteins it never saw."""
    info = next((s.get("info", {}) for s in steps if s["name"] == "target_regions"), {})
    accuracy = info.get("accuracy") or {}
    if not accuracy:
        return '<p class="note">The region model\'s card holds no held-out accuracy; treat the regions as unvalidated.</p>'
    figures = ", ".join(f"{html.escape(k)} {v:.2f}" for k, v in accuracy.items())
    ap = accuracy.get("region AP@0.5 (HoTS validation)")
    verdict = (
        " Most predicted regions do not match a true binding region: read them as hints, not binding sites."
        if ap is not None and ap < 0.3
        else ""
    )
    return f'<p class="note" id="region-trust">Accuracy on proteins the region model never saw: {figures}.{verdict}</p>'


def _skipped(steps: list[dict[str, Any]], name: str) -> str | None:
    for s in steps:
        if s["name"] == name and s["status"] != "done":
            return f'<p class="skip">Skipped: {html.escape(s.get("reason") or s["status"])}</p>'
    return None


def build_report(out: Path) -> str:
    out = Path(out)
    steps = _read(out, "steps.json") or []
    target = _read(out, "target.json") or {}
    binding = _read(out, "binding.json") or {}
    unit = binding.get("unit", "affinity")
    parts = [
        f"<h1>Campaign: {html.escape(str(target.get('name', '?')))}</h1>",
        '<div class="sub">drugloop design–make–test–learn campaign. Every number below is read from the files '
        "in this folder; the provenance section names the models, splits and data checksums.</div>",
    ]

    # target card
    body = [
        _kv(
            {
                "target": target.get("name"),
                "gene": target.get("gene") or "unknown",
                "source": target.get("source"),
                "length (residues)": target.get("length"),
                "DAVIS ids": ", ".join(target.get("davis_ids", [])[:8]) or "none",
                "KIBA ids": ", ".join(target.get("kiba_ids", [])) or "none",
            }
        )
    ]
    ligands = _read(out, "known_ligands.parquet")
    if ligands is not None and len(ligands):
        body.append(f"<p>{len(ligands)} measured compound–target pairs in the shipped data; strongest:</p>")
        body.append(
            table_html(
                ligands.head(5).to_dict("records"),
                [c for c in ("dataset", "drug_id", "name", "target_id", "affinity", "unit") if c in ligands],
            )
        )
    profile = _read(out, "target_profile.parquet")
    body.append("<h3>Perturbation profile and target-only approval likelihood</h3>")
    body.append(
        table_html(profile.to_dict("records"))
        if profile is not None
        else (_skipped(steps, "target_profile") or "<p>(not run)</p>")
    )
    residues = _read(out, "target_residues.parquet")
    regions = _read(out, "target_regions.parquet")
    body.append("<h3>Predicted binding regions (sequence only)</h3>")
    if residues is not None and regions is not None:
        body.append(
            sequence_html(
                target.get("sequence", ""),
                residues["binding"].to_numpy(float),
                [(r.start, r.end, r.score) for r in regions.itertuples()],
                score_name="binding probability",
            )
        )
        body.append(_region_trust(steps))
    else:
        body.append(_skipped(steps, "target_regions") or "<p>(not run)</p>")
    parts.append('<section id="target"><h2>1. Target</h2>' + "".join(body) + "</section>")

    # binding model
    metrics = binding.get("metrics", {})
    test = metrics.get("test", {}) if isinstance(metrics, dict) else {}
    this = metrics.get("this_target", {}) if isinstance(metrics, dict) else {}
    body = [
        _kv(
            {
                "model": binding.get("model_type"),
                "trained on": binding.get("dataset"),
                "label": unit,
                "held-out split": binding.get("split"),
                "held-out pairs": metrics.get("n_test", "n/a") if isinstance(metrics, dict) else "n/a",
            }
        )
    ]
    if test:
        body.append(
            "<p>Accuracy on compounds the model never saw (how far to trust the binding predictions):</p>"
        )
        body.append(table_html([{k: float(v) for k, v in test.items()}]))
    if this:
        body.append(
            f"<p>On this target's held-out compounds (n = {this.get('n')}): Spearman "
            f"{_fmt(this.get('spearman'))}, RMSE {_fmt(this.get('rmse'))} {html.escape(unit)}.</p>"
        )
    parts.append('<section id="binding"><h2>2. Binding model</h2>' + "".join(body) + "</section>")

    # design
    ledger = _read(out, "ledger.parquet")
    designs = _read(out, "designs.parquet")
    design_info = next((s.get("info", {}) for s in steps if s["name"] == "design"), {})
    body = []
    if ledger is not None and len(ledger):
        counters = design_info.get("counters", {})
        body.append(
            f"<p>{len(ledger)} compounds made and tested in {ledger['batch'].nunique()} cycles; "
            f"{counters.get('proposed', 'n/a')} proposed, {counters.get('invalid', 'n/a')} invalid and "
            f"{counters.get('duplicate', 'n/a')} repeats never reached the objective.</p>"
        )
        png = learning_curve_png(ledger, out / "learning_curve.png")
        body.append(f'<div id="learning-curve">{_img(png, "learning curve")}</div>')
    if designs is not None and len(designs):
        body.append("<h3>Top designs</h3>" + _molecule_grid(designs, unit))
        body.append(table_html(designs.drop(columns=["smiles"]).to_dict("records")))
    parts.append('<section id="design"><h2>3. Design</h2>' + "".join(body) + "</section>")

    # explanation
    explain = _read(out, "explain.json")
    exp_res = _read(out, "explain_residues.parquet")
    body = []
    if explain is not None and exp_res is not None:
        body.append(
            f'<p>Best design <span class="mono">{html.escape(explain["smiles"])}</span>; method: '
            f"{html.escape(str(explain.get('method')))}.</p>"
        )
        seq_block = sequence_html(
            target.get("sequence", ""),
            exp_res["attribution"].to_numpy(float),
            [(r["start"], r["end"], r.get("confidence", 0.0)) for r in explain.get("regions", [])],
            score_name="attribution",
        )
        body.append(f'<div id="highlighted-sequence">{seq_block}</div>')
        for note in explain.get("notes", []):
            body.append(f'<p class="note">{html.escape(str(note))}</p>')
    else:
        body.append(_skipped(steps, "explain") or "<p>(not run)</p>")
    parts.append('<section id="explain"><h2>4. Why the best design binds</h2>' + "".join(body) + "</section>")

    # approval and response
    approval = _read(out, "approval.parquet")
    body = [
        table_html(approval.to_dict("records"))
        if approval is not None
        else (_skipped(steps, "approval") or "<p>(not run)</p>")
    ]
    parts.append('<section id="approval"><h2>5. Approval assessment</h2>' + "".join(body) + "</section>")
    body = []
    for key, title in (
        ("biomarkers", "Network genes near the target (random walk with restart, STRING v12)"),
        ("pathways", "Pathways closest to the target (proximity z-score)"),
    ):
        frame = _read(out, f"response_{key}.parquet")
        if frame is not None:
            body.append(f"<h3>{title}</h3>" + table_html(frame.head(15).to_dict("records")))
    if not body:
        body.append(_skipped(steps, "response") or "<p>(not run)</p>")
    parts.append('<section id="response"><h2>6. Network biomarkers</h2>' + "".join(body) + "</section>")
    parts.append(
        '<section id="cell-lines"><h2>7. Cell lines predicted most sensitive</h2>'
        + _cell_line_section(out, steps)
        + "</section>"
    )

    # provenance
    config = _read(out, "config.json") or {}
    card = binding.get("card", {})
    body = [
        "<h3>Steps</h3>",
        table_html(
            [
                {
                    "step": s["name"],
                    "status": s["status"],
                    "seconds": float(s.get("seconds", 0.0)),
                    "note": s.get("reason") or "",
                }
                for s in steps
            ]
        ),
        "<h3>Run</h3>",
        _kv(
            {
                "drugloop": config.get("drugloop_version"),
                "commit": config.get("commit"),
                "seed": config.get("seed"),
                "command": config.get("command"),
                "created": config.get("created"),
            }
        ),
        "<h3>Binding model card</h3>",
        _kv(
            {
                k: card.get(k)
                for k in ("model_type", "featurizer_version", "data", "split", "n_train", "seed", "ensemble")
                if k in card
            }
        ),
        "<h3>Data checksums (sha256)</h3>",
        _kv({**(card.get("data_files") or {}), "training table (pairs)": card.get("data_sha256", "n/a")}),
        '<p>Re-run exactly: <span class="mono">drugloop campaign --config campaign.toml --out NEW_DIR</span> '
        "(campaign.toml in this folder is the resolved configuration).</p>",
    ]
    parts.append('<section id="provenance"><h2>8. Provenance</h2>' + "".join(body) + "</section>")
    return html_page(f"drugloop campaign: {target.get('name', '')}", "".join(parts), CSS)


def write_report(out: Path) -> Path:
    return atomic_write_text(Path(out) / "report.html", build_report(Path(out)))

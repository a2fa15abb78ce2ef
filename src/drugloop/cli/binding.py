"""`drugloop binding`: train, predict and evaluate compound-protein binding models (a shell over drugloop.binding)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.table import Table

from drugloop.cli._console import console, err_console, parse_params, stage_progress, user_errors
from drugloop.errors import InputError

app = typer.Typer(help="Compound-protein binding: train, predict, evaluate.", no_args_is_help=True)

_PRED_COLUMNS = ["prediction", "uncertainty", "error"]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def _metrics_table(title: str, columns: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title)
    table.add_column("metric")
    for name in columns:
        table.add_column(name, justify="right")
    keys = list(dict.fromkeys(k for metrics in columns.values() for k in metrics))
    for key in keys:
        table.add_row(key, *[_fmt(m.get(key, "")) for m in columns.values()])
    return table


@app.command()
@user_errors
def train(
    data: str | None = typer.Option(
        None, "--data", help="davis, kiba, human, human_cold, or a CSV/TSV/Parquet file"
    ),
    fasta: Path | None = typer.Option(
        None, "--fasta", help="FASTA for a pairs file that has target_id, not sequence"
    ),
    model: str | None = typer.Option(None, "--model", help="lgbm (default) or deep"),
    split: str | None = typer.Option(
        None,
        "--split",
        help="auto, setting1, predefined, random, cold_drug, cold_target, cold_both, scaffold",
    ),
    seed: int | None = typer.Option(None, "--seed", help="random seed (default 0)"),
    ensemble: int | None = typer.Option(None, "--ensemble", help="number of ensemble members (default 1)"),
    device: str | None = typer.Option(None, "--device", help="auto, cpu or cuda (deep model)"),
    config: Path | None = typer.Option(None, "--config", help="TOML config; options given here override it"),
    out: Path | None = typer.Option(None, "--out", help="run folder (default runs/binding)"),
    param: list[str] | None = typer.Option(
        None, "--param", "-p", help="model parameter key=value (repeatable)"
    ),
) -> None:
    """Train a model, test it on the held-out part, and write model/, metrics.json and test predictions."""
    from drugloop.binding import BindingConfig
    from drugloop.binding import train as run_train

    base = BindingConfig.from_toml(config) if config else BindingConfig()
    params = {**base.model_params, **parse_params(param)} if param else None
    cfg = base.override(
        data=data,
        fasta=fasta,
        model=model,
        split=split,
        seed=seed,
        ensemble=ensemble,
        device=device,
        out=out,
        model_params=params,
    )
    with stage_progress() as update:
        result = run_train(cfg, progress=update)
    rec = result.metrics
    n = rec["n"]
    console.print(
        f"[bold]{cfg.model}[/] on {rec['data']} ({rec['task']}), split {rec['split']}: "
        f"{n['train']:,} train / {n['val']:,} val / {n['test']:,} test pairs, {rec['wall_seconds']:.1f} s",
        highlight=False,
    )
    columns = {"test": rec["test"]}
    if rec["valid"]:
        columns["validation"] = rec["valid"]
    console.print(_metrics_table("binding metrics", columns))
    console.print(f"run folder: {result.out}", highlight=False)


def _target_records(targets: list[str]) -> list[tuple[str, str]]:
    """(id, sequence) for each --target: a FASTA file (every record) or a raw sequence."""
    from drugloop.bio.fasta import read_fasta

    records: list[tuple[str, str]] = []
    for i, item in enumerate(targets):
        path = Path(item)
        try:
            is_file = path.is_file()
        except OSError:  # a sequence longer than a file name may be: it is a sequence
            is_file = False
        if is_file:
            records += [(r.id, r.sequence) for r in read_fasta(path)]
        elif path.suffix.lower() in {".fasta", ".fa", ".faa", ".fas"} or "/" in item:
            raise InputError(f"FASTA file not found: {item}")
        else:
            records.append((f"target_{i + 1}" if len(targets) > 1 else "target", "".join(item.split())))
    return records


@app.command()
@user_errors
def predict(
    model: Path = typer.Option(..., "--model", help="a saved model folder (run folder or its model/)"),
    pairs: Path | None = typer.Option(
        None, "--pairs", help="CSV/TSV/Parquet with smiles + sequence (or target_id)"
    ),
    fasta: Path | None = typer.Option(None, "--fasta", help="FASTA for a pairs file that has target_id"),
    smiles: list[str] | None = typer.Option(None, "--smiles", help="a compound SMILES (repeatable)"),
    target: list[str] | None = typer.Option(
        None, "--target", help="a FASTA file or a protein sequence (repeatable)"
    ),
    out: Path = typer.Option(..., "--out", help="output .csv, .tsv or .parquet"),
) -> None:
    """Predict pairs; writes input columns + prediction, uncertainty, error (one reason per unusable row)."""
    from drugloop.binding import load_model
    from drugloop.binding.pairs import normalise_pairs, read_pairs
    from drugloop.binding.train import write_table

    if out.suffix not in {".csv", ".tsv", ".parquet"}:
        raise InputError(f"--out must end in .csv, .tsv or .parquet, not {out.name!r}")
    if (pairs is None) == (not smiles):
        raise InputError("give either --pairs FILE or --smiles S with --target (not both)")
    folder = model / "model" if (model / "model" / "card.json").is_file() else model
    fitted = load_model(folder)
    if pairs is not None:
        table = read_pairs(pairs, fasta=fasta, label=None)
        columns = list(table.attrs.get("input_columns", table.columns))
        if "sequence" not in columns:
            columns.append("sequence")
    else:
        if not target:
            raise InputError("--smiles needs --target (a FASTA file or a protein sequence)")
        records = _target_records(target)
        rows = [{"smiles": s, "target_id": tid, "sequence": seq} for s in smiles for tid, seq in records]
        table = normalise_pairs(pd.DataFrame(rows, columns=["smiles", "target_id", "sequence"]), label=None)
        columns = ["smiles", "target_id", "sequence"]
    with stage_progress() as update:
        update(f"predicting {len(table):,} pairs", 0, 1)
        result = fitted.predict(table)
    columns = [c for c in columns if c not in _PRED_COLUMNS] + _PRED_COLUMNS
    write_table(result[columns], out)
    n_err = int(result["error"].notna().sum())
    console.print(f"{len(result) - n_err} predicted, {n_err} rows with errors -> {out}", highlight=False)


@app.command()
@user_errors
def evaluate(
    model: Path = typer.Option(..., "--model", help="a saved model folder (run folder or its model/)"),
    data: str = typer.Option(..., "--data", help="davis, kiba, human, human_cold, or a labelled pairs file"),
    fasta: Path | None = typer.Option(None, "--fasta", help="FASTA for a pairs file that has target_id"),
    split: str | None = typer.Option(
        None, "--split", help="score only this split's test part (default: all rows)"
    ),
    seed: int = typer.Option(0, "--seed", help="seed of the split (random/cold/scaffold)"),
    out: Path | None = typer.Option(None, "--out", help="also write the metrics as JSON here"),
) -> None:
    """Score a saved model on labelled pairs and print the metrics."""
    from drugloop.binding import evaluate as run_evaluate
    from drugloop.utils.io import atomic_write_json

    folder = model / "model" if (model / "model" / "card.json").is_file() else model
    with stage_progress() as update:
        update("evaluating", 0, 1)
        result = run_evaluate(folder, data, split=split, fasta=fasta, seed=seed)
    console.print(
        _metrics_table(f"{result['model_type']} on {data} ({result['split']})", {"value": result["metrics"]})
    )
    if out is not None:
        atomic_write_json(out, result)
        console.print(f"metrics: {out}", highlight=False)


# ---------------------------------------------------------------------------------------------------------------
# Binding regions and explanations
# ---------------------------------------------------------------------------------------------------------------
def _parse_true_regions(text: str | None) -> list[tuple[int, int]] | None:
    """'10-25,40-52' (1-based inclusive residue numbers) -> [(9, 25), (39, 52)] (0-based half-open)."""
    if text is None:
        return None
    out = []
    for part in text.split(","):
        lo, sep, hi = part.strip().partition("-")
        try:
            start, end = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise InputError(
                f"--true-regions expects 1-based ranges like 10-25,40-52, got {part!r}"
            ) from None
        if start < 1 or end < start:
            raise InputError(f"--true-regions: bad range {part!r}")
        out.append((start - 1, end))
    return out


def _region_model(path: Path | None, templates: bool = False) -> Any:
    from drugloop.binding.regions import RegionPredictor

    model = RegionPredictor.load(path) if path is not None else RegionPredictor.default()
    if templates:
        import copy

        from drugloop.binding.region_data import reference_library
        from drugloop.data.resolver import cache_dir

        if not model.template_blend:
            raise InputError(
                "this region model has no template blend (train it with benchmarks/binding_regions.py)"
            )
        model = copy.copy(model)  # the shipped model is shared: attach the library to a copy
        model.use_templates(reference_library(), cache_dir=cache_dir() / "templates")
    return model


TEMPLATES_HELP = (
    "also transfer the labels of the closest annotated homolog (bindPredict + HoTS data through the resolver;"
    " the HoTS data are non-commercial)"
)


@app.command()
@user_errors
def regions(
    target: list[str] = typer.Option(..., "--target", help="a FASTA file or a protein sequence (repeatable)"),
    out: Path | None = typer.Option(None, "--out", help="folder for regions.json and residues.csv"),
    region_model: Path | None = typer.Option(
        None, "--region-model", help="a region model folder (default: shipped)"
    ),
    templates: bool = typer.Option(False, "--templates", help=TEMPLATES_HELP),
    quiet: bool = typer.Option(False, "--quiet", help="no sequence view, just the summary"),
) -> None:
    """Predict binding regions of proteins: per-residue probabilities and merged regions with confidences."""
    from rich.panel import Panel

    from drugloop.report.sequence import region_label, rich_sequence
    from drugloop.utils.io import atomic_write_json, atomic_write_text

    records = _target_records(target)
    if not records:
        raise InputError("no target sequences given")
    model = _region_model(region_model, templates)
    results = model.predict_many(records)
    summary = []
    for rid, pred, error in results:
        if error is not None:
            err_console.print(f"[bold red]error:[/] target {rid}: {error}", highlight=False, soft_wrap=True)
            summary.append({"target_id": rid, "error": error})
            continue
        regs = [
            {
                "region": region_label(r.start, r.end),
                "start": r.start,
                "end": r.end,
                "confidence": round(r.score, 4),
            }
            for r in pred.regions
        ]
        entry: dict[str, Any] = {"target_id": rid, "length": len(pred.sequence), "regions": regs}
        if pred.template_id is not None:
            entry["template"] = {"id": pred.template_id, "identity": round(float(pred.template_identity), 4)}
            console.print(
                f"{rid}: labels transferred from {pred.template_id} "
                f"({100 * pred.template_identity:.0f}% identical)",
                highlight=False,
            )
        summary.append(entry)
        if not quiet:
            title = f"{rid}: {len(pred.sequence)} residues, {len(regs)} predicted region(s)"
            console.print(
                Panel(
                    rich_sequence(pred.sequence, pred.binding, [r.as_tuple() for r in pred.regions]),
                    title=title,
                    expand=False,
                )
            )
        table = Table(title=f"{rid} binding regions")
        for col in ("rank", "region", "length", "confidence"):
            table.add_column(col, justify="right" if col != "region" else "left")
        for rank, r in enumerate(pred.regions, start=1):
            table.add_row(str(rank), region_label(r.start, r.end), str(r.end - r.start), f"{r.score:.3f}")
        console.print(table)
        if out is not None:
            frame = pd.DataFrame(
                {
                    "position": range(1, len(pred.sequence) + 1),
                    "residue": list(pred.sequence),
                    "binding": pred.binding.round(4),
                    "region_prob": pred.region.round(4),
                }
            )
            name = "residues.csv" if len(records) == 1 else f"{_safe(rid)}.residues.csv"
            atomic_write_text(out / name, frame.to_csv(index=False))
    if out is not None:
        atomic_write_json(
            out / "regions.json",
            {
                "decoder": model.decoder,
                "coordinates": "start 0-based inclusive, end exclusive; 'region' is 1-based inclusive",
                "targets": summary,
            },
        )
        console.print(f"regions: {out / 'regions.json'}", highlight=False)
    n_bad = sum(1 for _, _, e in results if e is not None)
    if n_bad == len(results):
        raise InputError("no usable target sequence")


def _safe(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._+-]", "_", name)[:80] or "target"


@app.command()
@user_errors
def explain(
    smiles: list[str] = typer.Option(..., "--smiles", help="a compound SMILES (repeatable)"),
    target: list[str] = typer.Option(..., "--target", help="a FASTA file or a protein sequence (repeatable)"),
    out: Path = typer.Option(
        ..., "--out", help="output folder (one subfolder per pair when there are several)"
    ),
    model: Path | None = typer.Option(
        None, "--model", help="a saved binding model folder; omit for regions only"
    ),
    region_model: Path | None = typer.Option(
        None, "--region-model", help="a region model folder (default: shipped)"
    ),
    templates: bool = typer.Option(False, "--templates", help=TEMPLATES_HELP),
    true_regions: str | None = typer.Option(
        None, "--true-regions", help="known regions, 1-based: 10-25,40-52"
    ),
    top: int = typer.Option(15, "--top", help="number of top residues to list"),
) -> None:
    """Explain compound-protein pairs: residue attributions, regions, and a self-contained HTML page per pair."""
    from drugloop.binding import load_model
    from drugloop.binding.explain import explain_pairs, write_explanation
    from drugloop.report.sequence import rich_sequence
    from drugloop.utils.io import atomic_write_json

    records = _target_records(target)
    fitted = None
    if model is not None:
        folder = model / "model" if (model / "model" / "card.json").is_file() else model
        fitted = load_model(folder)
    truth = _parse_true_regions(true_regions)
    results = explain_pairs(
        fitted, smiles, records, region_model=_region_model(region_model, templates), true_regions=truth
    )
    several = len(results) > 1
    index = []
    for i, exp in enumerate(results, start=1):
        if not exp.ok:
            err_console.print(f"[bold red]error:[/] {exp.error}", highlight=False, soft_wrap=True)
            index.append({"pair": i, "target_id": exp.target_id, "smiles": exp.smiles, "error": exp.error})
            continue
        folder = out / f"pair{i}_{_safe(exp.target_id)}" if several else out
        paths = write_explanation(exp, folder, top=top)
        index.append(
            {
                "pair": i,
                "target_id": exp.target_id,
                "smiles": exp.smiles,
                "prediction": exp.prediction,
                "folder": str(folder),
                **{k: str(v) for k, v in paths.items()},
            }
        )
        head = f"{exp.target_id} x {exp.smiles[:50]}"
        if exp.prediction is not None:
            head += f"  prediction {exp.prediction:.3f}"
        console.print(f"[bold]{head}[/]  ({exp.method})", highlight=False)
        for note in exp.notes:
            console.print(f"[yellow]note:[/] {note}", highlight=False)
        console.print(
            rich_sequence(
                exp.sequence,
                exp.residues["attribution"].to_numpy(),
                [(r["start"], r["end"]) for r in exp.regions],
            )
        )
        tops = exp.top_residues(min(top, 10))
        console.print(
            "top residues: "
            + ", ".join(f"{r.residue}{r.position} {r.attribution:.2f}" for r in tops.itertuples()),
            highlight=False,
        )
        console.print(f"page: {paths['html']}", highlight=False)
    if several:
        atomic_write_json(out / "index.json", index)
    if all(not e.ok for e in results):
        raise InputError("no pair could be explained")

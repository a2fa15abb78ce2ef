"""`drugloop binding`: train, predict and evaluate compound-protein binding models (a shell over drugloop.binding)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from drugloop.cli._console import console, err_console, user_errors
from drugloop.errors import InputError

app = typer.Typer(help="Compound-protein binding: train, predict, evaluate.", no_args_is_help=True)

_PRED_COLUMNS = ["prediction", "uncertainty", "error"]


def _parse_params(items: list[str] | None) -> dict[str, Any]:
    """``key=value`` pairs; values read as JSON where they parse (numbers, true/false, lists), else strings."""
    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param expects key=value, got {item!r}")
        try:
            params[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            params[key.strip()] = value
    return params


@contextmanager
def _progress() -> Iterator[Any]:
    """A Rich progress bar fed by the engine's ``progress(stage, done, total)`` callback (stderr, transient)."""
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total if total > 1 else None)

        yield update


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
    data: str | None = typer.Option(None, "--data", help="davis, kiba, human, human_cold, or a CSV/TSV/Parquet file"),
    fasta: Path | None = typer.Option(None, "--fasta", help="FASTA for a pairs file that has target_id, not sequence"),
    model: str | None = typer.Option(None, "--model", help="lgbm (default) or deep"),
    split: str | None = typer.Option(
        None, "--split", help="auto, setting1, predefined, random, cold_drug, cold_target, cold_both, scaffold"
    ),
    seed: int | None = typer.Option(None, "--seed", help="random seed (default 0)"),
    ensemble: int | None = typer.Option(None, "--ensemble", help="number of ensemble members (default 1)"),
    device: str | None = typer.Option(None, "--device", help="auto, cpu or cuda (deep model)"),
    config: Path | None = typer.Option(None, "--config", help="TOML config; options given here override it"),
    out: Path | None = typer.Option(None, "--out", help="run folder (default runs/binding)"),
    param: list[str] | None = typer.Option(None, "--param", "-p", help="model parameter key=value (repeatable)"),
) -> None:
    """Train a model, test it on the held-out part, and write model/, metrics.json and test predictions."""
    from drugloop.binding import BindingConfig
    from drugloop.binding import train as run_train

    base = BindingConfig.from_toml(config) if config else BindingConfig()
    params = {**base.model_params, **_parse_params(param)} if param else None
    cfg = base.override(data=data, fasta=fasta, model=model, split=split, seed=seed, ensemble=ensemble,
                        device=device, out=out, model_params=params)
    with _progress() as update:
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
        if path.is_file():
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
    pairs: Path | None = typer.Option(None, "--pairs", help="CSV/TSV/Parquet with smiles + sequence (or target_id)"),
    fasta: Path | None = typer.Option(None, "--fasta", help="FASTA for a pairs file that has target_id"),
    smiles: list[str] | None = typer.Option(None, "--smiles", help="a compound SMILES (repeatable)"),
    target: list[str] | None = typer.Option(None, "--target", help="a FASTA file or a protein sequence (repeatable)"),
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
    with _progress() as update:
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
    split: str | None = typer.Option(None, "--split", help="score only this split's test part (default: all rows)"),
    seed: int = typer.Option(0, "--seed", help="seed of the split (random/cold/scaffold)"),
    out: Path | None = typer.Option(None, "--out", help="also write the metrics as JSON here"),
) -> None:
    """Score a saved model on labelled pairs and print the metrics."""
    from drugloop.binding import evaluate as run_evaluate
    from drugloop.utils.io import atomic_write_json

    folder = model / "model" if (model / "model" / "card.json").is_file() else model
    with _progress() as update:
        update("evaluating", 0, 1)
        result = run_evaluate(folder, data, split=split, fasta=fasta, seed=seed)
    console.print(_metrics_table(f"{result['model_type']} on {data} ({result['split']})",
                                 {"value": result["metrics"]}))
    if out is not None:
        atomic_write_json(out, result)
        console.print(f"metrics: {out}", highlight=False)

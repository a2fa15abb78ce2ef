"""`drugloop approval`: Drug approval probability from target perturbation effects and chemistry.

A thin shell over :mod:`drugloop.approval`: ``train`` ≡ ``drugloop.approval.train(ApprovalConfig(...))``,
``predict`` ≡ ``ApprovalEngine.load(dir).predict_drugs(table)``, ``target`` ≡ ``...target_profile(genes)``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.table import Table

from drugloop.cli._console import console, err_console, user_errors
from drugloop.errors import InputError

app = typer.Typer(
    help="Drug approval probability from target perturbation effects and chemistry.", no_args_is_help=True
)

DEFAULT_MODEL = Path("runs/approval")


def _fmt(value: Any, digits: int = 3) -> str:
    """A cell for a Rich table: blanks for None/NaN, fixed digits for floats."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def _with_pct(value: Any, pct: Any) -> str:
    text = _fmt(value, 2)
    return f"{text} ({_fmt(pct, 0)}%)" if text and _fmt(pct) else text


def _read_table(path: Path) -> pd.DataFrame:
    """CSV / TSV / Parquet with string cells kept as strings (gene lists, SMILES)."""
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        sep = "\t" if suffix in {".tsv", ".tab", ".txt"} else ","
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None


def _write_table(df: pd.DataFrame, out: Path) -> None:
    from drugloop.utils.io import atomic_write_bytes, atomic_write_text

    suffix = out.suffix.lower()
    if suffix == ".parquet":
        import io

        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        atomic_write_bytes(out, buf.getvalue())
    elif suffix in {".csv", ".tsv"}:
        atomic_write_text(out, df.to_csv(index=False, sep="\t" if suffix == ".tsv" else ","))
    else:
        raise InputError(f"--out must end in .csv, .tsv or .parquet, not {out.name!r}")


@app.command()
@user_errors
def train(
    out: Path | None = typer.Option(
        None, "--out", help="run folder (default runs/approval); model in OUT/model"
    ),
    seed: int | None = typer.Option(None, "--seed", help="random seed (default 0)"),
    threads: int | None = typer.Option(None, "--threads", help="LightGBM threads (default 1)"),
    config: Path | None = typer.Option(None, "--config", help="TOML config; options given here override it"),
) -> None:
    """Train the calibrated full / chemical-only / target-only models on all drugs and save them."""
    from drugloop.approval import ApprovalConfig
    from drugloop.approval import train as run_train

    base = ApprovalConfig.from_toml(config) if config else ApprovalConfig()
    cfg = base.override(out=out, seed=seed, threads=threads)
    with err_console.status("training the approval models (inner-CV tuning + calibration)"):
        engine = run_train(cfg)
    table = Table(
        title=f"approval models ({engine.card['n_drugs']:,} drugs, {engine.card['n_approved']:,} approved)"
    )
    for col in ("part", "features", "trees", "inner-CV AUROC"):
        table.add_column(col, justify="right" if col != "part" else "left")
    for name, meta in engine.card["parts"].items():
        table.add_row(name, str(len(meta["features"])), str(meta["rounds"]), _fmt(meta["inner_auroc"]))
    console.print(table)
    console.print(f"model folder: {Path(cfg.out) / 'model'}", highlight=False)


@app.command()
@user_errors
def predict(
    drugs: Path = typer.Option(
        ...,
        "--drugs",
        help="CSV/TSV/Parquet with name, smiles, targets (gene symbols, separated by | ; , or spaces)",
    ),
    model: Path = typer.Option(
        DEFAULT_MODEL, "--model", help="run folder or model folder from `approval train`"
    ),
    out: Path | None = typer.Option(None, "--out", help="write the scores here (.csv/.tsv/.parquet)"),
    top: int = typer.Option(3, "--top", min=1, help="feature contributions to show per drug"),
) -> None:
    """Calibrated approval probability per drug, with its top feature contributions (tree SHAP)."""
    from drugloop.approval import ApprovalEngine

    table = _read_table(drugs)
    engine = ApprovalEngine.load(model)
    result = engine.predict_drugs(table, top=top)
    if out is not None:
        _write_table(result, out)
    view = Table(title="approval probability")
    for col in ("name", "P(approved)", "model", "targets used", "unknown targets"):
        view.add_column(col, justify="right" if col in {"P(approved)", "targets used"} else "left")
    for r in result.itertuples(index=False):
        view.add_row(
            _fmt(r.name),
            _fmt(r.approval_probability),
            _fmt(r.model) or "[red]error[/]",
            _fmt(r.n_targets_used),
            _fmt(r.unknown_targets),
        )
    console.print(view)
    for r in result.itertuples(index=False):
        detail = _fmt(r.error) or "; ".join(t for t in (_fmt(r.note), _fmt(r.top_contributions)) if t)
        if detail:
            console.print(f"{_fmt(r.name)}: {detail}", highlight=False, soft_wrap=True)
    n_err = int(result["approval_probability"].isna().sum())
    console.print(
        f"{len(result) - n_err} scored, {n_err} rows with errors" + (f" -> {out}" if out else ""),
        highlight=False,
    )


@app.command()
@user_errors
def target(
    genes: list[str] = typer.Argument(..., help="gene symbols (or Ensembl gene ids)"),
    model: Path = typer.Option(
        DEFAULT_MODEL, "--model", help="run folder or model folder from `approval train`"
    ),
    out: Path | None = typer.Option(None, "--out", help="write the profiles here (.csv/.tsv/.parquet)"),
) -> None:
    """A target's perturbation profile (CGE, OGE, network, expression) and a target-only approval likelihood."""
    from drugloop.approval import ApprovalEngine

    engine = ApprovalEngine.load(model)
    result, unknown = engine.target_profile(list(genes))
    if result.empty:
        raise InputError(f"none of the genes are known: {', '.join(unknown)}")
    if out is not None:
        _write_table(result, out)
    view = Table(title="target perturbation profile (percentile among all genes)")
    for label in ("gene", "CGE", "OGE", "degree", "Network", "Expr.", "P(approved)"):
        view.add_column(label, justify="left" if label == "gene" else "right")
    for _, r in result.iterrows():
        view.add_row(
            _fmt(r["gene"]),
            _with_pct(r["CGE"], r["CGE_percentile"]),
            _with_pct(r["OGE"], r["OGE_percentile"]),
            _fmt(r["network_degree"]),
            _fmt(r["Network"]),
            _fmt(r["Expression"]),
            _fmt(r["target_only_approval_probability"]),
        )
    console.print(view)
    console.print(
        "P(approved): target-only model, a drug hitting only this gene; calibrated to the training mix "
        "(57 % approved)",
        highlight=False,
    )
    if unknown:
        err_console.print(f"[yellow]unknown genes (skipped):[/] {', '.join(unknown)}", highlight=False)


@app.command()
@user_errors
def features(
    out: Path | None = typer.Option(
        None, "--out", help="write the rebuilt drug table here (.csv/.tsv/.parquet)"
    ),
) -> None:
    """Rebuild the per-drug features from raw tables and report agreement with the shipped ML_dataset.tsv."""
    from drugloop.approval import build_dataset, compare_with_ml_dataset

    df = build_dataset()
    report = compare_with_ml_dataset(df)
    view = Table(
        title=f"rebuilt vs ML_dataset.tsv: {report['drugs_in_both']:,} of {report['drugs_shipped']:,} "
        f"drugs in both, labels agree {report['label_agreement']:.3f}"
    )
    view.add_column("feature")
    view.add_column("fraction equal", justify="right")
    view.add_column("max |diff|", justify="right")
    for name, rec in report["features"].items():  # type: ignore[union-attr]
        view.add_row(name, f"{rec['fraction_equal']:.4f}", f"{rec['max_abs_diff']:.2e}")
    console.print(view)
    if out is not None:
        _write_table(df, out)
        console.print(f"rebuilt table: {out}", highlight=False)

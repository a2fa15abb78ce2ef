"""`drugloop response`: Anti-cancer drug response from transcriptomes, with network biomarkers."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import typer
from rich.table import Table

from drugloop.cli._console import console, parse_params, setup_logging, stage_progress, user_errors

app = typer.Typer(
    help="Anti-cancer drug response from transcriptomes, with network biomarkers.", no_args_is_help=True
)


@app.command()
@user_errors
def train(
    data: str = typer.Option("gdsc", help="Training data (gdsc: TGSA's GDSC with CCLE omics)."),
    split: str = typer.Option("mixed", help="mixed (random pairs), cold_cell or cold_drug."),
    model: str = typer.Option("deep", help="deep (omics + ECFP two-tower MLP) or lgbm."),
    out: Path = typer.Option(
        Path("runs/response"), help="Output folder (model/, metrics.json, config.json)."
    ),
    seed: int = typer.Option(0, help="Split and initialisation seed."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    threads: int = typer.Option(1, help="CPU threads for torch / LightGBM."),
    config: Path | None = typer.Option(None, help="TOML config; options given here override it."),
    param: list[str] | None = typer.Option(
        None, help="Model parameter key=value (repeatable), e.g. max_epochs=10."
    ),
    quiet: bool = typer.Option(False, help="Only warnings and the result."),
) -> None:
    """Train a pan-drug model on a GDSC split and report its test RMSE / Pearson / Spearman."""
    from drugloop.response.train import ResponseConfig
    from drugloop.response.train import train as run_train

    setup_logging(quiet=quiet)
    base = ResponseConfig.from_toml(config) if config else ResponseConfig()
    cfg = base.override(
        data=data,
        split=split,
        model=model,
        out=out,
        seed=seed,
        device=device,
        threads=threads,
        model_params=parse_params(param) or None,
    )
    with stage_progress("loading GDSC", disable=quiet) as progress:
        result = run_train(cfg, progress=progress)
    table = Table(title=f"{cfg.model} on gdsc, {cfg.split} split (test)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in result["test"].items():
        table.add_row(k, f"{v:.4f}" if isinstance(v, float) else str(v))
    console.print(table)
    console.print(f"model saved to {result['model_dir']}")


@app.command()
@user_errors
def predict(
    model: Path = typer.Option(..., help="A model folder written by `drugloop response train`."),
    expression: Path = typer.Option(
        ..., help="Samples x genes CSV/TSV/Parquet (HGNC symbols or Entrez ids)."
    ),
    drugs: str = typer.Option(..., help="Drug names, comma-separated, or a file with drug_name[,smiles]."),
    out: Path = typer.Option(Path("predictions.csv"), help="Output CSV."),
    scale: str = typer.Option(
        "zscore", help="zscore (per gene across your samples) or none (already z-scored)."
    ),
    quiet: bool = typer.Option(False),
) -> None:
    """Predicted ln IC50 per sample and drug, with sensitivity ranks (1 = most sensitive)."""
    from drugloop.response.predict import predict_response
    from drugloop.utils.io import atomic_write_text

    setup_logging(quiet=quiet)
    table = predict_response(model, expression, drugs, scale=scale)
    atomic_write_text(out, table.to_csv(index=False))
    cov = table.attrs["coverage"]
    n_err = int(table["error"].notna().sum())
    console.print(
        f"{len(table) - n_err} predictions, {n_err} rows with errors -> {out}; gene coverage "
        f"{cov['n_matched']}/{cov['n_model_genes']} ({100 * cov['fraction']:.1f}%)"
        + (
            f"; filled with training means: {', '.join(table.attrs['filled_omics'])}"
            if table.attrs["filled_omics"]
            else ""
        )
    )


@app.command()
@user_errors
def biomarkers(
    targets: str = typer.Option(..., help="Drug target symbols, comma-separated, e.g. TYMS or EGFR,ERBB2."),
    drug: str | None = typer.Option(None, help="Drug name, for labels."),
    out: Path = typer.Option(Path("biomarkers"), help="Folder for genes.csv, pathways.csv, pathways.png."),
    n_random: int = typer.Option(1000, help="Degree-matched random set pairs for the z-score."),
    restart: float = typer.Option(0.5, help="Restart probability of the random walk."),
    min_score: int = typer.Option(700, help="STRING combined-score cut-off."),
    prefix: str = typer.Option("REACTOME_", help="MSigDB C2 gene-set prefix (REACTOME_, KEGG_, ...)."),
    seed: int = typer.Option(0),
    quiet: bool = typer.Option(False),
) -> None:
    """Genes ranked by propagation from the targets and pathways ranked by network proximity (CSV + PNG)."""
    from drugloop.response.biomarkers import drug_biomarkers, write_biomarkers

    setup_logging(quiet=quiet)
    start = time.perf_counter()
    res = drug_biomarkers(
        targets.split(","),
        drug=drug,
        restart=restart,
        n_random=n_random,
        prefix=prefix,
        min_score=min_score,
        seed=seed,
    )
    paths = write_biomarkers(res, out)
    table = Table(title=f"most proximal pathways: {drug or ', '.join(res.targets)}")
    for col in ("rank", "gene_set", "n_in_network", "z"):
        table.add_column(col)
    for _, r in res.pathways.head(10).iterrows():
        table.add_row(str(r["rank"]), str(r["gene_set"]), str(r["n_in_network"]), f"{r['z']:.2f}")
    console.print(table)
    console.print("top genes: " + ", ".join(res.genes["gene"].head(15)))
    secs = ", ".join(f"{k} {v:.1f}s" for k, v in res.seconds.items())
    console.print(
        f"wrote {', '.join(str(p) for p in paths.values())} ({secs}; total {time.perf_counter() - start:.1f}s)"
    )


@app.command()
@user_errors
def organoid(
    out: Path = typer.Option(Path("organoid_crc.csv"), help="Per-drug reproduction table (CSV)."),
    proximity: str = typer.Option(
        "ours", help="ours (recomputed on STRING v12) or published (Kong's z-scores)."
    ),
    n_random_sets: int = typer.Option(20, help="Random pathway draws per drug."),
    n_random: int = typer.Option(1000, help="Random set pairs per proximity z-score."),
    seed: int = typer.Option(0),
    quiet: bool = typer.Option(False),
) -> None:
    """Kong 2020 reproduction: leave-one-organoid-out IC50 from proximal pathways vs all genes vs random sets."""
    from drugloop.response.organoid import reproduce_organoid
    from drugloop.utils.io import atomic_write_text

    setup_logging(quiet=quiet)
    logging.getLogger("drugloop.response.organoid").setLevel(logging.WARNING if quiet else logging.INFO)
    table, summary = reproduce_organoid(
        n_random_sets=n_random_sets, seed=seed, proximity_source=proximity, n_random=n_random
    )
    atomic_write_text(out, table.to_csv(index=False))
    console.print(
        f"{summary['n_drugs']} drugs: network pathways beat all genes and random sets on "
        f"{100 * summary['share_beats_all_genes_and_random']:.0f}% (all genes {100 * summary['share_beats_all_genes']:.0f}%, "
        f"random {100 * summary['share_beats_random']:.0f}%); median Spearman {summary['median_spearman']} -> {out}"
    )

"""`drugloop campaign`: from a target to designed, explained, assessed molecules, with a report."""

from __future__ import annotations

from pathlib import Path

import typer

from drugloop.cli._console import console, user_errors


@user_errors
def campaign(
    target: str = typer.Option(
        None, "--target", help="DAVIS name (ABL1, EGFR), KIBA UniProt id or FASTA file"
    ),
    config: Path = typer.Option(None, "--config", help="campaign.toml; flags given here override its fields"),
    budget: int = typer.Option(None, "--budget", help="compounds made and tested by the design loop [300]"),
    batch: int = typer.Option(None, "--batch", help="compounds per design cycle [30]"),
    seed: int = typer.Option(None, "--seed", help="random seed [0]"),
    model: Path = typer.Option(None, "--model", help="a trained binding model folder (else trained here)"),
    out: Path = typer.Option(..., "--out", help="run folder (report.html, *.parquet, campaign.toml)"),
    resume: bool = typer.Option(False, "--resume", help="continue an interrupted campaign in --out"),
) -> None:
    """Run a campaign: target assessment, binding model, design loop, explanation, assessment, report."""
    from drugloop.campaign.config import CampaignConfig
    from drugloop.campaign.run import run_campaign
    from drugloop.errors import InputError

    overrides = {
        "target": target,
        "budget": budget,
        "batch": batch,
        "seed": seed,
        "model": str(model) if model else None,
    }
    if config is None and resume and (out / "campaign.toml").exists():
        config = out / "campaign.toml"
    if config is not None:
        cfg = CampaignConfig.from_toml(config, **overrides)
    else:
        if not target:
            raise InputError("give --target (or --config campaign.toml)")
        cfg = CampaignConfig.build(**overrides)
    result = run_campaign(cfg, out, resume=resume)
    for step, status in result.steps.items():
        colour = {"done": "green", "skipped": "yellow"}.get(status, "red")
        console.print(f"  {step:<15} [{colour}]{status}[/]")
    console.print(f"campaign finished in {result.wall_seconds:.0f} s; report: [bold]{result.report}[/]")

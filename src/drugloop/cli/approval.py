"""`drugloop approval`: Drug approval probability from target perturbation effects and chemistry."""

from __future__ import annotations

import typer

app = typer.Typer(help="Drug approval probability from target perturbation effects and chemistry.", no_args_is_help=True)

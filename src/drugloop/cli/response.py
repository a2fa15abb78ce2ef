"""`drugloop response`: Anti-cancer drug response from transcriptomes, with network biomarkers."""

from __future__ import annotations

import typer

app = typer.Typer(help="Anti-cancer drug response from transcriptomes, with network biomarkers.", no_args_is_help=True)

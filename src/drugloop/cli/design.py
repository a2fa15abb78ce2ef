"""`drugloop design`: De novo design in a design-make-test-learn loop."""

from __future__ import annotations

import typer

app = typer.Typer(help="De novo design in a design-make-test-learn loop.", no_args_is_help=True)

"""The drugloop console script: a thin shell over the Python API."""

from __future__ import annotations

import sys

import typer

from drugloop import __version__
from drugloop.cli import approval as approval_cli
from drugloop.cli import binding as binding_cli
from drugloop.cli import campaign as campaign_cli
from drugloop.cli import data as data_cli
from drugloop.cli import design as design_cli
from drugloop.cli import response as response_cli
from drugloop.cli._console import fail, setup_logging

app = typer.Typer(
    name="drugloop",
    help="Machine learning across the drug discovery pipeline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data_cli.app, name="data")
app.add_typer(binding_cli.app, name="binding")
app.add_typer(response_cli.app, name="response")
app.add_typer(approval_cli.app, name="approval")
app.add_typer(design_cli.app, name="design")
app.command("campaign")(campaign_cli.campaign)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"drugloop {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version"
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="more log output"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="warnings and errors only"),
) -> None:
    setup_logging(verbose, quiet)


def main() -> None:
    """Entry point: user mistakes end in one line and exit code 2, never a traceback."""
    from drugloop.errors import DrugloopError

    try:
        app()
    except DrugloopError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", code=130)
    sys.exit(0)

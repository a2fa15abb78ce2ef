"""`drugloop data`: list, describe, fetch and verify the registered data sets."""

from __future__ import annotations

import typer
from rich.table import Table

from drugloop.cli._console import console, fail, user_errors
from drugloop.data.catalog import DATASETS, get_dataset
from drugloop.data.resolver import cache_dir, mirror_dir, resolve, verify

app = typer.Typer(help="Registered public data sets: list, info, fetch, check.", no_args_is_help=True)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@app.command("list")
@user_errors
def list_() -> None:
    """List every data set with its size and licence."""
    table = Table(title="drugloop data sets")
    for col in ("name", "description", "files", "size", "licence"):
        table.add_column(col, overflow="fold")
    for ds in DATASETS.values():
        files = ds.files
        table.add_row(ds.name, ds.title, str(len(files)), _size(sum(f.bytes for f in files)), ds.license)
    console.print(table)


@app.command()
@user_errors
def info(name: str = typer.Argument(..., help="data set name, e.g. davis")) -> None:
    """Load a data set's main table and report its size, entities, columns, licence and source."""
    ds = get_dataset(name)
    frame = ds.load()
    console.print(f"[bold]{ds.name}[/]: {ds.title}")
    console.print(f"rows: {len(frame):,}")
    if ds.drug_column and ds.drug_column in frame.columns:
        console.print(f"drugs: {frame[ds.drug_column].nunique():,}")
    if ds.target_column and ds.target_column in frame.columns:
        console.print(f"targets: {frame[ds.target_column].nunique():,}")
    console.print(f"columns: {', '.join(map(str, frame.columns[:30]))}{' …' if frame.shape[1] > 30 else ''}")
    console.print(f"licence: {ds.license}")
    console.print(f"citation: {ds.citation}")
    console.print("files:")
    for f in ds.files:
        console.print(f"  {f.path} ({f.rows:,} rows, {_size(f.bytes)}) from {f.source}", highlight=False)


@app.command()
@user_errors
def fetch(names: list[str] = typer.Argument(..., help="data set names")) -> None:
    """Put verified copies of the data sets' files into the cache (mirror first, then download)."""
    datasets = [get_dataset(n) for n in names]  # unknown names fail before any work
    for ds in datasets:
        for f in ds.files:
            resolve(f.path)
        console.print(f"[green]✓[/] {ds.name}: {len(ds.files)} files verified in {cache_dir()}")


@app.command()
def check() -> None:
    """Verify every registered file (cache or mirror, no downloads); exit 1 naming what is missing or corrupt."""
    console.print(f"cache: {cache_dir()}  mirror: {mirror_dir() or '(DRUGLOOP_MIRROR not set)'}")
    table = Table(title="data check")
    for col in ("data set", "files", "status"):
        table.add_column(col)
    problems: list[str] = []
    for ds in DATASETS.values():
        bad = []
        for f in ds.files:
            ok, detail = verify(f.path)
            if not ok:
                bad.append(detail)
        problems.extend(bad)
        status = "[green]verified[/]" if not bad else f"[red]{len(bad)} missing or corrupt[/]"
        table.add_row(ds.name, str(len(ds.files)), status)
    console.print(table)
    if problems:
        for p in problems:
            console.print(f"[red]✗[/] {p}", highlight=False, soft_wrap=True)
        fail(f"{len(problems)} data file(s) missing or corrupt", code=1)
    console.print(f"[green]all {sum(len(d.files) for d in DATASETS.values())} files verified[/]")

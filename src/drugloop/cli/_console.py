"""Shared console, logging set-up and the rule that user mistakes print one line, not a traceback."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from drugloop.errors import InputError

console = Console(stderr=False)
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def setup_logging(verbose: int = 0, quiet: bool = False) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, show_time=False)],
        force=True,
    )
    for noisy in ("lightgbm", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def stage_progress(
    first_stage: str = "starting", disable: bool = False
) -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar (stderr, transient) fed by an engine's ``progress(stage, done, total)`` callback.

    Engines report stages without knowing about Rich. Each stage gets its own task (so its elapsed time is its
    own); a stage with a total of 0 or 1 shows a spinner instead of a bar.
    """
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=disable,
    ) as bar:
        current = {"stage": first_stage, "task": bar.add_task(first_stage, total=None)}

        def update(stage: str, done: int, total: int) -> None:
            if stage != current["stage"]:  # a new stage gets its own clock, and a spinner if it has no steps
                bar.remove_task(current["task"])
                current.update(stage=stage, task=bar.add_task(stage, total=total if total > 1 else None))
            bar.update(current["task"], completed=done, total=total if total > 1 else None)

        yield update


def fail(message: str, code: int = 2) -> None:
    """Print one clear error line and exit non-zero."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn DrugloopError raised inside a command into one line and exit code 2."""
    from drugloop.errors import DrugloopError

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DrugloopError as exc:
            fail(str(exc))
            raise  # unreachable; keeps type checkers honest

    return wrapper


def parse_params(items: list[str] | None) -> dict[str, Any]:
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

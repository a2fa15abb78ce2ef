"""The shared CLI helpers: the stage progress bar every engine's long command uses, and --param parsing."""

from __future__ import annotations

import io

import pytest
import rich.progress
from rich.console import Console

from drugloop.cli import _console
from drugloop.cli._console import parse_params, stage_progress
from drugloop.errors import InputError


def test_stage_progress_follows_stages_and_totals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Engines call ``update(stage, done, total)``; the bar shows the stage, and one-step stages spin."""
    bars: list[rich.progress.Progress] = []

    class Recording(rich.progress.Progress):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(_console, "Progress", Recording)
    monkeypatch.setattr(_console, "err_console", Console(file=io.StringIO(), width=100))
    with stage_progress("loading") as update:
        (task,) = bars[0].tasks
        assert task.description == "loading" and task.total is None
        update("featurising", 3, 10)
        (task,) = bars[0].tasks
        assert (task.description, task.completed, task.total) == ("featurising", 3, 10)
        update("featurising", 7, 10)
        assert bars[0].tasks[0].completed == 7
        update("fitting", 0, 1)
        (task,) = bars[0].tasks
        assert (task.description, task.total) == ("fitting", None)


def test_stage_progress_disabled_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    captured = Console(record=True, force_terminal=True, width=100)
    monkeypatch.setattr(_console, "err_console", captured)
    with stage_progress(disable=True) as update:
        update("stage", 1, 2)
    assert captured.export_text() == ""


def test_parse_params_reads_json_values_and_rejects_missing_equals() -> None:
    assert parse_params(["max_epochs=10", "lr=0.001", "name=abc", "flag=true", "dims=[1,2]"]) == {
        "max_epochs": 10,
        "lr": 0.001,
        "name": "abc",
        "flag": True,
        "dims": [1, 2],
    }
    assert parse_params(None) == {}
    with pytest.raises(InputError, match="key=value"):
        parse_params(["oops"])

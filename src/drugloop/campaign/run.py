"""One campaign: target → assessment → binding model → design loop → explanation and assessment → report.

Every step reads its inputs from the run folder and writes its outputs there (Parquet/JSON, atomically), so a
resumed campaign re-uses finished steps and the report can be rebuilt from the folder alone. Optional steps
(approval, regions, explanation, response, cell lines) that fail or do not apply are recorded as skipped with the
reason, and the report says so; the rest still runs.
"""

from __future__ import annotations

import io
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drugloop.campaign.config import CampaignConfig
from drugloop.campaign.steps import StepBook
from drugloop.errors import InputError
from drugloop.utils.io import atomic_write_bytes, atomic_write_json, atomic_write_text

log = logging.getLogger(__name__)

#: Steps in the order they run; the report and tests read this list.
STEPS = (
    "target",
    "target_profile",
    "target_regions",
    "binding",
    "design",
    "designs",
    "explain",
    "approval",
    "response",
    "cell_lines",
    "report",
)


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return atomic_write_bytes(path, buffer.getvalue())


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class CampaignResult:
    out: Path
    steps: dict[str, Any]
    report: Path | None
    wall_seconds: float


def run_campaign(
    config: CampaignConfig, out: str | Path, *, resume: bool = False, progress: bool = True
) -> CampaignResult:
    """Run every step for ``config.target`` into ``out``; returns where things are and how each step ended."""
    from drugloop.evaluate.results import write_run_metadata

    config.check_budget()
    out = Path(out)
    resolved = out / "campaign.toml"
    previous = config
    if resume:
        if not resolved.exists():
            raise InputError(f"nothing to resume in {out}: no campaign.toml there")
        previous = CampaignConfig.from_toml(resolved)
        if previous.model_dump(exclude={"budget"}) != config.model_dump(exclude={"budget"}):
            raise InputError(
                f"{out} holds a campaign with other settings; resume it with its own campaign.toml "
                "(--config) or start a new folder"
            )
    elif out.exists() and any(out.iterdir()):
        raise InputError(
            f"{out} is not empty; pass --resume to continue that campaign or choose a new folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(resolved, config.to_toml())
    write_run_metadata(out, config, config.seed)
    book = StepBook(out, resume)
    if resume and previous.budget != config.budget:  # a new budget continues the loop; later steps follow it
        for name in STEPS[STEPS.index("design") :]:
            book.records.pop(name, None)
    start = time.perf_counter()
    from drugloop.campaign import stages

    tracker = _Tracker(progress)
    try:
        for name in STEPS:
            tracker.start(name)
            fn = getattr(stages, f"step_{name}")
            book.run(name, lambda fn=fn: fn(config, out), required=name in stages.REQUIRED)
            tracker.finish(name, book.records[name].status)
    finally:
        tracker.close()
    book.records = {name: book.records[name] for name in STEPS if name in book.records}
    book.save()
    report = out / "report.html"
    return CampaignResult(
        out,
        {k: v.status for k, v in book.records.items()},
        report if report.exists() else None,
        time.perf_counter() - start,
    )


class _Tracker:
    """One Rich progress display over the campaign's steps (the design step draws its own bar inside)."""

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("[bold]campaign[/] {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task("", total=len(STEPS))

    def start(self, name: str) -> None:
        if self.bar is not None:
            self.bar.update(self.task, description=name)
            if name == "design":
                self.bar.stop()  # the loop's own bar takes the screen while it runs

    def finish(self, name: str, status: str) -> None:
        if self.bar is not None:
            if name == "design":
                self.bar.start()
            self.bar.update(self.task, advance=1, description=f"{name}: {status}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def save_json(obj: Any, path: Path) -> Path:
    return atomic_write_json(path, obj)


def sigmoid_bounds(low: float, high: float) -> dict[str, float]:
    """Transform that maps ``low`` to ~0.02 and ``high`` to ~0.98 (REINVENT-style double-sided sigmoid)."""
    return {"type": "sigmoid", "low": float(low), "high": float(high), "k": 0.5}


def finite(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return arr[np.isfinite(arr)]

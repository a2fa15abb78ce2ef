"""Step bookkeeping for a campaign: each step runs once, records how it ended, and a failure skips only itself.

``steps.json`` in the run folder is the campaign's memory: ``--resume`` re-uses every step recorded as done (its
outputs are on disk) and runs the rest, so an interrupted campaign loses at most the step it was in (and the
design step resumes from its ledger, losing no scored compound).
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from drugloop.errors import DrugloopError
from drugloop.utils.io import atomic_write_json

log = logging.getLogger(__name__)


@dataclass
class StepRecord:
    name: str
    status: str  # done | skipped | failed
    seconds: float = 0.0
    reason: str | None = None
    outputs: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


class StepBook:
    """The ordered record of a campaign's steps, saved atomically after every change."""

    def __init__(self, folder: Path, resume: bool) -> None:
        self.path = folder / "steps.json"
        self.records: dict[str, StepRecord] = {}
        if resume and self.path.exists():
            for raw in json.loads(self.path.read_text(encoding="utf-8")):
                rec = StepRecord(**raw)
                if rec.status == "done":
                    self.records[rec.name] = rec

    def done(self, name: str) -> bool:
        return name in self.records and self.records[name].status == "done"

    def save(self) -> None:
        atomic_write_json(self.path, [asdict(r) for r in self.records.values()])

    def run(
        self,
        name: str,
        fn: Callable[[], dict[str, Any] | None],
        *,
        required: bool = False,
        outputs: list[str] | None = None,
    ) -> StepRecord:
        """Run ``fn`` unless a resumed book says it is done; a failure of an optional step is recorded, not raised.

        User mistakes (DrugloopError) in a required step still stop the campaign with one clear message.
        """
        if self.done(name):
            log.info("step %s: done in an earlier run, re-used", name)
            return self.records[name]
        start = time.perf_counter()
        try:
            info = fn() or {}
        except DrugloopError as exc:
            if required:
                raise
            rec = StepRecord(name, "skipped", time.perf_counter() - start, reason=str(exc))
            log.warning("step %s skipped: %s", name, exc)
        except Exception as exc:  # an optional step must not take the campaign down with it
            if required:
                raise
            rec = StepRecord(
                name, "failed", time.perf_counter() - start, reason=f"{type(exc).__name__}: {exc}"
            )
            log.error("step %s failed: %s\n%s", name, exc, traceback.format_exc(limit=3))
        else:
            if info.get("skipped"):
                rec = StepRecord(name, "skipped", time.perf_counter() - start, reason=str(info["skipped"]))
            else:
                rec = StepRecord(name, "done", time.perf_counter() - start, outputs=outputs or [], info=info)
        self.records[name] = rec
        self.save()
        return rec

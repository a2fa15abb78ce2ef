"""One validated configuration for training the deployed approval models (TOML-loadable, CLI-overridable)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from drugloop.utils.config import EngineConfig


class ApprovalConfig(EngineConfig):
    """Where to write, which seed, how the inner CV tunes and calibrates, which drugs enter training.

    ``coverage`` is the paper's filter: a drug enters the training table when at least this fraction of its STITCH
    targets have gene features.
    """

    toml_section: ClassVar[str] = "approval"

    out: Path = Path("runs/approval")
    seed: int = 0
    inner_folds: int = Field(3, ge=2, le=10)
    coverage: float = Field(0.9, gt=0.0, le=1.0)
    threads: int = Field(1, ge=1, le=256)

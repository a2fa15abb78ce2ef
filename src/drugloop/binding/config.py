"""One validated run configuration for the binding engine, loadable from TOML and overridable from the CLI.

``drugloop binding train --config c.toml --seed 3`` is ``train(BindingConfig.from_toml("c.toml").override(seed=3))``:
the CLI never carries options the Python API lacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from drugloop.utils.config import EngineConfig

SplitKind = Literal[
    "auto", "setting1", "predefined", "random", "cold_drug", "cold_target", "cold_both", "scaffold"
]
SPLITS: tuple[str, ...] = SplitKind.__args__  # type: ignore[attr-defined]


class BindingConfig(EngineConfig):
    """What to train on, how to split, which model, where to write.

    ``data`` is a named set (davis, kiba, human, human_cold) or a CSV/TSV/Parquet pair table. ``split="auto"`` means
    the data set's own protocol: DeepDTA setting 1 for davis/kiba, the shipped split for human, random otherwise.
    ``fractions`` (train, validation, test) apply to the random, cold and scaffold splits.
    """

    toml_section: ClassVar[str] = "binding"

    data: str = "davis"
    fasta: Path | None = None
    model: Literal["lgbm", "deep"] = "lgbm"
    split: SplitKind = "auto"
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 0
    ensemble: int = Field(1, ge=1, le=100)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    out: Path = Path("runs/binding")
    model_params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("fractions")
    @classmethod
    def _fractions_sum_to_one(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(f < 0 for f in v) or abs(sum(v) - 1.0) > 1e-6 or v[0] <= 0:
            raise ValueError(f"fractions must be >= 0, train > 0, and sum to 1; got {v}")
        return v

"""One validated run configuration for the binding engine, loadable from TOML and overridable from the CLI.

``drugloop binding train --config c.toml --seed 3`` is ``train(BindingConfig.from_toml("c.toml").override(seed=3))``:
the CLI never carries options the Python API lacks.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from drugloop.errors import InputError

SplitKind = Literal["auto", "setting1", "predefined", "random", "cold_drug", "cold_target", "cold_both", "scaffold"]
SPLITS: tuple[str, ...] = SplitKind.__args__  # type: ignore[attr-defined]


class BindingConfig(BaseModel):
    """What to train on, how to split, which model, where to write.

    ``data`` is a named set (davis, kiba, human, human_cold) or a CSV/TSV/Parquet pair table. ``split="auto"`` means
    the data set's own protocol: DeepDTA setting 1 for davis/kiba, the shipped split for human, random otherwise.
    ``fractions`` (train, validation, test) apply to the random, cold and scaffold splits.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

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

    @classmethod
    def from_toml(cls, path: str | Path) -> BindingConfig:
        """Read a TOML file: the fields at top level or under a ``[binding]`` table."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"config file not found: {path}")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not valid TOML ({exc})") from None
        if isinstance(raw.get("binding"), dict):
            raw = raw["binding"]
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "config") -> BindingConfig:
        """Validate a plain dict; pydantic's multi-line report becomes one InputError line."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise InputError(f"{source}: {_one_line(exc)}") from None

    def override(self, **changes: Any) -> BindingConfig:
        """A copy with the given fields replaced (``None`` values are ignored), validated again."""
        values = self.model_dump()
        values.update({k: v for k, v in changes.items() if v is not None})
        return type(self).from_dict(values, source="options")


def _one_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "config"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)

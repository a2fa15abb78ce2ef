"""One validated configuration for training the deployed approval models (TOML-loadable, CLI-overridable)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drugloop.errors import InputError


class ApprovalConfig(BaseModel):
    """Where to write, which seed, how the inner CV tunes and calibrates, which drugs enter training.

    ``coverage`` is the paper's filter: a drug enters the training table when at least this fraction of its STITCH
    targets have gene features.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    out: Path = Path("runs/approval")
    seed: int = 0
    inner_folds: int = Field(3, ge=2, le=10)
    coverage: float = Field(0.9, gt=0.0, le=1.0)
    threads: int = Field(1, ge=1, le=256)

    @classmethod
    def from_toml(cls, path: str | Path) -> ApprovalConfig:
        """Read a TOML file: the fields at top level or under an ``[approval]`` table."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"config file not found: {path}")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not valid TOML ({exc})") from None
        if isinstance(raw.get("approval"), dict):
            raw = raw["approval"]
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "config") -> ApprovalConfig:
        """Validate a plain dict; pydantic's report becomes one InputError line."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            msgs = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in exc.errors())
            raise InputError(f"{source}: {msgs}") from None

    def override(self, **changes: Any) -> ApprovalConfig:
        """A copy with the given fields replaced (``None`` values are ignored), validated again."""
        values = self.model_dump()
        values.update({k: v for k, v in changes.items() if v is not None})
        return type(self).from_dict(values, source="options")

"""The campaign's settings: one pydantic model, loadable from TOML, written back resolved so a run can be repeated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from drugloop.errors import InputError
from drugloop.utils.config import read_toml, validation_message


class ObjectiveWeights(BaseModel):
    """Weights of the design objective's parts (weighted geometric mean of desirabilities in [0, 1])."""

    model_config = ConfigDict(extra="forbid")

    binding: float = Field(3.0, ge=0)
    qed: float = Field(1.0, ge=0)
    sa: float = Field(1.0, ge=0)
    novelty: float = Field(1.0, ge=0)
    uncertainty: float = Field(
        0.5, ge=0, description="weight of low ensemble spread (trust in the prediction)"
    )


class CampaignConfig(BaseModel):
    """Everything a campaign needs; ``drugloop campaign`` flags override the TOML's fields."""

    model_config = ConfigDict(extra="forbid")

    target: str
    budget: int = Field(300, description="compounds 'made and tested' (objective calls) in the design loop")
    batch: int = Field(30, description="compounds per design-make-test cycle")
    seed: int = 0
    model: str | None = Field(
        None, description="a trained binding model folder; trained on the shipped data if absent"
    )
    approval_model: str | None = Field(
        None, description="a trained approval engine folder; trained here if absent"
    )
    response_model: str | None = Field(
        None,
        description="a trained GDSC response model folder for the cell-line step; trained here if absent",
    )
    ensemble: int = Field(3, ge=1, le=10, description="binding models in the ensemble (spread = uncertainty)")
    n_estimators: int = Field(
        600, ge=10, description="trees per LightGBM member when the campaign trains one"
    )
    top: int = Field(12, ge=1, le=100, description="designs shown, explained and assessed")
    binding_scale: tuple[float, float] = Field(
        (5.0, 9.0), description="affinity mapped to desirability 0.02..0.98 by a sigmoid between these"
    )
    weights: ObjectiveWeights = Field(default_factory=ObjectiveWeights)
    device: str = "auto"

    @field_validator("batch")
    @classmethod
    def _batch_positive(cls, v: int) -> int:
        if v < 1:
            raise ValueError("batch must be at least 1")
        return v

    def check_budget(self) -> None:
        """A budget smaller than one cycle cannot run a loop: say so before any work starts."""
        if self.budget < self.batch:
            raise InputError(
                f"budget {self.budget} is smaller than one design cycle (batch {self.batch}): "
                f"raise --budget to at least {self.batch} or lower --batch"
            )

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> CampaignConfig:
        data = read_toml(path, "campaign config")
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.build(**data)

    @classmethod
    def build(cls, **fields: Any) -> CampaignConfig:
        try:
            return cls(**{k: v for k, v in fields.items() if v is not None})
        except ValidationError as exc:
            problems = validation_message(exc)
            raise InputError(f"invalid campaign config: {problems}") from None

    def to_toml(self) -> str:
        import tomli_w

        data = self.model_dump(exclude_none=True)
        data["binding_scale"] = list(data["binding_scale"])
        return tomli_w.dumps(data)

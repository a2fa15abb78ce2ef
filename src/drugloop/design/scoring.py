"""Composable design objectives: components → transforms → weighted aggregation (configured in TOML).

Modelled on REINVENT 4's scoring: each component computes a raw value per molecule (QED, SA score, logP, TPSA,
molecular weight, Tanimoto similarity to reference SMILES (``fingerprint`` = ecfp4, fcfp4 or pharm2d, the Gobbi
pharmacophore fingerprint for scaffold hopping), substructure alerts, a trained binding model's
prediction or its uncertainty, or a PMO task), a transform maps it to [0, 1] (sigmoid, reverse sigmoid, step,
Gaussian), and the scores are combined by a weighted arithmetic or geometric mean. Components with
``role = "filter"`` (alerts by default) multiply the aggregate instead: a molecule with an alert scores 0.

Example ``objective.toml``::

    [objective]
    aggregation = "geometric"

    [[objective.components]]
    type = "qed"
    weight = 1.0

    [[objective.components]]
    type = "sa"
    transform = { type = "reverse_sigmoid", low = 2.0, high = 6.0, k = 0.5 }

    [[objective.components]]
    type = "similarity"
    references = ["CC(=O)Oc1ccccc1C(=O)O"]
    weight = 2.0

    [[objective.components]]
    type = "alerts"
    pains = true
    smarts = ["[N+](=O)[O-]"]

Every mistake (unknown component or transform, a negative or all-zero weight, an invalid reference SMILES or
SMARTS, a missing binding model) raises one :class:`~drugloop.errors.InputError` when the objective is built,
before any molecule is scored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from rdkit import Chem, DataStructs, rdBase
from rdkit.Chem import rdFingerprintGenerator

from drugloop.chem import properties as props
from drugloop.chem.pharm2d import gobbi_pharm2d
from drugloop.errors import DrugloopError, InputError
from drugloop.utils.config import read_toml, validation_message

__all__ = [
    "COMPONENT_TYPES",
    "TRANSFORM_TYPES",
    "ComponentConfig",
    "Objective",
    "ObjectiveConfig",
    "PMOObjective",
    "ScoringFunction",
    "load_objective",
    "objective_from_config",
    "transform",
]

COMPONENT_TYPES = (
    "qed",
    "sa",
    "logp",
    "tpsa",
    "mw",
    "similarity",
    "alerts",
    "binding",
    "binding_uncertainty",
    "pmo",
)
TRANSFORM_TYPES = ("identity", "sigmoid", "reverse_sigmoid", "step", "gaussian")
# components whose raw value is not already in [0, 1] need a transform
_NEEDS_TRANSFORM = {"sa", "logp", "tpsa", "mw", "binding_uncertainty"}


class TransformConfig(BaseModel):
    """How a raw value becomes a score in [0, 1]."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["identity", "sigmoid", "reverse_sigmoid", "step", "gaussian"]
    low: float | None = None
    high: float | None = None
    k: float = 0.5
    mu: float | None = None
    sigma: float | None = None

    def model_post_init(self, __context: Any) -> None:
        if self.type in {"sigmoid", "reverse_sigmoid", "step"}:
            if self.low is None or self.high is None:
                raise ValueError(f"transform {self.type!r} needs 'low' and 'high'")
            if not self.high > self.low:
                raise ValueError(
                    f"transform {self.type!r} needs high > low (got low={self.low}, high={self.high})"
                )
            if self.type != "step" and not self.k > 0:
                raise ValueError("transform 'k' must be positive")
        if self.type == "gaussian" and (self.mu is None or self.sigma is None or not self.sigma > 0):
            raise ValueError("transform 'gaussian' needs 'mu' and a positive 'sigma'")


def transform(values: np.ndarray, config: TransformConfig | None) -> np.ndarray:
    """Apply a transform elementwise; NaN stays NaN (the caller scores it 0)."""
    x = np.asarray(values, dtype=float)
    if config is None or config.type == "identity":
        return np.clip(x, 0.0, 1.0)
    if config.type in {"sigmoid", "reverse_sigmoid"}:
        assert config.low is not None and config.high is not None
        mid = (config.low + config.high) / 2.0
        slope = 10.0 * config.k / (config.high - config.low)
        with np.errstate(over="ignore"):
            y = 1.0 / (1.0 + np.power(10.0, -slope * (x - mid)))
        return 1.0 - y if config.type == "reverse_sigmoid" else y
    if config.type == "step":
        assert config.low is not None and config.high is not None
        return np.where(np.isnan(x), np.nan, ((x >= config.low) & (x <= config.high)).astype(float))
    assert config.mu is not None and config.sigma is not None
    return np.exp(-0.5 * ((x - config.mu) / config.sigma) ** 2)


class ComponentConfig(BaseModel):
    """One objective term; fields beyond ``type``/``weight``/``transform`` apply to some types only."""

    model_config = ConfigDict(extra="forbid")
    type: str
    name: str | None = None
    weight: float = 1.0
    transform: TransformConfig | None = None
    role: Literal["score", "filter"] | None = None
    references: list[str] = []
    #: pharm2d = Gobbi 2D pharmacophore (keeps the pharmacophore, not the atoms: for scaffold hopping)
    fingerprint: Literal["ecfp4", "fcfp4", "pharm2d"] = "ecfp4"
    smarts: list[str] = []
    pains: bool = False
    model: str | None = None
    sequence: str | None = None
    task: str | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in COMPONENT_TYPES:
            raise ValueError(f"unknown component {value!r}; known: {', '.join(COMPONENT_TYPES)}")
        return value

    @field_validator("weight")
    @classmethod
    def _weight(cls, value: float) -> float:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"weight must be a finite number >= 0, not {value}")
        return value


class ObjectiveConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    aggregation: Literal["arithmetic", "geometric"] = "geometric"
    components: list[ComponentConfig]


class Objective:
    """What the loop calls: SMILES → (scores in [0, 1], per-molecule component values)."""

    name: str = "objective"

    def score(self, smiles: Sequence[str]) -> tuple[np.ndarray, list[dict[str, float]]]:  # pragma: no cover
        raise NotImplementedError


class PMOObjective(Objective):
    """A PMO task as an objective (no components beyond the score itself)."""

    def __init__(self, task: str) -> None:
        from drugloop.design.pmo import pmo_oracle

        self.oracle = pmo_oracle(task)
        self.name = task

    def score(self, smiles: Sequence[str]) -> tuple[np.ndarray, list[dict[str, float]]]:
        return np.array(self.oracle.score_many(smiles), dtype=float), [{} for _ in smiles]


_ECFP = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
_FCFP = rdFingerprintGenerator.GetMorganGenerator(
    radius=2, fpSize=2048, atomInvariantsGenerator=rdFingerprintGenerator.GetMorganFeatureAtomInvGen()
)
_SIMILARITY_FINGERPRINTS: dict[str, Callable[[Chem.Mol], Any]] = {
    "ecfp4": _ECFP.GetFingerprint,
    "fcfp4": _FCFP.GetFingerprint,
    "pharm2d": gobbi_pharm2d,
}


def _mol_or_error(smiles: str, what: str) -> Chem.Mol:
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None:
        raise InputError(f"{what}: invalid reference SMILES {smiles!r}")
    return mol


class _Component:
    def __init__(self, cfg: ComponentConfig, index: int) -> None:
        self.cfg = cfg
        self.name = cfg.name or (cfg.type if cfg.type != "pmo" else f"pmo_{cfg.task}")
        self.role = cfg.role or ("filter" if cfg.type == "alerts" else "score")
        where = f"component {index + 1} ({self.name})"
        if cfg.type in _NEEDS_TRANSFORM and cfg.transform is None:
            raise InputError(f"{where}: '{cfg.type}' values are not in [0, 1]; give it a transform")
        self._raw: Callable[[list[Chem.Mol]], np.ndarray]
        if cfg.type in {"qed", "sa", "logp", "tpsa", "mw"}:
            fn = {
                "qed": props.qed,
                "sa": props.sa_score,
                "logp": props.logp,
                "tpsa": props.tpsa,
                "mw": props.mol_weight,
            }[cfg.type]
            if cfg.type == "sa":
                props._sascorer()  # fail now, not at the first molecule
            self._raw = lambda mols: np.array([fn(m) for m in mols], dtype=float)
        elif cfg.type == "similarity":
            if not cfg.references:
                raise InputError(f"{where}: 'similarity' needs at least one reference SMILES in 'references'")
            fingerprint = _SIMILARITY_FINGERPRINTS[cfg.fingerprint]
            refs = [fingerprint(_mol_or_error(s, where)) for s in cfg.references]
            self._raw = lambda mols: np.array(
                [max(DataStructs.BulkTanimotoSimilarity(fingerprint(m), refs)) for m in mols],
                dtype=float,
            )
        elif cfg.type == "alerts":
            patterns = []
            for s in cfg.smarts:
                query = Chem.MolFromSmarts(s)
                if query is None:
                    raise InputError(f"{where}: invalid SMARTS {s!r}")
                patterns.append(query)
            if not patterns and not cfg.pains:
                raise InputError(f"{where}: 'alerts' needs 'smarts' patterns or pains = true")

            def clean(m: Chem.Mol) -> float:
                if any(m.HasSubstructMatch(q) for q in patterns):
                    return 0.0
                return 0.0 if cfg.pains and props.pains_alerts(m) else 1.0

            self._raw = lambda mols: np.array([clean(m) for m in mols], dtype=float)
        elif cfg.type in {"binding", "binding_uncertainty"}:
            if not cfg.model or not cfg.sequence:
                raise InputError(
                    f"{where}: '{cfg.type}' needs 'model' (a saved binding model folder) and 'sequence'"
                )
            from drugloop.binding.base import load_model

            try:
                model = load_model(cfg.model)
            except DrugloopError as exc:
                raise InputError(f"{where}: {exc}") from None
            if model.task == "regression" and cfg.type == "binding" and cfg.transform is None:
                raise InputError(
                    f"{where}: a regression binding model predicts affinities; give it a transform"
                )
            column = "prediction" if cfg.type == "binding" else "uncertainty"
            sequence = cfg.sequence

            def predict(mols: list[Chem.Mol]) -> np.ndarray:
                if not mols:
                    return np.zeros(0)
                frame = pd.DataFrame({"smiles": [Chem.MolToSmiles(m) for m in mols], "sequence": sequence})
                return model.predict(frame)[column].to_numpy(dtype=float)

            self._raw = predict
        elif cfg.type == "pmo":
            from drugloop.design.pmo import pmo_oracle

            if not cfg.task:
                raise InputError(f"{where}: 'pmo' needs 'task' (one of the PMO task names)")
            oracle = pmo_oracle(cfg.task)
            self._raw = lambda mols: np.array([oracle.score_mol(m) for m in mols], dtype=float)
        else:  # pragma: no cover - the validator already refused it
            raise InputError(f"{where}: unknown component {cfg.type!r}")

    def values(self, mols: list[Chem.Mol]) -> tuple[np.ndarray, np.ndarray]:
        raw = self._raw(mols)
        scored = transform(raw, self.cfg.transform)
        return raw, np.where(np.isfinite(scored), np.clip(scored, 0.0, 1.0), 0.0)


class ScoringFunction(Objective):
    """A built objective: components, their weights and the aggregation."""

    def __init__(self, config: ObjectiveConfig, name: str = "objective") -> None:
        self.config = config
        self.name = name
        if not config.components:
            raise InputError("the objective has no components")
        self.components = [_Component(c, i) for i, c in enumerate(config.components)]
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            raise InputError(
                f"component names must be unique; give repeated types a 'name' ({', '.join(names)})"
            )
        scored = [c for c in self.components if c.role == "score"]
        if not scored:
            raise InputError("the objective needs at least one scoring (non-filter) component")
        total = sum(c.cfg.weight for c in scored)
        if not total > 0:
            raise InputError(
                "the weights of the scoring components sum to 0; give at least one a positive weight"
            )
        self.weights = np.array([c.cfg.weight / total for c in scored])

    def score(self, smiles: Sequence[str]) -> tuple[np.ndarray, list[dict[str, float]]]:
        with rdBase.BlockLogs():
            mols = [Chem.MolFromSmiles(s) if s else None for s in smiles]
        ok = [i for i, m in enumerate(mols) if m is not None]
        valid = [mols[i] for i in ok]
        out = np.zeros(len(smiles))
        parts: list[dict[str, float]] = [{} for _ in smiles]
        if not valid:
            return out, parts
        aggregate_parts = []
        filters = np.ones(len(valid))
        for comp in self.components:
            raw, value = comp.values(valid)
            for j, i in enumerate(ok):
                parts[i][f"{comp.name}_raw"] = float(raw[j])
                parts[i][comp.name] = float(value[j])
            if comp.role == "filter":
                filters *= value
            else:
                aggregate_parts.append(value)
        stacked = np.stack(aggregate_parts)  # components x molecules
        if self.config.aggregation == "arithmetic":
            agg = (self.weights[:, None] * stacked).sum(axis=0)
        else:
            with np.errstate(divide="ignore"):
                logs = np.where(stacked > 0, np.log(np.maximum(stacked, 1e-300)), -np.inf)
            agg = np.exp((self.weights[:, None] * logs).sum(axis=0))
        out[ok] = np.clip(agg * filters, 0.0, 1.0)
        return out, parts


def objective_from_config(data: dict[str, Any], name: str = "objective") -> ScoringFunction:
    """Build an objective from a parsed TOML/dict (the ``[objective]`` table, or its contents)."""
    body = data.get("objective", data) if isinstance(data, dict) else data
    if not isinstance(body, dict):
        raise InputError("the objective config must be a table with 'components'")
    try:
        config = ObjectiveConfig.model_validate(body)
    except ValidationError as exc:
        raise InputError(f"invalid objective config: {validation_message(exc)}") from None
    return ScoringFunction(config, name=name)


def load_objective(path: str | Path) -> ScoringFunction:
    """Read ``objective.toml`` and build the objective (all checks happen here, before any oracle call)."""
    path = Path(path)
    data = read_toml(path, "objective config")
    try:
        return objective_from_config(data, name=path.stem)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None

"""The engines' shared configuration base: validated fields, TOML in, CLI overrides, one-line errors.

Each engine subclasses :class:`EngineConfig` with its fields and ``toml_section``; a TOML file may hold the
fields at top level or under that table (``[binding]``, ``[response]``, ...), so one file can configure several
engines.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from drugloop.errors import InputError


def validation_message(exc: ValidationError) -> str:
    """Pydantic's multi-line report as one line: ``field: problem; other.field: problem``."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    )


def read_toml(path: str | Path, what: str = "config file") -> dict[str, Any]:
    """A TOML file as a dict; a missing file or bad TOML is one InputError line naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None


class EngineConfig(BaseModel):
    """Base for an engine's training configuration; unknown fields are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    #: the TOML table this engine's fields may sit under
    toml_section: ClassVar[str] = ""

    @classmethod
    def from_toml(cls, path: str | Path) -> Self:
        """Read a TOML file: the fields at top level or under the ``[toml_section]`` table."""
        raw = read_toml(path)
        if cls.toml_section and isinstance(raw.get(cls.toml_section), dict):
            raw = raw[cls.toml_section]
        return cls.from_dict(raw, source=str(Path(path)))

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "config") -> Self:
        """Validate a plain dict; a bad value becomes one InputError line naming ``source`` and the field."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise InputError(f"{source}: {validation_message(exc)}") from None

    def override(self, **changes: Any) -> Self:
        """A copy with the given fields replaced (``None`` values are ignored), validated again."""
        values = self.model_dump()
        values.update({k: v for k, v in changes.items() if v is not None})
        return type(self).from_dict(values, source="options")

"""The shared engine configuration: TOML at top level or under the engine's table, one-line errors, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from drugloop.approval.config import ApprovalConfig
from drugloop.binding.config import BindingConfig
from drugloop.errors import InputError
from drugloop.response.train import ResponseConfig


@pytest.mark.parametrize(
    ("cls", "section", "field", "value"),
    [
        (ApprovalConfig, "approval", "seed", 4),
        (BindingConfig, "binding", "seed", 4),
        (ResponseConfig, "response", "seed", 4),
    ],
)
def test_one_file_configures_each_engine_by_its_table(
    cls: type, section: str, field: str, value: int, tmp_path: Path
) -> None:
    path = tmp_path / "all.toml"
    # every engine's table in one file: each reads only its own
    path.write_text("[approval]\nseed = 4\n[binding]\nseed = 4\n[response]\nseed = 4\n")
    assert getattr(cls.from_toml(path), field) == value
    top = tmp_path / "top.toml"
    top.write_text("seed = 7\n")
    assert cls.from_toml(top).seed == 7
    assert cls().override(seed=9, out=None).seed == 9  # None leaves a field alone


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="config file not found"):
        BindingConfig.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = [unclosed\n")
    with pytest.raises(InputError, match="not valid TOML"):
        ResponseConfig.from_toml(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[approval]\ninner_folds = 1\ncolour = 'red'\n")
    with pytest.raises(InputError) as exc:
        ApprovalConfig.from_toml(wrong)
    message = str(exc.value)
    assert "\n" not in message and "inner_folds" in message and "colour" in message and str(wrong) in message
    with pytest.raises(InputError, match="options: seed"):
        BindingConfig().override(seed="x")

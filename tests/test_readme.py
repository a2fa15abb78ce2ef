"""The README's first lines are the contract with a fresh machine; CI must run exactly its test command."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    lines = ROOT.joinpath("README.md").read_text().splitlines()
    start = lines.index("```bash")
    return lines[start + 1 : lines.index("```", start)]


def test_ci_runs_the_readme_test_command_verbatim():
    main_job, test_command = _readme_commands()[:2]
    assert "pytest" in test_command and "torch==2.13.0" in test_command
    assert "drugloop" in main_job and "torch==2.13.0" in main_job
    ci_lines = [
        line
        for line in ROOT.joinpath(".ci/run").read_text().splitlines()
        if "pytest" in line and not line.startswith("#")
    ]
    assert ci_lines == [test_command]

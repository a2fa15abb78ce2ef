"""`drugloop data` from a user's seat: counts on real data, one-line errors, nothing written on bad checksums."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

MIRROR = os.environ.get("DRUGLOOP_MIRROR")


def _cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {}), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "drugloop.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def test_version():
    out = _cli("--version")
    assert out.returncode == 0 and out.stdout.startswith("drugloop ")


def test_unknown_dataset_lists_valid_names():
    out = _cli("data", "info", "davsi")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr + out.stdout
    assert "davis" in out.stderr and "kiba" in out.stderr


def test_fetch_with_empty_mirror_fails_fast_naming_places(tmp_path):
    empty = tmp_path / "mirror"
    empty.mkdir()
    env = {"DRUGLOOP_MIRROR": str(empty), "DRUGLOOP_CACHE": str(tmp_path / "cache"), "DRUGLOOP_OFFLINE": "1"}
    started = time.perf_counter()
    out = _cli("data", "fetch", "davis", env=env)
    assert time.perf_counter() - started < 30
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "davis/" in lines[0] and str(empty) in lines[0] and str(tmp_path / "cache") in lines[0]
    assert not (tmp_path / "cache" / "davis").exists() or not any((tmp_path / "cache" / "davis").iterdir())


@pytest.mark.data
@pytest.mark.skipif(not MIRROR, reason="DRUGLOOP_MIRROR not set")
def test_info_reports_davis_and_kiba_counts(tmp_path):
    env = {"DRUGLOOP_CACHE": str(tmp_path / "cache")}
    davis = _cli("data", "info", "davis", env=env)
    assert davis.returncode == 0, davis.stderr
    assert "rows: 30,056" in davis.stdout and "drugs: 68" in davis.stdout and "targets: 442" in davis.stdout
    kiba = _cli("data", "info", "kiba", env=env)
    assert "rows: 118,254" in kiba.stdout and "drugs: 2,111" in kiba.stdout and "targets: 229" in kiba.stdout


@pytest.mark.data
@pytest.mark.skipif(not MIRROR, reason="DRUGLOOP_MIRROR not set")
def test_check_verifies_everything_and_names_a_corrupt_file(tmp_path):
    cache = tmp_path / "cache"
    ok = _cli("data", "check", env={"DRUGLOOP_CACHE": str(cache)})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "all 84 files verified" in ok.stdout
    # a mirror whose davis proteins file is damaged, and a cache without it
    bad_mirror = tmp_path / "bad_mirror"
    for src in Path(MIRROR).rglob("*"):
        if src.is_file():
            dest = bad_mirror / src.relative_to(MIRROR)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(src)
    target = bad_mirror / "davis" / "proteins.txt"
    target.unlink()
    target.write_text("{}")
    (cache / "davis" / "proteins.txt").unlink()
    bad = _cli("data", "check", env={"DRUGLOOP_CACHE": str(cache), "DRUGLOOP_MIRROR": str(bad_mirror)})
    assert bad.returncode == 1
    assert "davis/proteins.txt" in bad.stdout and "sha256 mismatch" in bad.stdout
    assert not (cache / "davis" / "proteins.txt").exists()

"""Result files: required keys, atomic writes, summaries, provenance helpers."""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
from pathlib import Path

import pytest

from drugloop.errors import InputError
from drugloop.evaluate.results import (
    REQUIRED_KEYS,
    git_commit,
    hardware_info,
    read_result,
    summarize,
    write_result,
    write_run_metadata,
)
from drugloop.utils.io import atomic_write_bytes, atomic_write_json, atomic_write_text


def _write(tmp_path: Path, **overrides: object) -> Path:
    kwargs: dict = {
        "dataset": "davis",
        "split": {"kind": "cold_drug", "fractions": [0.8, 0.1, 0.1]},
        "model": "deepdta",
        "metrics": {"mse": [0.25, 0.27, 0.29], "ci": [0.88, 0.89, 0.90]},
        "seeds": [0, 1, 2],
        "wall_seconds": 12.5,
        "root": tmp_path,
    }
    kwargs.update(overrides)
    return write_result("binding", "davis_cold_drug", **kwargs)


def test_write_result_keys_and_summaries(tmp_path: Path) -> None:
    path = _write(tmp_path, extra={"note": "x"})
    assert path == tmp_path / "binding" / "davis_cold_drug.json"
    data = json.loads(path.read_text())
    for key in REQUIRED_KEYS:
        assert key in data
    assert data["benchmark"] == "davis_cold_drug"
    assert data["split"]["kind"] == "cold_drug"
    assert data["metrics"]["mse"]["mean"] == pytest.approx(0.27)
    assert data["metrics"]["mse"]["std"] == pytest.approx(0.02)  # sample std, ddof=1
    assert data["metrics"]["ci"]["values"] == [0.88, 0.89, 0.90]
    assert data["seeds"] == [0, 1, 2]
    assert data["wall_seconds"] == 12.5
    assert data["command"] == shlex.join(sys.argv)  # default: this process's argv, shell-quoted
    assert data["created"].endswith("+00:00")
    assert data["extra"] == {"note": "x"}
    assert set(data["hardware"]) >= {"cpu", "cpu_count", "gpu", "torch", "cuda"}
    assert read_result(path) == data


def test_write_result_is_atomic_and_overwrites(tmp_path: Path) -> None:
    _write(tmp_path)
    path = _write(tmp_path, command="drugloop bench binding --seeds 0 1 2")
    folder = path.parent
    assert sorted(p.name for p in folder.iterdir()) == ["davis_cold_drug.json"]  # no temp file left
    assert read_result(path)["command"] == "drugloop bench binding --seeds 0 1 2"


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.json"
    atomic_write_text(target, "old")

    class Boom:
        pass

    with pytest.raises(TypeError):
        atomic_write_json(target, {"x": Boom()})
    assert target.read_text() == "old"

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write_bytes(target, b"new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_atomic_write_creates_parents_with_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "f.txt"
    atomic_write_text(target, "héllo")
    assert target.read_text(encoding="utf-8") == "héllo"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_nan_metrics_written_as_null(tmp_path: Path) -> None:
    path = _write(tmp_path, metrics={"ci": [0.9, float("nan"), 0.8]})
    text = path.read_text()
    assert "NaN" not in text
    data = json.loads(text)
    assert data["metrics"]["ci"]["mean"] is None
    assert data["metrics"]["ci"]["values"] == [0.9, None, 0.8]


def test_summarize() -> None:
    s = summarize([1.0, 2.0, 3.0, 4.0])
    assert s["mean"] == pytest.approx(2.5)
    assert s["std"] == pytest.approx(1.2909944487358056)
    assert s["values"] == [1.0, 2.0, 3.0, 4.0]
    assert summarize([0.7]) == {"mean": 0.7, "std": 0.0, "values": [0.7]}
    assert math.isnan(summarize([1.0, float("nan")])["mean"])
    assert math.isnan(summarize([1.0, None])["std"])  # null in a result file reads back as NaN
    with pytest.raises(InputError):
        summarize([])


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"metrics": {}}, "at least one metric"),
        ({"metrics": {"mse": []}}, "no values"),
        ({"metrics": {"mse": "0.3"}}, "list of floats"),
        ({"metrics": {"mse": ["a"]}}, "list of floats"),
        ({"seeds": []}, "seeds"),
        ({"wall_seconds": -1.0}, "wall_seconds"),
    ],
)
def test_write_result_validates(tmp_path: Path, overrides: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        _write(tmp_path, **overrides)


def test_unsafe_names_rejected(tmp_path: Path) -> None:
    for engine, name in (("../x", "a"), ("binding", "a/b"), ("binding", ".hidden"), ("", "a")):
        with pytest.raises(InputError, match="safe file name"):
            write_result(
                engine,
                name,
                dataset="d",
                split="s",
                model="m",
                metrics={"a": [1.0]},
                seeds=[0],
                wall_seconds=1.0,
                root=tmp_path,
            )


def test_few_seeds_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _write(tmp_path, metrics={"mse": [0.3]}, seeds=[0])
    assert "at least 3" in caplog.text


def test_read_result_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no result file"):
        read_result(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_result(bad)
    partial = tmp_path / "partial.json"
    partial.write_text('{"benchmark": "x"}')
    with pytest.raises(InputError, match="missing keys"):
        read_result(partial)


def test_hardware_info_keys() -> None:
    info = hardware_info()
    for key in ("cpu", "cpu_count", "cpus_usable", "gpu", "gpu_count", "torch", "cuda", "python", "platform"):
        assert key in info
    assert isinstance(info["cpu"], str) and info["cpu"]
    assert info["cpu_count"] >= 1
    assert info["gpu"] is None or isinstance(info["gpu"], str)
    json.dumps(info)


def test_git_commit(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None  # not a repository
    sha = git_commit()
    if sha is not None:  # running from a checkout
        assert sha.split("-")[0].isalnum()
        assert sha.endswith("-dirty") or "-" not in sha


def test_git_commit_dirty_ignores_result_files(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "benchmarks" / "results" / "r.json").write_text("{}\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    assert not git_commit(tmp_path).endswith("-dirty")
    (tmp_path / "benchmarks" / "results" / "r.json").write_text('{"a": 1}\n')  # a run rewrote its result
    assert not git_commit(tmp_path).endswith("-dirty")
    (tmp_path / "code.py").write_text("x = 2\n")  # the code changed
    assert git_commit(tmp_path).endswith("-dirty")


def test_write_run_metadata(tmp_path: Path) -> None:
    config = {"model": "deepdta", "out": tmp_path / "run", "lr": 1e-3, "tags": {"b", "a"}}
    path = write_run_metadata(tmp_path / "run", config, seed=7, data_checksums={"davis.csv": "ab" * 32})
    assert path == tmp_path / "run" / "config.json"
    data = json.loads(path.read_text())
    assert data["seed"] == 7
    assert data["config"] == {
        "model": "deepdta",
        "out": str(tmp_path / "run"),
        "lr": 1e-3,
        "tags": ["a", "b"],
    }
    for key in ("drugloop_version", "commit", "hardware", "command", "created", "data_checksums"):
        assert key in data
    assert [p.name for p in path.parent.iterdir()] == ["config.json"]


def test_claim_run_shares_a_grid_between_processes(tmp_path: Path) -> None:
    import subprocess

    from drugloop.utils.io import claim_run, release_run

    result = tmp_path / "runs" / "task__s0.json"
    assert claim_run(result)  # first claim wins and records our pid
    assert (tmp_path / "runs" / "task__s0.json.claim").read_text() == str(os.getpid())
    # a live other process holds it: we must skip
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        Path(str(result) + ".claim").write_text(str(other.pid))
        assert not claim_run(result)
    finally:
        other.kill()
        other.wait()
    # its process is gone: the stale claim is taken over
    assert claim_run(result)
    release_run(result)
    assert not Path(str(result) + ".claim").exists()
    release_run(result)  # releasing twice is harmless


def test_read_model_card_names_every_way_a_card_can_be_bad(tmp_path: Path) -> None:
    from drugloop.errors import ModelError
    from drugloop.utils.io import read_model_card, save_model_folder

    folder = save_model_folder(tmp_path / "m", lambda f: (f / "w.bin").write_bytes(b"w"), {"model_type": "x"})
    assert read_model_card(folder / "card.json", "test model") == {"model_type": "x"}
    with pytest.raises(ModelError, match=r"is not a saved test model \(no card.json\); train one"):
        read_model_card(tmp_path / "empty" / "card.json", "test model", "; train one")
    (folder / "card.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="damaged model card"):
        read_model_card(folder / "card.json", "test model")
    (folder / "card.json").write_bytes(b"\xff\xfe")
    with pytest.raises(ModelError, match="damaged model card"):
        read_model_card(folder / "card.json", "test model")
    (folder / "card.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ModelError, match="not a JSON object"):
        read_model_card(folder / "card.json", "test model")

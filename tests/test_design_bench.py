"""The resumable PMO grid runner: writes one JSON a run, never repeats a finished run, skips one being computed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from drugloop.design import bench


@pytest.fixture
def fake_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int]]:
    calls: list[tuple[str, str, int]] = []

    def run_one(task: str, method: str, seed: int, budget: int = 10_000) -> dict[str, Any]:
        calls.append((task, method, seed))
        return {
            "task": task,
            "method": method,
            "seed": seed,
            "budget": budget,
            "auc_top10": 0.5,
            "top10_final": 0.6,
            "wall_seconds": 1.0,
        }

    monkeypatch.setattr(bench, "run_pmo_one", run_one)
    return calls


def test_grid_writes_each_run_once_and_resumes(tmp_path: Path, fake_runs: list) -> None:
    tasks = ["qed", "median1"]
    recs = bench.run_pmo(tmp_path, tasks, ["random"], [0, 1], budget=100, echo=lambda _: None)
    assert len(recs) == 4 and len(fake_runs) == 4
    files = sorted((tmp_path / "runs" / "pmo" / "random").glob("*.json"))
    assert [f.name for f in files] == [
        "median1__b100__s0.json",
        "median1__b100__s1.json",
        "qed__b100__s0.json",
        "qed__b100__s1.json",
    ]
    assert not list(tmp_path.rglob("*.claim"))  # claims are released
    again = bench.run_pmo(tmp_path, tasks, ["random"], [0, 1], budget=100, echo=lambda _: None)
    assert len(again) == 4 and len(fake_runs) == 4  # nothing recomputed
    assert json.loads(files[0].read_text())["auc_top10"] == 0.5


def test_grid_skips_a_run_another_live_process_computes(tmp_path: Path, fake_runs: list) -> None:
    path = tmp_path / "runs" / "pmo" / "random" / "qed__b100__s0.json"
    path.parent.mkdir(parents=True)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        Path(str(path) + ".claim").write_text(str(other.pid))
        said: list[str] = []
        bench.run_pmo(tmp_path, ["qed", "median1"], ["random"], [0], budget=100, echo=said.append)
    finally:
        other.kill()
        other.wait()
    assert fake_runs == [("median1", "random", 0)]
    assert any("another process" in line for line in said)
    assert not path.exists() and os.path.exists(str(path) + ".claim")


def test_aggregate_sums_only_complete_seeds_and_states_how_many(tmp_path: Path) -> None:
    from drugloop.design.pmo import PMO_TASKS

    out = tmp_path / "my_bench"  # a user's --out: the result goes into it, whatever its name
    folder = out / "runs" / "pmo" / "loop"
    folder.mkdir(parents=True)
    for seed, tasks in ((0, PMO_TASKS), (1, PMO_TASKS), (2, PMO_TASKS[:3])):  # seed 2 is unfinished
        for task in tasks:
            rec = {"task": task, "method": "loop", "seed": seed, "budget": 10_000, "wall_seconds": 2.0}
            rec["auc_top10"] = 0.5 + 0.1 * seed
            (folder / f"{task}__b10000__s{seed}.json").write_text(json.dumps(rec))
    summary = bench.aggregate_pmo(out)["loop"]
    assert summary["sum_auc_top10_by_complete_seed"] == pytest.approx({0: 10.0, 1: 12.0})
    assert summary["per_task"]["albuterol_similarity"]["n_seeds"] == 3
    assert summary["per_task"]["qed"]["n_seeds"] == 2
    path = bench.write_pmo_result(out)
    assert path == out / "pmo20.json"
    written = json.loads(path.read_text())
    assert written["metrics"]["loop_sum_auc_top10"]["values"] == pytest.approx([10.0, 12.0])
    (note,) = [n for n in written["extra"]["notes"] if n.startswith("goal")]
    assert "missed by 2.50" in note and "mean of 2 complete seed(s) of the 5 asked" in note
    png = out / "pmo20_tasks.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pmo_tasks_png_plots_every_method_and_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.axes

    from drugloop.design.plots import pmo_tasks_png

    drawn: dict[str, tuple[list[float], list[float]]] = {}
    real_barh = matplotlib.axes.Axes.barh

    def spy(self, y, width, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        drawn[kwargs["label"]] = (list(width), list(kwargs["xerr"]))
        return real_barh(self, y, width, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "barh", spy)
    summary = {
        "loop": {
            "per_task": {
                "qed": {"mean": 0.9, "sd": 0.01, "n_seeds": 5},
                "median1": {"mean": 0.4, "sd": 0.02, "n_seeds": 5},
            }
        },
        "random": {"per_task": {"qed": {"mean": 0.8, "sd": None, "n_seeds": 1}}},
    }
    pmo_tasks_png(summary, tmp_path / "p.png", {"reinvent": 11.6})
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    # methods by sum, tasks by the best method's means (median1 first); a method without a task gets no bar there
    assert drawn["loop: sum 1.30 over 2 tasks, 5 seed(s)"] == ([0.4, 0.9], [0.02, 0.01])
    widths, errs = drawn["random: sum 0.80 over 1 tasks, 1 seed(s)"]
    assert np.isnan(widths[0]) and widths[1] == 0.8 and errs == [0.0, 0.0]
    with pytest.raises(ValueError, match="no PMO runs"):
        pmo_tasks_png({}, tmp_path / "q.png")


def test_dmta_result_goes_into_the_given_folder_and_compares_methods_on_shared_targets(
    tmp_path: Path,
) -> None:
    from drugloop.design.dmta import DMTARun

    def run(target: str, method: str, seed: int, frac: float) -> DMTARun:
        return DMTARun(target, method, seed, 100, 2, frac, 0.5, [(1, 0), (10, 1), (20, 2)])

    runs = [run(t, m, s, f) for t, f in (("A", 0.1), ("B", 0.3)) for m in ("loop", "random") for s in (0, 1)]
    runs.append(run("C", "loop", 0, 0.9))  # C lacks random and seed 1: left out of the comparison
    out = tmp_path / "my_dmta"
    path = bench.write_dmta_result(out, runs)
    assert path == out / "dmta_kiba.json" and (out / "dmta_kiba_curves.png").is_file()
    written = json.loads(path.read_text())
    assert written["extra"]["medians"]["loop"]["median_frac_tested_half_hits"] == pytest.approx(0.2)
    assert set(written["extra"]["per_target"]) == {"A", "B"}

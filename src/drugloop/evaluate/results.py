"""The one benchmark result format every engine writes, so numbers carry their own provenance.

A result file says what was measured (dataset, split, model), how often (seeds, mean and spread), on what
(hardware), from which code (commit, version, command) and when. DESIGN.md "Honest evaluation" asks for
at least three seeds and a cold split next to every benchmark; this module records enough to check that.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import logging
import math
import os
import platform
import re
import shlex
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from drugloop.errors import InputError
from drugloop.utils.io import atomic_write_json, to_jsonable

__all__ = [
    "git_commit",
    "hardware_info",
    "read_result",
    "summarize",
    "write_result",
    "write_run_metadata",
]

log = logging.getLogger(__name__)

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
REQUIRED_KEYS = (
    "benchmark",
    "dataset",
    "split",
    "model",
    "metrics",
    "seeds",
    "hardware",
    "wall_seconds",
    "commit",
    "command",
    "created",
    "drugloop_version",
)


def _package_version() -> str:
    from drugloop import __version__

    return __version__


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def hardware_info() -> dict[str, Any]:
    """What the numbers were measured on: timings are meaningless without it.

    Probed once per process (importing torch to ask CUDA costs seconds), then copied from a cache.

    Keys: ``cpu``, ``cpu_count`` (logical CPUs in the machine), ``cpus_usable`` (CPUs this process may
    run on), ``gpu`` (name of CUDA device 0 or None), ``gpu_count``, ``torch``, ``cuda`` (torch's CUDA
    version or None), ``python``, ``platform``.
    """
    return dict(_probe_hardware())


@functools.lru_cache(maxsize=1)
def _probe_hardware() -> dict[str, Any]:
    try:
        usable: int | None = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "gpu": None,
        "gpu_count": 0,
        "torch": None,
        "cuda": None,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        import torch
    except ImportError:
        return info
    info["torch"] = torch.__version__
    info["cuda"] = torch.version.cuda
    try:
        if torch.cuda.is_available():
            info["gpu_count"] = torch.cuda.device_count()
            info["gpu"] = torch.cuda.get_device_name(0)
    except Exception as exc:  # a broken driver must not lose a finished benchmark
        log.warning("could not query CUDA devices: %s", exc)
    return info


def _git(args: Sequence[str], cwd: Path) -> str | None:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # read-only: never take the index lock
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


#: git pathspec: result files do not make a checkout dirty (see :func:`git_commit`)
RESULTS_EXCLUDE = ":(top,exclude)benchmarks/results"


def git_commit(path: str | os.PathLike[str] | None = None) -> str | None:
    """Short SHA of HEAD, with ``-dirty`` when tracked files differ from it; None outside a git checkout.

    Looks at the repository holding the drugloop sources (an editable install) unless ``path`` is given.
    Untracked files do not count as dirty (like ``git describe --dirty``), nor do changes under
    ``benchmarks/results/``: they are what a run writes, not what produced it, and a benchmark that rewrites
    its own result file after every chunk must not mark its later chunks dirty.
    """
    cwd = Path(path) if path is not None else _PACKAGE_DIR
    if not cwd.is_dir():
        cwd = cwd.parent
    sha = _git(["rev-parse", "--short", "HEAD"], cwd)
    if not sha:
        return None
    status = _git(["status", "--porcelain", "--untracked-files=no", "--", ":(top)", RESULTS_EXCLUDE], cwd)
    return f"{sha}-dirty" if status else sha


def summarize(values: Sequence[float | None]) -> dict[str, Any]:
    """Mean and spread of one metric over seeds or folds: ``{"mean", "std", "values"}``.

    ``std`` is the sample standard deviation (ddof=1) when there are at least two values, else 0.0.
    A NaN value (an undefined metric in one run) makes mean and std NaN rather than being dropped;
    ``None`` counts as NaN, because that is how NaN is stored in our (strict) JSON files.
    """
    vals = [float("nan") if v is None else float(v) for v in values]
    if not vals:
        raise InputError("cannot summarise a metric with no values")
    n = len(vals)
    mean = math.fsum(vals) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in vals) / (n - 1)) if n >= 2 else 0.0
    if any(math.isnan(v) for v in vals):
        mean = std = float("nan")
    return {"mean": mean, "std": std, "values": vals}


def _check_name(kind: str, value: str) -> None:
    if not isinstance(value, str) or not _SAFE_NAME.match(value):
        raise InputError(
            f"{kind} {value!r} is not a safe file name: use letters, digits and . _ + - "
            "(no slashes, not starting with a dot)"
        )


def write_result(
    engine: str,
    name: str,
    *,
    dataset: str | Mapping[str, Any],
    split: str | Mapping[str, Any],
    model: str | Mapping[str, Any],
    metrics: Mapping[str, Sequence[float]],
    seeds: Sequence[int],
    wall_seconds: float,
    command: str | None = None,
    extra: Mapping[str, Any] | None = None,
    root: Path = Path("benchmarks/results"),
    folder: Path | None = None,
) -> Path:
    """Write ``root/<engine>/<name>.json`` (or ``folder/<name>.json``) atomically and return its path.

    ``metrics`` maps a metric name to its values over runs (one per seed, or per seed and fold); each is
    stored as :func:`summarize` output. ``command`` defaults to this process's argv, shell-quoted, so the
    run can be repeated. Strict JSON: undefined (NaN) values are written as null. Logs a warning when
    fewer than three seeds were run (DESIGN.md asks for at least three).
    """
    _check_name("engine", engine)
    _check_name("benchmark name", name)
    if not metrics:
        raise InputError("write_result needs at least one metric")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise InputError("write_result needs the seeds the runs used")
    if len(seeds) < 3:
        log.warning(
            "%s/%s reports %d seed(s); honest evaluation asks for at least 3", engine, name, len(seeds)
        )
    if not (isinstance(wall_seconds, int | float) and math.isfinite(wall_seconds) and wall_seconds >= 0):
        raise InputError(f"wall_seconds must be a non-negative number, got {wall_seconds!r}")
    summaries = {}
    for metric, values in metrics.items():
        if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
            raise InputError(f"metric {metric!r} must be a list of floats")
        try:
            summaries[str(metric)] = summarize(list(values))
        except (TypeError, ValueError) as exc:
            raise InputError(f"metric {metric!r} must be a list of floats: {exc}") from None
    record: dict[str, Any] = {
        "benchmark": name,
        "engine": engine,
        "dataset": dataset,
        "split": split,
        "model": model,
        "metrics": summaries,
        "seeds": seeds,
        "hardware": hardware_info(),
        "wall_seconds": float(wall_seconds),
        "commit": git_commit(),
        "command": command if command is not None else shlex.join(sys.argv),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "drugloop_version": _package_version(),
        "extra": dict(extra) if extra else {},
    }
    target = Path(folder) if folder is not None else Path(root) / engine
    return atomic_write_json(target / f"{name}.json", record)


def read_result(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a result file and check it has the keys :func:`write_result` promises."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no result file at {p}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{p} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{p} does not hold a result object")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise InputError(f"{p} is not a drugloop result file; missing keys: {', '.join(missing)}")
    return data


def write_run_metadata(
    out_dir: str | os.PathLike[str],
    config: Mapping[str, Any] | Any,
    seed: int,
    *,
    data_checksums: Mapping[str, str] | None = None,
) -> Path:
    """Write ``out_dir/config.json`` atomically: the resolved config plus what is needed to rerun it.

    Every command that writes results calls this, so an output folder always says which config, seed,
    package version, commit, hardware, command and (when given) data-file checksums produced it.
    ``config`` may be a mapping or a pydantic model.
    """
    record = {
        "config": to_jsonable(config),
        "seed": int(seed),
        "drugloop_version": _package_version(),
        "commit": git_commit(),
        "hardware": hardware_info(),
        "command": shlex.join(sys.argv),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "data_checksums": dict(data_checksums) if data_checksums else {},
    }
    return atomic_write_json(Path(out_dir) / "config.json", record)

"""Atomic file writes, so a crash or a concurrent reader never sees half a result file.

The pattern: write a temporary file in the destination folder (same filesystem), flush and fsync it,
then ``os.replace`` it over the target, which is atomic on POSIX and Windows. Readers see either the old
file or the new one, never a truncated mix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import enum
import functools
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_write_text", "to_jsonable"]


@functools.lru_cache(maxsize=1)
def _default_mode() -> int:
    """File mode an ordinary ``open(path, "w")`` would give (mkstemp's 0o600 is too private for results).

    Reads the umask from /proc where possible: setting it to probe it is not thread-safe.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, creating parent folders; returns the path.

    The temporary file is a hidden sibling (``.<name>.<random>.tmp``) and is removed if anything fails.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _default_mode())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)
    return target


def _fsync_dir(folder: Path) -> None:
    """Persist the rename itself (best effort: not every OS lets you open a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode(encoding))


def to_jsonable(obj: Any) -> Any:
    """Convert configs and results to strict-JSON types.

    Handles pydantic models, dataclasses, paths, numpy scalars/arrays, sets, datetimes and enums.
    Non-finite floats become ``None`` (strict JSON has no NaN), so a missing value is explicit.
    """
    if obj is None or isinstance(obj, bool | str | int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, set | frozenset):
        return sorted((to_jsonable(v) for v in obj), key=repr)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, _dt.datetime | _dt.date):
        return obj.isoformat()
    if hasattr(obj, "model_dump") and callable(obj.model_dump):  # pydantic v2
        return to_jsonable(obj.model_dump(mode="json"))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if hasattr(obj, "tolist") and callable(obj.tolist):  # numpy scalars and arrays, torch tensors
        return to_jsonable(obj.tolist())
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    raise TypeError(f"cannot convert {type(obj).__name__} to JSON")


def atomic_write_json(path: str | os.PathLike[str], obj: Any, indent: int = 2) -> Path:
    """Serialise ``obj`` (via :func:`to_jsonable`) as strict, indented JSON, atomically."""
    text = json.dumps(to_jsonable(obj), indent=indent, allow_nan=False, ensure_ascii=False) + "\n"
    return atomic_write_text(path, text)


MODEL_CARD = "card.json"


def save_model_folder(
    folder: str | os.PathLike[str], save_weights: Callable[[Path], None], card: dict[str, Any]
) -> Path:
    """The model-folder layout every engine shares: weights written by ``save_weights``, then ``card.json``.

    The card goes last, so a folder with a card always has complete weights beside it (strict JSON: NaN → null).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_weights(folder)
    atomic_write_json(folder / MODEL_CARD, card)
    return folder


def read_model_card(card_path: str | os.PathLike[str], kind: str, hint: str = "") -> dict[str, Any]:
    """Read a saved model's JSON card; every way it can be missing or damaged is one clear ``ModelError``.

    ``kind`` names the model in the message ("binding model"); ``hint`` is appended to the missing-card message
    (e.g. the command that makes one).
    """
    from drugloop.errors import ModelError

    card_path = Path(card_path)
    if not card_path.is_file():
        raise ModelError(f"{card_path.parent} is not a saved {kind} (no {card_path.name}){hint}")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{card_path}: damaged model card ({exc})") from None
    if not isinstance(card, dict):
        raise ModelError(f"{card_path}: damaged model card (not a JSON object)")
    return card


def claim_run(path: str | os.PathLike[str]) -> bool:
    """Claim the right to compute the result at ``path`` (a ``<path>.claim`` file holding our pid); False if taken.

    Lets several processes share one resumable benchmark grid: a process skips a run another live process is
    computing. A claim whose process has died is taken over; ``release_run`` removes ours once the result is written.
    """
    claim = Path(str(path) + ".claim")
    claim.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = int(claim.read_text().strip() or 0)
            except (OSError, ValueError):
                owner = 0
            if owner and owner != os.getpid() and _alive(owner):
                return False
            claim.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        return True
    return False


def release_run(path: str | os.PathLike[str]) -> None:
    """Remove the claim ``claim_run`` made for ``path``."""
    Path(str(path) + ".claim").unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

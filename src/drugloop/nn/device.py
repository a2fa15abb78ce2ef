"""Device choice and seeding shared by every torch model."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from drugloop.errors import InputError


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` takes CUDA when present; asking for CUDA on a machine without it is a user error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("--device cuda asked for, but no CUDA device is available; use --device auto or cpu")
    if device not in {"cpu"} and not device.startswith("cuda"):
        raise InputError(f"unknown device {device!r}; use auto, cpu or cuda")
    return torch.device(device)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch generator for data order."""
    random.seed(seed)
    np.random.seed(seed % (2**32))  # noqa: NPY002  (seeds third-party code that uses the global RNG)
    torch.manual_seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen

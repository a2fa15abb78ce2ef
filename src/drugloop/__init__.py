"""drugloop: machine learning across the drug discovery pipeline."""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

# Spinning OpenMP workers (LightGBM, torch) slow each other 10-50x when jobs share cores; passive waiting costs
# little on a free machine. Set before either library loads its OpenMP runtime; the user's own value wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from drugloop.errors import DataError  # noqa: E402, DrugloopError, InputError, ModelError

try:
    __version__ = version("drugloop")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["DataError", "DrugloopError", "InputError", "ModelError", "__version__"]

"""drugloop: machine learning across the drug discovery pipeline."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from drugloop.errors import DataError, DrugloopError, InputError, ModelError

try:
    __version__ = version("drugloop")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["DataError", "DrugloopError", "InputError", "ModelError", "__version__"]

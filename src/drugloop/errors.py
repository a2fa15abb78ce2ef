"""One exception hierarchy, so the CLI can turn user mistakes into one clear line."""

from __future__ import annotations


class DrugloopError(Exception):
    """Base class for every error drugloop raises on purpose."""


class DataError(DrugloopError):
    """A data file cannot be found, fetched or verified, or a data set name is unknown."""


class InputError(DrugloopError):
    """The user's input (file, SMILES, sequence, option) is not usable as given."""


class ModelError(DrugloopError):
    """A model is applied to something it was not trained for, or its files are damaged."""

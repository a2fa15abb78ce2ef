"""Data layer: registry of known files, checksum-verified resolver, typed loaders, splits."""

from __future__ import annotations

from drugloop.data.catalog import DATASETS, Dataset, get_dataset
from drugloop.data.registry import FILES, DataFile
from drugloop.data.resolver import cache_dir, mirror_dir, resolve, verify

__all__ = [
    "DATASETS",
    "FILES",
    "DataFile",
    "Dataset",
    "cache_dir",
    "get_dataset",
    "mirror_dir",
    "resolve",
    "verify",
]

"""Small shared helpers with no drugloop dependencies (safe to import from anywhere)."""

from __future__ import annotations

from drugloop.utils.io import atomic_write_bytes, atomic_write_json, atomic_write_text, to_jsonable

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_write_text", "to_jsonable"]

"""The field-map adapter and the settings it reads."""

from __future__ import annotations

from .adapter import FieldMapAdapter

__all__ = ["FieldMapAdapter"]

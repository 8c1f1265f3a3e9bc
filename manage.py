#!/usr/bin/env python
"""Command-line entry point for the remarket demo shop."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run administrative tasks against the example project."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError("Couldn't import Django. Is the virtualenv (.venv) activated?") from exc
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

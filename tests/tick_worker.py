"""``python -m tests.tick_worker``: run remarket ticks in a separate process, for the tests."""

from __future__ import annotations

import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.worker_settings")
    django.setup()
    from remarket.flows.tick import run_tick

    batch_size = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    run_tick(batch_size=batch_size)


if __name__ == "__main__":
    main()

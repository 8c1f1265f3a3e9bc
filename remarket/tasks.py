"""Celery tasks: thin wrappers over plain functions (import-safe without a Celery app)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from remarket.flows.tick import run_tick


@shared_task(name="remarket.tasks.tick", acks_late=True, ignore_result=True)
def tick(**kwargs: Any) -> dict[str, int]:
    """One scheduler pass (``remarket.flows.tick.run_tick``); beat runs it every minute.

    Idempotent and safe to overlap with another tick, so a redelivered or duplicated
    beat message does no harm.
    """
    report = run_tick(**kwargs)
    return {"enrolled": report.enrolled, "sent": report.sent, "batches": report.batches}

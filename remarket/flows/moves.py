"""Moving enrollments on after a step, in bulk: one statement per step, not per person."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from remarket.flows.models import Enrollment, EnrollmentState, Step


def advance(done: list[tuple[int, Step, list[Step]]], now: datetime) -> None:
    """Move enrollments past a finished step: ``done`` holds (enrollment id, step, steps).

    The next step is due its delay after ``now``; after the last step the enrollment is
    completed. An enrollment that exited meanwhile (an order came in during the send)
    stays exited.
    """
    by_step: dict[int, list[int]] = defaultdict(list)
    following: dict[int, Step | None] = {}
    for enrollment_id, step, steps in done:
        by_step[step.pk].append(enrollment_id)
        following[step.pk] = next((s for s in steps if s.position > step.position), None)
    for step_pk, enrollment_ids in by_step.items():
        active = Enrollment.objects.filter(pk__in=enrollment_ids, state=EnrollmentState.ACTIVE)
        after = following[step_pk]
        if after is not None:
            active.update(next_step=after, next_run_at=now + after.delay)
        else:
            active.update(
                state=EnrollmentState.COMPLETED, next_step=None, next_run_at=None, finished_at=now
            )


def exit_enrollments(pks: list[int], reason: str, now: datetime) -> int:
    """Take active enrollments out of their flow; returns how many were still active."""
    return Enrollment.objects.filter(pk__in=pks, state=EnrollmentState.ACTIVE).update(
        state=EnrollmentState.EXITED,
        exit_reason=reason,
        next_step=None,
        next_run_at=None,
        finished_at=now,
    )

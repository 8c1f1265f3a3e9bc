"""Writing a wave's results in bulk: rows with their own values, enrollments moved on."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import connection, models

from remarket.flows.models import Enrollment, EnrollmentState, Step


def update_each(objs: list[Any], fields: list[str], **where: Any) -> None:
    """Write each object's own ``fields`` with one prepared UPDATE run for all of them.

    ``QuerySet.bulk_update`` builds a ``CASE WHEN pk = ...`` expression per row and field,
    which costs more CPU than rendering the emails; this is one statement, executed many
    times in one call (psycopg pipelines it). ``where`` adds column = value guards, e.g.
    the claim token.
    """
    if not objs:
        return
    model: type[models.Model] = type(objs[0])
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    guards = [meta.get_field(name) for name in where]
    sql = (
        f"UPDATE {quote(meta.db_table)} SET "
        + ", ".join(f"{quote(f.column)} = %s" for f in columns)
        + f" WHERE {quote(meta.pk.column)} = %s"
        + "".join(f" AND {quote(g.column)} = %s" for g in guards)
    )
    fixed = [g.get_db_prep_value(where[g.name], connection) for g in guards]
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns]
        + [obj.pk, *fixed]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        _bind_on_server(cursor)
        cursor.executemany(sql, rows)


def _bind_on_server(cursor: Any) -> None:
    """On psycopg 3, send this cursor's values apart from the SQL (server-side binding).

    Django's PostgreSQL cursors quote every value into the SQL text in Python (client-side
    binding, unless ``OPTIONS["server_side_binding"]``): for a wave's rendered bodies that
    quoting cost more than the statement. Django's wrapper is kept, so query logging and
    ``execute_wrapper`` still see the statement.
    """
    inner = cursor.cursor
    try:
        import psycopg
    except ImportError:  # psycopg2 or another database: nothing to change
        return
    if isinstance(inner, psycopg.ClientCursor):
        cursor.cursor = psycopg.Cursor(inner.connection)
        inner.close()


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

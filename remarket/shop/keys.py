"""Text keys for host objects (DESIGN decision 1: soft references, never foreign keys).

A key is the primary key as the database itself prints it, so the same text can be
compared with ``CAST(pk AS text)`` inside SQL: integers stay ``"42"``; UUIDs are
dashed on PostgreSQL and 32 hex digits on SQLite. ``Model.objects.filter(pk=key)``
accepts both forms, so a key always finds its object again.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, models, router
from django.db.models.functions import Cast


def key_for(model: type[models.Model], pk: Any) -> str:
    """The key of the ``model`` row whose primary key is ``pk``."""
    connection = connections[router.db_for_read(model)]
    return str(model._meta.pk.get_db_prep_value(pk, connection, prepared=False))


def key_of(instance: models.Model) -> str:
    """The key of a saved model instance."""
    return key_for(type(instance), instance.pk)


def key_expression(field: str | models.Expression = "pk") -> Cast:
    """SQL that yields the same text as :func:`key_for` for a primary-key column."""
    return Cast(field, output_field=models.CharField())

"""Audience rules as SQL: one aggregate query answers every rule for one visitor.

Each rule becomes one or two conditional aggregates over the visitor's activity (a
``COUNT ... FILTER``, a ``SUM`` or a ``MAX``), so the database reads the visitor's rows
once, through the ``(visitor_id, created_at)`` index, and returns one number per rule
instead of the rows themselves. The translations keep the rules' meaning:

* page visits: the path must match the pattern the way :func:`url_regex` does (a prefix,
  or a whole-path glob), case-sensitively: ``GLOB`` on SQLite (whose ``LIKE`` ignores
  case), ``LIKE`` with ``%``, ``_`` and ``\\`` escaped elsewhere;
* viewed products: the row's ``product_id``, or a ``"id"`` inside its ``product_ids``
  list, found with ``INSTR``/``STRPOS`` (literal and case-sensitive);
* viewed categories: trimmed and case-folded on both sides: rows stored by remarket carry
  the folded ``category_key`` (Python's ``casefold`` at write time); other rows are
  folded by the database (Python's ``casefold`` as a SQLite function; ``LOWER(TRIM())``
  elsewhere, which folds only ASCII in a PostgreSQL database with the C locale);
* time on site: the sum of each beacon's whole seconds, each clamped to 0-86,400, rows
  whose ``seconds`` is not a number counting for nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Func,
    IntegerField,
    Max,
    Q,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Floor, Greatest, Least, StrIndex
from django.db.models.lookups import Exact, GreaterThan

from remarket.tracking.models import AudienceRule

Kind = AudienceRule.Kind
#: One beacon counts at most a day: a forged huge number must not qualify anyone.
MAX_SECONDS = 86400
_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
SQLITE_CASEFOLD = "remarket_casefold"


class PathMatches(Func):
    """``path GLOB pattern`` on SQLite, ``path LIKE pattern`` elsewhere (both anchored)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, path: Any, url_pattern: str) -> None:
        self.url_pattern = url_pattern
        super().__init__(path)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "sqlite":
            return f"({sql} GLOB %s)", [*params, glob_pattern(self.url_pattern)]
        return f"({sql} LIKE %s)", [*params, like_pattern(self.url_pattern)]


class Folded(Func):
    """A text trimmed and case-folded, as ``str.strip().casefold()`` does."""

    output_field = TextField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "sqlite":
            return f"{SQLITE_CASEFOLD}({sql})", params
        return f"LOWER(TRIM({sql}))", params


def casefold(value: Any) -> str | None:
    """The SQLite function behind :class:`Folded` (registered per connection)."""
    return None if value is None else str(value).strip().casefold()


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: teach SQLite connections :func:`casefold`."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_CASEFOLD, 1, casefold, deterministic=True)


def glob_pattern(url_pattern: str) -> str:
    """SQLite GLOB for a URL pattern; ``?`` and ``[`` (refused by validation) stay literal."""
    literal = url_pattern.replace("[", "[[]").replace("?", "[?]")
    return literal if "*" in url_pattern else literal + "*"


def like_pattern(url_pattern: str) -> str:
    """LIKE for a URL pattern: ``*`` becomes ``%``, everything else is literal."""
    parts = [
        p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        for p in url_pattern.split("*")
    ]
    return "%".join(parts) if len(parts) > 1 else parts[0] + "%"


def _seconds() -> Case:
    """One beacon's seconds: whole, clamped, 0 when the value is not a number."""
    whole = Cast(
        Floor(Cast(KT("data__seconds"), DecimalField(max_digits=30, decimal_places=6))),
        IntegerField(),
    )
    clamped = Least(Greatest(whole, Value(0)), Value(MAX_SECONDS))
    return Case(
        When(data__seconds__regex=_NUMBER, then=clamped),
        default=Value(0),
        output_field=IntegerField(),
    )


def aggregates(rules: list[AudienceRule], now: datetime) -> dict[str, Any]:
    """The aggregates that decide ``rules``: ``r<pk>`` per rule, plus ``last_purchase``."""
    out: dict[str, Any] = {"last_purchase": Max("created_at", filter=Q(kind="purchase"))}
    for rule in rules:
        recent = Q(created_at__gte=now - timedelta(days=rule.days))
        key = f"r{rule.pk}"
        if rule.kind == Kind.URL_VISITS:
            path = PathMatches(KT("data__path"), rule.url_pattern)
            out[key] = Count("pk", filter=recent & Q(kind="page_view") & Q(path))
        elif rule.kind == Kind.VIEWED_PRODUCT:
            wanted = rule.product_id_list()
            listed = Q()
            for product in wanted:
                quoted = '"' + product.replace("\\", "\\\\").replace('"', '\\"') + '"'
                listed |= Q(GreaterThan(StrIndex(KT("data__product_ids"), Value(quoted)), 0))
            viewed = Q(product_id__in=wanted) | listed
            out[key] = Count("pk", filter=recent & Q(kind="view_item") & viewed)
        elif rule.kind == Kind.VIEWED_CATEGORY:
            folded = casefold(rule.category)
            same = Q(data__category_key=folded) | Q(
                Exact(Folded(KT("data__category")), Value(folded))
            )
            kinds = Q(kind__in=("view_item", "view_item_list"))
            out[key] = Count("pk", filter=recent & kinds & same)
        elif rule.kind == Kind.CART_WITHOUT_PURCHASE:
            out[key] = Max("created_at", filter=recent & Q(kind="add_to_cart"))
        elif rule.kind == Kind.ENGAGED:
            out[key] = Sum(_seconds(), filter=recent & Q(kind="engagement"))
    return out


def decide(rule: AudienceRule, values: dict[str, Any]) -> bool:
    """Whether ``rule`` matches, given the values :func:`aggregates` asked for."""
    value = values.get(f"r{rule.pk}")
    if rule.kind == Kind.CART_WITHOUT_PURCHASE:
        bought = values.get("last_purchase")
        return value is not None and (bought is None or bought < value)
    if rule.kind == Kind.ENGAGED:
        return (value or 0) >= rule.min_seconds
    if rule.kind in (Kind.URL_VISITS, Kind.VIEWED_PRODUCT, Kind.VIEWED_CATEGORY):
        return (value or 0) >= rule.min_count
    return False

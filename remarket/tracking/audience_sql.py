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

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections
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

from remarket.people.activity import Activity
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


def signature(rule: AudienceRule) -> tuple[Any, ...]:
    """What a rule's aggregate depends on: rules that differ only in threshold share it."""
    return (rule.kind, rule.url_pattern, rule.product_ids, rule.category, rule.days)


def aliases(rules: list[AudienceRule]) -> dict[tuple[Any, ...], str]:
    """The aggregates' names: one per distinct :func:`signature`."""
    signatures = dict.fromkeys(signature(rule) for rule in rules)
    return {sig: f"c{number}" for number, sig in enumerate(signatures)}


def aggregates(rules: list[AudienceRule], now: datetime) -> dict[str, Any]:
    """The aggregates that decide ``rules`` (see :func:`alias`), plus ``last_purchase``."""
    out: dict[str, Any] = {"last_purchase": Max("created_at", filter=Q(kind="purchase"))}
    names = aliases(rules)
    for rule in rules:
        key = names[signature(rule)]
        if key in out:
            continue
        recent = Q(created_at__gte=now - timedelta(days=rule.days))
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


def decide(rule: AudienceRule, value: Any, values: dict[str, Any]) -> bool:
    """Whether ``rule`` matches, given its aggregate's ``value`` (and ``last_purchase``)."""
    if rule.kind == Kind.CART_WITHOUT_PURCHASE:
        bought = values.get("last_purchase")
        return value is not None and (bought is None or bought < value)
    if rule.kind == Kind.ENGAGED:
        return (value or 0) >= rule.min_seconds
    if rule.kind in (Kind.URL_VISITS, Kind.VIEWED_PRODUCT, Kind.VIEWED_CATEGORY):
        return (value or 0) >= rule.min_count
    return False


# Building the query through the ORM costs more than running it (a hundred rules: tens of
# milliseconds), so the SQL is compiled once per rule set with a sentinel visitor and
# time, and each evaluation only swaps in the real parameters.
_VISITOR = "\x00remarket:visitor"
_NOW = datetime(2000, 1, 1, tzinfo=UTC)
_MAX_COMPILED = 32


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: dict[int, int | None]
    """Parameter position -> days before now (``None``: the visitor id)."""
    names: list[str]
    compiler: Any
    converters: Any


_compiled: dict[tuple[Any, ...], _Compiled] = {}


def _compile(rules: list[AudienceRule], using: str) -> _Compiled:
    longest = max(rule.days for rule in rules)
    query = (
        Activity.objects.using(using)
        # No kind filter: SQLite would then pick the (kind, created_at) index and read
        # every visitor's rows of that kind; each aggregate filters on its kind anyway.
        .filter(
            visitor_id=_VISITOR,
            created_at__gte=_NOW - timedelta(days=longest),
            created_at__lte=_NOW,
        )
        .values("visitor_id")
        .order_by()
        .annotate(contact=Max("contact_id"), **aggregates(rules, _NOW))
    )
    compiler = query.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    ops = connections[using].ops
    days = {0, longest, *(rule.days for rule in rules)}
    times = {ops.adapt_datetimefield_value(_NOW - timedelta(days=d)): d for d in days}
    slots: dict[int, int | None] = {}
    for position, param in enumerate(params):
        if param == _VISITOR:
            slots[position] = None
        elif isinstance(param, str | datetime) and param in times:
            slots[position] = times[param]
    if None not in slots.values():  # a backend that rewrites parameters: fail loudly
        raise RuntimeError("The audience query's visitor parameter was not found.")
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    names = [alias or "visitor_id" for _, _, alias in compiler.select[: compiler.col_count]]
    return _Compiled(sql, tuple(params), slots, names, compiler, compiler.get_converters(fields))


def evaluate(
    visitor_id: str, now: datetime, rules: list[AudienceRule], using: str
) -> dict[str, Any]:
    """The values of :func:`aggregates` (and ``contact``) for one visitor, in one query."""
    key = (using, tuple(signature(rule) for rule in rules))
    compiled = _compiled.get(key)
    if compiled is None:
        if len(_compiled) >= _MAX_COMPILED:
            _compiled.clear()
        compiled = _compiled[key] = _compile(rules, using)
    ops = connections[using].ops
    params = list(compiled.params)
    for position, days in compiled.slots.items():
        params[position] = (
            visitor_id
            if days is None
            else ops.adapt_datetimefield_value(now - timedelta(days=days))
        )
    with connections[using].cursor() as cursor:
        cursor.execute(compiled.sql, params)
        row = cursor.fetchone()
    if row is None:
        return {}
    if compiled.converters:
        row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
    return dict(zip(compiled.names, row, strict=True))

"""Evaluate the audience rules for one visitor, in a fixed number of queries.

The active rules are cached per process (:func:`active_rules`), so a page view costs
no audience query at all unless it stored activity that some active rule reads. Then
:func:`match` costs at most four queries however many rules exist: the rules this
visitor already matched (skipped when the session remembers them), the visitor's recent
activity of the kinds the remaining rules read, one bulk insert of the new matches, and
one read-back that tells this request's matches from a concurrent request's. The rules
themselves are evaluated in Python over small per-kind summaries of the activity rows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache

from remarket.people.activity import Activity
from remarket.tracking.models import AudienceMatch, AudienceRule, url_regex

#: The newest activity rows one evaluation reads; a visitor with more in the rules'
#: period (a crawler, most likely) is judged on these.
ACTIVITY_LIMIT = 5000

Kind = AudienceRule.Kind

#: The Activity kinds each rule kind reads.
KINDS_READ: dict[str, tuple[str, ...]] = {
    Kind.URL_VISITS: ("page_view",),
    Kind.VIEWED_PRODUCT: ("view_item",),
    Kind.VIEWED_CATEGORY: ("view_item", "view_item_list"),
    Kind.CART_WITHOUT_PURCHASE: ("add_to_cart", "purchase"),
    Kind.ENGAGED: ("engagement",),
}

# One activity row as evaluation needs it.
Row = tuple[str, str, dict[str, Any], datetime]

#: How the per-process rule cache stays fresh. A process that saves or deletes a rule
#: drops its copy at once and bumps :data:`VERSION_KEY` in Django's default cache; other
#: processes compare that version at most every :data:`CHECK_SECONDS`, so with a shared
#: cache (Redis, Memcached, database) they see the change within 5 seconds. Whatever the
#: cache (a per-process local memory cache shares nothing), a process reloads the rules
#: from the database at least every :data:`MAX_AGE_SECONDS`.
VERSION_KEY = "remarket:audience-rules:version"
CHECK_SECONDS = 5.0
MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True)
class ActiveRules:
    """The active rules, with what a page needs to know about them without a query."""

    rules: tuple[AudienceRule, ...]
    version: Any
    loaded: float
    checked: float
    kinds_read: frozenset[str]
    """Every Activity kind some active rule reads."""
    url_patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def load(cls, rules: tuple[AudienceRule, ...], version: Any, now: float) -> ActiveRules:
        kinds = frozenset(kind for rule in rules for kind in KINDS_READ.get(rule.kind, ()))
        urls = tuple(url_regex(r.url_pattern) for r in rules if r.kind == Kind.URL_VISITS)
        return cls(rules, version, now, now, kinds, urls)

    def wants_page_view(self, path: str) -> bool:
        """Whether some active page-visit rule counts a visit to ``path``."""
        return any(pattern.match(path) for pattern in self.url_patterns)

    def reading(self, kinds: Iterable[str]) -> list[AudienceRule]:
        """The rules that read at least one of ``kinds`` (only those can newly match)."""
        stored = set(kinds)
        return [rule for rule in self.rules if stored.intersection(KINDS_READ.get(rule.kind, ()))]


_cached: ActiveRules | None = None


def _version() -> Any:
    # A cache that is down must not take the shop's pages with it: MAX_AGE still applies.
    with contextlib.suppress(Exception):
        return cache.get(VERSION_KEY)
    return None


def active_rules() -> ActiveRules:
    """The active rules, from this process's cache (see :data:`VERSION_KEY`)."""
    global _cached
    now = time.monotonic()
    current = _cached
    if current is not None and now - current.checked < CHECK_SECONDS:
        return current
    version = _version()
    fresh = current is not None and now - current.loaded < MAX_AGE_SECONDS
    if fresh and version == current.version:
        _cached = dataclasses.replace(current, checked=now)
        return _cached
    rules = tuple(AudienceRule.objects.filter(active=True).order_by("pk"))
    _cached = ActiveRules.load(rules, version, now)
    return _cached


def forget_rules(**kwargs: Any) -> None:
    """Drop the cached rules here and tell other processes (on a rule's save or delete)."""
    global _cached
    _cached = None
    with contextlib.suppress(Exception):
        cache.set(VERSION_KEY, time.time_ns(), None)


@dataclass(frozen=True)
class Outcome:
    """What one evaluation found: the rules newly joined, and every rule id matched."""

    new: list[AudienceRule]
    matched_ids: frozenset[int]


def newly_matched(visitor_id: str, now: datetime) -> list[str]:
    """Names of the audiences ``visitor_id`` joins now (each visitor joins each once).

    Records an :class:`~remarket.tracking.models.AudienceMatch` per new audience.
    """
    return [rule.name for rule in match(visitor_id, now).new]


def match(
    visitor_id: str,
    now: datetime,
    rules: Iterable[AudienceRule] | None = None,
    matched_ids: Iterable[int] | None = None,
) -> Outcome:
    """Evaluate ``rules`` (default: every active rule) for one visitor.

    ``matched_ids``: the rules this visitor is already known to have matched (a page
    remembers them in the session); ``None`` reads them from the database.
    """
    candidates = list(active_rules().rules if rules is None else rules)
    if matched_ids is None:
        matched_ids = AudienceMatch.objects.filter(visitor_id=visitor_id).values_list(
            "rule_id", flat=True
        )
    known = frozenset(matched_ids)
    candidates = [rule for rule in candidates if rule.pk not in known]
    if not candidates:
        return Outcome([], known)
    since = now - timedelta(days=max(rule.days for rule in candidates))
    kinds = {kind for rule in candidates for kind in KINDS_READ.get(rule.kind, ())}
    rows: list[tuple[str, str, dict[str, Any], datetime, int | None]] = list(
        Activity.objects.filter(
            visitor_id=visitor_id, kind__in=kinds, created_at__gte=since, created_at__lte=now
        )
        .order_by("-created_at")
        .values_list("kind", "product_id", "data", "created_at", "contact_id")[:ACTIVITY_LIMIT]
    )
    recent = Recent([(k, p, d if isinstance(d, dict) else {}, t) for k, p, d, t, _ in rows], now)
    matched = [rule for rule in candidates if recent.matches(rule)]
    if not matched:
        return Outcome([], known)
    contact_id = next((row[4] for row in rows if row[4] is not None), None)
    AudienceMatch.objects.bulk_create(
        [
            AudienceMatch(rule=rule, visitor_id=visitor_id, contact_id=contact_id, matched_at=now)
            for rule in matched
        ],
        ignore_conflicts=True,
    )
    # A concurrent request may have recorded some of them first: ours carry our time.
    mine = set(
        AudienceMatch.objects.filter(
            visitor_id=visitor_id, rule__in=matched, matched_at=now
        ).values_list("rule_id", flat=True)
    )
    new = [rule for rule in matched if rule.pk in mine]
    return Outcome(new, known | {rule.pk for rule in matched})


class Recent:
    """One visitor's recent activity, summarised once per (kind, period) for every rule.

    Rules then read small summaries (visits per path, views per product set, seconds in
    total) instead of every row, so a hundred rules over a thousand rows stay cheap.
    """

    def __init__(self, rows: list[Row], now: datetime) -> None:
        self.rows = rows
        self.now = now
        self._summaries: dict[tuple[str, int], Any] = {}
        # Purchases of the whole fetched period count: one after an add ends "cart, no buy".
        self.last_purchase = max((row[3] for row in rows if row[0] == "purchase"), default=None)

    def _window(self, kinds: tuple[str, ...], days: int) -> list[Row]:
        since = self.now - timedelta(days=days)
        return [row for row in self.rows if row[0] in kinds and row[3] >= since]

    def _summary(self, what: str, days: int) -> Any:
        key = (what, days)
        if key not in self._summaries:
            self._summaries[key] = getattr(self, f"_summarise_{what}")(days)
        return self._summaries[key]

    def _summarise_paths(self, days: int) -> Counter[str]:
        return Counter(str(row[2].get("path", "")) for row in self._window(("page_view",), days))

    def _summarise_products(self, days: int) -> Counter[frozenset[str]]:
        return Counter(_product_ids(row) for row in self._window(("view_item",), days))

    def _summarise_categories(self, days: int) -> Counter[str]:
        kinds = KINDS_READ[Kind.VIEWED_CATEGORY]
        return Counter(
            str(row[2].get("category", "")).strip().casefold() for row in self._window(kinds, days)
        )

    def _summarise_seconds(self, days: int) -> int:
        return sum(_seconds(row) for row in self._window(("engagement",), days))

    def _summarise_last_added(self, days: int) -> datetime | None:
        return max((row[3] for row in self._window(("add_to_cart",), days)), default=None)

    def matches(self, rule: AudienceRule) -> bool:
        """Whether this activity satisfies ``rule``."""
        if rule.kind == Kind.URL_VISITS:
            pattern = url_regex(rule.url_pattern)
            paths = self._summary("paths", rule.days)
            return sum(n for path, n in paths.items() if pattern.match(path)) >= rule.min_count
        if rule.kind == Kind.VIEWED_PRODUCT:
            wanted = set(rule.product_id_list())
            views = self._summary("products", rule.days)
            return sum(n for ids, n in views.items() if wanted & ids) >= rule.min_count
        if rule.kind == Kind.VIEWED_CATEGORY:
            views = self._summary("categories", rule.days)
            return views[rule.category.strip().casefold()] >= rule.min_count
        if rule.kind == Kind.CART_WITHOUT_PURCHASE:
            added = self._summary("last_added", rule.days)
            bought = self.last_purchase
            return added is not None and (bought is None or bought < added)
        if rule.kind == Kind.ENGAGED:
            return self._summary("seconds", rule.days) >= rule.min_seconds
        return False


def _product_ids(row: Row) -> frozenset[str]:
    ids = row[2].get("product_ids")
    found = {str(i) for i in ids} if isinstance(ids, list) else set()
    if row[1]:
        found.add(row[1])
    return frozenset(found)


def _seconds(row: Row) -> int:
    try:
        seconds = int(row[2].get("seconds", 0))
    except (TypeError, ValueError):
        return 0
    # One beacon reports at most a day; a forged huge number must not qualify anyone.
    return min(max(seconds, 0), 86400)

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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import router

from remarket.people.activity import Activity
from remarket.tracking.audience_sql import aliases, decide, evaluate, signature
from remarket.tracking.models import AudienceMatch, AudienceRule, url_regex

Kind = AudienceRule.Kind

#: The Activity kinds each rule kind reads.
KINDS_READ: dict[str, tuple[str, ...]] = {
    Kind.URL_VISITS: ("page_view",),
    Kind.VIEWED_PRODUCT: ("view_item",),
    Kind.VIEWED_CATEGORY: ("view_item", "view_item_list"),
    Kind.CART_WITHOUT_PURCHASE: ("add_to_cart", "purchase"),
    Kind.ENGAGED: ("engagement",),
}

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
    values = evaluate(visitor_id, now, candidates, router.db_for_read(Activity))
    names = aliases(candidates)
    matched = [
        rule for rule in candidates if decide(rule, values.get(names[signature(rule)]), values)
    ]
    if not matched:
        return Outcome([], known)
    contact_id = values.get("contact")
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

"""Evaluate the audience rules for one visitor, in a fixed number of queries.

However many rules exist, :func:`newly_matched` costs at most four queries: the active
rules this visitor has not matched yet, the visitor's recent activity of the kinds
those rules read, one bulk insert of the new matches, and one read-back that tells
this request's matches from a concurrent request's. The rules themselves are evaluated
in Python over the activity rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

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


def newly_matched(visitor_id: str, now: datetime) -> list[str]:
    """Names of the audiences ``visitor_id`` joins now (each visitor joins each once).

    Records an :class:`~remarket.tracking.models.AudienceMatch` per new audience.
    """
    rules = list(AudienceRule.objects.filter(active=True).exclude(matches__visitor_id=visitor_id))
    if not rules:
        return []
    since = now - timedelta(days=max(rule.days for rule in rules))
    kinds = {kind for rule in rules for kind in KINDS_READ.get(rule.kind, ())}
    rows: list[tuple[str, str, dict[str, Any], datetime, int | None]] = list(
        Activity.objects.filter(
            visitor_id=visitor_id, kind__in=kinds, created_at__gte=since, created_at__lte=now
        )
        .order_by("-created_at")
        .values_list("kind", "product_id", "data", "created_at", "contact_id")[:ACTIVITY_LIMIT]
    )
    matched = [rule for rule in rules if matches(rule, [r[:4] for r in rows], now)]
    if not matched:
        return []
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
    return [rule.name for rule in matched if rule.pk in mine]


def matches(rule: AudienceRule, rows: Iterable[Row], now: datetime) -> bool:
    """Whether activity ``rows`` (kind, product id, data, time) satisfy ``rule`` at ``now``."""
    since = now - timedelta(days=rule.days)
    recent = [row for row in rows if row[3] >= since and row[0] in KINDS_READ[rule.kind]]
    if rule.kind == Kind.URL_VISITS:
        pattern = url_regex(rule.url_pattern)
        visits = sum(1 for row in recent if pattern.match(str(row[2].get("path", ""))))
        return visits >= rule.min_count
    if rule.kind == Kind.VIEWED_PRODUCT:
        wanted = set(rule.product_id_list())
        views = sum(1 for row in recent if wanted & _product_ids(row))
        return views >= rule.min_count
    if rule.kind == Kind.VIEWED_CATEGORY:
        wanted_category = rule.category.strip().casefold()
        views = sum(
            1
            for row in recent
            if str(row[2].get("category", "")).strip().casefold() == wanted_category
        )
        return views >= rule.min_count
    if rule.kind == Kind.CART_WITHOUT_PURCHASE:
        added = [row[3] for row in recent if row[0] == "add_to_cart"]
        bought = [row[3] for row in rows if row[0] == "purchase"]
        return bool(added) and (not bought or max(bought) < max(added))
    if rule.kind == Kind.ENGAGED:
        return sum(_seconds(row) for row in recent) >= rule.min_seconds
    return False


def _product_ids(row: Row) -> set[str]:
    ids = row[2].get("product_ids")
    found = {str(i) for i in ids} if isinstance(ids, list) else set()
    if row[1]:
        found.add(row[1])
    return found


def _seconds(row: Row) -> int:
    try:
        seconds = int(row[2].get("seconds", 0))
    except (TypeError, ValueError):
        return 0
    # One beacon reports at most a day; a forged huge number must not qualify anyone.
    return min(max(seconds, 0), 86400)

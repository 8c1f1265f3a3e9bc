"""Admin for audience rules (and, read-only, who matched them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from remarket.tracking.models import AudienceMatch, AudienceRule


@admin.register(AudienceRule)
class AudienceRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "condition", "active", "match_count", "created_at"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    actions = ["activate", "deactivate"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "active"]}),
        (
            _("Page visits"),
            {
                "fields": ["url_pattern"],
                "description": _("Only for rules on visited pages."),
            },
        ),
        (
            _("Products and categories"),
            {
                "fields": ["product_ids", "category"],
                "description": _("Only for rules on viewed products or categories."),
            },
        ),
        (
            _("How often and how recently"),
            {
                "fields": ["min_count", "min_seconds", "days"],
                "description": _(
                    "'At least (times)' counts visits or views; 'at least (seconds)' is for "
                    "time on the site; every rule looks back 'within (days)'."
                ),
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AudienceRule]:
        # One query for the whole page: the counts come with the rules.
        return super().get_queryset(request).annotate(match_count=Count("matches"))

    @admin.display(description=_("rule"))
    def condition(self, rule: AudienceRule) -> str:
        return rule.describe()

    @admin.display(description=_("visitors matched"), ordering="match_count")
    def match_count(self, rule: Any) -> int:
        return rule.match_count

    @admin.action(description=_("Activate the selected rules"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[AudienceRule]) -> None:
        count = queryset.update(active=True)
        message = ngettext("%(count)d rule activated.", "%(count)d rules activated.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Deactivate the selected rules"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[AudienceRule]) -> None:
        count = queryset.update(active=False)
        message = ngettext("%(count)d rule deactivated.", "%(count)d rules deactivated.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)


@admin.register(AudienceMatch)
class AudienceMatchAdmin(admin.ModelAdmin):
    """Who joined which audience; written by the tracking middleware only."""

    list_display = ["rule", "visitor_id", "contact", "matched_at"]
    list_filter = ["rule"]
    list_select_related = ["rule", "contact"]
    search_fields = ["visitor_id", "contact__email"]
    date_hierarchy = "matched_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

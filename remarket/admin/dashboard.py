"""The figures dashboard: every flow's headline figures and the last 30 days as charts.

It is the changelist of the proxy model :class:`~remarket.insights.models.FlowReport`, so
the admin lists it in its sidebar and its "view" permission (``remarket.view_flowreport``)
is the "view figures" permission, apart from editing (``change_flow``) and publishing
(``publish_flow``) flows. The page is read-only and costs a fixed number of queries
(:func:`remarket.insights.figures.dashboard_report`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from remarket.insights.figures import Report, dashboard_report
from remarket.insights.models import FlowReport


def link_flows(request: HttpRequest, report: Report) -> None:
    """Link each flow to its change page, for staff who may open flows."""
    user = request.user
    if not (user.has_perm("remarket.view_flow") or user.has_perm("remarket.change_flow")):
        return
    for row in report.flows:
        try:
            row.link = reverse("admin:remarket_flow_change", args=[row.flow.pk])
        except NoReverseMatch:  # flows are not registered in this admin site
            return


@admin.register(FlowReport)
class FlowReportAdmin(admin.ModelAdmin):
    """Figures only: nothing here can be added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        # Only the changelist: a flow's own figures live on its change page.
        return [url for url in super().get_urls() if url.name and url.name.endswith("changelist")]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = dashboard_report()
        link_flows(request, report)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Figures"),
            "subtitle": None,
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            "report": report,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/remarket/flowreport/dashboard.html", context)

"""Who is in which flow, and every email remarket wrote: lists to look at, never to edit.

An enrollment or a message records what happened; editing one would make the figures
and the consent history lie, and deleting one would make an email count as never sent.
So both admins are read-only, add-less and delete-less; people change through the
contact page and flows through the flow page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from remarket.admin.base import RemarketAdmin
from remarket.flows.models import Enrollment, ExitReason
from remarket.mail.models import Message

#: The stored email is shop-written HTML: no script, no fetch but images, no forms, no plugins.
EMAIL_CSP = "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; sandbox"

#: Reasons the tick writes on skipped or deferred messages (flows/rechecks.py, delivery.py).
SEND_REASONS = [
    ("condition", _("the step's condition did not hold")),
    ("frequency_cap", _("frequency cap")),
    ("quiet_hours", _("quiet hours")),
    ("erased", _("personal data erased")),
    *ExitReason.choices,
]


class ReadOnlyAdmin(RemarketAdmin):
    """Viewable with the view (or change) permission; nobody adds, edits or deletes here."""

    show_full_result_count = False  # one COUNT fewer on lists of a million rows

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _contact_link(contact: Any) -> str:
    url = reverse("admin:remarket_contact_change", args=[contact.pk])
    return format_html('<a href="{}">{}</a>', url, contact.email)


class ReasonFilter(admin.SimpleListFilter):
    """The known reasons as a fixed list: reading them from a million rows would be slow."""

    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [*SEND_REASONS, ("other", _("other (failures, retries)"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "other":
            return queryset.exclude(reason="").exclude(reason__in=[k for k, _l in SEND_REASONS])
        if value:
            return queryset.filter(reason=value)
        return queryset


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ["contact_email", "flow", "state", "exit_reason", "created_at", "next_run_at"]
    list_filter = ["flow", "state", "exit_reason", "created_at"]
    list_select_related = ["contact", "flow"]
    search_fields = ["contact__email"]
    fields = [
        "contact_email",
        "flow",
        "subject_type",
        "subject_key",
        "state",
        "exit_reason",
        "next_step",
        "next_run_at",
        "triggered_at",
        "created_at",
        "finished_at",
        "snapshot",
    ]
    readonly_fields = ["contact_email"]

    @admin.display(description=_("contact"), ordering="contact__email")
    def contact_email(self, enrollment: Enrollment) -> str:
        return _contact_link(enrollment.contact)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "address",
        "flow",
        "step_position",
        "subject",
        "status",
        "reason",
        "created_at",
        "sent_at",
        "opened",
        "clicked",
    ]
    list_filter = [
        ("step__flow", admin.RelatedFieldListFilter),
        "status",
        ReasonFilter,
        "created_at",
        "sent_at",
    ]
    list_select_related = ["step__flow"]
    search_fields = ["address", "contact__email"]
    fieldsets = [
        (
            None,
            {"fields": ["contact_email", "flow", "step_position", "address", "subject"]},
        ),
        (_("Outcome"), {"fields": ["status", "reason", "attempts", "coupon_code"]}),
        (
            _("Times"),
            {
                "fields": [
                    "created_at",
                    "handed_at",
                    "sent_at",
                    "delivered_at",
                    "opened_at",
                    "clicked_at",
                    "bounced_at",
                    "complained_at",
                    "unsubscribed_at",
                ]
            },
        ),
        (_("Email provider"), {"fields": ["esp_name", "esp_message_id"]}),
    ]
    readonly_fields = ["contact_email", "flow", "step_position"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The bodies can be large; the list never shows them.
        return super().get_queryset(request).defer("body_html", "body_text")

    @admin.display(description=_("flow"), ordering="step__flow__name")
    def flow(self, message: Message) -> str:
        return message.step.flow.name

    @admin.display(description=_("step"), ordering="step__position")
    def step_position(self, message: Message) -> int:
        return message.step.position

    @admin.display(description=_("contact"))
    def contact_email(self, message: Message) -> str:
        return _contact_link(message.contact)

    @admin.display(boolean=True, description=_("opened"), ordering="opened_at")
    def opened(self, message: Message) -> bool:
        return message.opened_at is not None

    @admin.display(boolean=True, description=_("clicked"), ordering="clicked_at")
    def clicked(self, message: Message) -> bool:
        return message.clicked_at is not None

    def get_urls(self) -> list[Any]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_body"
        view = self.admin_site.admin_view(xframe_options_sameorigin(self.body_view))
        return [path("<path:object_id>/body/", view, name=name), *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        message = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if message is not None:
            # The HTML itself reaches the browser only through body_view, in the iframe.
            text, html = Message.objects.values_list("body_text", "body_html").get(pk=message.pk)
            extra.update(body_text=text, has_html=bool(html))
        return super().change_view(request, object_id, form_url, extra)

    def body_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The stored HTML exactly as sent, locked down: it runs no script and fetches no CSS."""
        message = self.get_object_or_404(request, object_id)
        if not self.has_view_permission(request, message):
            raise PermissionDenied
        if message.body_html:
            response = HttpResponse(message.body_html, content_type="text/html; charset=utf-8")
        else:
            response = HttpResponse(message.body_text, content_type="text/plain; charset=utf-8")
        response["Content-Security-Policy"] = EMAIL_CSP
        response["X-Content-Type-Options"] = "nosniff"
        response["Referrer-Policy"] = "no-referrer"
        return response

"""Contacts in the admin: the person's timeline, unsubscribe / resubscribe, export, erase.

Consent and reachability are read-only on the form: they change only through the
actions, so every change lands in the consent history with the staff user who made it.
Deleting a contact is switched off, because it would delete their messages and orders
from the figures; erasing (permission ``remarket.delete_contact``) is the way to forget
a person.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from remarket.admin.base import RemarketAdmin
from remarket.admin.timeline import TIMELINE_LIMIT, contact_timeline
from remarket.people.history import ChangeSource
from remarket.people.models import Contact
from remarket.people.privacy import erase_contact, export_json
from remarket.people.services import resubscribe_contacts, unsubscribe_contacts


class ReachFilter(admin.SimpleListFilter):
    title = _("can be emailed")
    parameter_name = "reach"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("yes", _("yes")),
            ("unsubscribed", _("unsubscribed")),
            ("suppressed", _("suppressed")),
            ("erased", _("erased")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "yes":
            return queryset.reachable()
        if value == "unsubscribed":
            return queryset.filter(unsubscribed_at__isnull=False, erased_at__isnull=True)
        if value == "suppressed":
            return queryset.filter(suppressed_at__isnull=False, erased_at__isnull=True)
        if value == "erased":
            return queryset.filter(erased_at__isnull=False)
        return queryset


@admin.register(Contact)
class ContactAdmin(RemarketAdmin):
    list_display = ["email", "name", "consent", "reachable", "created_at"]
    list_filter = [ReachFilter, "consent", "consent_source", "suppression_reason", "created_at"]
    search_fields = ["email", "name"]
    raw_id_fields = ["user"]
    show_full_result_count = False  # one COUNT fewer on big lists
    actions = ["unsubscribe_selected", "resubscribe_selected"]
    fieldsets = [
        (None, {"fields": ["email", "name", "user", "locale", "timezone"]}),
        (
            _("Consent and reachability"),
            {
                "fields": [
                    "consent",
                    "consent_source",
                    "consent_at",
                    "unsubscribed_at",
                    "unsubscribe_reason",
                    "suppressed_at",
                    "suppression_reason",
                    "soft_bounces",
                ],
                "description": _(
                    "Changed only with the buttons above (or the actions of the list), "
                    "so the history below records who changed what."
                ),
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at", "erased_at"]}),
    ]
    readonly_fields = [
        "consent",
        "consent_source",
        "consent_at",
        "unsubscribed_at",
        "unsubscribe_reason",
        "suppressed_at",
        "suppression_reason",
        "soft_bounces",
        "created_at",
        "updated_at",
        "erased_at",
    ]

    @admin.display(boolean=True, description=_("can be emailed"))
    def reachable(self, contact: Contact) -> bool:
        return contact.is_reachable and contact.erased_at is None

    def get_readonly_fields(self, request: HttpRequest, obj: Contact | None = None) -> list[str]:
        if obj is not None and obj.erased_at is not None:
            return ["email", "name", "user", "locale", "timezone", *self.readonly_fields]
        if obj is not None:
            return ["email", *self.readonly_fields]  # a new address is a new contact
        return list(self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: Contact | None = None) -> bool:
        # Deleting would take the person's messages and orders out of the figures.
        return False

    def can_erase(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.delete_{self.opts.model_name}")

    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/unsubscribe/",
                view(self.unsubscribe_view),
                name="{}_{}_unsubscribe".format(*info),
            ),
            path(
                "<path:object_id>/resubscribe/",
                view(self.resubscribe_view),
                name="{}_{}_resubscribe".format(*info),
            ),
            path(
                "<path:object_id>/export/",
                view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            path(
                "<path:object_id>/erase/",
                view(self.erase_view),
                name="{}_{}_erase".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        contact = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if contact is not None:
            extra.update(
                timeline=contact_timeline(
                    contact,
                    can_view_messages=request.user.has_perm(f"{self.opts.app_label}.view_message"),
                ),
                timeline_limit=TIMELINE_LIMIT,
                can_change_consent=self.has_change_permission(request, contact)
                and contact.erased_at is None,
                can_erase=self.can_erase(request) and contact.erased_at is None,
            )
        return super().change_view(request, object_id, form_url, extra)

    # -- one contact, from its page ------------------------------------------------------

    def _contact(self, request: HttpRequest, object_id: str, *, change: bool) -> Contact:
        contact = self.get_object_or_404(request, object_id)
        allowed = (
            self.has_change_permission(request, contact)
            if change
            else self.has_view_permission(request, contact)
        )
        if not allowed:
            raise PermissionDenied
        return contact

    def _back(self, contact: Contact) -> HttpResponseRedirect:
        info = self.opts.app_label, self.opts.model_name
        return HttpResponseRedirect(reverse("admin:{}_{}_change".format(*info), args=[contact.pk]))

    @staticmethod
    def _one(contact: Contact) -> QuerySet:
        return Contact.objects.filter(pk=contact.pk)

    def unsubscribe_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._unsubscribe)(request, object_id)

    def _unsubscribe(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contact = self._contact(request, object_id, change=True)
        if unsubscribe_contacts(self._one(contact), **self._by(request)):
            self.message_user(request, _("%(email)s is unsubscribed.") % {"email": contact})
        else:
            self.message_user(request, _("Nothing changed: already unsubscribed."), messages.INFO)
        return self._back(contact)

    def resubscribe_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._resubscribe)(request, object_id)

    def _resubscribe(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contact = self._contact(request, object_id, change=True)
        if resubscribe_contacts(self._one(contact), source=ChangeSource.ADMIN, staff=request.user):
            self.message_user(
                request,
                _("%(email)s is subscribed again, with consent recorded from the admin.")
                % {"email": contact},
            )
        else:
            self.message_user(request, _("Nothing changed: already subscribed."), messages.INFO)
        if contact.suppressed_at:
            self.message_user(
                request,
                _("The address stays suppressed (%(reason)s): remarket will not email it.")
                % {"reason": contact.get_suppression_reason_display()},
                messages.WARNING,
            )
        return self._back(contact)

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contact = self._contact(request, object_id, change=False)
        response = HttpResponse(export_json(contact), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
        return response

    def erase_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contact = self.get_object_or_404(request, object_id)
        if not self.can_erase(request):
            raise PermissionDenied
        if contact.erased_at is not None:
            self.message_user(request, _("This contact was erased already."), messages.INFO)
            return self._back(contact)
        if request.method == "POST":
            erase_contact(contact, staff=request.user, source=ChangeSource.ADMIN)
            self.message_user(
                request,
                _("The personal data of contact #%(id)s is erased; the figures still count it.")
                % {"id": contact.pk},
            )
            return self._back(contact)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Erase this person's data?"),
            "opts": self.opts,
            "original": contact,
            "counts": {
                "messages": contact.messages.count(),
                "enrollments": contact.enrollments.count(),
                "conversions": contact.conversions.count(),
                "activities": contact.activities.count(),
            },
        }
        return TemplateResponse(request, "admin/remarket/contact/erase_confirmation.html", context)

    # -- many contacts, from the list ----------------------------------------------------

    @staticmethod
    def _by(request: HttpRequest) -> dict[str, Any]:
        return {
            "source": ChangeSource.ADMIN,
            "staff": request.user,
            "reason": str(_("unsubscribed by staff")),
        }

    @admin.action(permissions=["change"], description=_("Unsubscribe selected contacts"))
    def unsubscribe_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = len(unsubscribe_contacts(queryset, **self._by(request)))
        self.message_user(
            request,
            ngettext("%(count)d contact unsubscribed.", "%(count)d contacts unsubscribed.", count)
            % {"count": count},
        )

    @admin.action(permissions=["change"], description=_("Resubscribe selected contacts"))
    def resubscribe_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = len(resubscribe_contacts(queryset, source=ChangeSource.ADMIN, staff=request.user))
        self.message_user(
            request,
            ngettext(
                "%(count)d contact subscribed again, with consent from the admin.",
                "%(count)d contacts subscribed again, with consent from the admin.",
                count,
            )
            % {"count": count},
        )

"""The preferences page: leave one flow, or all marketing, or come back."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from remarket.flows.models import Flow, FlowOptOut, FlowStatus
from remarket.mail.links import BadLink, read_token, unsubscribe_url
from remarket.mail.views import bad_link
from remarket.people.history import ChangeKind, ChangeSource, record_change
from remarket.people.models import Consent, ConsentSource, Contact


class PreferencesForm(forms.Form):
    all_marketing = forms.BooleanField(label=_("Send me remarketing emails"), required=False)
    flows = forms.ModelMultipleChoiceField(
        label=_("The emails I want"),
        queryset=Flow.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["flows"].queryset = Flow.objects.exclude(status=FlowStatus.DRAFT)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        contact = Contact.objects.get(pk=read_token("preferences", token, expires=False)["c"])
    except (BadLink, KeyError, Contact.DoesNotExist):
        return bad_link(request)
    left = set(FlowOptOut.objects.filter(contact=contact).values_list("flow_id", flat=True))
    saved = False
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            _save(contact, form.cleaned_data["all_marketing"], form.cleaned_data["flows"])
            contact.refresh_from_db()
            left = set(FlowOptOut.objects.filter(contact=contact).values_list("flow_id", flat=True))
            saved = True
    form = PreferencesForm(
        initial={
            "all_marketing": contact.unsubscribed_at is None,
            "flows": Flow.objects.exclude(status=FlowStatus.DRAFT).exclude(pk__in=left),
        }
    )
    return render(
        request,
        "remarket/preferences.html",
        {
            "contact": contact,
            "form": form,
            "saved": saved,
            "unsubscribe_url": unsubscribe_url(contact.pk),
        },
    )


def _save(contact: Contact, wants_marketing: bool, kept: object) -> None:
    now = timezone.now()
    kept_ids = {flow.pk for flow in kept}  # type: ignore[attr-defined]
    offered = set(Flow.objects.exclude(status=FlowStatus.DRAFT).values_list("pk", flat=True))
    FlowOptOut.objects.filter(contact=contact, flow_id__in=kept_ids).delete()
    FlowOptOut.objects.bulk_create(
        [FlowOptOut(flow_id=pk, contact=contact) for pk in offered - kept_ids],
        ignore_conflicts=True,
    )
    change = ""
    if not wants_marketing and contact.unsubscribed_at is None:
        contact.unsubscribed_at, contact.unsubscribe_reason = now, "preferences page"
        change = ChangeKind.UNSUBSCRIBED
    elif wants_marketing and contact.unsubscribed_at is not None:
        # Coming back is the person's own choice, recorded as consent from this page.
        contact.unsubscribed_at, contact.unsubscribe_reason = None, ""
        contact.consent, contact.consent_source, contact.consent_at = (
            Consent.GRANTED,
            ConsentSource.PREFERENCES,
            now,
        )
        change = ChangeKind.RESUBSCRIBED
    contact.save(
        update_fields=[
            "unsubscribed_at",
            "unsubscribe_reason",
            "consent",
            "consent_source",
            "consent_at",
            "updated_at",
        ]
    )
    if change:
        record_change(contact.pk, change, ChangeSource.PREFERENCES, at=now)

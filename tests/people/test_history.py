"""Every door that changes consent or reachability leaves a ContactConsentChange behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from anymail.signals import AnymailTrackingEvent, EventType
from django.test import Client
from django.utils import timezone

from remarket.mail.links import preferences_url, unsubscribe_url
from remarket.mail.models import Message
from remarket.mail.tracking import record_event
from remarket.people.history import ChangeKind, ChangeSource, ContactConsentChange
from remarket.people.services import contacts_from_snapshots
from remarket.shop import get_adapter
from tests.people.factories import person
from tests.shapes import SHAPES

pytestmark = pytest.mark.django_db


def changes(contact) -> list[tuple[str, str, str]]:
    return list(
        ContactConsentChange.objects.filter(contact=contact)
        .order_by("created_at", "pk")
        .values_list("kind", "source", "detail")
    )


def test_the_unsubscribe_link_is_recorded_once():
    ann = person("ann@example.com")
    ContactConsentChange.objects.all().delete()

    Client().post(unsubscribe_url(ann.pk), {"List-Unsubscribe": "One-Click"})
    Client().post(unsubscribe_url(ann.pk))  # a second click changes nothing

    assert changes(ann) == [
        (ChangeKind.UNSUBSCRIBED, ChangeSource.EMAIL_LINK, "one-click unsubscribe")
    ]


def test_leaving_and_coming_back_on_the_preferences_page_are_recorded():
    ann = person("ann@example.com")
    ContactConsentChange.objects.all().delete()
    client = Client()

    client.post(preferences_url(ann.pk), {})
    client.post(preferences_url(ann.pk), {"all_marketing": "on"})

    assert changes(ann) == [
        (ChangeKind.UNSUBSCRIBED, ChangeSource.PREFERENCES, ""),
        (ChangeKind.RESUBSCRIBED, ChangeSource.PREFERENCES, ""),
    ]


def test_an_esp_unsubscribe_and_a_complaint_are_recorded():
    ann = person("ann@example.com")
    ContactConsentChange.objects.all().delete()
    message = Message.objects.filter(contact=ann).first()
    at = timezone.now()

    for kind, event_id in ((EventType.UNSUBSCRIBED, "u1"), (EventType.COMPLAINED, "c1")):
        record_event(
            AnymailTrackingEvent(
                event_type=kind,
                event_id=event_id,
                timestamp=at,
                message_id=message.esp_message_id,
                recipient=ann.email,
            ),
            "test",
        )

    assert changes(ann) == [
        (ChangeKind.UNSUBSCRIBED, ChangeSource.ESP, "test"),
        # The ESP unsubscribe suppressed the address already; the complaint adds nothing.
        (ChangeKind.SUPPRESSED, ChangeSource.ESP, "esp_unsubscribe"),
    ]


def test_a_ticked_consent_box_at_checkout_is_recorded(settings):
    settings.REMARKET = SHAPES[0].settings  # the example shop has a consent box
    shape = SHAPES[0]
    cart = shape.cart(
        email="cy@example.com", consent=True, touched=timezone.now() - timedelta(hours=2)
    )

    contacts = contacts_from_snapshots([get_adapter().get_cart(shape.key(cart))])

    assert changes(contacts["cy@example.com"]) == [(ChangeKind.GRANTED, ChangeSource.CHECKOUT, "")]

"""Contacts from carts, orders and signed-in users: one per address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from remarket.emails import normalize_email
from remarket.exceptions import InvalidEmail
from remarket.people.models import Consent, Contact
from remarket.people.services import (
    contact_for_user,
    contacts_from_snapshots,
    get_or_create_contact,
)
from remarket.shop import get_adapter
from remarket.shop.keys import key_of
from tests.shapes import SHAPES, make_user

BASKET = SHAPES[0]

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", ["Ann@Example.COM", "  ann@example.com\n", "ANN@EXAMPLE.COM"])
def test_addresses_are_normalised(raw):
    assert normalize_email(raw) == "ann@example.com"


@pytest.mark.parametrize("raw", ["", None, "ann", "ann@", "@example.com", "a b@example.com"])
def test_unusable_addresses_are_refused(raw):
    with pytest.raises(InvalidEmail):
        normalize_email(raw)


def test_case_and_whitespace_never_make_a_second_contact():
    first, created = get_or_create_contact("Ann@Example.com")
    again, created_again = get_or_create_contact(" ann@EXAMPLE.com ")

    assert created
    assert not created_again
    assert first.pk == again.pk
    assert Contact.objects.count() == 1


def test_the_database_refuses_an_address_that_is_not_normalised():
    contact, _ = get_or_create_contact("ann@example.com")

    with pytest.raises(IntegrityError):
        Contact.objects.filter(pk=contact.pk).update(email="Ann@Example.com")


def test_contacts_come_from_carts_with_name_and_consent(shape, adapter):
    shape.cart(email="Ann@Example.com", name="Ann", consent=True)
    shape.cart(email="ann@example.COM")
    shape.cart(email="bob@example.com")
    snapshots = [adapter.get_cart(key) for key in _cart_keys(shape)]

    contacts = contacts_from_snapshots(snapshots)

    assert set(contacts) == {"ann@example.com", "bob@example.com"}
    assert Contact.objects.count() == 2
    if shape.name == "basket":  # the trolley shape has no consent box
        ann = Contact.objects.get(email="ann@example.com")
        assert ann.name == "Ann"


def _cart_keys(shape):
    model = {"basket": "shop.Basket", "trolley": "trolley.Trolley"}[shape.name]
    return [key_of(c) for c in apps.get_model(model).objects.order_by("pk")]


def test_contacts_from_snapshots_cost_a_fixed_number_of_queries(
    shape, adapter, django_assert_max_num_queries
):
    shape.bulk_carts(60, touched=timezone.now() - timedelta(hours=2))
    snapshots = [c for batch in adapter.idle_carts(timezone.now()) for c in batch]

    with django_assert_max_num_queries(4):
        contacts = contacts_from_snapshots(snapshots)

    assert len(contacts) == 60


@pytest.fixture
def basket_shop(settings):
    """The example shop only: it is the shape with a consent box."""
    settings.REMARKET = BASKET.settings
    return BASKET


def test_a_ticked_box_grants_consent_but_never_overrides_a_later_withdrawal(basket_shop):
    shape, adapter = basket_shop, get_adapter()
    old_cart = shape.cart(
        email="c@example.com", consent=True, touched=timezone.now() - timedelta(days=2)
    )
    contact, _ = get_or_create_contact("c@example.com")
    contact.consent, contact.consent_at = Consent.WITHDRAWN, timezone.now() - timedelta(days=1)
    contact.save()

    contacts_from_snapshots([adapter.get_cart(shape.key(old_cart))])
    contact.refresh_from_db()
    assert contact.consent == Consent.WITHDRAWN

    new_cart = shape.cart(email="c@example.com", consent=True)
    contacts_from_snapshots([adapter.get_cart(shape.key(new_cart))])
    contact.refresh_from_db()
    assert contact.consent == Consent.GRANTED
    assert contact.consent_source == "checkout"


def test_an_unticked_box_is_not_a_withdrawal(basket_shop):
    shape = basket_shop
    contact, _ = get_or_create_contact("d@example.com")
    contact.consent = Consent.GRANTED
    contact.save()
    cart = shape.cart(email="d@example.com", consent=False)

    contacts_from_snapshots([get_adapter().get_cart(shape.key(cart))])

    contact.refresh_from_db()
    assert contact.consent == Consent.GRANTED


def test_orders_link_the_contact_to_the_account(shape, adapter):
    user = make_user(email="Eve@Example.com")
    shape.order(user=user, items=[(shape.product(), 1)])
    orders = [
        o for b in adapter.orders_placed_since(timezone.now() - timedelta(hours=1)) for o in b
    ]

    contacts = contacts_from_snapshots(orders)

    assert contacts["eve@example.com"].user_id == user.pk


def test_signing_in_creates_and_links_the_contact():
    user = make_user(email="Frank@Example.com", username="frank")
    user.first_name, user.last_name = "Frank", "Ng"
    user.save()

    assert Client().login(username="frank", password="x")

    contact = Contact.objects.get()
    assert contact.email == "frank@example.com"
    assert contact.user == user
    assert contact.name == "Frank Ng"


def test_the_account_link_follows_a_changed_address():
    user = make_user(email="old@example.com")
    old = contact_for_user(user)
    user.email = "new@example.com"
    user.save()

    new = contact_for_user(user)

    old.refresh_from_db()
    assert old.user is None
    assert new.user == user
    assert new.email == "new@example.com"


def test_a_user_without_an_address_is_no_contact():
    assert contact_for_user(make_user(email="")) is None
    assert Contact.objects.count() == 0

"""Single-use coupons: made through remarket's COUPON_FACTORY, redeemed at checkout."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin import site
from django.db import IntegrityError, close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from example_project.shop import basket as basket_module
from example_project.shop import coupons
from example_project.shop.models import Basket, Coupon, Purchase
from remarket.shop import CouponRequest, get_adapter

from .helpers import add_to_basket, give_details, page, session_basket

pytestmark = pytest.mark.django_db

REVIEW = reverse("shop:checkout_review")
APPLY = reverse("shop:checkout_coupon")
EMAIL = "sam@example.com"


def issue(email: str = EMAIL, *, days: float = 3, **kwargs) -> str:
    """Ask the shop for a coupon the way remarket does; 10% off unless told otherwise."""
    if "amount_off" not in kwargs:
        kwargs.setdefault("percent_off", Decimal("10"))
    request = CouponRequest(email=email, expires_at=timezone.now() + timedelta(days=days), **kwargs)
    return get_adapter().create_coupon(request).code


def shopper(catalogue, email: str = EMAIL) -> Client:
    """A new browser with 2 x beans and 1 x mug (41.80) in the basket, at the review step."""
    client = Client()
    add_to_basket(client, catalogue["beans"], qty=2)
    add_to_basket(client, catalogue["mug"])
    give_details(client, email=email, name="Sam")
    return client


def apply(client: Client, code: str):
    return client.post(APPLY, {"code": code}, follow=True)


def place(client: Client):
    return client.post(REVIEW, follow=True)


@pytest.fixture
def sam(catalogue) -> Client:
    return shopper(catalogue)


# -- made through remarket's interface ---------------------------------------------------


def test_remarket_gets_a_unique_uppercase_code_through_the_coupon_factory():
    expires = timezone.now() + timedelta(days=3)
    made = get_adapter().create_coupon(
        CouponRequest(
            email="Sam@Example.com",
            expires_at=expires,
            percent_off=Decimal("15"),
            prefix="cart-",
            metadata={"flow": "abandoned-cart"},
        )
    )

    assert made.code.startswith("CART-")
    assert len(made.code) == len("CART-") + 8
    assert set(made.code[5:]) <= set(coupons.ALPHABET)
    assert made.expires_at == expires
    assert made.description == "15% off your order"
    row = Coupon.objects.get(code=made.code)
    assert (row.email, row.percent_off, row.amount_off) == ("Sam@Example.com", 15, None)
    assert row.redeemed_at is None
    assert row.redeemed_by is None


def test_default_prefix_amount_description_and_no_two_codes_alike():
    codes = {issue(amount_off=Decimal("5.00"), currency="EUR") for _ in range(20)}

    assert len(codes) == 20
    assert all(code.startswith("RM") and len(code) == 10 for code in codes)
    assert coupons.describe(Coupon.objects.first()) == "€5.00 off your order"


def test_a_code_collision_is_retried(monkeypatch):
    taken = issue()
    fresh = iter([taken, taken, "RMFRESH234"])
    monkeypatch.setattr(coupons, "generate_code", lambda prefix: next(fresh))

    assert issue() == "RMFRESH234"
    assert Coupon.objects.count() == 2


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"percent_off": Decimal("10"), "amount_off": Decimal("5")}, {"percent_off": 120}],
)
def test_a_request_without_exactly_one_sensible_value_is_refused(kwargs):
    request = CouponRequest(email=EMAIL, expires_at=timezone.now(), **kwargs)

    with pytest.raises(ValueError, match=r"percent_off|out of range"):
        coupons.create_coupon(request)


@pytest.mark.parametrize("values", [{}, {"percent_off": 10, "amount_off": 5}])
def test_the_database_insists_on_exactly_one_of_percent_and_amount(values):
    with pytest.raises(IntegrityError):
        Coupon.objects.create(code="RMBAD", expires_at=timezone.now(), **values)


def test_coupons_are_in_the_admin(admin_client):
    code = issue()

    assert site.is_registered(Coupon)
    assert code in page(admin_client.get(reverse("admin:shop_coupon_changelist")))
    assert 'name="code" value="RM' in page(admin_client.get(reverse("admin:shop_coupon_add")))


# -- applied on the review step and redeemed by the order --------------------------------


def test_a_percent_coupon_from_remarket_discounts_the_order(sam):
    code = issue()

    response = apply(sam, code.lower())  # typed in lower case: still the same code

    html = page(response)
    assert response.redirect_chain == [(REVIEW, 302)]
    assert f"Coupon {code} applied: 10% off your order." in html
    assert f"Discount ({code})" in html
    assert "\N{MINUS SIGN}€4.18" in html
    assert "€37.62" in html
    assert session_basket(sam).coupon_code == code
    assert f"Discount ({code})" in page(sam.get(REVIEW))  # survives a reload

    response = place(sam)

    purchase = Purchase.objects.get()
    assert response.redirect_chain == [(purchase.get_absolute_url(), 302)]
    assert (purchase.grand_total, purchase.discount) == (Decimal("37.62"), Decimal("4.18"))
    assert purchase.coupon_code == code
    coupon = Coupon.objects.get(code=code)
    assert coupon.redeemed_by == purchase
    assert coupon.redeemed_at == purchase.created
    html = page(response)
    assert f"Discount ({code})" in html
    assert "\N{MINUS SIGN}€4.18" in html


@pytest.mark.parametrize(
    ("values", "total", "discount"),
    [
        ({"amount_off": Decimal("5.00"), "currency": "EUR"}, "36.80", "5.00"),
        ({"amount_off": Decimal("100.00"), "currency": "EUR"}, "0.00", "41.80"),  # never < 0
        ({"percent_off": Decimal("33.33")}, "27.87", "13.93"),  # rounded to cents
        ({"percent_off": Decimal("100")}, "0.00", "41.80"),
    ],
)
def test_amount_and_percent_variants(sam, values, total, discount):
    code = issue(**values)
    apply(sam, code)

    place(sam)

    purchase = Purchase.objects.get()
    assert (purchase.grand_total, purchase.discount) == (Decimal(total), Decimal(discount))


def test_the_email_is_compared_case_insensitively_and_a_blank_one_is_for_anyone(catalogue):
    for email in ["SAM@example.COM", ""]:
        client = shopper(catalogue, email="Sam@Example.com")
        apply(client, issue(email))

        place(client)

    assert Purchase.objects.filter(discount=Decimal("4.18")).count() == 2


def test_the_coupon_can_be_removed(sam):
    apply(sam, issue())

    response = sam.post(APPLY, {"remove": "1"}, follow=True)

    assert "The coupon was removed." in page(response)
    assert "Discount" not in page(response)
    assert session_basket(sam).coupon_code == ""


def refusal(case: str) -> tuple[str, str]:
    """(code, message) for a coupon that must be refused for sam@example.com."""
    if case == "empty":
        return "  ", "Please enter a coupon code."
    if case == "unknown":
        return "RMNOPE2345", "There is no coupon with the code RMNOPE2345."
    if case == "expired":
        code = issue(days=-1)
        return code, f"The coupon {code} has expired."
    if case == "used":
        code = issue()
        Coupon.objects.filter(code=code).update(redeemed_at=timezone.now())
        return code, f"The coupon {code} has already been used."
    if case == "other-email":
        code = issue("someone@example.com")
        return code, f"The coupon {code} was made for another email address."
    code = issue(amount_off=Decimal("5"), currency="USD")
    return code, f"The coupon {code} is for another currency."


@pytest.mark.parametrize("case", ["empty", "unknown", "expired", "used", "other-email", "currency"])
def test_unusable_codes_are_refused_with_a_message(sam, case):
    code, message = refusal(case)

    response = apply(sam, code)

    assert response.status_code == 200
    html = page(response)
    assert message in html
    assert "Discount" not in html
    assert "Coupon code" in html  # the field is offered again
    assert "€41.80" in html
    assert session_basket(sam).coupon_code == ""


@pytest.mark.parametrize(
    ("language", "message"),
    [("vi", "Mã giảm giá {code} đã hết hạn."), ("fa", "مهلت استفاده از کد تخفیف {code}")],
)
def test_the_refusal_is_translated(sam, language, message):
    code = issue(days=-1)

    response = sam.post(APPLY, {"code": code}, follow=True, HTTP_ACCEPT_LANGUAGE=language)

    assert message.format(code=code) in page(response)


def test_applying_needs_the_details_first(catalogue):
    client = Client()
    add_to_basket(client, catalogue["beans"])

    response = apply(client, issue())

    assert response.redirect_chain[-1][0] == reverse("shop:checkout")
    assert session_basket(client).coupon_code == ""


def test_a_coupon_that_stopped_working_is_dropped_from_the_review(sam):
    code = issue()
    apply(sam, code)
    give_details(sam, email="other@example.com")  # the coupon was made for sam

    html = page(sam.get(REVIEW))

    assert f"The coupon {code} was made for another email address." in html
    assert "Discount" not in html
    assert session_basket(sam).coupon_code == ""


def test_a_coupon_that_expired_after_review_blocks_the_order_with_a_message(sam):
    code = issue()
    apply(sam, code)
    Coupon.objects.filter(code=code).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = place(sam)

    assert response.redirect_chain == [(REVIEW, 302)]
    assert (
        f"The coupon {code} has expired. Your order was not placed; please check the new total."
        in page(response)
    )
    assert not Purchase.objects.exists()
    basket = session_basket(sam)
    assert (basket.status, basket.coupon_code) == (Basket.Status.OPEN, "")


# -- one code, two orders ------------------------------------------------------------------


def test_a_coupon_is_used_once_even_when_applied_in_two_browsers(catalogue):
    code = issue()
    first, second = shopper(catalogue), shopper(catalogue)
    apply(first, code)
    apply(second, code)  # both review pages show the discount

    place(first)
    response = place(second)

    assert response.status_code == 200
    assert response.redirect_chain == [(REVIEW, 302)]
    assert f"The coupon {code} has already been used." in page(response)
    assert "Your order was not placed" in page(response)
    winner = Purchase.objects.get()
    assert Coupon.objects.get(code=code).redeemed_by == winner
    assert session_basket(second).status == Basket.Status.OPEN

    place(second)  # at the full price now, as the review page said

    assert Purchase.objects.order_by("created").last().grand_total == Decimal("41.80")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_orders_racing_for_one_code_one_wins(catalogue, monkeypatch):
    """Real concurrency: the row lock makes the second order wait, then see it used."""
    code = issue()
    baskets = []
    for _ in range(2):
        client = shopper(catalogue)
        apply(client, code)
        baskets.append(session_basket(client))
    real_discount_for = basket_module.discount_for

    def slow_discount_for(coupon, subtotal):  # runs while the coupon row is locked
        threading.Event().wait(0.3)
        return real_discount_for(coupon, subtotal)

    monkeypatch.setattr(basket_module, "discount_for", slow_discount_for)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def order(basket: Basket) -> None:
        try:
            start.wait()
            basket_module.place_order(
                basket, buyer=None, email=EMAIL, name="", marketing_opt_in=False
            )
            outcomes.append("placed")
        except coupons.CouponError:
            outcomes.append("refused")
        finally:
            connection.close()
            close_old_connections()

    threads = [threading.Thread(target=order, args=(b,)) for b in baskets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["placed", "refused"]
    assert Purchase.objects.get().coupon_code == code
    assert Coupon.objects.get(code=code).redeemed_by == Purchase.objects.get()


# -- remarket sees the coupon on the order -----------------------------------------------


def test_remarket_reads_the_coupon_code_from_the_order(sam):
    since = timezone.now() - timedelta(minutes=1)
    code = issue()
    apply(sam, code)
    place(sam)

    orders = [o for batch in get_adapter().orders_placed_since(since) for o in batch]

    assert [o.coupon_code for o in orders] == [code]
    assert orders[0].total == Decimal("37.62")
    assert orders[0].email == EMAIL

"""Preview a step's email and send a test, for the admin: plain functions.

A preview renders exactly what the tick would send, for a chosen contact, cart or order,
or for a realistic sample built from the shop's own catalogue (its most recent order).
A test send goes to any address, is marked as a test, and is never counted: no
``Message`` row, no enrollment, no effect on the frequency cap.
"""

from __future__ import annotations

from datetime import timedelta

from anymail.message import AnymailMessage
from django.utils import timezone
from django.utils.translation import gettext as _

from remarket.conf import conf
from remarket.flows.context import email_context
from remarket.flows.models import Step
from remarket.mail.compose import Composed, compose
from remarket.people.models import Contact
from remarket.shop import CartSnapshot, CartState, Coupon, OrderSnapshot, get_adapter


def _sample_order() -> OrderSnapshot | None:
    """The shop's latest order in the last 90 days, so a preview shows real products."""
    latest = None
    for batch in get_adapter().orders_placed_since(timezone.now() - timedelta(days=90)):
        latest = batch[-1] if batch else latest
    return latest


def _as_cart(order: OrderSnapshot) -> CartSnapshot:
    return CartSnapshot(
        key=order.cart_key or order.key,
        email=order.email,
        user_id=order.user_id,
        last_activity=order.placed_at,
        state=CartState.OPEN,
        currency=order.currency,
        total=order.total,
        lines=order.lines,
    )


def preview(
    step: Step,
    *,
    contact: Contact | None = None,
    cart_key: str = "",
    order_key: str = "",
    language: str = "",
) -> Composed:
    """The email ``step`` would send, without sending or storing anything."""
    adapter = get_adapter()
    contact = contact or Contact(email="ann@example.com", name=_("Ann"))
    order = adapter.get_order(order_key) if order_key else None
    cart = adapter.get_cart(cart_key) if cart_key else None
    subject_type = step.flow.trigger.split("_")[0]
    if cart is None and order is None:
        sample = _sample_order()
        if subject_type == "cart" and sample:
            cart = _as_cart(sample)
        elif sample:
            order = sample
    coupon = None
    if step.coupon_kind:
        coupon = Coupon(code="PREVIEW10", expires_at=timezone.now() + timedelta(days=3))
    context = email_context(
        subject_type="order" if order else subject_type,
        snapshot=order.as_json() if order else {},
        contact=contact,
        cart=cart,
        step=step,
        adapter=adapter,
        coupon=coupon,
        message_id=None,
    )
    return compose(
        subject=step.subject,
        preheader=step.preheader,
        body=step.body,
        context=context,
        locale=language or contact.locale,
    )


def send_test(step: Step, to: str, **options: object) -> str:
    """Send the preview to ``to``, marked as a test; returns the ESP message id.

    Its unsubscribe and preferences links belong to nobody, so a staff member who clicks
    "unsubscribe" on a test email does not unsubscribe the customer it was made for.
    """
    contact = options.pop("contact", None)
    if isinstance(contact, Contact):
        options["contact"] = Contact(email=contact.email, name=contact.name, locale=contact.locale)
    email = preview(step, **options)  # type: ignore[arg-type]
    message = AnymailMessage(
        subject=_("[Test] %(subject)s") % {"subject": email.subject},
        body=email.text,
        from_email=step.flow.from_email or conf.FROM_EMAIL,
        to=[to],
        headers=email.headers,
    )
    message.attach_alternative(email.html, "text/html")
    message.tags = ["remarket-test"]
    message.metadata = {"remarket_test": "1"}
    message.send()
    status = message.anymail_status
    return str(status.message_id or "")

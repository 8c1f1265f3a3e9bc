"""What a step's templates may use: the documented context, and nothing more.

``contact`` (email, name), ``cart`` (a CartSnapshot: lines with name, quantity,
unit_price, product_url, image_url; total; currency), ``order`` (an OrderSnapshot),
``products`` (viewed products, browse abandonment), ``recommendations`` (ProductSnapshots),
``coupon`` (code, expires_at, description), ``last_order_at``, ``links`` (cart_url,
unsubscribe_url, preferences_url, shop_url), ``shop_name`` and ``site_url``. No settings,
no request, no model access: templates cannot reach past this dict.
"""

from __future__ import annotations

from typing import Any

from remarket.conf import conf
from remarket.flows.models import Step
from remarket.mail.links import preferences_url, recovery_url, unsubscribe_url
from remarket.people.models import Contact
from remarket.shop import CartSnapshot, Coupon, OrderSnapshot, ShopAdapter


def email_context(
    *,
    subject_type: str,
    snapshot: dict[str, Any],
    contact: Contact,
    cart: CartSnapshot | None,
    step: Step,
    adapter: ShopAdapter,
    coupon: Coupon | None,
    message_id: int | None,
) -> dict[str, Any]:
    order = OrderSnapshot.from_json(snapshot) if subject_type == "order" and snapshot else None
    # Previews and tests (no message) get links that act for nobody: a working link to a
    # real person's unsubscribe, preferences or basket must only ever reach that person.
    contact_id = contact.pk if message_id else 0
    links = {
        "cart_url": (recovery_url(message_id, cart.key) if message_id else conf.SITE_URL)
        if cart
        else "",
        "unsubscribe_url": unsubscribe_url(contact_id, message_id),
        "preferences_url": preferences_url(contact_id),
        "shop_url": conf.SITE_URL,
    }
    return {
        "contact": {"email": contact.email, "name": contact.name},
        "cart": cart,
        "order": order,
        "products": snapshot.get("products", []),
        "recommendations": recommendations(step, contact, cart, order, adapter),
        "coupon": coupon,
        "last_order_at": snapshot.get("last_order_at"),
        "links": links,
        "shop_name": conf.SHOP_NAME,
        "site_url": conf.SITE_URL,
    }


def recommendations(
    step: Step,
    contact: Contact,
    cart: CartSnapshot | None,
    order: OrderSnapshot | None,
    adapter: ShopAdapter,
) -> list[Any]:
    """Related products, never ones the person bought; only read when the body uses them."""
    if "recommendations" not in step.body:
        return []
    try:
        bought = adapter.purchased_product_ids(contact.email)
        holder = cart or order
        seeds = list(holder.product_ids) if holder else sorted(bought)[:20]
        return adapter.related_products(seeds, limit=4, exclude=bought)
    except NotImplementedError:  # the adapter cannot recommend: the block stays empty
        return []

"""Function-based views for the demo shop."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

import remarket

from .basket import (
    SESSION_KEY,
    BasketNotOpenError,
    add_product,
    get_basket,
    place_order,
    set_quantity,
)
from .coupons import CouponError, Quote, apply_to_basket, describe, quote, set_basket_code
from .forms import AddToBasketForm, CheckoutForm, CouponForm, UpdateLineForm
from .models import Basket, BasketItem, Category, Product, Purchase


def _item(product: Product, qty: int = 1, price: object = None) -> dict[str, object]:
    """A product line as remarket's events describe it (GA4 item fields)."""
    return {
        "id": str(product.pk),
        "name": product.title,
        "price": product.price if price is None else price,
        "quantity": qty,
        "category": product.category.label,
    }


def home(request: HttpRequest) -> HttpResponse:
    """Landing page: all categories and the full product grid."""
    return render(
        request,
        "shop/home.html",
        {
            "categories": Category.objects.all(),
            "products": Product.objects.select_related("category").order_by("category", "title"),
        },
    )


def category(request: HttpRequest, slug: str) -> HttpResponse:
    """Products of one category."""
    cat = get_object_or_404(Category, slug=slug)
    return render(
        request,
        "shop/category.html",
        {
            "category": cat,
            "categories": Category.objects.all(),
            "products": cat.products.select_related("category"),
        },
    )


def product(request: HttpRequest, slug: str) -> HttpResponse:
    """Product detail with the add-to-basket form."""
    item = get_object_or_404(Product.objects.select_related("category"), slug=slug)
    return render(request, "shop/product.html", {"product": item, "form": AddToBasketForm()})


@require_POST
def add_to_basket(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a product to the current basket, creating the basket on first use."""
    item = get_object_or_404(Product, slug=slug)
    form = AddToBasketForm(request.POST)
    if not item.in_stock:
        messages.error(request, _("Sorry, %(title)s is out of stock.") % {"title": item.title})
        return redirect(item)
    if not form.is_valid():
        messages.error(request, _("Please choose a quantity between 1 and 99."))
        return redirect(item)
    basket = get_basket(request, create=True)
    add_product(basket, item, form.cleaned_data["qty"])
    # Retargeting: queued in the session, so the pixels fire on the basket page.
    remarket.track(request, "add_to_cart", item=_item(item, form.cleaned_data["qty"]))
    messages.success(request, _("%(title)s was added to your basket.") % {"title": item.title})
    return redirect("shop:basket")


def basket_detail(request: HttpRequest) -> HttpResponse:
    """The basket with editable lines and the total."""
    basket = get_basket(request)
    items = list(basket.items.select_related("product")) if basket is not None else []
    return render(
        request,
        "shop/basket.html",
        {"basket": basket, "items": items, "total": basket.total() if basket else None},
    )


@require_POST
def update_line(request: HttpRequest, item_id: int) -> HttpResponse:
    """Change the quantity of, or remove, one line of the current basket."""
    basket = get_basket(request)
    if basket is None:
        return redirect("shop:basket")
    # Scoped to the current basket so nobody can edit another basket's lines by id.
    item = get_object_or_404(
        BasketItem.objects.select_related("product", "basket"), pk=item_id, basket=basket
    )
    form = UpdateLineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please enter a quantity between 0 and 99."))
        return redirect("shop:basket")
    qty = form.new_quantity()
    if qty < item.qty:
        removed = _item(item.product, item.qty - qty, item.price_each)
        remarket.track(request, "remove_from_cart", item=removed)
    set_quantity(item, qty)
    if qty:
        messages.success(request, _("Quantity updated."))
    else:
        messages.success(
            request, _("%(title)s was removed from your basket.") % {"title": item.product.title}
        )
    return redirect("shop:basket")


def _checkout_basket(request: HttpRequest) -> Basket | None:
    """The current basket if it has lines; otherwise ``None`` plus an "empty" message."""
    basket = get_basket(request)
    if basket is None or not basket.items.exists():
        messages.info(request, _("Your basket is empty."))
        return None
    return basket


def _summary(basket: Basket, price: Quote | None = None) -> dict[str, object]:
    """Lines, coupon discount and total for the order summary shown on both checkout steps."""
    price = price or quote(basket)
    items = list(basket.items.select_related("product"))
    return {"basket": basket, "items": items, "quote": price, "total": price.total}


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    """Checkout step 1: contact details and an explicit marketing consent.

    The details are saved on the basket as soon as they are valid, so a shopper who stops
    at the review step still leaves a reachable (and consent-flagged) email behind.
    """
    basket = _checkout_basket(request)
    if basket is None:
        return redirect("shop:basket")
    user = request.user if request.user.is_authenticated else None

    if request.method == "POST":
        form = CheckoutForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            basket.shopper_email = data["email"]
            basket.shopper_name = data["name"]
            basket.marketing_opt_in = data["marketing_opt_in"]
            basket.save(update_fields=["shopper_email", "shopper_name", "marketing_opt_in"])
            basket.touch()  # giving details is activity: restarts the abandoned-cart clock
            # This browser's earlier visits and events now belong to this email's contact.
            remarket.identify(request, email=data["email"])
            return redirect("shop:checkout_review")
    else:
        form = CheckoutForm(
            initial={
                "email": basket.shopper_email or (user.email if user else ""),
                "name": basket.shopper_name or (user.get_full_name() if user else ""),
                # The shopper's own earlier choice on this basket; a new basket starts unticked.
                "marketing_opt_in": basket.marketing_opt_in,
            }
        )
        lines = basket.items.select_related("product__category")
        remarket.track(
            request, "begin_checkout", items=[_item(i.product, i.qty, i.price_each) for i in lines]
        )
    return render(request, "shop/checkout.html", {"form": form, **_summary(basket)})


@require_http_methods(["GET", "POST"])
def checkout_review(request: HttpRequest) -> HttpResponse:
    """Checkout step 2: show what will be ordered and place the order on POST."""
    basket = _checkout_basket(request)
    if basket is None:
        return redirect("shop:basket")
    if not basket.shopper_email:
        messages.info(request, _("Please enter your details first."))
        return redirect("shop:checkout")

    if request.method == "POST":
        items = basket.items.select_related("product")
        unavailable = [i.product.title for i in items if not i.product.in_stock]
        if unavailable:
            messages.error(
                request,
                _("Please remove items that are out of stock: %(titles)s")
                % {"titles": ", ".join(unavailable)},
            )
            return redirect("shop:basket")
        try:
            purchase = place_order(
                basket,
                buyer=request.user if request.user.is_authenticated else None,
                email=basket.shopper_email,
                name=basket.shopper_name,
                marketing_opt_in=basket.marketing_opt_in,
            )
        except BasketNotOpenError:
            messages.error(request, _("This basket has already been checked out."))
            return redirect("shop:basket")
        except CouponError as exc:
            # Used in another tab, expired meanwhile...: drop it so the new total is shown.
            set_basket_code(basket, "")
            messages.error(
                request,
                _("%(reason)s Your order was not placed; please check the new total.")
                % {"reason": exc},
            )
            return redirect("shop:checkout_review")
        request.session.pop(SESSION_KEY, None)
        # The order's reference is the event id: browser pixels and any server-side
        # conversion call for this order deduplicate on it.
        remarket.track(
            request,
            "purchase",
            items=[
                _item(line.product, line.qty, line.price_paid)
                for line in purchase.lines.select_related("product__category")
            ],
            value=purchase.grand_total,
            currency=purchase.currency_code,
            transaction_id=purchase.ref,
        )
        messages.success(request, _("Thank you! Your order has been placed."))
        return redirect(purchase)

    price = quote(basket)
    if price.error:
        # The applied coupon stopped working (expired, used elsewhere, email changed).
        set_basket_code(basket, "")
        messages.error(request, price.error)
        price = Quote(price.subtotal)
    context = {**_summary(basket, price), "coupon_form": CouponForm()}
    return render(request, "shop/checkout_review.html", context)


@require_POST
def checkout_coupon(request: HttpRequest) -> HttpResponse:
    """Apply the coupon code typed on the review step, or remove the applied one."""
    basket = _checkout_basket(request)
    if basket is None:
        return redirect("shop:basket")
    if not basket.shopper_email:
        messages.info(request, _("Please enter your details first."))
        return redirect("shop:checkout")
    if "remove" in request.POST:
        set_basket_code(basket, "")
        messages.success(request, _("The coupon was removed."))
        return redirect("shop:checkout_review")
    form = CouponForm(request.POST)
    try:
        if not form.is_valid():
            raise CouponError(_("Please enter a coupon code."))
        coupon = apply_to_basket(basket, form.cleaned_data["code"])
    except CouponError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Coupon %(code)s applied: %(description)s.")
            % {"code": coupon.code, "description": describe(coupon)},
        )
    return redirect("shop:checkout_review")


def order(request: HttpRequest, ref: str) -> HttpResponse:
    """Order confirmation; the UUID in the URL is the access token."""
    purchase = get_object_or_404(Purchase, ref=ref)
    lines = purchase.lines.select_related("product")
    return render(request, "shop/order.html", {"purchase": purchase, "lines": lines})

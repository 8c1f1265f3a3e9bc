"""Small presentation helpers for shop templates."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.templatetags.static import static
from django.utils.formats import number_format

from example_project.shop.models import Product

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


@register.filter
def money(value: Decimal | int | None, currency_code: str = "EUR") -> str:
    """Format an amount with two decimals (localized) and its currency symbol."""
    if value in (None, ""):
        return ""
    symbol = CURRENCY_SYMBOLS.get(currency_code, currency_code + " ")
    return f"{symbol}{number_format(value, 2, use_l10n=True)}"


@register.filter
def picture_url(product: Product) -> str:
    """The product's picture, or a neutral placeholder when none was uploaded."""
    if product.picture:
        return product.picture.url
    return static("shop/placeholder.svg")

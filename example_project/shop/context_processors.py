"""Template context shared by every shop page."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .basket import basket_count, get_basket


def basket(request: HttpRequest) -> dict[str, object]:
    """Expose the header basket count, computed only if a template actually uses it."""
    # Lazy so admin pages and error pages do not pay for a basket query they never render.
    return {"basket_count": SimpleLazyObject(lambda: basket_count(get_basket(request)))}

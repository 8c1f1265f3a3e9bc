"""Forms for the basket and checkout."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .basket import MAX_QTY


class AddToBasketForm(forms.Form):
    """Quantity picker on the product page."""

    qty = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QTY, initial=1)


class UpdateLineForm(forms.Form):
    """Quantity change / removal for one basket line; 0 removes it."""

    qty = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=MAX_QTY, required=False)
    remove = forms.BooleanField(required=False)

    def new_quantity(self) -> int:
        """The quantity to store, where an explicit remove wins."""
        if self.cleaned_data.get("remove"):
            return 0
        qty = self.cleaned_data.get("qty")
        return 0 if qty is None else qty


class CheckoutForm(forms.Form):
    """Contact details plus an explicit, opt-in marketing consent."""

    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    email = forms.EmailField(label=_("Email"))
    # Consent must be an active choice: never pre-ticked (GDPR / ePrivacy).
    marketing_opt_in = forms.BooleanField(
        label=_("Send me offers and reminders by email"),
        required=False,
        initial=False,
    )


class CouponForm(forms.Form):
    """The coupon code field on the review step."""

    code = forms.CharField(label=_("Coupon code"), max_length=64)

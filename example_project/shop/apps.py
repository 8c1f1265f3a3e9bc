"""App configuration for the demo shop."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    """Wires the shop's signal receivers once the app registry is ready."""

    name = "example_project.shop"
    label = "shop"
    verbose_name = _("Shop")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect the login receiver that hands a guest basket over to the user."""
        from django.contrib.auth.signals import user_logged_in

        from .basket import adopt_guest_basket_on_login

        # dispatch_uid guards against double connection if ready() runs twice (e.g. in tests).
        user_logged_in.connect(
            adopt_guest_basket_on_login, dispatch_uid="shop.adopt_guest_basket_on_login"
        )

from __future__ import annotations

from contextlib import suppress

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemarketConfig(AppConfig):
    name = "remarket"
    verbose_name = _("Remarketing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from anymail.signals import tracking
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks

        from remarket.checks import check_settings
        from remarket.exceptions import RemarketConfigurationError
        from remarket.mail.tracking import on_tracking
        from remarket.people.receivers import on_user_logged_in
        from remarket.shop.base import load_adapter_class

        checks.register(check_settings, "remarket")
        user_logged_in.connect(on_user_logged_in, dispatch_uid="remarket.people.login")
        tracking.connect(on_tracking, dispatch_uid="remarket.mail.tracking")
        # A broken SHOP_ADAPTER is reported by manage.py check (remarket.E003) with a hint.
        with suppress(RemarketConfigurationError):
            load_adapter_class().ready()  # e.g. the Oscar adapter's checkout signals

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
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_save

        from remarket.checks import check_settings
        from remarket.exceptions import RemarketConfigurationError
        from remarket.mail.tracking import on_tracking
        from remarket.people.receivers import on_user_logged_in
        from remarket.shop.base import load_adapter_class
        from remarket.tracking.audience_sql import register_sqlite_functions
        from remarket.tracking.audiences import forget_rules
        from remarket.tracking.models import AudienceRule
        from remarket.tracking.receivers import on_user_logged_in as link_visitor

        checks.register(check_settings, "remarket")
        user_logged_in.connect(on_user_logged_in, dispatch_uid="remarket.people.login")
        user_logged_in.connect(link_visitor, dispatch_uid="remarket.tracking.login")
        tracking.connect(on_tracking, dispatch_uid="remarket.mail.tracking")
        # A broken SHOP_ADAPTER is reported by manage.py check (remarket.E003) with a hint.
        with suppress(RemarketConfigurationError):
            load_adapter_class().ready()  # e.g. the Oscar adapter's checkout signals
        # Pages cache the audience rules per process; a saved or deleted rule refreshes them.
        post_save.connect(forget_rules, sender=AudienceRule, dispatch_uid="remarket.rules.save")
        post_delete.connect(forget_rules, sender=AudienceRule, dispatch_uid="remarket.rules.del")
        # Audience rules compare categories the way Python's casefold() does, on SQLite too.
        connection_created.connect(register_sqlite_functions, dispatch_uid="remarket.sqlite")

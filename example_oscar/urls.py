"""URLs of the Oscar example: Oscar's shop, remarket's email links, the admin."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("remarket/", include("remarket.urls")),
    path("", include(apps.get_app_config("oscar").urls[0])),
]

"""Root URLconf of the demo project."""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # ESP webhooks (delivery, opens, bounces...): remarket.mail.tracking records them.
    path("anymail/", include("anymail.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="shop/login.html"),
        name="login",
    ),
    # LogoutView only accepts POST (Django 5+); the header renders a small form for it.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("remarket/", include("remarket.urls")),
    path("", include("example_project.shop.urls")),
]

if settings.DEBUG:
    # Product pictures are uploads; serve them only in development.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

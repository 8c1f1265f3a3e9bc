"""``path("remarket/", include("remarket.urls"))``: the links in remarket's emails."""

from __future__ import annotations

from django.urls import path

from remarket.flows.preferences import preferences
from remarket.mail import views

app_name = "remarket"

urlpatterns = [
    path("r/<str:token>/", views.recover, name="recover"),
    path("c/<str:token>/", views.click, name="click"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("p/<str:token>/", preferences, name="preferences"),
]

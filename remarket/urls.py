"""``path("remarket/", include("remarket.urls"))``: email links, consent and the beacon."""

from __future__ import annotations

from django.urls import path

from remarket.flows.preferences import preferences
from remarket.mail import views
from remarket.tracking import views as tracking

app_name = "remarket"

urlpatterns = [
    path("r/<str:token>/", views.recover, name="recover"),
    path("c/<str:token>/", views.click, name="click"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("p/<str:token>/", preferences, name="preferences"),
    path("consent/", tracking.consent, name="consent"),
    path("collect/", tracking.collect, name="collect"),
    path("t/stubs.js", tracking.stubs, name="stubs"),
]

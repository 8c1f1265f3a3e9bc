"""A bare URLconf for the tracking tests: remarket's URLs and a few tiny views."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import RequestContext, Template
from django.urls import include, path

import remarket

PAGE = Template(
    "{% load remarket %}<head>{% remarket_head %}</head><body>{% remarket_consent_banner %}</body>"
)


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>bare</p>")


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE.render(RequestContext(request)))


def add(request: HttpRequest) -> HttpResponse:
    """Tracks an add-to-cart, then redirects like a real shop does."""
    event_id = remarket.track(
        request, "add_to_cart", item={"id": "sku-1", "name": "Mug", "price": "16.00"}
    )
    response = redirect("/page/")
    response["X-Event-Id"] = event_id
    return response


def signin(request: HttpRequest) -> HttpResponse:
    """Logs in like any login view does (django.contrib.auth.login with the request)."""
    user = authenticate(
        request, username=request.POST["username"], password=request.POST["password"]
    )
    login(request, user)
    return HttpResponse("signed in")


urlpatterns = [
    path("signin/", signin),
    path("admin/", admin.site.urls),
    path("remarket/", include("remarket.urls")),
    path("bare/", bare),
    path("page/", page),
    path("add/", add),
]

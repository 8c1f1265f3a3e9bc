"""Exact output of the template tags: order, CSP nonces, JSON escaping, the no-inline mode."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import django
import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.db import SessionStore
from django.template import Context, Template

from remarket.people.activity import Activity
from remarket.tracking import render
from remarket.tracking.events import Call, ConsentState, Event, Item
from remarket.tracking.models import AudienceRule
from remarket.tracking.providers.base import Provider
from remarket.tracking.queue import track

pytestmark = pytest.mark.django_db

VISITOR = "V" * 22
EVIL = "</script><script>window.pwned=1</script>"


class Recorder(Provider):
    """A provider whose every call is visible in the output."""

    key = "recorder"
    label = "Recorder"

    def stub(self) -> str:
        return "window.rec=window.rec||function(){(rec.q=rec.q||[]).push(arguments)};"

    def script_url(self) -> str:
        return "https://cdn.example/rec.js"

    def consent(self, state: ConsentState, *, default: bool) -> list[Call]:
        return [Call("rec", ("consent", "default" if default else "update", state.ad_storage))]

    def setup(self) -> list[Call]:
        return [Call("rec", ("init", "ID-1"))]

    def event(self, event: Event) -> list[Call]:
        names = [item.name for item in event.items]
        data = {"items": names, "value": event.value}
        return [Call("rec", ("track", event.name, data, event.id))]

    def audience(self, name: str, event_id: str) -> list[Call]:
        return [Call("rec", ("audience", name, event_id))]


@pytest.fixture(autouse=True)
def recorder(settings):
    settings.REMARKET = {
        **settings.REMARKET,
        "PROVIDERS": {"tests.tracking.test_tags.Recorder": {}},
    }


@pytest.fixture
def request_(rf):
    """A request from a visitor who accepted the banner."""
    request = rf.get("/p/mug/")
    request.COOKIES.update({"remarket_consent": "granted.r1", "remarket_id": VISITOR})
    request.session = SessionStore()
    request.user = AnonymousUser()
    return request


def head(request, **context) -> str:
    return Template("{% load remarket %}{% remarket_head %}").render(
        Context({"request": request, **context})
    )


STUB = "window.rec=window.rec||function(){(rec.q=rec.q||[]).push(arguments)};"
TAIL = (
    '<script async src="https://cdn.example/rec.js"{n}></script>'
    '<script defer src="/static/remarket/tracking/engagement.js" '
    'data-collect="/remarket/collect/"{n}></script>'
)


def expected(calls: str, nonce: str | None = None) -> str:
    n = f' nonce="{nonce}"' if nonce else ""
    return f"<script{n}>{STUB}\n{calls}</script>" + TAIL.format(n=n)


HEAD_CALLS = 'rec("consent","default",false);\nrec("consent","update",true);\nrec("init","ID-1");'


def test_head_order_without_a_nonce(request_):
    event_id = track(request_, "add_to_cart", item={"id": "7", "name": "Mug", "price": "16.00"})

    assert head(request_) == expected(
        f'{HEAD_CALLS}\nrec("track","add_to_cart",{{"items":["Mug"],"value":16.0}},"{event_id}");'
    )


def test_every_script_carries_the_requests_nonce(request_):
    request_.csp_nonce = "n0nce+/="  # django-csp and Django 6 both expose it on the request

    assert head(request_) == expected(HEAD_CALLS, nonce="n0nce+/=")


def test_the_context_nonce_wins(request_):
    assert head(request_, csp_nonce="ctx") == expected(HEAD_CALLS, nonce="ctx")


@pytest.mark.skipif(django.VERSION < (6, 0), reason="Django 6.0 ships CSP middleware")
def test_django_6_csp_middleware_gets_its_nonce_into_the_header(client, settings):
    from django.utils.csp import CSP

    settings.MIDDLEWARE = [
        "django.middleware.csp.ContentSecurityPolicyMiddleware",
        *settings.MIDDLEWARE,
    ]
    settings.SECURE_CSP = {"script-src": [CSP.SELF, CSP.NONCE]}
    settings.ROOT_URLCONF = "tests.tracking.site"
    client.post("/remarket/consent/", {"choice": "accept"})
    response = client.get("/page/")

    header_nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])[1]
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts
    assert all(f'nonce="{header_nonce}"' in tag for tag in scripts)


def test_nothing_without_consent(rf):
    request = rf.get("/")
    request.session, request.user = SessionStore(), AnonymousUser()
    track(request, "add_to_cart", item={"id": "7"})

    assert head(request) == ""
    assert not Activity.objects.exists()


def test_nothing_for_staff_but_activity_is_kept(request_):
    AudienceRule.objects.create(name="mugs", kind="url_visits", url_pattern="/p/")
    request_.user = User(username="ann", is_staff=True)
    assert head(request_) == ""
    assert Activity.objects.get().kind == "page_view"


def test_nothing_for_internal_addresses(request_, settings):
    settings.REMARKET = {**settings.REMARKET, "INTERNAL_IPS": ["127.0.0.0/8"]}
    assert head(request_) == ""  # RequestFactory's REMOTE_ADDR is 127.0.0.1
    settings.REMARKET = {**settings.REMARKET, "INTERNAL_IPS": ["10.0.0.0/8"]}
    del request_.remarket  # a new request would judge afresh
    assert head(request_) != ""


@pytest.mark.parametrize("name", [EVIL, "line\u2028break\u2029para & <b>"])
def test_hostile_names_stay_data(request_, name):
    track(request_, "view_item", item=Item(id="1", name=name, price=Decimal("2")))
    html = head(request_)

    script = re.search(r"<script>(.*?)</script>", html, re.DOTALL)[1]
    assert "<" not in script.replace(STUB, "")
    assert "\u2028" not in script
    payload = re.search(r'rec\("track","view_item",(\{.*?\}),"', script)[1]
    assert json.loads(payload)["items"] == [name]


def test_to_json_escapes_exactly_the_dangerous_characters():
    value = {"a": "</script>&\u2028\u2029 ok é", "n": Decimal("12.50")}
    assert render.to_json(value) == (
        '{"a":"\\u003C/script\\u003E\\u0026\\u2028\\u2029 ok é","n":12.5}'
    )


def test_a_call_with_a_bad_function_name_is_refused():
    with pytest.raises(ValueError, match="not a JavaScript function name"):
        render.call_js(Call("alert(1);fbq", ()))


def test_template_event_tag(request_):
    html = Template(
        '{% load remarket %}{% remarket_event "view_item" item=product value="9.5" %}'
    ).render(Context({"request": request_, "product": {"id": "42", "name": "Beans"}}))

    event_id = Activity.objects.get(kind="view_item").data["event_id"]
    assert html == (
        f'<script>rec("track","view_item",{{"items":["Beans"],"value":9.5}},"{event_id}");</script>'
    )


def test_no_inline_mode_emits_data_and_one_static_loader(request_, settings):
    settings.REMARKET = {**settings.REMARKET, "NO_INLINE": True}
    request_.csp_nonce = "abc"
    event_id = track(request_, "add_to_cart", item={"id": "7", "name": EVIL})
    html = head(request_)

    data = {
        "stubs": "/remarket/t/stubs.js",
        "scripts": ["https://cdn.example/rec.js"],
        "calls": [
            ["rec", ["consent", "default", False]],
            ["rec", ["consent", "update", True]],
            ["rec", ["init", "ID-1"]],
            ["rec", ["track", "add_to_cart", {"items": [EVIL], "value": None}, event_id]],
        ],
    }
    assert html == (
        '<script type="application/json" data-remarket id="remarket-data">'
        f"{render.to_json(data)}</script>"
        '<script defer src="/static/remarket/tracking/loader.js" nonce="abc"></script>'
        '<script defer src="/static/remarket/tracking/engagement.js" '
        'data-collect="/remarket/collect/" nonce="abc"></script>'
    )
    assert "</script><script>window" not in html


def test_the_loader_gets_the_stubs_from_a_static_url(client, settings):
    response = client.get("/remarket/t/stubs.js")
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.content.decode() == STUB

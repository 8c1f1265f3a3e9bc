"""The figures dashboard in the admin: who may see it, what it shows, what it costs."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from remarket.insights.figures import flow_report
from remarket.mail.models import MessageStatus
from remarket.people.models import Contact
from tests.insights.data import NOON, enroll, flow_with_steps, many, message, order

pytestmark = pytest.mark.django_db
URL = "/admin/remarket/flowreport/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def staff(*perms: str) -> Client:
    user = User.objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser_client() -> Client:
    user = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def cart_flow(settings: Any) -> Any:
    settings.REMARKET = {**settings.REMARKET, "CURRENCY": "EUR"}
    flow = flow_with_steps("abandoned-cart", name="Abandoned <cart>")
    first = flow.steps.get(position=1)
    people = [Contact.objects.create(email=f"p{n}@example.com") for n in range(3)]
    sent = message(enroll(flow, people[0]), first, clicked_at=NOON, opened_at=NOON)
    message(enroll(flow, people[1]), first)
    message(enroll(flow, people[2]), first, status=MessageStatus.SKIPPED, reason="frequency_cap")
    order(sent, "42.00", "EUR")
    order(sent, "10.00", "USD")
    return flow


def test_the_url_is_the_figures_changelist() -> None:
    assert reverse("admin:remarket_flowreport_changelist") == URL


def test_a_superuser_sees_every_flow_figures_and_the_chart(
    superuser_client: Client, cart_flow: Any
) -> None:
    response = superuser_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Abandoned &lt;cart&gt;" in html  # escaped
    assert html.count('<svg class="remarket-chart"') == 5  # sent, clicked, orders, EUR, USD
    assert "<title>Emails sent</title>" in html
    assert re.search(r"Revenue \(EUR\): <strong>42\.00 EUR</strong>", html)
    assert html.index("Revenue (EUR)") < html.index("Revenue (USD)")  # the shop's first
    assert "frequency cap: 1" in html
    report = response.context["report"]
    assert report.flows[0].figures.sent == 2
    assert report.total.money == [("EUR", 42), ("USD", 10)]
    # The table fallback of the chart holds the same numbers, one row per day.
    assert len(re.findall(r'<th scope="row">\d\d/\d\d/\d{4}</th>', html)) == 30
    assert "remarket/admin/figures.css" in html


def test_the_admin_index_lists_the_figures(superuser_client: Client) -> None:
    html = superuser_client.get("/admin/").content.decode()

    assert f'href="{URL}"' in html


def test_staff_without_the_view_figures_permission_is_refused(cart_flow: Any) -> None:
    client = staff("remarket.change_flow", "remarket.view_flow")

    assert client.get(URL).status_code == 403


def test_view_figures_alone_is_enough_and_gives_no_flow_links(cart_flow: Any) -> None:
    client = staff("remarket.view_flowreport")

    response = client.get(URL)

    assert response.status_code == 200
    assert "Abandoned &lt;cart&gt;" in response.content.decode()
    assert response.context["report"].flows[0].link == ""


def test_nothing_else_is_routed(superuser_client: Client, cart_flow: Any) -> None:
    assert superuser_client.get(f"{URL}add/").status_code == 404
    assert superuser_client.get(f"{URL}{cart_flow.pk}/change/").status_code == 404


def test_an_empty_shop_says_so(superuser_client: Client) -> None:
    html = superuser_client.get(URL).content.decode()

    assert "No flows yet" in html
    assert "Nothing on any day." in html


def test_the_flow_figures_include_for_the_flow_page(cart_flow: Any) -> None:
    html = render_to_string(
        "admin/remarket/includes/flow_figures.html", {"report": flow_report(cart_flow)}
    )

    assert "Abandoned &lt;cart&gt;" in html
    assert "Step 1: Email 1" in html
    assert html.count('<svg class="remarket-chart"') == 5
    assert "All flows" not in html


def test_in_persian_the_page_is_right_to_left(superuser_client: Client, cart_flow: Any) -> None:
    html = superuser_client.get(URL, headers={"accept-language": "fa"}).content.decode()

    assert 'dir="rtl"' in html
    assert 'direction="ltr"' in html  # the chart keeps its days running left to right


@pytest.mark.parametrize("size", [10, 1_000])
def test_the_dashboard_page_costs_a_fixed_number_of_queries(
    size: int, superuser_client: Client, django_assert_max_num_queries: Any
) -> None:
    many(flows=size, messages=size)

    # 9 for the figures, 2 for the session and the user.
    with django_assert_max_num_queries(11):
        response = superuser_client.get(URL)

    assert response.status_code == 200
    assert len(response.context["report"].flows) == size

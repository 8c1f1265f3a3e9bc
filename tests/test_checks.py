"""Every misconfiguration of REMARKET has its own check id, message and hint."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from example_project.remarket_map import REMARKET as GOOD
from remarket.checks import check_settings


def run(settings: Any, value: Any) -> list[Any]:
    settings.REMARKET = value
    return check_settings()


def only(messages: list[Any], check_id: str) -> Any:
    assert [m.id for m in messages] == [check_id], [str(m) for m in messages]
    message = messages[0]
    assert message.hint, "every check says how to fix it"
    return message


def changed(section: str | None = None, **updates: Any) -> dict[str, Any]:
    """The example shop's map with some keys replaced (None removes a key)."""
    value = copy.deepcopy(GOOD)
    target = value
    for part in section.split(".") if section else []:
        target = target[part]
    for key, new in updates.items():
        if new is None:
            target.pop(key, None)
        else:
            target[key] = new
    return value


def test_the_example_map_is_clean(settings):
    assert run(settings, GOOD) == []


def test_e001_remarket_is_not_a_dict(settings):
    message = only(run(settings, ["SITE_URL"]), "remarket.E001")
    assert "not a dict" in message.msg


def test_e002_unknown_key_suggests_the_right_one(settings):
    message = only(run(settings, {**GOOD, "CARTS": {}}), "remarket.E002")
    assert "REMARKET['CARTS']" in message.msg
    assert "Did you mean 'CART'?" in message.hint


def test_e003_adapter_cannot_be_imported(settings):
    message = only(run(settings, changed(SHOP_ADAPTER="myshop.Nope")), "remarket.E003")
    assert "'myshop.Nope'" in message.msg


def test_e003_adapter_is_not_an_adapter(settings):
    message = only(run(settings, changed(SHOP_ADAPTER="decimal.Decimal")), "remarket.E003")
    assert "not a ShopAdapter subclass" in message.msg


@pytest.mark.parametrize("url", [None, "shop.example", "ftp://shop.example", "https://x/?a=1"])
def test_e004_site_url(settings, url):
    message = only(run(settings, changed(SITE_URL=url)), "remarket.E004")
    assert "REMARKET['SITE_URL']" in message.msg


@pytest.mark.parametrize("currency", ["eur", "EURO", 978])
def test_e005_currency(settings, currency):
    message = only(run(settings, changed(CURRENCY=currency)), "remarket.E005")
    assert repr(currency) in message.msg


@pytest.mark.parametrize("size", [0, -5, "500", True])
def test_e006_batch_size(settings, size):
    only(run(settings, changed(BATCH_SIZE=size)), "remarket.E006")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc"])
def test_e007_time_zone(settings, zone):
    if zone == "":
        assert run(settings, changed(TIME_ZONE=zone)) == []  # empty: settings.TIME_ZONE
        return
    message = only(run(settings, changed(TIME_ZONE=zone)), "remarket.E007")
    assert "Asia/Tehran" in message.hint


@pytest.mark.parametrize("hours", ["21-8", ("21:00",), ("25:00", "08:00"), (21, 8)])
def test_e008_quiet_hours(settings, hours):
    message = only(run(settings, changed(QUIET_HOURS=hours)), "remarket.E008")
    assert "None to send at any hour" in message.hint


def test_quiet_hours_may_be_none(settings):
    assert run(settings, changed(QUIET_HOURS=None)) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("FREQUENCY_CAP", 16),
        ("SEND_LEASE", timedelta(0)),
        ("CLICK_ATTRIBUTION_WINDOW", "5 days"),
        ("OPEN_ATTRIBUTION_WINDOW", "1d"),
    ],
)
def test_e009_durations(settings, key, value):
    message = only(run(settings, changed(**{key: value})), "remarket.E009")
    assert f"REMARKET[{key!r}]" in message.msg


def test_frequency_cap_may_be_none(settings):
    assert run(settings, {**GOOD, "FREQUENCY_CAP": None}) == []


@pytest.mark.parametrize("key", ["SHOP_NAME", "FROM_EMAIL"])
def test_e010_texts(settings, key):
    only(run(settings, changed(**{key: 42})), "remarket.E010")


@pytest.mark.parametrize(
    ("factory", "problem"),
    [("myshop.nope", "cannot be imported"), ("decimal.ROUND_UP", "not callable")],
)
def test_e011_coupon_factory(settings, factory, problem):
    message = only(run(settings, changed(COUPON_FACTORY=factory)), "remarket.E011")
    assert problem in message.msg


@pytest.mark.parametrize("hosts", ["blog.example", [""], [42]])
def test_e012_link_hosts(settings, hosts):
    only(run(settings, changed(LINK_HOSTS=hosts)), "remarket.E012")


@pytest.mark.parametrize("attempts", [0, "5", True])
def test_e013_max_send_attempts(settings, attempts):
    only(run(settings, changed(MAX_SEND_ATTEMPTS=attempts)), "remarket.E013")


@pytest.mark.parametrize("threads", [0, -4, "100", 2.5, True])
def test_e014_send_concurrency(settings, threads):
    only(run(settings, changed(SEND_CONCURRENCY=threads)), "remarket.E014")


@pytest.mark.parametrize("wave", [0, -1, "500", 1.5, False])
def test_e016_send_wave(settings, wave):
    message = only(run(settings, changed(SEND_WAVE=wave)), "remarket.E016")
    assert "500" in message.hint


@pytest.mark.parametrize("cap", [0, "6000", 100.0, False])
def test_e015_max_sends_per_minute(settings, cap):
    message = only(run(settings, changed(MAX_SENDS_PER_MINUTE=cap)), "remarket.E015")
    assert "None" in message.hint


def test_send_rate_settings_accept_numbers_and_no_cap(settings):
    assert run(settings, changed(SEND_CONCURRENCY=8, MAX_SENDS_PER_MINUTE=6000)) == []
    assert run(settings, changed(SEND_WAVE=1)) == []
    assert run(settings, changed(MAX_SENDS_PER_MINUTE=None)) == []


def test_e101_cart_section_missing(settings):
    message = only(run(settings, changed(CART=None)), "remarket.E101")
    assert "REMARKET['CART'] is not set" in message.msg


def test_e101_product_section_not_a_dict(settings):
    message = only(run(settings, changed(PRODUCT="shop.Product")), "remarket.E101")
    assert "REMARKET['PRODUCT']" in message.msg


def test_e102_model_label_is_not_installed(settings):
    message = only(run(settings, changed("CART", model="shop.Cart")), "remarket.E102")
    assert "REMARKET['CART']['model'] is 'shop.Cart'" in message.msg
    assert "app_label.ModelName" in message.hint


def test_e102_model_label_without_a_dot(settings):
    only(run(settings, changed("ORDER", model="Purchase")), "remarket.E102")


def test_e103_field_path_names_the_key_the_path_and_the_fields(settings):
    message = only(run(settings, changed("CART", email="owner__mail")), "remarket.E103")
    assert "REMARKET['CART']['email'] is 'owner__mail'" in message.msg
    assert "has no field or attribute 'mail'" in message.msg
    assert "email" in message.hint  # lists the user model's fields


def test_e103_in_a_line_map(settings):
    value = changed("CART.line", name="product.titel")
    message = only(run(settings, value), "remarket.E103")
    assert "REMARKET['CART']['line']['name']" in message.msg
    assert "title" in message.hint


def test_e104_required_key_missing(settings):
    message = only(run(settings, changed("ORDER", placed_at=None)), "remarket.E104")
    assert "REMARKET['ORDER']['placed_at'] is required" in message.msg


def test_e105_unknown_key_in_a_section(settings):
    message = only(run(settings, changed("CART", last_activty="touched_at")), "remarket.E105")
    assert "Did you mean 'last_activity'?" in message.hint


def test_e106_constant_or_callable_malformed(settings):
    message = only(run(settings, changed("CART", currency={"value": "EUR"})), "remarket.E106")
    assert "{'const': value}" in message.hint


def test_e106_callable_cannot_be_imported(settings):
    value = changed("CART", total={"call": "myshop.totals.nope"})
    message = only(run(settings, value), "remarket.E106")
    assert "'myshop.totals.nope'" in message.msg


def test_e107_query_path_is_a_property(settings):
    message = only(run(settings, changed("CART", email="owner.get_full_name")), "remarket.E107")
    assert "the database cannot see" in message.msg


def test_e107_last_activity_is_not_a_datetime(settings):
    message = only(run(settings, changed("CART", last_activity="status")), "remarket.E107")
    assert "not a DateTimeField" in message.msg


def test_e107_order_cart_points_at_the_wrong_model(settings):
    message = only(run(settings, changed("ORDER", cart="buyer")), "remarket.E107")
    assert "not shop.Basket" in message.msg


def test_e107_lines_is_not_a_reverse_relation(settings):
    message = only(run(settings, changed("CART", lines="owner")), "remarket.E107")
    assert "items" in message.hint


def test_e107_order_lines_and_products_disagree(settings):
    value = changed(PRODUCT={"model": "shop.Category", "name": "label"})
    message = only(run(settings, value), "remarket.E107")
    assert "not shop.Category" in message.msg


def test_e108_cannot_tell_ordered_carts(settings):
    value = changed("CART", open=None)
    value["ORDER"].pop("cart")
    message = only(run(settings, value), "remarket.E108")
    assert "REMARKET['ORDER']['cart']" in message.hint


def test_e109_filter_is_not_a_lookup(settings):
    message = only(run(settings, changed("CART", open={"state": "open"})), "remarket.E109")
    assert "REMARKET['CART']['open']" in message.msg


def test_w101_last_activity_without_index(settings):
    message = only(run(settings, changed("CART", last_activity="created")), "remarket.W101")
    assert "db_index=True" in message.hint


def test_w102_no_email_source(settings):
    message = only(run(settings, changed("CART", email=None, user=None)), "remarket.W102")
    assert "captures" in message.msg


def test_check_command_fails_on_a_bad_setting(settings):
    settings.REMARKET = changed("CART", model="shop.Cart")

    with pytest.raises(SystemCheckError, match=r"remarket\.E102"):
        call_command("check")


def test_manage_py_check_really_fails(tmp_path: Path):
    (tmp_path / "bad_settings.py").write_text(
        "from example_project.settings import *  # noqa\n"
        "REMARKET = {**REMARKET, 'CART': {**REMARKET['CART'], 'email': 'shoper_email'}}\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root)]),
        "DJANGO_SETTINGS_MODULE": "bad_settings",
        "REMARKET_DEMO_DB": str(tmp_path / "db.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, str(root / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "remarket.E103" in result.stderr
    assert "REMARKET['CART']['email'] is 'shoper_email'" in result.stderr
    assert "shopper_email" in result.stderr  # the hint lists the real field


def test_manage_py_check_is_clean_for_the_example(tmp_path: Path):
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "REMARKET_DEMO_DB": str(tmp_path / "db.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, str(root / "manage.py"), "check", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


# -- retargeting: consent, cookies, switches (remarket.E201-E207, W201-W202) --------------


def consent_for_tests(request: Any) -> bool:
    return False


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("opt-in", "cannot be imported"),
        ("tests.test_checks.GOOD", "is not callable"),
        (True, "is not a string"),
    ],
)
def test_e201_consent(settings, value, problem):
    message = only(run(settings, changed(CONSENT=value)), "remarket.E201")
    assert problem in message.msg
    assert "'required'" in message.hint


@pytest.mark.parametrize("value", ["required", "implied", "tests.test_checks.consent_for_tests"])
def test_consent_modes_that_work(settings, value):
    assert run(settings, changed(CONSENT=value)) == []


@pytest.mark.parametrize(
    "updates",
    [{"COOKIE_NAME": "has space"}, {"CONSENT_COOKIE_NAME": "remarket_id"}, {"COOKIE_NAME": 1}],
)
def test_e202_cookie_names(settings, updates):
    message = only(run(settings, changed(**updates)), "remarket.E202")
    assert "two different cookie names" in message.msg


@pytest.mark.parametrize("age", [timedelta(days=401), timedelta(hours=1), 3600])
def test_e203_cookie_age(settings, age):
    message = only(run(settings, changed(COOKIE_AGE=age)), "remarket.E203")
    assert "400 days" in message.hint


@pytest.mark.parametrize("domain", ["", ".", 7])
def test_e204_cookie_domain(settings, domain):
    message = only(run(settings, changed(COOKIE_DOMAIN=domain)), "remarket.E204")
    assert "'.shop.example'" in message.hint


@pytest.mark.parametrize("ranges", ["10.0.0.0/8", ["10.0.0.0/33"], ["office"]])
def test_e205_internal_ips(settings, ranges):
    only(run(settings, changed(INTERNAL_IPS=ranges)), "remarket.E205")


def test_internal_ips_accept_addresses_and_ranges(settings):
    assert run(settings, changed(INTERNAL_IPS=["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"])) == []


@pytest.mark.parametrize("key", ["TRACK_STAFF", "NO_INLINE"])
def test_e206_switches(settings, key):
    message = only(run(settings, changed(**{key: "yes"})), "remarket.E206")
    assert f"REMARKET[{key!r}]" in message.msg


@pytest.mark.parametrize("paths", ["/api/", ["api/"]])
def test_e207_skip_paths(settings, paths):
    only(run(settings, changed(SKIP_PATHS=paths)), "remarket.E207")


def test_w201_middleware_missing_with_providers(settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "remarket.tracking.middleware.TrackingMiddleware"
    ]
    message = only(run(settings, GOOD), "remarket.W201")
    assert "TrackingMiddleware" in message.msg
    assert run(settings, changed(PROVIDERS=None)) == []  # no pixels, no need


def test_w202_middleware_before_authentication(settings):
    tracking = "remarket.tracking.middleware.TrackingMiddleware"
    settings.MIDDLEWARE = [tracking, *(m for m in settings.MIDDLEWARE if m != tracking)]
    message = only(run(settings, GOOD), "remarket.W202")
    assert "AuthenticationMiddleware" in message.msg

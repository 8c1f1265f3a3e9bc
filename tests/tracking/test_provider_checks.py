"""System checks for REMARKET['PROVIDERS']: every id format, valid and invalid (E220-E233)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from example_project.remarket_map import REMARKET as GOOD
from remarket.checks import check_settings

VALID = {
    "google": {
        "ads_id": "AW-123456789",
        "measurement_id": "G-ABC123DEF4",
        "conversion_labels": {"purchase": "AbC-D_efG-h12"},
    },
    "gtm": {"container_id": "GTM-AB12CD3"},
    "meta": {"pixel_id": "123456789012345"},
    "tiktok": {"pixel_id": "C4A1B2C3D4E5F6G7H8I9"},
    "pinterest": {"tag_id": "2612345678901"},
    "microsoft": {"tag_id": "343012345"},
    "linkedin": {"partner_id": "1234567", "conversions": {"purchase": 12345678, "vip": "7"}},
    "snap": {
        "pixel_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "audience_event": "CUSTOM_EVENT_2",
    },
}


def run(settings: Any, providers: Any) -> list[Any]:
    settings.REMARKET = {**GOOD, "PROVIDERS": providers}
    return check_settings()


def only(messages: list[Any], check_id: str) -> Any:
    assert [m.id for m in messages] == [check_id], [str(m) for m in messages]
    assert messages[0].hint, "every check says how to fix it"
    return messages[0]


def test_every_provider_with_good_ids_is_clean(settings):
    assert run(settings, VALID) == []


@pytest.mark.parametrize(
    ("key", "options"),
    [
        ("google", {"ads_id": "AW-1234567890"}),
        ("google", {"measurement_id": "G-XXXXXXX"}),
        ("meta", {"pixel_id": "1234567890123456"}),
        ("microsoft", {"tag_id": "5713456"}),
        ("linkedin", {"partner_id": "123456"}),
        (
            "snap",
            {"pixel_id": "a1b2c3d4-0000-4000-8000-1234567890ab", "script_url": "/static/s.js"},
        ),
        ("tiktok", {"pixel_id": "CBDI4N3C77U8FBTQ4Q8G", "script_url": "https://cdn.example/t.js"}),
    ],
)
def test_more_good_ids(settings, key, options):
    assert run(settings, {key: options}) == []


def test_e220_providers_is_not_a_dict(settings):
    message = only(run(settings, ["meta"]), "remarket.E220")
    assert message.msg == "REMARKET['PROVIDERS'] is ['meta'], not a dict."


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("metta", "Did you mean 'meta'?"),
        ("myshop.pixels.Nope", "cannot be imported"),
        ("decimal.Decimal", "not a Provider subclass"),
    ],
)
def test_e221_unknown_provider(settings, key, words):
    message = only(run(settings, {key: {}}), "remarket.E221")
    assert words in message.msg + message.hint


def test_e222_options_are_not_a_dict(settings):
    message = only(run(settings, {"meta": "123456789012345"}), "remarket.E222")
    assert "not a dict of options" in message.msg
    assert "15 or 16" in message.hint


def test_e223_unknown_option_suggests_the_right_one(settings):
    options = {"pixel_id": "123456789012345", "scripturl": "/static/fbevents.js"}
    message = only(run(settings, {"meta": options}), "remarket.E223")
    assert "'scripturl'" in message.msg
    assert "Did you mean 'script_url'?" in message.hint


# (provider, options, check id, words the message must contain)
MALFORMED = [
    ("google", {}, "remarket.E224", "neither 'ads_id' nor 'measurement_id'"),
    ("google", {"ads_id": "AW-12345"}, "remarket.E224", "'AW-12345', which is not a Google tag id"),
    ("google", {"ads_id": "123456789"}, "remarket.E224", "not a Google tag id like 'AW-123456789'"),
    ("google", {"measurement_id": "UA-1234-1"}, "remarket.E224", "like 'G-ABC123DEF4'"),
    ("google", {"measurement_id": "g-abc123def4"}, "remarket.E224", "'g-abc123def4'"),
    (
        "google",
        {"ads_id": "AW-123456789", "conversion_labels": ["x"]},
        "remarket.E224",
        "conversion_labels",
    ),
    (
        "google",
        {"measurement_id": "G-ABC123DEF4", "conversion_labels": {"purchase": "AbC-D_efG"}},
        "remarket.E224",
        "no 'ads_id'",
    ),
    ("gtm", {}, "remarket.E225", "has no 'container_id'"),
    ("gtm", {"container_id": "GTM-ab12"}, "remarket.E225", "'GTM-ab12'"),
    ("gtm", {"container_id": "AB12CD3"}, "remarket.E225", "like 'GTM-AB12CD3'"),
    ("meta", {"pixel_id": "12345678901234"}, "remarket.E226", "'12345678901234'"),
    ("meta", {"pixel_id": 123456789012345}, "remarket.E226", "123456789012345, which"),
    ("meta", {"pixel_id": "12345678901234567"}, "remarket.E226", "not a Meta Pixel id"),
    ("meta", {}, "remarket.E226", "has no 'pixel_id'"),
    ("tiktok", {"pixel_id": "c4a1b2c3d4e5f6g7h8i9"}, "remarket.E227", "not a TikTok Pixel id"),
    ("tiktok", {"pixel_id": "C4A1B2C3D4"}, "remarket.E227", "'C4A1B2C3D4'"),
    ("pinterest", {"tag_id": "261234567890"}, "remarket.E228", "not a Pinterest Tag id"),
    ("pinterest", {"tag_id": "26123456789O1"}, "remarket.E228", "'26123456789O1'"),
    ("microsoft", {"tag_id": "UET-343012345"}, "remarket.E229", "not a Microsoft UET id"),
    ("microsoft", {"tag_id": "1234"}, "remarket.E229", "'1234'"),
    ("linkedin", {"partner_id": "li-1234567"}, "remarket.E230", "not a LinkedIn Insight Tag id"),
    (
        "linkedin",
        {"partner_id": "1234567", "conversions": {"purchase": "abc"}},
        "remarket.E230",
        "numeric conversion ids",
    ),
    (
        "linkedin",
        {"partner_id": "1234567", "conversions": {"purchase": True}},
        "remarket.E230",
        "conversions",
    ),
    (
        "snap",
        {"pixel_id": "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"},
        "remarket.E231",
        "not a Snap Pixel id",
    ),
    ("snap", {"pixel_id": "0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d"}, "remarket.E231", "lower-case UUID"),
    (
        "snap",
        {"pixel_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "audience_event": "VIP"},
        "remarket.E231",
        "'VIP'",
    ),
]


@pytest.mark.parametrize(("key", "options", "check_id", "words"), MALFORMED)
def test_malformed_ids(settings, key, options, check_id, words):
    message = only(run(settings, {key: options}), check_id)
    assert f"REMARKET['PROVIDERS']['{key}']" in message.msg
    assert words in message.msg + message.hint


@pytest.mark.parametrize("url", ["fbevents.js", "//cdn.example/x.js", "ftp://cdn.example/x.js", ""])
def test_e232_script_url(settings, url):
    message = only(
        run(settings, {"meta": {"pixel_id": "123456789012345", "script_url": url}}), "remarket.E232"
    )
    assert "script_url" in message.msg


def test_e233_a_custom_provider_reports_its_own_problem(settings):
    path = "tests.tracking.test_providers_registry.ShopPixel"
    message = only(run(settings, {path: {"account": "Coffee1"}}), "remarket.E233")
    assert "'Coffee1'" in message.msg


def test_manage_py_check_fails_on_a_malformed_id(tmp_path: Path):
    """The checks are registered: `manage.py check` refuses a bad pixel id."""
    (tmp_path / "bad_pixels.py").write_text(
        "from tests.settings import *  # noqa: F403\n"
        "REMARKET = {**REMARKET, 'PROVIDERS': {'meta': {'pixel_id': '42'}}}\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bad_pixels",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root)]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "remarket.E226" in result.stderr

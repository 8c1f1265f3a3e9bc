"""Transient failures retry later from the database; permanent ones fail; none sends twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from anymail.exceptions import AnymailRecipientsRefused, AnymailRequestsAPIError
from django.utils import timezone
from urllib3.exceptions import MaxRetryError, NewConnectionError

from remarket.flows.models import Enrollment
from remarket.mail.models import Message
from remarket.people.models import Contact
from tests.failing_backend import FailingBackend
from tests.flows.conftest import NOON, consenting, make_flow, tick

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def api_error(status: int) -> AnymailRequestsAPIError:
    response = requests.Response()
    response.status_code = status
    return AnymailRequestsAPIError(f"ESP answered {status}", response=response)


@pytest.fixture
def failing(settings, shop, clock):
    settings.EMAIL_BACKEND = "tests.failing_backend.FailingBackend"
    FailingBackend.script, FailingBackend.delivered = [], []
    make_flow(settings={"idle_minutes": 60}, delays=(HOUR,))
    consenting("ann@example.com")
    shop.cart(email="ann@example.com", touched=NOON)
    clock.shift(HOUR)
    return FailingBackend


def refused_connection() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Connection refused")
    return requests.ConnectionError(MaxRetryError(None, "/email", reason=reason))


@pytest.mark.parametrize(
    "error", [api_error(503), api_error(429), requests.ConnectTimeout(), refused_connection()]
)
def test_a_transient_failure_is_retried_later_and_sent_once(failing, clock, error):
    failing.script = [error]

    report = tick()

    message = Message.objects.get()
    assert (message.status, message.handed_at) == ("scheduled", None)
    assert message.reason.startswith("retry after attempt 1")
    assert next(iter(report.flows.values())).retried == 1
    retry_at = Enrollment.objects.get().next_run_at
    assert NOON + HOUR + timedelta(seconds=30) <= retry_at <= NOON + HOUR + timedelta(seconds=90)
    tick()  # not due yet
    assert failing.delivered == []

    clock.move_to(retry_at)
    tick()

    assert len(failing.delivered) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)


def test_retries_back_off_and_give_up(failing, clock, settings):
    settings.REMARKET = {**settings.REMARKET, "MAX_SEND_ATTEMPTS": 3}
    failing.script = [api_error(500)] * 3
    gaps = []
    for _ in range(3):
        before = timezone.now()
        tick()
        due = Enrollment.objects.get().next_run_at
        if due is not None:
            gaps.append(due - before)
            clock.move_to(due)

    assert len(gaps) == 2  # retries after the first and second attempts, then no more
    assert timedelta(seconds=30) <= gaps[0] <= timedelta(seconds=90)
    assert timedelta(seconds=60) <= gaps[1] <= timedelta(seconds=180)
    message = Message.objects.get()
    assert message.status == "failed"
    assert message.reason.startswith("gave up after 3 attempts")
    assert failing.delivered == []
    assert Enrollment.objects.get().state == "completed"


@pytest.mark.parametrize("status", [400, 401, 422])
def test_a_permanent_failure_fails_without_retry(failing, status):
    failing.script = [api_error(status)]

    tick()

    message = Message.objects.get()
    assert message.status == "failed"
    assert str(status) in message.reason
    assert Contact.objects.get().suppressed_at is None


def test_a_refused_address_is_suppressed(failing):
    failing.script = [AnymailRecipientsRefused("all recipients refused")]

    tick()

    assert Message.objects.get().status == "failed"
    contact = Contact.objects.get()
    assert contact.suppression_reason == "invalid"
    assert contact.suppressed_at is not None


@pytest.mark.parametrize(
    "error",
    [requests.ReadTimeout(), requests.ConnectionError("Connection aborted"), api_error(502)],
)
def test_an_answer_lost_on_the_way_back_is_reviewed_not_resent(failing, clock, error):
    failing.script = [error]

    tick()
    clock.shift(timedelta(hours=2))
    tick()

    message = Message.objects.get()
    assert message.status == "review"
    assert failing.delivered == []


@pytest.fixture
def postmark(settings, shop, clock):
    """One due cart email, sent through anymail's real Postmark backend."""
    make_flow(settings={"idle_minutes": 60}, delays=(HOUR,))
    consenting("ann@example.com")
    shop.cart(email="ann@example.com", touched=NOON)
    clock.shift(HOUR)
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    return settings


def test_a_429_or_500_from_the_real_postmark_backend_is_retried(postmark):
    from tests.esp_simulator import esp_simulator

    with esp_simulator(fail_rate=1.0) as esp:
        postmark.ANYMAIL = esp.settings()["ANYMAIL"]
        tick()
        record = esp.record()

    message = Message.objects.get()
    assert (message.status, message.handed_at) == ("scheduled", None)
    assert "429" in message.reason or "500" in message.reason
    assert record["accepted"] == []
    assert record["requests"] == 1


def test_a_refused_connection_through_anymail_is_retried(postmark):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    postmark.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": "x",
        "POSTMARK_API_URL": f"http://127.0.0.1:{port}/",
    }

    tick()

    message = Message.objects.get()
    assert (message.status, message.handed_at) == ("scheduled", None)
    assert message.reason.startswith("retry after attempt 1")

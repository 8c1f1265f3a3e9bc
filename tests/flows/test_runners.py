"""The runners: the command, the Celery task, the beat schedule and the starter flows."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from remarket.flows.models import Flow
from remarket.tasks import tick as tick_task

from .conftest import NOON, consenting, make_flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_due(shop, clock):
    flow = make_flow(settings={"idle_minutes": 60}, delays=(timedelta(hours=1),))
    consenting("ann@example.com")
    shop.cart(email="ann@example.com", touched=NOON)
    clock.shift(timedelta(hours=1))
    return flow


def test_the_command_prints_what_it_did_per_flow(one_due):
    out = StringIO()

    call_command("remarket_tick", stdout=out)

    assert "cart-abandoned: enrolled 1, sent 1, converted 0" in out.getvalue()
    assert len(mail.outbox) == 1


def test_the_command_dry_run_prints_and_changes_nothing(one_due):
    out = StringIO()

    call_command("remarket_tick", "--dry-run", stdout=out)

    assert "Dry run (nothing was changed or sent)" in out.getvalue()
    assert "enrolled 1, sent 1" in out.getvalue()
    assert mail.outbox == []
    call_command("remarket_tick", stdout=StringIO())
    assert len(mail.outbox) == 1


def test_the_command_with_nothing_to_do(shop):
    out = StringIO()
    call_command("remarket_tick", stdout=out)
    assert "no live flow had anything to do" in out.getvalue()


def test_the_command_refuses_a_bad_batch_size():
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        call_command("remarket_tick", "--batch-size", "0")


def test_the_celery_task_runs_the_same_tick(one_due):
    result = tick_task.apply()

    assert result.get() == {"enrolled": 1, "sent": 1, "batches": 1}
    assert len(mail.outbox) == 1


def test_install_schedule_is_idempotent():
    out = StringIO()
    call_command("remarket_install_schedule", stdout=out)
    call_command("remarket_install_schedule", stdout=out)

    task = PeriodicTask.objects.get(name="remarket.tick")
    assert task.task == "remarket.tasks.tick"
    assert (task.interval.every, task.interval.period) == (60, IntervalSchedule.SECONDS)
    assert task.expire_seconds == 60
    assert "Created remarket.tick" in out.getvalue()
    assert "Kept remarket.tick" in out.getvalue()
    assert PeriodicTask.objects.count() == 1


def test_install_schedule_keeps_admin_edits_unless_asked(settings):
    call_command("remarket_install_schedule", stdout=StringIO())
    PeriodicTask.objects.filter(name="remarket.tick").update(enabled=False)

    call_command("remarket_install_schedule", stdout=StringIO())
    assert not PeriodicTask.objects.get().enabled

    call_command("remarket_install_schedule", "--every", "20", stdout=StringIO())
    task = PeriodicTask.objects.get()
    assert (task.interval.every, task.enabled, task.expire_seconds) == (20, True, 20)


def test_starter_flows_are_drafts_created_once():
    out = StringIO()
    call_command("remarket_starter_flows", stdout=out)
    call_command("remarket_starter_flows", stdout=out)

    flows = {f.slug: f for f in Flow.objects.all()}
    assert set(flows) == {"abandoned-cart", "cross-sell", "win-back", "browse-abandonment"}
    assert {f.status for f in flows.values()} == {"draft"}
    cart = flows["abandoned-cart"]
    assert [s.delay for s in cart.steps.all()] == [
        timedelta(hours=1),
        timedelta(hours=23),
        timedelta(hours=48),
    ]
    assert flows["win-back"].trigger_settings == {"days": 60}
    assert flows["browse-abandonment"].trigger_settings == {"idle_minutes": 240}
    assert [s.delay for s in flows["cross-sell"].steps.all()] == [timedelta(days=7)]
    assert out.getvalue().count("Kept existing flow") == 4
    for flow in flows.values():
        flow.full_clean()
        for step in flow.steps.all():
            step.full_clean()


def test_starter_flows_in_persian():
    call_command("remarket_starter_flows", "--language", "fa", stdout=StringIO())

    flow = Flow.objects.get(slug="abandoned-cart")
    assert flow.name == "سبد خرید رهاشده"
    assert flow.steps.first().body.startswith("<p>سلام {{ contact.name|default:'دوست عزیز' }}")


def test_starter_flows_refuse_an_unknown_language():
    with pytest.raises(CommandError, match=r"not in settings\.LANGUAGES"):
        call_command("remarket_starter_flows", "--language", "de")

"""10,000 due reminders through each driver: none lost, none twice, in well under a minute.

The embedded driver runs on whichever database the suite uses (SQLite by default); the Celery run
needs the real pipeline (PostgreSQL, Redis, a worker process) and skips without it, except in CI.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection  # noqa: F401 - read by the skipif condition

from patients import tasks
from patients.models.reminders import MessageStatus, PlannedMessage
from patients.services import dispatch
from tests.reminders.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

VOLUME = 10_000
BUDGET_SECONDS = 60


def sent(ids) -> int:
    return PlannedMessage.objects.filter(id__in=ids, status=MessageStatus.SENT).count()


@pytest.mark.skipif(
    "connection.vendor != 'sqlite'",
    reason="the embedded driver is the SQLite default; PostgreSQL runs the Celery volume test",
)
def test_ten_thousand_through_the_embedded_driver(make_messages, gateway):
    ids = make_messages(VOLUME, guardians=20)
    started = time.monotonic()

    assert dispatch.dispatch_due() == VOLUME

    elapsed = time.monotonic() - started
    assert gateway.accepted() == {str(i): 1 for i in ids}
    assert PlannedMessage.objects.exclude(status=MessageStatus.SENT).count() == 0
    assert elapsed < BUDGET_SECONDS, f"{elapsed:.1f} s"


@pytest.mark.celery_volume
def test_ten_thousand_through_celery(pipeline_factory, make_messages, gateway):
    # Four pool processes on two cores: while one waits for its commit to reach the disk,
    # another renders and sends. The tick fans the rows out as batches of 50
    # (patients/tasks.py), so the broker carries 200 tasks, not 10,000.
    pipeline = pipeline_factory(concurrency=4)
    ids = make_messages(VOLUME, guardians=20)
    started = time.monotonic()

    pipeline.publish(tasks.dispatch_tick, VOLUME)
    wait_until(
        lambda: PlannedMessage.objects.filter(status=MessageStatus.SENT).count() == VOLUME,
        timeout=BUDGET_SECONDS,
        what=lambda: f"all {VOLUME} sent; {sent(ids)} were\n{pipeline.log_tail()}",
        every=0.5,
    )

    elapsed = time.monotonic() - started
    assert gateway.accepted() == {str(i): 1 for i in ids}
    assert elapsed < BUDGET_SECONDS, f"{elapsed:.1f} s"

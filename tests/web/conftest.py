"""The demo (seed 000's two infants, users staff, lead, parent1, parent2) and the personas of
QUALITY.md, signed in through the test client.

The demo is loaded once for the package, inside a transaction rolled back at its end (loading it
takes seconds: every record goes through the services); each test still runs in its own savepoint,
so what one test writes is gone before the next. The clock is held at noon of the demo's day, so
"today", "due" and "upcoming" mean the same on whatever day the suite runs.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from patients import models as m
from patients.services.demo import load_demo

DEMO_DAY = datetime.date(2026, 11, 21)
DEMO_NOON = datetime.datetime.combine(
    DEMO_DAY, datetime.time(12), tzinfo=ZoneInfo("Europe/Istanbul")
)


@pytest.fixture(scope="package")
def _demo_once(django_db_setup, django_db_blocker):
    with (
        time_machine.travel(DEMO_NOON, tick=False),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield load_demo(today=DEMO_DAY)
        transaction.set_rollback(True)


@pytest.fixture
def demo(_demo_once, db):
    with time_machine.travel(DEMO_NOON, tick=True):
        yield _demo_once


@pytest.fixture
def demo_user(demo):
    def get(username: str) -> m.User:
        return m.User.objects.get(username=username)

    return get


@pytest.fixture
def infant_p1(demo):
    return m.Infant.objects.get(record_number="S000-P1")


@pytest.fixture
def infant_p2(demo):
    return m.Infant.objects.get(record_number="S000-P2")


@pytest.fixture
def signed_in(client, demo_user):
    """The test client signed in as one of the demo's users."""

    def sign_in(username: str):
        client.force_login(demo_user(username))
        return client

    return sign_in

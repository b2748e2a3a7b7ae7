"""The demo (seed 000's two infants) and the personas who ask for its record or its cohort.

The demo is loaded once for the package, inside a transaction rolled back at its end (loading it
takes seconds: every record goes through the services); each test still runs in its own
savepoint, so what one test writes is gone before the next.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction

from patients import models as m
from patients.services.demo import load_demo

DEMO_DAY = datetime.date(2026, 11, 21)
SEED_000 = ("S000-P1", "S000-P2")


@pytest.fixture(scope="package")
def _demo_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo(today=DEMO_DAY)
        transaction.set_rollback(True)


@pytest.fixture
def demo(_demo_once, db):
    return _demo_once


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

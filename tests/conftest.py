"""Shared fixtures: two clinics and the personas of QUALITY.md (staff of clinic 1 and 2, a lead, an
administrator, guardians of infants A and B).

Nothing Django is imported at module level, so tests/clinical also runs with Django switched off
(`pytest -p no:django tests/clinical`), proving the clinical core needs no database.
"""

from __future__ import annotations

import datetime
import importlib

import pytest


class _LazyFactories:
    def __getattr__(self, name):
        return getattr(importlib.import_module("tests.factories"), name)


f = _LazyFactories()


@pytest.fixture
def clinic(db):
    return f.ClinicFactory(name="Clinic 1")


@pytest.fixture
def other_clinic(db):
    return f.ClinicFactory(name="Clinic 2")


@pytest.fixture
def staff(clinic):
    return f.member(clinic, "staff", username="staff1")


@pytest.fixture
def other_staff(other_clinic):
    return f.member(other_clinic, "staff", username="staff2")


@pytest.fixture
def lead(clinic):
    return f.member(clinic, "lead", username="lead1")


@pytest.fixture
def administrator(clinic):
    return f.member(clinic, "administrator", username="admin1")


@pytest.fixture
def infant(clinic):
    return f.InfantFactory(clinic=clinic, birth_date=datetime.date(2024, 3, 1))


@pytest.fixture
def other_infant(other_clinic):
    return f.InfantFactory(clinic=other_clinic, birth_date=datetime.date(2024, 5, 1))

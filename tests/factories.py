"""factory_boy factories for the clinical record; they save through the model, with full_clean."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from patients import models as m
from patients.services.roles import add_membership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.django.Password("test-password-123")


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Clinic
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    time_zone = "Europe/Istanbul"


def member(clinic: m.Clinic, role: str, **user_fields) -> m.User:
    user = UserFactory(**user_fields)
    add_membership(user=user, clinic=clinic, role=role)
    return user


class InfantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Infant

    clinic = factory.SubFactory(ClinicFactory)
    record_number = factory.Sequence(lambda n: f"R{n:05d}")
    given_name = "Deniz"
    family_name = factory.Sequence(lambda n: f"Infant{n}")
    sex = "female"
    birth_date = datetime.date(2024, 1, 15)


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Visit

    infant = factory.SubFactory(InfantFactory)
    visit_type = "outpatient"
    visit_date = factory.LazyAttribute(lambda o: o.infant.birth_date + datetime.timedelta(days=270))


class GrowthFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.GrowthMeasurement

    infant = factory.SubFactory(InfantFactory)
    measured_on = factory.LazyAttribute(
        lambda o: o.infant.birth_date + datetime.timedelta(days=270)
    )
    weight_kg = Decimal("7.5")
    length_cm = Decimal("68.0")
    head_circumference_cm = Decimal("43.0")

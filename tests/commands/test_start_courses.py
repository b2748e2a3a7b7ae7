"""`manage.py start_courses`: one regimen started for many infants of a clinic, all or nothing."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from patients import models as m
from tests.factories import InfantFactory

pytestmark = pytest.mark.django_db

REGIMEN = "seed-000-patient-2"


@pytest.fixture
def infants(clinic):
    born = timezone.localdate() - datetime.timedelta(days=200)
    return [InfantFactory(clinic=clinic, birth_date=born, record_number=f"K-{n}") for n in range(3)]


def numbers_file(tmp_path: Path, numbers: list[str]) -> Path:
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(numbers) + "\n", encoding="utf-8")
    return path


def run(path: Path, clinic, by, **options) -> str:
    """The command as typed: every argument goes through its parser (and its date type)."""
    out = io.StringIO()
    call_command(
        "start_courses",
        str(path),
        f"--clinic={clinic.name}",
        f"--regimen={options.pop('regimen', REGIMEN)}",
        f"--started-on={options.pop('started_on', f'{timezone.localdate():%Y-%m-%d}')}",
        f"--by={by.username}",
        "--no-progress",
        stdout=out,
    )
    return out.getvalue()


def test_starts_the_regimen_for_every_listed_infant(tmp_path, clinic, infants, staff):
    output = run(numbers_file(tmp_path, ["K-0", "K-2"]), clinic, staff)

    assert "Started 2 courses" in output
    started = m.TreatmentCourse.objects.filter(regimen_key=REGIMEN)
    assert sorted(c.infant.record_number for c in started) == ["K-0", "K-2"]
    assert all(c.prescribed_by == staff for c in started)
    assert m.PlannedDose.objects.filter(course__in=started).count() > 2 * 30


def test_an_unknown_record_number_starts_nothing(tmp_path, clinic, infants, staff):
    with pytest.raises(CommandError, match="K-9"):
        run(numbers_file(tmp_path, ["K-0", "K-9"]), clinic, staff)

    assert not m.TreatmentCourse.objects.exists()


def test_a_course_before_an_infants_birth_starts_nothing(tmp_path, clinic, infants, staff):
    early = timezone.localdate() - datetime.timedelta(days=400)

    with pytest.raises(CommandError, match="birth"):
        run(
            numbers_file(tmp_path, ["K-0", "K-1"]),
            clinic,
            staff,
            started_on=f"{early:%Y-%m-%d}",
        )

    assert not m.TreatmentCourse.objects.exists()
    assert not m.PlannedDose.objects.exists()


def test_only_the_clinics_own_staff_may_start_its_courses(tmp_path, clinic, infants, other_staff):
    with pytest.raises(CommandError, match="not a member of staff"):
        run(numbers_file(tmp_path, ["K-0"]), clinic, other_staff)

    assert not m.TreatmentCourse.objects.exists()


def test_an_unknown_regimen_is_named(tmp_path, clinic, infants, staff):
    with pytest.raises(CommandError, match="no-such-regimen"):
        run(numbers_file(tmp_path, ["K-0"]), clinic, staff, regimen="no-such-regimen")

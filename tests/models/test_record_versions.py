"""Each infant's record version, moved by PostgreSQL's triggers (patients/models/record_versions.py).

The infant page and the infant charts are served from the cache while this number stands still, so
a write that failed to move it would show an old record as current. The tests walk the ways a row
of the record is written and check that exactly the infants written to moved.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone

from patients import models as m
from patients.clinical.regimens import load_shipped_regimens
from patients.services import charts as chart_service
from patients.services.records import void_record
from patients.services.treatment import CourseStart, start_courses
from tests import factories as f

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="PostgreSQL keeps the number; SQLite's data version counts the rows",
    ),
]


def _version(infant: m.Infant) -> int:
    kept = m.InfantRecordVersion.objects.filter(infant=infant).first()
    return kept.version if kept else 0


class _Watch:
    """The infants' versions before each step; a step names the infants it must have moved."""

    def __init__(self, *infants: m.Infant) -> None:
        self.infants = infants
        self.steps: list[str] = []
        self.seen = {infant.pk: _version(infant) for infant in infants}

    def moved(self, step: str, *written: m.Infant) -> None:
        self.steps.append(step)
        for infant in self.infants:
            now = _version(infant)
            if infant in written:
                assert now > self.seen[infant.pk], (self.steps, infant)
            else:
                assert now == self.seen[infant.pk], (self.steps, infant)
            self.seen[infant.pk] = now


def test_every_way_a_row_of_the_record_is_written_moves_that_infant_s_version(clinic, staff):
    infant = f.InfantFactory(
        clinic=clinic, birth_date=timezone.localdate() - datetime.timedelta(200)
    )
    other = f.InfantFactory(clinic=clinic, birth_date=infant.birth_date)
    watch = _Watch(infant, other)

    visit = f.VisitFactory(infant=infant)
    watch.moved("a visit saved", infant)
    m.Visit.objects.filter(pk=visit.pk).update(reason="Follow-up")
    watch.moved("an update() that leaves updated_at alone", infant)
    void_record(visit, actor=staff, reason="Entered on the wrong infant")
    watch.moved("voided through the service", infant)

    f.VisitFactory(infant=other)
    watch.moved("the other infant's visit", other)
    before = _version(infant)
    m.Visit.objects.bulk_create([f.VisitFactory.build(infant=infant) for _ in range(3)])
    watch.moved("three rows of one record in one statement", infant)
    assert _version(infant) == before + 1  # one move a statement, not one a row
    m.Visit.objects.filter(infant__in=[infant, other]).update(reason="Both")
    watch.moved("one statement over both records", infant, other)

    [course] = start_courses(
        [CourseStart(infant, load_shipped_regimens()["seed-000-patient-2"], timezone.localdate())],
        actor=staff,
    )
    watch.moved("a course planned by the bulk writer's COPY", infant)
    m.PlannedDose.objects.filter(course=course, number=1).update(at_home=True)
    watch.moved("a dose, reached through its course", infant)

    growth = f.GrowthFactory(infant=other)
    watch.moved("a measurement", other)
    m.GrowthScore.objects.create(
        measurement=growth,
        reference_name="WHO",
        reference_version="2006",
        indicator="wfa",
        status="not_applicable",
        reason="A clinic's own reference",
        age_days=200,
        corrected_age_used=False,
    )
    watch.moved("a score, reached through its measurement", other)

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_growthmeasurement SET weight_kg = 7.6 WHERE id = %s", [growth.pk]
        )
    watch.moved("by hand in the database", other)

    m.Infant.objects.filter(pk=infant.pk).update(given_name="Ada")
    watch.moved("the infant's own row", infant)

    with pytest.raises(RuntimeError), transaction.atomic():
        m.Visit.objects.filter(infant=other).update(reason="Rolled back")
        raise RuntimeError
    watch.moved("a change rolled back, and with it its move")

    m.RecordAccess.objects.create(user=staff, infant=infant, action="read", resource="x")
    watch.moved("a read logged, which is no change to the record")


def test_every_table_of_the_record_carries_the_triggers():
    """The tables the counted version reads (charts._CHART_ROWS), and the growth scores the
    timeline and the growth charts print, each move the number on insert, update and delete."""
    tables = {model._meta.db_table for model, _ in chart_service._CHART_ROWS}
    tables.add(m.GrowthScore._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE t.tgname LIKE 'pgtrigger_record_version_%%' GROUP BY c.relname
            """
        )
        installed = dict(cursor.fetchall())
    assert installed == dict.fromkeys(tables, 3)


def test_a_record_restored_from_a_backup_never_takes_a_later_record_s_version(clinic, staff):
    """After a restore the numbers count again from where the backup left them; the stamped time
    keeps a number reached again apart from the one reached before the restore."""
    today = timezone.localdate()
    infant = f.InfantFactory(clinic=clinic)
    f.VisitFactory(infant=infant)
    backed_up = m.InfantRecordVersion.objects.values("version", "changed_at").get(infant=infant)
    at_backup = chart_service.infant_data_version(infant, today=today)

    f.VisitFactory(infant=infant, reason="Seen after the backup")
    lost = chart_service.infant_data_version(infant, today=today)

    # The restore: the number and the time are the backup's again, and so is the record.
    with connection.cursor() as cursor:  # the product never deletes; the restore replaces all
        cursor.execute("DELETE FROM patients_visit WHERE reason = 'Seen after the backup'")
    m.InfantRecordVersion.objects.filter(infant=infant).update(**backed_up)
    assert chart_service.infant_data_version(infant, today=today) == at_backup

    f.VisitFactory(infant=infant, reason="Seen after the restore")
    again = m.InfantRecordVersion.objects.get(infant=infant)
    assert again.version == backed_up["version"] + 1  # the number the lost visit had reached
    assert chart_service.infant_data_version(infant, today=today) not in (at_backup, lost)

"""Reads compiled once (patients.compiled): the same rows as the ORM's, for every key, compiled once."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from patients import models as m
from patients.compiled import CompiledRead
from tests.conftest import f


def _infants_of(clinic) -> object:
    # Dates, datetimes, keys and a joined column: the values SQLite hands back as text and the
    # ORM converts.
    return (
        m.Infant.objects.filter(clinic=clinic)
        .order_by("birth_date")
        .values_list("id", "birth_date", "created_at", "clinic__name", "clinic_id")
    )


def test_a_compiled_read_gives_the_orm_s_rows_for_each_key(clinic, other_clinic):
    for n in range(3):
        f.InfantFactory(clinic=clinic, birth_date=datetime.date(2024, 1, 1 + n))
    f.InfantFactory(clinic=other_clinic, birth_date=datetime.date(2024, 6, 1))
    read = CompiledRead(_infants_of, clinic=m.Clinic._meta.pk)
    for place in (clinic, other_clinic):
        rows = read.rows(clinic=place.pk)
        assert rows == list(_infants_of(place))
        assert rows and all(isinstance(row[1], datetime.date) for row in rows)
        assert all(isinstance(row[2], datetime.datetime) for row in rows)
        assert {row[4] for row in rows} == {place.pk}


def test_a_compiled_read_is_compiled_once_and_runs_one_statement(clinic, other_clinic):
    build = mock.Mock(side_effect=_infants_of)
    read = CompiledRead(build, clinic=m.Clinic._meta.pk)
    read.rows(clinic=clinic.pk)
    with (
        mock.patch.object(SQLCompiler, "as_sql", autospec=True) as compiled,
        CaptureQueriesContext(connection) as queries,
    ):
        read.rows(clinic=other_clinic.pk)
        read.rows(clinic=clinic.pk)
    assert build.call_count == 1 and compiled.call_count == 0
    assert len(queries) == 2


def test_a_compiled_read_refuses_a_missing_key_and_one_it_does_not_use(clinic):
    read = CompiledRead(_infants_of, clinic=m.Clinic._meta.pk)
    with pytest.raises(ValueError, match="clinic is None"):
        read.rows(clinic=None)
    unused = CompiledRead(
        lambda clinic: m.Infant.objects.values_list("id"), clinic=m.Clinic._meta.pk
    )
    with pytest.raises(ValueError, match="does not use its key 'clinic'"):
        unused.rows(clinic=clinic.pk)

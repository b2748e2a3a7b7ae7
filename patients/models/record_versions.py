"""Each infant's record version: a number PostgreSQL moves whenever any row of the record changes.

The infant page and the infant charts are kept in the cache under the record's data version
(``services.charts``). Reading that version by counting every kind of row and its history took
10 ms a request at 100,000 infants, a third of the infant page (docs/BENCHMARKS.md); with the
number kept here it is one row read by its key.

The number is moved by statement-level triggers on every table of the record, for inserts,
updates and deletes alike, however the rows were written: through the ORM, ``update()``, a COPY
of the bulk writer, or by hand in the database. A statement that writes rows of many infants moves
each of their numbers once, taking their rows in key order so that two such statements wait for
each other instead of deadlocking. A transaction that rolls back takes its moves back with it,
which is right: the record is again what it was.

Each move also stamps the time. A database restored from a backup counts again from the numbers
it held then; with the time beside them, a number reached again after the restore is never taken
for the one an entry was kept under before it, while the restored records themselves still find
the entries kept for them. The pair alone is no version of anything: the data version adds the
infant's key, the clinic's reference data, the chart code's version and the day. SQLite has no
such triggers here, and its data version counts the rows as before.
"""

from __future__ import annotations

import pgtrigger
from django.db import models

from patients.models.base import after_statement

RECORD_VERSION_TABLE = "patients_infantrecordversion"


class InfantRecordVersion(models.Model):
    """How many statements have changed the infant's record, and when the last one did
    (PostgreSQL only; see the module)."""

    # No constraint: a derived number, not part of the record, must never stand in the way of
    # a write to the record (nor cost the bulk writer a check per infant).
    infant = models.OneToOneField(
        "patients.Infant",
        on_delete=models.DO_NOTHING,
        primary_key=True,
        related_name="+",
        db_constraint=False,
    )
    version = models.BigIntegerField()
    changed_at = models.DateTimeField()

    class Meta:
        db_table = RECORD_VERSION_TABLE

    def __str__(self) -> str:
        return f"record of infant {self.infant_id}: version {self.version}"


def _moves(infants: str) -> str:
    # Built from the table names of the models below, never from input.
    return f"""
        INSERT INTO {RECORD_VERSION_TABLE} (infant_id, version, changed_at)
        SELECT infant_id, 1, clock_timestamp()
        FROM (SELECT DISTINCT infant_id FROM ({infants}) AS written) AS infants
        WHERE infant_id IS NOT NULL
        ORDER BY infant_id
        ON CONFLICT (infant_id) DO UPDATE
        SET version = {RECORD_VERSION_TABLE}.version + 1, changed_at = EXCLUDED.changed_at;
        RETURN NULL;
    """  # noqa: S608


def record_version_triggers(infant_of: str) -> list[pgtrigger.Trigger]:
    """The triggers of one table of the record. ``infant_of`` selects ``infant_id`` from the
    statement's rows, named ``{rows}``: ``"SELECT infant_id FROM {rows}"`` for a table with the
    infant's key, a join through the parent for a table without it. Transition tables allow one
    event a trigger, hence one trigger for each."""

    def moving(name: str, operation, referencing, *sides: str) -> pgtrigger.Trigger:
        infants = " UNION ".join(infant_of.format(rows=side) for side in sides)
        return after_statement(name, operation, referencing, _moves(infants))

    return [
        moving(
            "record_version_insert", pgtrigger.Insert, pgtrigger.Referencing(new="added"), "added"
        ),
        # Both sides of an update: a row moved to another infant changes both records.
        moving(
            "record_version_update",
            pgtrigger.Update,
            pgtrigger.Referencing(old="before_update", new="after_update"),
            "after_update",
            "before_update",
        ),
        moving(
            "record_version_delete",
            pgtrigger.Delete,
            pgtrigger.Referencing(old="removed"),
            "removed",
        ),
    ]


#: The usual ``infant_of``: the table holds the infant's key.
OWN_INFANT = "SELECT infant_id FROM {rows}"


def through(parent_table: str, key: str) -> str:
    """``infant_of`` for a table whose rows belong to a parent row that holds the infant's key."""
    return f"SELECT parent.infant_id FROM {{rows}} JOIN {parent_table} AS parent ON parent.id = {{rows}}.{key}"  # noqa: S608

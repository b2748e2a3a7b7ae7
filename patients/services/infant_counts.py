"""Folding the clinics' counts of active infants, which PostgreSQL keeps as a row per change.

The infant table's triggers add one `InfantCountChange` row for every statement that moves a
clinic's count (patients/models/people.py). A clinic that registers its infants one at a time
would, left alone, gather a row per registration, and reading its count would come back to
counting. The periodic fold keeps it to about one row a clinic.
"""

from __future__ import annotations

from django.db import connection

from patients.models import InfantCountChange

_TABLE = InfantCountChange._meta.db_table

# One statement, so the rows folded are exactly the rows deleted: a change committed while it runs
# is not seen by the DELETE and stays as it is, and two folds at once cannot both take the same
# row (the second waits for the first's row locks and then finds them gone). Written in SQL
# because the ORM has no DELETE ... RETURNING feeding an INSERT.
_FOLD = f"""
    WITH folded AS (
        DELETE FROM {_TABLE}
        WHERE clinic_id IN (
            SELECT clinic_id FROM {_TABLE} GROUP BY clinic_id HAVING count(*) > 1
        )
        RETURNING clinic_id, change
    ),
    kept AS (
        INSERT INTO {_TABLE} (clinic_id, change)
        SELECT clinic_id, sum(change) FROM folded GROUP BY clinic_id
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM folded) - (SELECT count(*) FROM kept)
"""  # noqa: S608 (built from the model's table name, never from input)


def fold_infant_counts() -> int:
    """Fold each clinic's count changes into one row; how many rows went. SQLite keeps none."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_FOLD)
        return cursor.fetchone()[0]

"""The database connection as production configures it."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_runs_this_workload_without_jit_compilation():
    # At 100,000 infants JIT compilation was most of the missed-dose job's time for a query that
    # found nothing (docs/BENCHMARKS.md); tracker/settings.py switches it off per connection.
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting; CI runs this in its PostgreSQL pass")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"

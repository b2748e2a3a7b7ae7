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


@pytest.mark.django_db
def test_the_system_checks_of_the_database_in_use_pass_without_a_warning():
    # What `migrate` prints before `make run` starts: on SQLite, the PostgreSQL covering indexes
    # would otherwise warn that their INCLUDE columns are ignored (tracker/settings.py).
    from django.core import checks

    messages = checks.run_checks(databases=["default"], include_deployment_checks=False)
    assert [m for m in messages if m.level >= checks.WARNING and not m.is_silenced()] == []

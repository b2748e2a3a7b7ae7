"""`manage.py import_denver_norms`: a clinic replaces the Denver II table with its licensed one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from patients import models as m
from patients.services.development import ensure_bundled_norm_table


@pytest.fixture(autouse=True)
def _start_before_the_bundled_table(db):
    """`migrate` installs the bundled Denver II table; these tests start from before it, to show
    how table rows come to exist (on first use, or by import)."""
    m.DenverNormTable.objects.all().delete()


VERSION = "denver-ii-technical-manual-clinic-1-2026"
HEADER = "sector,item_no,label,p25_months,p50_months,p75_months,p90_months,qa_flag"
# Lines 1-2 preamble, 3 header, items from line 4. Both milestone items are present.
ROWS = [
    "personal_social,1,Regard Face,0,0,0,0,all_zero_in_source",
    "fine_motor_adaptive,20,Imitate Vertical Line,25.0,28.5,33.0,38.0,",
    "language,14,One Word,9.5,11.4,13.2,14.8,",
    "gross_motor,9,Pull to Sit-No Head Lag,2.7,3.3,4.0,6.0,",
    "gross_motor,17,Walk Well,11.1,12.3,13.6,14.9,",
]


def norm_file(tmp_path: Path, rows: list[str], name: str = "licensed.csv") -> Path:
    path = tmp_path / name
    preamble = "# source: Denver II Technical Manual (test numbers)\n# licensing: Clinic 1 only\n"
    path.write_text(preamble + "\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_denver_norms", *args, stdout=out)
    return out.getvalue()


def test_imports_a_table_as_the_new_default(tmp_path, lead):
    ensure_bundled_norm_table()

    output = run(
        str(norm_file(tmp_path, ROWS)), "--version", VERSION, "--default", "--imported-by", "lead1"
    )

    assert f"Imported Denver II norm table {VERSION}: 5 items." in output
    assert "New assessments are scored with it from now on." in output
    table = m.DenverNormTable.objects.get(is_default=True)
    assert (table.version, table.imported_by) == (VERSION, lead)


def test_without_default_the_current_default_stays(tmp_path, db):
    bundled = ensure_bundled_norm_table()

    output = run(str(norm_file(tmp_path, ROWS)), "--version", VERSION)

    assert f"{VERSION}: 5 items" in output
    assert "from now on" not in output
    assert m.DenverNormTable.objects.get(is_default=True) == bundled
    assert m.DenverNormTable.objects.get(version=VERSION).imported_by is None


def test_a_bad_file_is_refused_with_every_problem_listed(tmp_path, db):
    path = norm_file(
        tmp_path,
        [
            *ROWS,
            "language,25,Know 2 Actions,23.5,28.8,38.4,33.6,",
            "motor,40,Hop Twice,30.0,33.0,36.0,40.0,",
        ],
    )

    with pytest.raises(CommandError) as refused:
        run(str(path), "--version", VERSION)

    message = str(refused.value)
    assert message.startswith(f"{path} was not imported:\n")
    assert "\n  - line 9: language:25 percentiles must not decrease" in message
    assert "\n  - line 10: unknown sector 'motor'" in message
    assert not m.DenverNormTable.objects.exists()


def test_a_version_already_imported_is_refused(tmp_path, db):
    run(str(norm_file(tmp_path, ROWS)), "--version", VERSION)

    with pytest.raises(CommandError, match=f"'{VERSION}' was already imported"):
        run(str(norm_file(tmp_path, ROWS[:-1], name="again.csv")), "--version", VERSION)

    assert len(m.DenverNormTable.objects.get().items) == 5


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        pytest.param(["absent.csv", "--version", VERSION], "Cannot read", id="missing file"),
        pytest.param(
            ["licensed.csv"], "the following arguments are required: --version", id="no version"
        ),
        pytest.param(
            ["licensed.csv", "--version", VERSION, "--imported-by", "nobody"],
            "No user 'nobody'",
            id="unknown user",
        ),
    ],
)
def test_refused_invocations_save_nothing(tmp_path, db, args, problem):
    norm_file(tmp_path, ROWS)

    with pytest.raises(CommandError, match=problem):
        run(str(tmp_path / args[0]), *args[1:])

    assert not m.DenverNormTable.objects.exists()

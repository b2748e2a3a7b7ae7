"""Denver II norm tables and assessments, and milestone attainments, as stored by the services.

The clinical rules themselves are tested in tests/clinical; here: what is stored, with which table
or window version, what is refused (with nothing saved), and that the past never changes.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients import models as m
from patients.clinical import denver
from patients.clinical.milestones import MilestoneTiming
from patients.services.development import (
    ensure_bundled_norm_table,
    import_norm_table,
    milestone_status,
    norm_table,
    record_denver_assessment,
    record_milestone,
)
from tests import factories as f


@pytest.fixture(autouse=True)
def _start_before_the_bundled_table(db):
    """`migrate` installs the bundled Denver II table; these tests start from before it, to show
    how table rows come to exist (on first use, or by import)."""
    m.DenverNormTable.objects.all().delete()


D = datetime.date
TODAY = D(2026, 11, 21)
BUNDLED = denver.BUNDLED_NORM_TABLE_VERSION
WHO = "who-mgrs-motor-windows-2006-v1"
LICENSED = "denver-ii-technical-manual-clinic-1-2026"
COLUMNS = ("sector", "item_no", "label", "p25_months", "p50_months", "p75_months", "p90_months")
PREAMBLE = (
    "# source: Denver II Technical Manual, licensed to Clinic 1 (test numbers, not the manual's)",
    "# licensing: for scoring at Clinic 1 only",
)
# A small table in the licensed shape: both milestone items (gross_motor:9, language:14) and a
# few items per sector. Row n of the file is line n + 3 (two preamble lines and the header).
LICENSED_ROWS = [
    ("personal_social", 1, "Regard Face", 0, 0, 0, 0, "all_zero_in_source"),
    ("personal_social", 20, "Name Friend", 26.0, 29.5, 33.0, 36.5, ""),
    ("fine_motor_adaptive", 20, "Imitate Vertical Line", 25.0, 28.5, 33.0, 38.0, ""),
    ("fine_motor_adaptive", 21, "Tower of 8 Cubes", 24.0, 26.0, 32.0, 41.5, ""),
    ("language", 14, "One Word", 9.5, 11.4, 13.2, 14.8, ""),
    ("language", 24, "Name 4 Pictures", 23.0, 27.5, 31.0, 34.5, ""),
    ("gross_motor", 9, "Pull to Sit-No Head Lag", 2.7, 3.3, 4.0, 6.0, ""),
    ("gross_motor", 17, "Walk Well", 11.1, 12.3, 13.6, 14.9, ""),
]


def write_norm_file(path: Path, rows, *, preamble=PREAMBLE) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.writelines(f"{line}\n" for line in preamble)
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow((*COLUMNS, "qa_flag"))
        writer.writerows(rows)
    return path


def bundled_with_later_percentiles(factor: float = 1.25) -> list[tuple]:
    """The bundled items with p75 and p90 later by `factor`: still non-decreasing, flags still true."""
    return [
        (
            item.sector.value,
            item.item_no,
            item.label,
            item.p25_months,
            item.p50_months,
            item.p75_months * factor,
            item.p90_months * factor,
            item.qa_flag.value if item.qa_flag else "",
        )
        for item in denver.bundled_norm_table().items.values()
    ]


@pytest.fixture
def licensed_file(tmp_path) -> Path:
    return write_norm_file(tmp_path / "licensed.csv", LICENSED_ROWS)


@pytest.fixture
def patient_1(clinic):
    """Seed 000, patient 1: a term boy (exact gestation not reported)."""
    return f.InfantFactory(
        clinic=clinic, record_number="S000-P1", sex="male", birth_date=D(2023, 9, 4)
    )


@pytest.fixture
def patient_2(clinic):
    """Seed 000, patient 2: a girl from an uncomplicated full-term pregnancy."""
    return f.InfantFactory(clinic=clinic, record_number="S000-P2", birth_date=D(2023, 2, 20))


def nothing_saved() -> bool:
    return not (
        m.DenverAssessment.objects.exists()
        or m.DenverItemResult.objects.exists()
        or m.MilestoneAttainment.objects.exists()
    )


# --- Norm tables -----------------------------------------------------------------------------------


def test_bundled_table_row_is_created_once_and_becomes_the_default(db):
    first = ensure_bundled_norm_table()
    history_after_first = first.history.count()
    second = ensure_bundled_norm_table()

    assert second.pk == first.pk
    assert m.DenverNormTable.objects.count() == 1
    assert second.history.count() == history_after_first  # the second call wrote nothing
    assert (second.version, second.is_default, second.imported_by) == (BUNDLED, True, None)
    assert len(second.items) == 125
    assert norm_table(second).items == denver.bundled_norm_table().items
    assert second.metadata["header"]["licensing"].startswith("The Denver II test form")
    shipped = Path(denver.__file__).parent / "data" / "denver_ii" / f"{BUNDLED}.csv"
    assert second.metadata["file"]["sha256"] == hashlib.sha256(shipped.read_bytes()).hexdigest()


def test_bundled_table_never_displaces_a_licensed_default(licensed_file, lead):
    licensed = import_norm_table(licensed_file, version=LICENSED, actor=lead, make_default=True)

    bundled = ensure_bundled_norm_table()

    assert not bundled.is_default
    assert m.DenverNormTable.objects.get(is_default=True) == licensed


def test_a_bundled_table_edited_without_a_new_version_is_refused(db):
    row = ensure_bundled_norm_table()
    items = row.items
    items[0]["p90_months"] = 3.0
    m.DenverNormTable.objects.filter(pk=row.pk).update(items=items)

    with pytest.raises(ImproperlyConfigured, match="new version"):
        ensure_bundled_norm_table()


@pytest.mark.parametrize("as_stream", [False, True], ids=["path", "text stream"])
def test_a_licensed_table_is_imported_as_a_new_version(licensed_file, lead, as_stream):
    source = io.StringIO(licensed_file.read_text(encoding="utf-8")) if as_stream else licensed_file

    row = import_norm_table(source, version=LICENSED, actor=lead, make_default=False)

    row.refresh_from_db()
    assert (row.version, row.is_default, row.imported_by) == (LICENSED, False, lead)
    assert norm_table(row).items == denver.load_norm_table(licensed_file, version=LICENSED).items
    assert norm_table(row).item("gross_motor:9").p90_months == 6.0
    assert row.metadata["header"]["licensing"] == "for scoring at Clinic 1 only"
    assert row.metadata["file"] == {
        "name": "licensed.csv" if not as_stream else "<stream>",
        "sha256": hashlib.sha256(licensed_file.read_bytes()).hexdigest(),
        "items": 8,
    }
    assert row.history.get().history_user == lead
    assert not m.DenverNormTable.objects.filter(version=BUNDLED).exists()


def test_the_version_may_come_from_the_file(tmp_path, lead):
    path = write_norm_file(
        tmp_path / "t.csv", LICENSED_ROWS, preamble=(f"# version: {LICENSED}", *PREAMBLE)
    )

    row = import_norm_table(path, version=None, actor=lead, make_default=False)

    assert row.version == LICENSED


def test_importing_as_default_moves_the_default_with_history(licensed_file, lead):
    bundled = ensure_bundled_norm_table()

    licensed = import_norm_table(licensed_file, version=LICENSED, actor=lead, make_default=True)

    bundled.refresh_from_db()
    assert licensed.is_default and not bundled.is_default
    assert bundled.history.first().history_user == lead  # who took the default away, and when


BAD_FILES = [
    pytest.param(
        [
            *LICENSED_ROWS,
            ("language", 25, "Know 2 Actions", 23.5, 28.8, 38.4, 33.6, ""),
            ("motor", 40, "Hop Twice", 30.0, 33.0, 36.0, 40.0, ""),
        ],
        PREAMBLE,
        [
            "line 12: language:25 percentiles must not decrease (p25 <= p50 <= p75 <= p90), "
            "got 23.5, 28.8, 38.4, 33.6",
            "line 13: unknown sector 'motor'",
        ],
        id="non-monotonic percentiles and an unknown sector, both listed",
    ),
    pytest.param(
        [row for row in LICENSED_ROWS if row[:2] != ("language", 14)],
        PREAMBLE,
        ["no Denver II item 'language:14'", "the milestone windows read this item"],
        id="without the item the first-words window reads",
    ),
    pytest.param(
        [
            ("gross_motor", 9, "Sit-No Support", 5.4, 5.9, 6.3, 6.8, "")
            if row[:2] == ("gross_motor", 9)
            else row
            for row in LICENSED_ROWS
        ],
        PREAMBLE,
        ["gross_motor:9 is 'Sit-No Support'; head_control expects 'Pull to Sit-No Head Lag'"],
        id="numbered differently from the project's items",
    ),
    pytest.param(
        LICENSED_ROWS,
        ("# version: some-other-version", *PREAMBLE),
        [f"the file declares version 'some-other-version' but is being loaded as '{LICENSED}'"],
        id="declaring another version",
    ),
]


@pytest.mark.parametrize(("rows", "preamble", "problems"), BAD_FILES)
def test_a_bad_file_is_refused_with_its_problems_and_nothing_saved(
    tmp_path, lead, rows, preamble, problems
):
    path = write_norm_file(tmp_path / "bad.csv", rows, preamble=preamble)

    with pytest.raises(ValidationError) as refused:
        import_norm_table(path, version=LICENSED, actor=lead, make_default=True)

    listed = "\n".join(refused.value.message_dict["source"])
    for problem in problems:
        assert problem in listed
    assert not m.DenverNormTable.objects.exists()


def test_a_missing_column_is_named(tmp_path, lead):
    path = tmp_path / "t.csv"
    path.write_text("sector,item_no,label,p25_months,p50_months,p75_months\n", encoding="utf-8")

    with pytest.raises(ValidationError, match="missing column 'p90_months'"):
        import_norm_table(path, version=LICENSED, actor=lead, make_default=False)


def test_an_unreadable_file_is_refused(tmp_path, lead):
    with pytest.raises(ValidationError, match="Cannot read"):
        import_norm_table(tmp_path / "absent.csv", version=LICENSED, actor=lead, make_default=False)


@pytest.mark.parametrize("version", [LICENSED, BUNDLED], ids=["imported twice", "the bundled one"])
def test_a_version_already_stored_is_refused(tmp_path, licensed_file, lead, version):
    ensure_bundled_norm_table()
    import_norm_table(licensed_file, version=LICENSED, actor=lead, make_default=False)
    before = {row.version: row.items for row in m.DenverNormTable.objects.all()}
    corrected = write_norm_file(
        tmp_path / "corrected.csv",
        [(*row[:6], row[6] + 1, row[7]) if row[6] else row for row in LICENSED_ROWS],
    )

    with pytest.raises(ValidationError) as refused:
        import_norm_table(corrected, version=version, actor=lead, make_default=True)

    (message,) = refused.value.message_dict["version"]
    assert f"{version!r} was already imported" in message
    assert "under a new version" in message
    assert {row.version: row.items for row in m.DenverNormTable.objects.all()} == before
    assert m.DenverNormTable.objects.get(is_default=True).version == BUNDLED


def test_parsed_tables_are_cached_per_stored_row(tmp_path, licensed_file, lead):
    row = import_norm_table(licensed_file, version=LICENSED, actor=lead, make_default=False)
    parsed = norm_table(row)

    assert norm_table(m.DenverNormTable.objects.get(pk=row.pk)) is parsed

    # Rows are never edited; a row removed and imported again is another row, parsed anew.
    m.DenverNormTable.objects.filter(pk=row.pk).delete()
    later = write_norm_file(tmp_path / "later.csv", bundled_with_later_percentiles())
    again = import_norm_table(later, version=LICENSED, actor=lead, make_default=False)
    assert len(norm_table(again).items) == 125


# --- Denver II assessments ---------------------------------------------------------------------


# Patient 1 at 36 months (age line 36.01, see below), failing language and fine-motor items
# around the age line. Comments give the bundled table's p75 / p90.
THREE_YEAR_SCORES = {
    "personal_social:20": "P",  # Name Friend
    "personal_social:21": "P",  # Put on T-Shirt
    "personal_social:22": "F",  # Dress, No Help, p75 48.0: normal
    "fine_motor_adaptive:18": "P",  # Tower of 4 Cubes
    "fine_motor_adaptive:19": "F",  # Tower of 6 Cubes, p90 31.2: delayed
    "fine_motor_adaptive:20": "F",  # Imitate Vertical Line, 33.6 / 38.4: caution
    "fine_motor_adaptive:22": "F",  # Thumb Wiggle, p75 39.6: normal
    "language:21": "P",  # Body Parts-6
    "language:22": "P",  # Point 4 Pictures
    "language:23": "F",  # Speech-Half Understandable, p90 34.8: delayed
    "language:24": "F",  # Name 4 Pictures, p90 34.8: delayed
    "language:25": "F",  # Know 2 Actions, 33.6 / 38.4: caution
    "language:26": "F",  # Know 2 Adjectives, p75 36.0 <= 36.01: caution
    "gross_motor:24": "P",  # Broad Jump
    "gross_motor:25": "P",  # Balance-Each Foot 1 Second
    "gross_motor:26": "F",  # Balance-Each Foot 2 Seconds, p75 42.0: normal
}


def sector(name: str, *, normal=0, caution=0, delayed=0, age: float, kind="estimate") -> dict:
    counts = {"advanced": 0, "normal": normal, "caution": caution, "delayed": delayed}
    return {
        "sector": name,
        "counts": {**counts, "no_opportunity": 0},
        "developmental_age": {"months": age, "kind": kind},
    }


def test_a_three_year_old_failing_language_and_fine_motor_is_suspect(patient_1, staff, lead):
    visit = f.VisitFactory(infant=patient_1, visit_date=D(2026, 9, 4))

    assessment = record_denver_assessment(
        infant=patient_1,
        actor=staff,
        assessed_on=D(2026, 9, 4),
        scores=THREE_YEAR_SCORES,
        visit=visit,
        examiner=lead,
        notes="Rescreen booked.",
        today=TODAY,
    )

    assessment.refresh_from_db()
    # 1096 days (2024 is a leap year) / 30.4375 days per month = 36.008 months, no correction.
    assert assessment.age_line_months == Decimal("36.01")
    assert assessment.age_corrected is False
    assert (assessment.norm_version, assessment.rules_version) == (BUNDLED, "denver-ii-rules-v1")
    assert assessment.test_result == "suspect"
    assert assessment.recommendation == "rescreen_in_1_2_weeks_then_refer"
    assert (assessment.visit, assessment.examiner, assessment.notes) == (
        visit,
        lead,
        "Rescreen booked.",
    )
    # Developmental age: where the passes, ordered by p50, stop outnumbering the failures.
    assert assessment.sector_summaries == [
        sector("personal_social", normal=3, age=31.2),
        sector("fine_motor_adaptive", normal=2, caution=1, delayed=1, age=19.2),
        sector("language", normal=2, caution=2, delayed=2, age=19.8),
        sector("gross_motor", normal=3, age=32.4),
    ]
    items = {
        item.item_code: (item.score, item.interpretation) for item in assessment.item_results.all()
    }
    assert len(items) == len(THREE_YEAR_SCORES)
    assert items["language:24"] == ("F", "delayed")
    assert items["language:26"] == ("F", "caution")
    assert items["fine_motor_adaptive:19"] == ("F", "delayed")
    assert items["fine_motor_adaptive:20"] == ("F", "caution")
    assert items["fine_motor_adaptive:22"] == ("F", "normal")
    assert items["gross_motor:24"] == ("P", "normal")
    assert assessment.history.get().history_user == staff
    assert {h.history_user for h in m.DenverItemResult.history.all()} == {staff}


def test_the_first_assessment_stores_the_bundled_table_it_was_scored_with(patient_1, staff):
    assessment = record_denver_assessment(
        infant=patient_1,
        actor=staff,
        assessed_on=D(2026, 9, 4),
        scores={"gross_motor:17": "P"},
        today=TODAY,
    )

    assert m.DenverNormTable.objects.get(is_default=True).version == assessment.norm_version


GESTATION_30_WEEKS = 210  # 70 days before the due date
GESTATION_39_WEEKS = 273  # 7 days: under the 2 weeks that call for correction


@pytest.mark.parametrize(
    ("gestational_age_days", "age_days", "age_line", "corrected"),
    [
        pytest.param(GESTATION_30_WEEKS, 365, "9.69", True, id="30 weeks, 12 months: corrected"),
        pytest.param(
            GESTATION_30_WEEKS, 730, "21.68", True, id="30 weeks, 23.98 months: still corrected"
        ),
        pytest.param(
            GESTATION_30_WEEKS, 731, "24.02", False, id="30 weeks, 24.02 months: chronological"
        ),
        pytest.param(GESTATION_39_WEEKS, 365, "11.99", False, id="39 weeks: not corrected"),
        pytest.param(None, 365, "11.99", False, id="gestation unknown: not corrected"),
    ],
)
def test_the_age_line_is_corrected_for_prematurity_under_24_months(
    clinic, staff, gestational_age_days, age_days, age_line, corrected
):
    infant = f.InfantFactory(
        clinic=clinic, birth_date=D(2024, 3, 1), gestational_age_days=gestational_age_days
    )

    assessment = record_denver_assessment(
        infant=infant,
        actor=staff,
        assessed_on=infant.birth_date + datetime.timedelta(days=age_days),
        scores={"gross_motor:17": "P"},
        today=TODAY,
    )

    assessment.refresh_from_db()
    assert assessment.age_line_months == Decimal(age_line)
    assert assessment.age_corrected is corrected


def test_a_preterm_infant_before_the_due_date_has_no_age_line(clinic, staff):
    infant = f.InfantFactory(
        clinic=clinic, birth_date=D(2024, 3, 1), gestational_age_days=GESTATION_30_WEEKS
    )

    with pytest.raises(ValidationError) as refused:
        record_denver_assessment(
            infant=infant,
            actor=staff,
            assessed_on=D(2024, 4, 1),
            scores={"gross_motor:1": "P"},
            today=TODAY,
        )

    assert "due date (2024-05-10)" in refused.value.message_dict["assessed_on"][0]
    assert nothing_saved()


@pytest.mark.parametrize(
    ("assessed_on", "problem"),
    [
        pytest.param(
            D(2023, 9, 3), "before the infant's birth date (2023-09-04)", id="before birth"
        ),
        pytest.param(D(2026, 11, 22), "in the future (today is 2026-11-21)", id="in the future"),
    ],
)
def test_an_impossible_assessment_date_is_refused(patient_1, staff, assessed_on, problem):
    with pytest.raises(ValidationError) as refused:
        record_denver_assessment(
            infant=patient_1,
            actor=staff,
            assessed_on=assessed_on,
            scores={"gross_motor:17": "P"},
            today=TODAY,
        )

    assert problem in refused.value.message_dict["assessed_on"][0]
    assert nothing_saved()


@pytest.mark.parametrize(
    ("scores", "named"),
    [
        pytest.param(
            {"gross_motor:17": "P", "language:40": "F", "walks": "P"},
            ["'language:40'", "'walks'"],
            id="unknown item codes",
        ),
        pytest.param(
            {"gross_motor:17": "P", "language:24": "X", "language:25": "pass"},
            ["language:24 ('X')", "language:25 ('pass')"],
            id="unknown scores",
        ),
        pytest.param({}, ["Score at least one item."], id="nothing scored"),
    ],
)
def test_bad_scores_are_refused_by_code_and_nothing_saved(patient_1, staff, scores, named):
    with pytest.raises(ValidationError) as refused:
        record_denver_assessment(
            infant=patient_1, actor=staff, assessed_on=D(2026, 9, 4), scores=scores, today=TODAY
        )

    messages = " ".join(refused.value.message_dict["scores"])
    for name in named:
        assert name in messages
    assert nothing_saved()
    # The bundled table row created for this assessment went with it: one transaction.
    assert not m.DenverNormTable.objects.exists()


def test_a_stored_assessment_is_unchanged_when_a_newer_table_becomes_default(
    tmp_path, patient_1, staff, lead
):
    def snapshot(assessment: m.DenverAssessment):
        return (
            m.DenverAssessment.objects.filter(pk=assessment.pk).values().get(),
            sorted(assessment.item_results.values_list("item_code", "score", "interpretation")),
        )

    old = record_denver_assessment(
        infant=patient_1,
        actor=staff,
        assessed_on=D(2026, 9, 4),
        scores=THREE_YEAR_SCORES,
        today=TODAY,
    )
    before = snapshot(old)
    later = write_norm_file(tmp_path / "later.csv", bundled_with_later_percentiles(1.25))

    newer = import_norm_table(later, version=LICENSED, actor=lead, make_default=True)

    assert snapshot(old) == before
    assert old.history.count() == 1
    new = record_denver_assessment(
        infant=patient_1,
        actor=staff,
        assessed_on=D(2026, 9, 11),
        scores=THREE_YEAR_SCORES,
        today=TODAY,
    )
    assert new.norm_version == newer.version == LICENSED
    # Name 4 Pictures: p75 31.2 -> 39.0, so a failure at 36 months is no longer a delay.
    assert ("language:24", "F", "delayed") in before[1]
    assert new.item_results.get(item_code="language:24").interpretation == "normal"
    assert m.DenverAssessment.objects.get(pk=old.pk).norm_version == BUNDLED


def test_an_assessment_may_be_scored_with_a_table_that_is_not_the_default(
    patient_1, staff, lead, licensed_file
):
    ensure_bundled_norm_table()
    licensed = import_norm_table(licensed_file, version=LICENSED, actor=lead, make_default=False)

    assessment = record_denver_assessment(
        infant=patient_1,
        actor=staff,
        assessed_on=D(2026, 9, 4),
        scores={"language:24": "F"},
        norm_table=licensed,
        today=TODAY,
    )

    assert assessment.norm_version == LICENSED
    with pytest.raises(ValidationError, match="'language:23'"):
        record_denver_assessment(
            infant=patient_1,
            actor=staff,
            assessed_on=D(2026, 9, 4),
            scores={"language:23": "F"},  # in the bundled table, not in the licensed one
            norm_table=licensed,
            today=TODAY,
        )


def test_item_results_are_written_in_constant_queries(patient_1, staff):
    ensure_bundled_norm_table()

    def queries_for(scores: dict[str, str]) -> int:
        with CaptureQueriesContext(connection) as captured:
            record_denver_assessment(
                infant=patient_1,
                actor=staff,
                assessed_on=D(2026, 9, 4),
                scores=scores,
                today=TODAY,
            )
        return len(captured)

    few = queries_for(dict(list(THREE_YEAR_SCORES.items())[:2]))
    many = queries_for(THREE_YEAR_SCORES)

    # Items and their history rows are each one INSERT, whatever the number of items.
    assert many == few


def test_today_is_the_clinic_s_date(patient_1, staff):
    # 22:30 UTC on 1 January is already 2 January in Istanbul (UTC+3), the clinic's time zone.
    with time_machine.travel(datetime.datetime(2026, 1, 1, 22, 30, tzinfo=datetime.UTC)):
        assessment = record_denver_assessment(
            infant=patient_1, actor=staff, assessed_on=D(2026, 1, 2), scores={"gross_motor:17": "P"}
        )

    assert assessment.assessed_on == D(2026, 1, 2)


# --- Milestones ----------------------------------------------------------------------------------

BUNDLED_HEAD_CONTROL = (
    f"{BUNDLED}: Denver II gross_motor:9 (Pull to Sit-No Head Lag), 90th percentile 6.2 months"
)
BUNDLED_FIRST_WORDS = f"{BUNDLED}: Denver II language:14 (One Word), 90th percentile 15 months"
WHO_SITTING = f"{WHO}: WHO window, 1st-99th percentile 3.8-9.2 months"
WHO_STANDING_ASSISTED = f"{WHO}: WHO window, 1st-99th percentile 4.8-11.4 months"


@pytest.mark.parametrize(
    ("patient", "milestone", "months", "timing", "reference"),
    [
        pytest.param(
            "patient_1",
            "head_control",
            4,
            "on_time",
            BUNDLED_HEAD_CONTROL,
            id="p1 head control at 4",
        ),
        pytest.param(
            "patient_1", "sitting_without_support", 18, "late", WHO_SITTING, id="p1 sat at 18"
        ),
        pytest.param(
            "patient_1", "first_words", 17, "late", BUNDLED_FIRST_WORDS, id="p1 words at 17"
        ),
        pytest.param(
            "patient_2", "sitting_without_support", 15, "late", WHO_SITTING, id="p2 sat at 15"
        ),
        pytest.param(
            "patient_2",
            "standing_with_assistance",
            17,
            "late",
            WHO_STANDING_ASSISTED,
            id="p2 stood at 17",
        ),
    ],
)
def test_seed_000_milestones_are_stored_with_their_timing_and_window(
    request, staff, patient, milestone, months, timing, reference
):
    infant = request.getfixturevalue(patient)

    attainment = record_milestone(
        infant=infant,
        actor=staff,
        milestone=milestone,
        source="reported",
        attained_age_months=months,
        today=TODAY,
    )

    attainment.refresh_from_db()
    assert attainment.timing == timing
    assert attainment.attained_age_months == Decimal(months)
    assert attainment.age_used_months == Decimal(months)
    assert attainment.age_corrected is False
    assert attainment.window_reference == reference
    assert attainment.history.get().history_user == staff


@pytest.mark.parametrize(
    ("gestational_age_days", "timing", "age_used", "corrected"),
    [
        # Born at 32 weeks, 56 days early: 10.5 - 56 / 30.4375 = 8.66 months corrected.
        pytest.param(224, "on_time", "8.7", True, id="born at 32 weeks: corrected age, on time"),
        pytest.param(280, "late", "10.5", False, id="born at term: late"),
    ],
)
def test_a_preterm_infant_is_judged_on_corrected_age(
    clinic, staff, gestational_age_days, timing, age_used, corrected
):
    infant = f.InfantFactory(
        clinic=clinic, birth_date=D(2024, 3, 1), gestational_age_days=gestational_age_days
    )

    attainment = record_milestone(
        infant=infant,
        actor=staff,
        milestone="sitting_without_support",
        source="reported",
        attained_age_months=Decimal("10.5"),
        today=TODAY,
    )

    attainment.refresh_from_db()
    assert (attainment.timing, attainment.age_used_months, attainment.age_corrected) == (
        timing,
        Decimal(age_used),
        corrected,
    )


def test_a_milestone_seen_on_a_date(infant, staff):
    attainment = record_milestone(
        infant=infant,
        actor=staff,
        milestone="walking_alone",
        source="observed",
        attained_on=D(2025, 3, 1),  # 365 days: 11.99 months
        today=TODAY,
    )

    attainment.refresh_from_db()
    assert (attainment.attained_on, attainment.attained_age_months) == (D(2025, 3, 1), None)
    assert (attainment.timing, attainment.age_used_months) == ("on_time", Decimal("12.0"))
    assert attainment.window_reference == f"{WHO}: WHO window, 1st-99th percentile 8.2-17.6 months"


def test_a_licensed_default_table_sets_the_head_control_window(
    patient_1, staff, lead, licensed_file
):
    import_norm_table(licensed_file, version=LICENSED, actor=lead, make_default=True)

    attainment = record_milestone(
        infant=patient_1,
        actor=staff,
        milestone="head_control",
        source="observed",
        attained_age_months=Decimal("6.1"),  # after the licensed p90 (6.0), before the bundled 6.2
        today=TODAY,
    )

    assert attainment.timing == "late"
    assert attainment.window_reference.startswith(f"{LICENSED}: Denver II gross_motor:9")


@pytest.mark.parametrize(
    ("on", "milestone", "timing"),
    [
        pytest.param(
            D(2024, 8, 20),
            "hands_and_knees_crawling",
            MilestoneTiming.ABSENT_NOT_ABNORMAL_ALONE,
            id="not crawling at 18 months: absent, not abnormal alone",
        ),
        pytest.param(
            D(2024, 8, 20),
            "standing_alone",
            MilestoneTiming.LATE,
            id="not standing alone at 18 months: late (window ends 16.9)",
        ),
        pytest.param(
            D(2023, 9, 20),
            "sitting_without_support",
            MilestoneTiming.NOT_YET_ATTAINED,
            id="not sitting at 7 months: window still open",
        ),
    ],
)
def test_the_status_of_a_milestone_not_attained(patient_2, on, milestone, timing):
    status = milestone_status(patient_2, milestone, on=on)

    assert status.timing is timing
    assert not status.attained
    assert nothing_saved()


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        pytest.param(
            {"attained_age_months": 4, "attained_on": D(2024, 7, 1)},
            "__all__",
            "one of the two",
            id="both an age and a date",
        ),
        pytest.param({}, "__all__", "one of the two", id="neither an age nor a date"),
        pytest.param(
            {"attained_on": D(2024, 9, 2)},
            "attained_on",
            "in the future",
            id="a date in the future",
        ),
        pytest.param(
            {"attained_on": D(2024, 2, 29)},
            "attained_on",
            "before the infant's birth",
            id="before birth",
        ),
        pytest.param(
            {"attained_age_months": 8},
            "attained_age_months",
            "still to come",
            id="older than the infant",
        ),
        pytest.param(
            {"attained_age_months": -1},
            "attained_age_months",
            "cannot be negative",
            id="negative age",
        ),
        pytest.param(
            {"milestone": "rolling", "attained_age_months": 4},
            "milestone",
            "'rolling' is not a milestone",
            id="unknown milestone",
        ),
    ],
)
def test_an_impossible_milestone_is_refused(infant, staff, changes, field, problem):
    fields = {"milestone": "head_control", "source": "observed", **changes}

    with pytest.raises(ValidationError) as refused:
        record_milestone(infant=infant, actor=staff, today=D(2024, 9, 1), **fields)

    assert problem in " ".join(refused.value.message_dict[field])
    assert nothing_saved()


def test_a_reported_age_rounded_up_to_the_month_is_accepted(clinic, staff):
    infant = f.InfantFactory(clinic=clinic, birth_date=D(2024, 1, 31))

    # 31 May is four calendar months, 121 days, 3.98 months of 30.4375 days.
    attainment = record_milestone(
        infant=infant,
        actor=staff,
        milestone="head_control",
        source="reported",
        attained_age_months=4,
        today=D(2024, 5, 31),
    )

    assert attainment.timing == "on_time"


def test_a_milestone_is_recorded_once(patient_2, staff):
    record_milestone(
        infant=patient_2,
        actor=staff,
        milestone="sitting_without_support",
        source="reported",
        attained_age_months=15,
        today=TODAY,
    )

    with pytest.raises(ValidationError) as refused:
        record_milestone(
            infant=patient_2,
            actor=staff,
            milestone="sitting_without_support",
            source="observed",
            attained_age_months=14,
            today=TODAY,
        )

    assert "already recorded" in refused.value.message_dict["milestone"][0]
    assert m.MilestoneAttainment.objects.get().attained_age_months == 15

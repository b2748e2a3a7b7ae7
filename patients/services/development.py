"""Development: Denver II norm tables and assessments, and milestone attainments.

Every interpretation here is computed by the clinical core and stored with the table or window
version that produced it, and never recomputed in place (ARCHITECTURE.md, Habits):

- Denver II (CLINICAL.md section 7): the age line comes from ``clinical.ages.denver_ii_age_line``;
  items, sector summaries, test result and recommendation from ``clinical.denver``.
- Norm tables: the project's public transcription (clinical/data/denver_ii/PROVENANCE.md), or the
  table from a clinic's licensed Denver II Technical Manual, imported as a new version. A clinic
  must be able to replace the whole table (shared/data/README.md), so the scoring reads whichever
  table is the default; a stored row is immutable, so an assessment's ``norm_version`` always
  names the numbers that scored it.
- Milestones (CLINICAL.md section 7): the WHO Motor Development Study windows (WHO Multicentre
  Growth Reference Study Group, Acta Paediatr Suppl 2006;450:86-95) and, for head control and
  first words, the 90th percentile of one Denver II item in the default norm table
  (``clinical.milestones``), on corrected age for preterm infants as the core rules say.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import uuid
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history

from patients import models as m
from patients.clinical import ages, denver, milestones
from patients.services.records import create_record

# --- Norm tables ---------------------------------------------------------------------------------

_BUNDLED_FILE = f"patients/clinical/data/denver_ii/{denver.BUNDLED_NORM_TABLE_VERSION}.csv"

# Parsed tables by (row id, version). Rows are immutable once imported, so a parse never goes
# stale; keying by the row id as well as the version means a table deleted and imported again
# under the same version (a test database, an import undone by an administrator) is parsed anew.
_parsed_tables: dict[tuple[uuid.UUID, str], denver.NormTable] = {}


def ensure_bundled_norm_table() -> m.DenverNormTable:
    """The project's bundled table as a row, created once; it becomes the default only when no
    table is the default yet, so it never displaces a clinic's licensed table.

    Refuses to run when the stored row's numbers differ from the shipped file: the file was then
    edited without a new version, and every assessment already scored under that version would
    silently mean something else.
    """
    table = denver.bundled_norm_table()
    items = _items_json(table)
    with transaction.atomic():
        row, created = m.DenverNormTable.objects.get_or_create(
            version=table.version,
            defaults={
                "items": items,
                "metadata": _metadata_json(table, file_name=_BUNDLED_FILE, text=_bundled_text()),
            },
        )
        if not created and row.items != items:
            raise ImproperlyConfigured(
                f"The Denver II norm table {table.version} shipped with this release differs "
                "from the one stored under that version; give the changed table a new version "
                "(denver.BUNDLED_NORM_TABLE_VERSION) instead of editing it in place."
            )
        if not m.DenverNormTable.objects.filter(is_default=True).exists():
            row = set_default_norm_table(table=row, actor=None)
    return row


@transaction.atomic
def import_norm_table(
    source: denver.TableSource,
    *,
    version: str | None,
    actor: m.User | None,
    make_default: bool = False,
) -> m.DenverNormTable:
    """Import a whole Denver II norm table (a path or a text stream) as a new, immutable version.

    The file is validated by the clinical core (``denver.load_norm_table``: columns, sectors,
    duplicate items, numbers, non-decreasing percentiles, QA flags) and must hold the two items the
    head-control and first-words windows read (``milestones.DENVER_SOURCED_MILESTONES``), since a
    default table serves those windows too. ``version`` may be omitted when the file declares one;
    when both are given they must agree. Raises ValidationError listing every problem found, on
    ``source`` for the file and on ``version`` for a version already imported; nothing is saved.
    """
    name, text = _read_source(source)
    stream = io.StringIO(text)
    stream.name = name  # the core names the file in its messages
    try:
        table = denver.load_norm_table(stream, version=version)
    except denver.ReferenceTableError as error:
        raise ValidationError({"source": list(error.problems)}) from None
    try:
        milestones.denver_milestone_windows(table)
    except (denver.ReferenceTableError, denver.UnknownItemError) as error:
        problems = error.problems if isinstance(error, denver.ReferenceTableError) else [error]
        raise ValidationError(
            {"source": [f"{problem}; the milestone windows read this item" for problem in problems]}
        ) from None

    existing = m.DenverNormTable.objects.filter(version=table.version).first()
    if existing is not None:
        raise ValidationError({"version": _already_imported(existing)})

    row = m.DenverNormTable(
        version=table.version,
        items=_items_json(table),
        metadata=_metadata_json(table, file_name=name, text=text),
        imported_by=actor,
    )
    # Validate the fields, but leave the uniqueness checks to the statements below: the version
    # was checked above, and the default constraint is satisfied by set_default_norm_table.
    row.full_clean(validate_unique=False, validate_constraints=False)
    row._history_user = actor  # read by django-simple-history when it writes the history row
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Another import of the same version committed between the check and the insert.
        raise ValidationError(
            {"version": _already_imported(m.DenverNormTable.objects.get(version=table.version))}
        ) from None
    if make_default:
        row = set_default_norm_table(table=row, actor=actor)
    return row


@transaction.atomic
def set_default_norm_table(*, table: m.DenverNormTable, actor: m.User | None) -> m.DenverNormTable:
    """Make ``table`` the one new assessments are scored with; stored assessments keep theirs.

    The current default is locked and cleared first, because the database allows one default.
    """
    for current in m.DenverNormTable.objects.select_for_update().filter(is_default=True):
        if current.pk == table.pk:
            return current
        current.is_default = False
        current._history_user = actor
        current.save(update_fields=["is_default"])
    table.is_default = True
    table._history_user = actor
    table.save(update_fields=["is_default"])
    return table


def norm_table(row: m.DenverNormTable) -> denver.NormTable:
    """The clinical core's table for a stored row, validated again and cached in this process."""
    key = (row.pk, row.version)
    parsed = _parsed_tables.get(key)
    if parsed is None:
        parsed = denver.norm_table_from_rows(
            (
                {column: "" if value is None else str(value) for column, value in item.items()}
                for item in row.items
            ),
            version=row.version,
            metadata=row.metadata.get("header", {}),
        )
        _parsed_tables[key] = parsed
    return parsed


# record_denver_assessment takes an argument named `norm_table`, which hides the function there.
_norm_table_of = norm_table


def _items_json(table: denver.NormTable) -> list[dict]:
    # Numbers, not the file's text: float repr round-trips exactly through JSON on SQLite and
    # PostgreSQL, so norm_table() rebuilds the very values that were validated.
    return [
        {
            "sector": item.sector.value,
            "item_no": item.item_no,
            "label": item.label,
            "p25_months": item.p25_months,
            "p50_months": item.p50_months,
            "p75_months": item.p75_months,
            "p90_months": item.p90_months,
            "qa_flag": item.qa_flag.value if item.qa_flag else None,
        }
        for item in table.items.values()
    ]


def _metadata_json(table: denver.NormTable, *, file_name: str, text: str) -> dict:
    """The file's own preamble (source, licensing...) and which file it was, to the byte."""
    return {
        "header": dict(table.metadata),
        "file": {
            "name": os.path.basename(file_name),
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "items": len(table.items),
        },
    }


def _read_source(source: denver.TableSource) -> tuple[str, str]:
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        try:
            with open(source, encoding="utf-8", newline="") as stream:
                return name, stream.read()
        except (OSError, UnicodeDecodeError) as error:
            raise ValidationError({"source": f"Cannot read {name}: {error}"}) from None
    name = getattr(source, "name", "<stream>")
    try:
        return name, source.read()
    except UnicodeDecodeError as error:
        raise ValidationError({"source": f"Cannot read {name}: {error}"}) from None


def _bundled_text() -> str:
    path = resources.files("patients.clinical.data") / "denver_ii" / os.path.basename(_BUNDLED_FILE)
    return path.read_text(encoding="utf-8")


def _already_imported(existing: m.DenverNormTable) -> str:
    return (
        f"Denver II norm table version {existing.version!r} was already imported on "
        f"{existing.imported_at:%Y-%m-%d}. Imported tables never change, so stored assessments "
        "keep meaning what they meant; import the corrected table under a new version."
    )


def _default_norm_table_row() -> m.DenverNormTable:
    row = m.DenverNormTable.objects.filter(is_default=True).first()
    return row if row is not None else ensure_bundled_norm_table()


# --- Denver II assessments ------------------------------------------------------------------------


@transaction.atomic
def record_denver_assessment(
    *,
    infant: m.Infant,
    actor: m.User | None,
    assessed_on: datetime.date,
    scores: Mapping[str, str],
    visit: m.Visit | None = None,
    examiner: m.User | None = None,
    norm_table: m.DenverNormTable | None = None,
    notes: str = "",
    today: datetime.date | None = None,
) -> m.DenverAssessment:
    """Score a Denver II and store it with its item results (CLINICAL.md section 7).

    ``scores`` maps item codes (``language:24``) to raw scores (P, F, R, NO). The age line is
    corrected for prematurity under the Denver II rule (born 2 weeks or more early, younger than
    24 months). The assessment is scored with the default norm table unless ``norm_table`` is
    given, and stores that table's version and the rules version, so a later table or rule never
    changes it. Raises ValidationError naming the field; nothing is saved then.
    """
    today = today or infant.clinic.today()
    errors: dict[str, list[str]] = {}
    age_line = _denver_age_line(infant, assessed_on, today=today, errors=errors)
    table_row = norm_table if norm_table is not None else _default_norm_table_row()
    norms = _norm_table_of(table_row)
    item_scores = _checked_scores(scores, norms, errors=errors)
    if errors or age_line is None:
        raise ValidationError(errors)

    result = denver.interpret_assessment(item_scores, norms=norms, age_line=age_line)
    assessment = create_record(
        m.DenverAssessment,
        actor=actor,
        infant=infant,
        visit=visit,
        assessed_on=assessed_on,
        examiner=examiner,
        age_line_months=_quantized(result.age_line_months, "0.01"),
        age_corrected=result.age_line.corrected,
        norm_version=result.norm_table_version,
        rules_version=result.rules_version,
        test_result=result.test_result.value,
        recommendation=result.recommendation.value,
        sector_summaries=[_sector_summary_json(summary) for summary in result.sectors],
        notes=notes,
    )
    item_results = [
        m.DenverItemResult(
            assessment=assessment,
            item_code=item.item.code,
            score=item.score.value,
            interpretation=item.interpretation.value,
        )
        for item in result.items
    ]
    for item_result in item_results:
        # Field checks in Python catch the core's vocabulary drifting from the model's choices.
        # Skipped, because each would cost a query per item: the assessment's existence (it was
        # just saved) and uniqueness (the codes are a mapping's keys).
        item_result.full_clean(
            exclude=["assessment"], validate_unique=False, validate_constraints=False
        )
    # One INSERT for all items (and one for their history), however many were scored.
    bulk_create_with_history(item_results, m.DenverItemResult, default_user=actor)
    return assessment


def _denver_age_line(
    infant: m.Infant,
    assessed_on: datetime.date,
    *,
    today: datetime.date,
    errors: dict[str, list[str]],
) -> ages.AgeAtAssessment | None:
    problem = _date_problem(infant, assessed_on, today=today)
    if problem:
        errors["assessed_on"] = [problem]
        return None
    age_line = ages.denver_ii_age_line(
        infant.birth_date, assessed_on, gestational_age_days=infant.gestational_age_days
    )
    if age_line.age_days < 0:
        # The Denver II chart starts at term birth; before the due date there is no age line.
        due = infant.birth_date + datetime.timedelta(days=age_line.correction_days)
        errors["assessed_on"] = [
            f"The Denver II starts at the due date ({due:%Y-%m-%d}) for an infant born this early; "
            f"on {assessed_on:%Y-%m-%d} the corrected age is {age_line.age_days} days."
        ]
        return None
    return age_line


def _checked_scores(
    scores: Mapping[str, str], norms: denver.NormTable, *, errors: dict[str, list[str]]
) -> dict[str, denver.ItemScore]:
    if not scores:
        errors["scores"] = ["Score at least one item."]
        return {}
    valid_scores = {score.value for score in denver.ItemScore}
    unknown = sorted(code for code in scores if code not in norms.items)
    bad = sorted((code, score) for code, score in scores.items() if str(score) not in valid_scores)
    messages = []
    if unknown:
        messages.append(
            f"Not an item of Denver II norm table {norms.version}: {', '.join(map(repr, unknown))}."
        )
    if bad:
        listing = ", ".join(f"{code} ({score!r})" for code, score in bad)
        messages.append(f"Scores are P, F, R or NO; not so for {listing}.")
    if messages:
        errors["scores"] = messages
        return {}
    return {code: denver.ItemScore(str(score)) for code, score in scores.items()}


def _sector_summary_json(summary: denver.SectorSummary) -> dict:
    age = summary.developmental_age
    return {
        "sector": summary.sector.value,
        "counts": {
            denver.ItemInterpretation.ADVANCED.value: summary.advanced,
            denver.ItemInterpretation.NORMAL.value: summary.normal,
            denver.ItemInterpretation.CAUTION.value: summary.caution,
            denver.ItemInterpretation.DELAYED.value: summary.delayed,
            denver.ItemInterpretation.NO_OPPORTUNITY.value: summary.no_opportunity,
        },
        "developmental_age": (
            None if age is None else {"months": age.months, "kind": age.kind.value}
        ),
    }


# --- Milestones ----------------------------------------------------------------------------------


@transaction.atomic
def record_milestone(
    *,
    infant: m.Infant,
    actor: m.User | None,
    milestone: str,
    source: str,
    attained_age_months: Decimal | float | None = None,
    attained_on: datetime.date | None = None,
    notes: str = "",
    today: datetime.date | None = None,
) -> m.MilestoneAttainment:
    """Record when a milestone was reached, with its timing against the window it was judged by.

    Give the age (``attained_age_months``, as parents report it) or the date (``attained_on``, as
    staff saw it), not both, so the record holds one account of the event. The timing, the age
    used (corrected for a preterm infant under the window's rule), whether it was corrected and
    the window's version are stored with the row. Raises ValidationError naming the field.
    """
    today = today or infant.clinic.today()
    errors: dict[str, list[str]] = {}
    code = _milestone_code(milestone, errors)
    if (attained_age_months is None) == (attained_on is None):
        errors[NON_FIELD_ERRORS] = [
            "Give the age at which the milestone was reached or the date, one of the two."
        ]
    elif attained_on is not None:
        problem = _date_problem(infant, attained_on, today=today)
        if problem:
            errors["attained_on"] = [problem]
    else:
        problem = _reported_age_problem(infant, Decimal(str(attained_age_months)), today=today)
        if problem:
            errors["attained_age_months"] = [problem]
    if code is not None:
        recorded = infant.milestones.active().filter(milestone=code.value).first()
        if recorded is not None:
            errors.setdefault("milestone", []).append(
                f"{recorded} is already recorded for this infant; void it to record another."
            )
    if errors or code is None:
        raise ValidationError(errors)

    window = _milestone_windows()[code]
    if attained_on is not None:
        assessment = milestones.assess_milestone_on_dates(
            window,
            birth_date=infant.birth_date,
            gestational_age_days=infant.gestational_age_days,
            attained_on=attained_on,
        )
    else:
        assessment = milestones.assess_milestone(
            window,
            gestational_age_days=infant.gestational_age_days,
            attained_at_months=float(attained_age_months),
        )
    return create_record(
        m.MilestoneAttainment,
        actor=actor,
        infant=infant,
        milestone=code.value,
        source=source,
        attained_age_months=(
            None if attained_age_months is None else Decimal(str(attained_age_months))
        ),
        attained_on=attained_on,
        notes=notes,
        timing=assessment.timing.value,
        age_used_months=_quantized(assessment.age_months, "0.1"),
        age_corrected=assessment.corrected,
        window_reference=window_reference(window),
    )


def milestone_status(
    infant: m.Infant, milestone: str, *, on: datetime.date
) -> milestones.MilestoneAssessment:
    """How a milestone not recorded as attained stands on ``on``: not yet attained while its window
    is open, late once it has closed, or, for hands-and-knees crawling, absent but not abnormal on
    its own (4.3 % of the WHO study's children never crawled).

    Reads no attainment: the caller shows this for milestones without an active attainment row.
    Nothing is stored, since the status changes with the date it is asked for.
    """
    errors: dict[str, list[str]] = {}
    code = _milestone_code(milestone, errors)
    if on < infant.birth_date:
        errors["on"] = [
            f"{on:%Y-%m-%d} is before the infant's birth ({infant.birth_date:%Y-%m-%d})."
        ]
    if errors or code is None:
        raise ValidationError(errors)
    return milestones.assess_milestone_on_dates(
        _milestone_windows()[code],
        birth_date=infant.birth_date,
        gestational_age_days=infant.gestational_age_days,
        observed_on=on,
    )


def window_reference(window: milestones.MilestoneWindow) -> str:
    """What a stored timing was judged against, version first: ``who-mgrs-...-v1: WHO window,
    1st-99th percentile 3.8-9.2 months`` or ``<norm version>: Denver II gross_motor:9 (Pull to
    Sit-No Head Lag), 90th percentile 6.2 months``."""
    if window.code in milestones.DENVER_SOURCED_MILESTONES:
        code, label = milestones.DENVER_SOURCED_MILESTONES[window.code]
        basis = f"Denver II {code} ({label})"
    else:
        basis = "WHO window"
    if window.earliest_months is not None and window.lower_percentile is not None:
        limits = (
            f"{_ordinal(window.lower_percentile)}-{_ordinal(window.upper_percentile)} percentile "
            f"{window.earliest_months:g}-{window.latest_months:g} months"
        )
    else:
        limits = f"{_ordinal(window.upper_percentile)} percentile {window.latest_months:g} months"
    reference = f"{window.reference_version}: {basis}, {limits}"
    limit = m.MilestoneAttainment._meta.get_field("window_reference").max_length
    # Versions are at most 80 characters and come first, so a long licensed label can only cut
    # the description, never what identifies the table.
    return reference if len(reference) <= limit else reference[: limit - 1] + "…"


def _milestone_windows() -> Mapping[milestones.MilestoneCode, milestones.MilestoneWindow]:
    """The WHO windows, and the Denver-sourced ones read from the default norm table (the bundled
    one until a table is stored), so a clinic's licensed table serves its milestones too."""
    row = m.DenverNormTable.objects.filter(is_default=True).first()
    norms = norm_table(row) if row is not None else denver.bundled_norm_table()
    who_windows = tuple(
        window
        for code, window in milestones.bundled_milestone_windows().items()
        if code in milestones.WHO_MILESTONES
    )
    return milestones.milestone_windows(who_windows=who_windows, norms=norms)


def _milestone_code(
    milestone: str, errors: dict[str, list[str]]
) -> milestones.MilestoneCode | None:
    try:
        return milestones.MilestoneCode(milestone)
    except ValueError:
        known = ", ".join(code.value for code in milestones.MilestoneCode)
        errors["milestone"] = [f"{milestone!r} is not a milestone this record holds ({known})."]
        return None


def _reported_age_problem(infant: m.Infant, months: Decimal, *, today: datetime.date) -> str:
    if months < 0:
        return "An age cannot be negative."
    age_today = ages.months_from_days(ages.chronological_age_days(infant.birth_date, today))
    # Parents give whole or half months ("at 4 months") counted on the calendar, which can run
    # a little ahead of the 30.4375-day month; only an age past the next whole month is refused.
    if months > int(age_today) + 1:
        return (
            f"The infant is {age_today:.1f} months old today ({today:%Y-%m-%d}); "
            f"{months} months is still to come."
        )
    return ""


# --- Shared ------------------------------------------------------------------------------------


def _date_problem(infant: m.Infant, on: datetime.date, *, today: datetime.date) -> str:
    if on < infant.birth_date:
        return f"{on:%Y-%m-%d} is before the infant's birth date ({infant.birth_date:%Y-%m-%d})."
    if on > today:
        return f"{on:%Y-%m-%d} is in the future (today is {today:%Y-%m-%d})."
    return ""


def _quantized(value: float, places: str) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"

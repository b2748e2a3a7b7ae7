"""Planning courses: `treatment.start_courses` for thousands of infants, timed on PostgreSQL.

The courses are started as a clinic bringing its cohort into the tracker starts them: the batch
service, in batches of `BATCH` infants, each batch one transaction with its doses, review tasks,
history rows and the guardians' reminders. The infants' mothers have consented to reminders and
the planning horizon is 18 months (PLANNING_HORIZON_MONTHS), so each course plans 18 months of
doses and the two reminders of each dose on each of the guardian's channels.

Two times per batch: until its commit (the plan: what the target measures) and the alert refresh
that runs after the commit, a hundred infants at a time as the periodic pass does, reported beside
it. The run is bounded: past its time budget it stops and the figures for the full count are
extrapolated from the rate so far (said so in the results). The first course is started alone,
with `start_course`, for the per-course figures of the path staff use from the course page; a
cProfile of one more batch says where the time goes.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from patients import models as m
from patients.clinical import regimens as engine
from patients.services.treatment import CourseStart, start_course, start_courses

REGIMEN = "seed-000-patient-2"  # daily, every 2 days, then monthly to 18 months
HORIZON_MONTHS = 18
#: Courses per call of `start_courses`: a size whose rows (about 110,000 with their history and
#: reminders) a worker holds comfortably in memory.
BATCH = 1000


def _timed_batch(starts: list[CourseStart], staff: m.User, today) -> tuple[float, float, int]:
    """(seconds until the commit, seconds of the alert refresh after it, statements until the
    commit). Statements are counted by an execute wrapper: Django's query log keeps only the
    last 9,000."""
    committed: list[float] = []
    statements = [0, None]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    def commit_seen() -> None:
        committed.append(time.monotonic())
        statements[1] = statements[0]

    began = time.monotonic()
    with connection.execute_wrapper(count), transaction.atomic():
        # Registered first, so it runs first of the after-commit work: the moment of the
        # commit.
        transaction.on_commit(commit_seen)
        start_courses(starts, actor=staff, today=today)
    ended = time.monotonic()
    return committed[0] - began, ended - committed[0], statements[1]


def plan_courses(
    *, target: int, infant_ids: list[str], staff: m.User, budget_seconds: float, profile_n: int
) -> dict:
    """`infant_ids` holds `target` infants to time, then `profile_n` for the profile and one for
    the single-course figures."""
    regimen = engine.load_shipped_regimens()[REGIMEN]
    infants = m.Infant.objects.select_related("clinic").in_bulk(infant_ids)
    ordered = [infants[pk] for pk in infants]
    timed = ordered[:target]
    profiled = ordered[target : target + profile_n]
    single = ordered[target + profile_n]
    today = ordered[0].clinic.today()
    doses_before = m.PlannedDose.objects.count()
    messages_before = m.PlannedMessage.objects.count()

    def starts(infants_: list[m.Infant]) -> list[CourseStart]:
        return [CourseStart(infant, regimen, today) for infant in infants_]

    with override_settings(PLANNING_HORIZON_MONTHS=HORIZON_MONTHS):
        with CaptureQueriesContext(connection) as captured:
            began = time.monotonic()
            start_course(infant=single, actor=staff, regimen=regimen, started_on=today, today=today)
            single_seconds = time.monotonic() - began
        queries_single = len(captured)

        planned = 0
        plan_seconds = alert_seconds = 0.0
        batch_queries = None
        while planned < len(timed) and plan_seconds + alert_seconds <= budget_seconds:
            batch = timed[planned : planned + BATCH]
            plan, alerts, statements = _timed_batch(starts(batch), staff, today)
            if batch_queries is None:
                batch_queries = {"courses": len(batch), "queries": statements}
            plan_seconds += plan
            alert_seconds += alerts
            planned += len(batch)

        profiler = cProfile.Profile()
        profiler.enable()
        _timed_batch(starts(profiled), staff, today)
        profiler.disable()

    doses = m.PlannedDose.objects.count() - doses_before
    messages = m.PlannedMessage.objects.count() - messages_before
    courses = planned + len(profiled) + 1
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
    rate = planned / plan_seconds if plan_seconds else 0.0
    return {
        "target_courses": target,
        "batch": BATCH,
        "courses_timed": planned,
        "seconds": round(plan_seconds, 1),
        "courses_per_second": round(rate, 1),
        "complete": planned == len(timed),
        # Measured when every course was timed; extrapolated from the rate when the budget ran out.
        "seconds_for_target": round(plan_seconds if planned == target else target / rate, 1)
        if rate
        else None,
        # The count, for a quick run that plans fewer.
        "seconds_for_10000": round(plan_seconds if planned == 10_000 else 10_000 / rate, 1)
        if rate
        else None,
        "alert_seconds": round(alert_seconds, 1),
        "alert_ms_per_infant": round(1000 * alert_seconds / planned, 1) if planned else None,
        "doses_per_course": round(doses / courses, 1),
        "messages_per_course": round(messages / courses, 1),
        "queries_per_batch": batch_queries,
        "single_course": {"seconds": round(single_seconds, 3), "queries": queries_single},
        "profile": stream.getvalue(),
        "profiled_courses": len(profiled),
    }

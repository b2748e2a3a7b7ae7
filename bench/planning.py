"""Planning courses: `treatment.start_course` for thousands of infants, timed on PostgreSQL.

Each course is started as staff start one: one call of the service, in its own transaction, with
what runs after its commit (the alert refresh and the reminder plan of `plan_reminders`), for an
infant whose mother has consented to reminders. The planning horizon is 18 months
(PLANNING_HORIZON_MONTHS), so each course plans 18 months of doses and the two reminders of each
dose on each of the guardian's channels.

The run is bounded: past its time budget it stops and the figure for the full count is
extrapolated from the rate so far (said so in the results). A short cProfile of a few more courses
and the queries of one course say where the time goes.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from patients import models as m
from patients.clinical import regimens as engine
from patients.services.treatment import start_course

REGIMEN = "seed-000-patient-2"  # daily, every 2 days, then monthly to 18 months
HORIZON_MONTHS = 18


def plan_courses(
    *, target: int, infant_ids: list[str], staff: m.User, budget_seconds: float, profile_n: int
) -> dict:
    """`infant_ids` holds `target` infants to time, then `profile_n` + 1 for the profile and the
    query count."""
    regimen = engine.load_shipped_regimens()[REGIMEN]
    infants = m.Infant.objects.select_related("clinic").in_bulk(infant_ids)
    ordered = [infants[pk] for pk in infants]
    timed = ordered[:target]
    profiled = ordered[target : target + profile_n]
    counted = ordered[target + profile_n]
    today = ordered[0].clinic.today()
    doses_before = m.PlannedDose.objects.count()
    messages_before = m.PlannedMessage.objects.count()

    with override_settings(PLANNING_HORIZON_MONTHS=HORIZON_MONTHS):
        with CaptureQueriesContext(connection) as captured:
            start_course(
                infant=counted, actor=staff, regimen=regimen, started_on=today, today=today
            )
        queries_per_course = len(captured)

        started = time.monotonic()
        planned = 0
        for infant in timed:
            start_course(infant=infant, actor=staff, regimen=regimen, started_on=today, today=today)
            planned += 1
            if time.monotonic() - started > budget_seconds:
                break
        seconds = time.monotonic() - started

        profiler = cProfile.Profile()
        profiler.enable()
        for infant in profiled:
            start_course(infant=infant, actor=staff, regimen=regimen, started_on=today, today=today)
        profiler.disable()

    doses = m.PlannedDose.objects.count() - doses_before
    messages = m.PlannedMessage.objects.count() - messages_before
    courses = planned + len(profiled) + 1
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
    rate = planned / seconds if seconds else 0.0
    return {
        "target_courses": target,
        "courses_timed": planned,
        "seconds": round(seconds, 1),
        "courses_per_second": round(rate, 1),
        "complete": planned == len(timed),
        # Measured when every course was timed; extrapolated from the rate when the budget ran out.
        "seconds_for_target": round(seconds if planned == target else target / rate, 1)
        if rate
        else None,
        # The count, for a quick run that plans fewer.
        "seconds_for_10000": round(seconds if planned == 10_000 else 10_000 / rate, 1)
        if rate
        else None,
        "doses_per_course": round(doses / courses, 1),
        "messages_per_course": round(messages / courses, 1),
        "queries_per_course": queries_per_course,
        "profile": stream.getvalue(),
        "profiled_courses": len(profiled),
    }

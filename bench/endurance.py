"""Endurance: mixed load for minutes on two gunicorn workers, two Celery pool processes and beat.

While Locust reads lists, details, pages, charts and the worklist with think time, the runner
plants reminders that fall due a few seconds to a minute later, every few seconds, for beat's
ticks to dispatch. Every few seconds the resident memory of each process of the stack is sampled.

Verdicts:
- no error: no failed request, and no traceback or ERROR line in the logs of gunicorn, the worker
  and beat written during the run;
- no lost or duplicate reminder: every planted reminder is `sent` in the table and was handed to
  the gateway exactly once (its idempotency key counted once);
- no memory growth trend: the least-squares slope of each process's resident size over the run
  (after a warm-up fifth), projected over the run, is under MEMORY_TREND_MB.
"""

from __future__ import annotations

import datetime
import random
import threading
import time

import psutil
from django.db import connections
from django.utils import timezone

from bench import dispatch, load
from bench.bulkcopy import new_id
from bench.stack import Stack
from bench.stats import slope

MEMORY_TREND_MB = 10.0
PLANT_EVERY_SECONDS = 5


def run(
    stack: Stack,
    *,
    clinic,
    data_file,
    seconds: float,
    users: int,
    per_plant: int,
    sample_every: float,
) -> dict:
    targets = dispatch.recipients(clinic, 2000)
    logs = {name: p.log for name, p in stack.processes.items()}
    offsets = {name: path.stat().st_size for name, path in logs.items()}
    planted: list[str] = []
    samples: list[tuple[float, str, int, float]] = []
    stop = threading.Event()
    errors: list[str] = []

    def plant() -> None:
        rng = random.Random(8)  # noqa: S311 - synthetic data, not secrets
        tag = new_id()[:8]
        n = 0
        try:
            while not stop.wait(PLANT_EVERY_SECONDS):
                due = timezone.now() + datetime.timedelta(seconds=rng.uniform(1, 60))
                planted.extend(
                    dispatch.insert_due(
                        f"bench-endurance-{tag}-{n}", per_plant, targets=targets, due_at=due
                    )
                )
                n += 1
        except Exception as error:  # reported, and the run judged failed
            errors.append(repr(error))
        finally:
            connections.close_all()

    def sample() -> None:
        started = time.monotonic()
        while not stop.wait(sample_every):
            at = time.monotonic() - started
            for name in ("gunicorn", "worker", "beat"):
                for pid in stack.pids(name):
                    try:
                        rss = psutil.Process(pid).memory_info().rss / 2**20
                    except psutil.NoSuchProcess:
                        continue
                    samples.append((at, name, pid, rss))

    planter = threading.Thread(target=plant, daemon=True)
    sampler = threading.Thread(target=sample, daemon=True)
    locust, prefix = load.start(
        stack, "mixed", seconds=seconds, users=users, data=data_file, label="endurance"
    )
    planter.start()
    sampler.start()
    locust.wait(timeout=seconds + 120)
    stop.set()
    planter.join(60)
    sampler.join(60)

    # Drain: the last planted reminders fall due within a minute; beat ticks every 5 s.
    drain_started = time.monotonic()
    unsent = _unsent(planted)
    while unsent and time.monotonic() - drain_started < 180:
        time.sleep(2)
        unsent = _unsent(planted)
    drain = time.monotonic() - drain_started

    stats = load.read_stats(prefix)
    log_errors = {
        name: _errors(path, offsets.get(name, 0)) for name, path in logs.items() if name in offsets
    }
    memory = _memory(samples, seconds)
    gateway = dispatch.gateway_counts(planted)
    return {
        "seconds": seconds,
        "users": users,
        "requests": stats["requests"],
        "failures": stats["failures"],
        "rps": stats["rps"],
        "by_name": stats["by_name"],
        "failure_kinds": stats.get("failure_kinds", []),
        "log_errors": log_errors,
        "planter_errors": errors,
        "reminders_planted": len(planted),
        "reminders_unsent": unsent,
        "drain_seconds": round(drain, 1),
        "gateway": gateway,
        "memory": memory,
        "no_error": stats["failures"] == 0 and not any(log_errors.values()) and not errors,
        "no_lost_or_duplicate": unsent == 0
        and gateway["never"] == 0
        and gateway["more_than_once"] == 0,
        "no_memory_trend": all(p["trend_mb"] < MEMORY_TREND_MB for p in memory),
    }


def _unsent(ids: list[str]) -> int:
    from patients.models import PlannedMessage

    unsent = 0
    for start in range(0, len(ids), 5000):
        unsent += (
            PlannedMessage.objects.filter(id__in=ids[start : start + 5000])
            .exclude(status="sent")
            .count()
        )
    return unsent


def _errors(path, offset: int) -> list[str]:
    with path.open(errors="replace") as handle:
        handle.seek(offset)
        lines = handle.read().splitlines()
    return [
        line[:300] for line in lines if "Traceback" in line or " ERROR" in line or "ERROR/" in line
    ][:20]


def _memory(samples: list[tuple[float, str, int, float]], seconds: float) -> list[dict]:
    by_process: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for at, name, pid, rss in samples:
        by_process.setdefault((name, pid), []).append((at, rss))
    result = []
    for (name, pid), points in sorted(by_process.items()):
        kept = [p for p in points if p[0] >= seconds / 5] or points
        per_second = slope([p[0] for p in kept], [p[1] for p in kept])
        result.append(
            {
                "process": name,
                "pid": pid,
                "samples": len(points),
                "first_mb": round(points[0][1], 1),
                "last_mb": round(points[-1][1], 1),
                "max_mb": round(max(p[1] for p in points), 1),
                "slope_mb_per_min": round(per_second * 60, 3),
                "trend_mb": round(per_second * seconds, 2),
            }
        )
    return result

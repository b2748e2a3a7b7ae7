"""The benchmark run: `python -m bench` (full) or `python -m bench --quick` (BENCH_QUICK=1).

Phases, in order: the database (dropped and recreated, migrated, static files collected), the
cohorts, then the measurements that run in this process against PostgreSQL (query counts, EXPLAIN,
charts, planning), then the stack on loopback (gunicorn and a Celery worker; beat joins for the
lateness and endurance phases, where its ticks are what is measured, and is kept out of the
throughput rounds, where a tick landing in one round and not the next would be noise). Results go
to bench/results/<timestamp>.json and .md; a full run also rewrites the results section of
docs/BENCHMARKS.md. Every process started is stopped at the end, whatever happened.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

from bench import stack as stack_module
from bench.stack import ROOT, Stack

RESULTS = ROOT / "bench" / "results"
DOCUMENT = ROOT / "docs" / "BENCHMARKS.md"

FULL = {
    "cohorts": [1_000, 10_000, 100_000],
    "writers": 2,
    "web_rounds": 3,
    "web_seconds": 12,
    "web_users": 6,
    "web_warmup": 4,
    "web_infants": 12,
    "profile_seconds": 10,
    "dispatch_count": 5_000,
    "dispatch_rounds": 3,
    "lateness_count": 50_000,
    "lateness_deadline": 900,
    "endurance_seconds": 600,
    "endurance_users": 10,
    "endurance_per_plant": 40,
    "planning_courses": 10_000,
    "planning_budget": 400,
    "planning_profile": 1000,
    "chart_rounds": 5,
    "chart_per_round": 8,
    "chart_memory_renders": 1_000,
    "explain_backlog": 1_000,
}
QUICK = {
    **FULL,
    "cohorts": [1_000],
    "writers": 1,
    "web_rounds": 3,
    "web_seconds": 6,
    "web_warmup": 2,
    "web_infants": 8,
    "dispatch_count": 1_000,
    "lateness_count": 5_000,
    "lateness_deadline": 300,
    "endurance_seconds": 60,
    "endurance_per_plant": 10,
    "planning_courses": 500,
    "planning_budget": 60,
    "planning_profile": 30,
    "chart_rounds": 3,
    "chart_per_round": 3,
    "chart_memory_renders": 150,
    "profile_seconds": 5,
    "endurance_users": 6,
}
PHASES = ("queries", "explain", "charts", "planning", "web", "dispatch", "lateness", "endurance")


def log(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


def _stop_on_signal() -> None:
    """Ctrl-C or a plain `kill` ends a run as an interrupted phase does: the phase in progress is
    recorded as interrupted, what was measured so far is written, and every process the run
    started is stopped. SIGINT is set again as well because a shell that starts a job in the
    background (`make bench &`, nohup) starts it with SIGINT ignored, and SIGTERM would
    otherwise end the run at once with its results unwritten."""

    def stop(signum: int, frame) -> None:
        raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1"
    )
    parser.add_argument("--only", help=f"comma-separated phases among {', '.join(PHASES)}")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database and cohorts of the previous run (development of the harness)",
    )
    parser.add_argument("--endurance-seconds", type=int)
    parser.add_argument("--write-doc", action="store_true", help="also after a quick run")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--drop", action="store_true", help="drop the bench database at the end")
    args = parser.parse_args(argv)
    _stop_on_signal()

    config = dict(QUICK if args.quick else FULL)
    if args.endurance_seconds:
        config["endurance_seconds"] = args.endurance_seconds
    phases = set(args.only.split(",")) if args.only else set(PHASES)
    started = datetime.datetime.now(datetime.UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    run_dir = RESULTS / stamp
    run_dir.mkdir(parents=True)
    env = stack_module.environment(run_dir)
    os.environ.update(env)
    command = "make bench-quick" if args.quick else "make bench"
    results: dict = {
        "started": started.strftime("%Y-%m-%d %H:%M"),
        "mode": "quick" if args.quick else "full",
        "command": command,
        "config": config,
        "load_start": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "errors": {},
    }
    world_file = RESULTS / "world.json"
    if not args.reuse:
        log(f"database {stack_module.DATABASE}: dropped and created")
        stack_module.recreate_database()
    stack_module.clear_redis()

    import django

    django.setup()
    from django.core.management import call_command

    log("migrate, collectstatic")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    results["machine"] = _machine()

    stack = Stack(run_dir, env)
    memory: dict = {}
    if args.reuse and world_file.exists():
        world = json.loads(world_file.read_text())
        results["seeding"] = world["seeding"]
        if "charts" in phases:
            memory["process"] = _chart_memory(stack, world["cohorts"][0], config)
    else:
        world = _seed(config, results, stack, memory, chart_memory="charts" in phases)
        world_file.write_text(json.dumps(world, indent=1))

    try:
        _phases(stack, world, config, phases, results, memory)
    finally:
        if memory.get("process") and memory["process"].poll() is None:
            memory["process"].kill()
        log("stopping the stack")
        stack.stop()
        results["load_end"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        results["minutes"] = (datetime.datetime.now(datetime.UTC) - started).total_seconds() / 60
        _write(results, stamp, write_doc=(not args.quick or args.write_doc) and not args.no_doc)
        if args.drop:
            from django.db import connections

            connections.close_all()
            stack_module.drop_database()
    return 0


def _machine() -> dict:
    import redis
    from django.db import connection

    from bench import report

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        database_version = f"PostgreSQL {cursor.fetchone()[0]}"
    info = redis.Redis.from_url(stack_module.REDIS_URL).info("server")
    return report.machine(database_version=database_version, redis_version=info["redis_version"])


def _chart_memory(stack: Stack, cohort_data: dict, config: dict) -> subprocess.Popen:
    """The chart memory run, in its own process. Resident size does not depend on how fast the
    renders go, so it runs beside the seeding of the larger cohorts instead of after it."""
    log("chart memory run started in the background")
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "bench.charts",
            "--memory",
            f"--infant={cohort_data['full_history'][0]}",
            f"--renders={config['chart_memory_renders']}",
        ],
        cwd=ROOT,
        env=stack.env,
        stdout=(stack.run_dir / "chart-memory.json").open("w"),
        stderr=(stack.run_dir / "chart-memory.log").open("w"),
    )


def _seed(config: dict, results: dict, stack: Stack, memory: dict, *, chart_memory: bool) -> dict:
    from django.db import connection

    from bench import cohort, world
    from patients import models as m

    rng = random.Random(20_261_121)  # noqa: S311 - synthetic data, not secrets
    world_data: dict = {"cohorts": []}
    seeding = []
    templates = None
    for size in config["cohorts"]:
        tag = f"b{size // 1000}k"
        clinic, staff, lead = world.make_clinic(f"Bench cohort {size:,}", tag)
        if templates is None:
            log(f"{cohort.TEMPLATES} record templates (growth scores and lab flags)")
            templates = [cohort.make_template(rng, clinic) for _ in range(cohort.TEMPLATES)]
        log(f"seeding {size:,} infants")
        result = cohort.seed_cohort(
            clinic=clinic,
            infants=size,
            templates=templates,
            staff=m.User.objects.get(pk=staff.user_id),
            seed=size,
            tag=tag.upper(),
            processes=config["writers"],
            progress=log,
        )
        seeding.append(
            {"clinic": clinic.name, "infants": size, "rows": result.rows, "seconds": result.seconds}
        )
        world_data["cohorts"].append(
            {
                "size": size,
                "clinic": str(clinic.pk),
                "staff": staff.__dict__,
                "lead": lead.__dict__,
                "full_history": result.full_history,
                "short_history": result.short_history,
            }
        )
        if chart_memory and "process" not in memory:
            memory["process"] = _chart_memory(stack, world_data["cohorts"][0], config)
    log("VACUUM ANALYZE")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    results["vacuum_seconds"] = round(time.monotonic() - started, 1)
    results["seeding"] = seeding
    world_data["seeding"] = seeding
    return world_data


def _phase(name: str, phases: set, results: dict):
    """Run a phase's body, recording its failure instead of losing the rest of the run."""

    class Guard:
        def __enter__(self):
            self.run = name in phases
            if self.run:
                log(f"phase: {name}")
                self.started = time.monotonic()
            return self

        def __exit__(self, kind, error, tb):
            if not self.run:
                return False
            if error is not None:
                results["errors"][name] = "".join(traceback.format_exception(kind, error, tb))
                log(f"phase {name} failed: {error!r}")
            else:
                log(f"phase {name}: {time.monotonic() - self.started:.0f} s")
            return error is not None and not isinstance(error, KeyboardInterrupt)

    return Guard()


def _phases(
    stack: Stack, world_data: dict, config: dict, phases: set, results: dict, memory: dict
) -> None:
    from patients import models as m

    biggest = world_data["cohorts"][-1]
    clinic = m.Clinic.objects.get(pk=biggest["clinic"])
    staff = m.User.objects.get(pk=biggest["staff"]["user_id"])
    results["web_cohort"] = f" ({biggest['size']:,}-infant cohort)"
    token = _local_token(staff)

    with _phase("queries", phases, results) as phase:
        if phase.run:
            from bench import queries

            results["queries"] = queries.count(
                staff=staff,
                token=token,
                short=biggest["short_history"][0],
                full=queries.comparable(biggest["full_history"]),
                year=queries.one_year(biggest["clinic"]),
            )

    with _phase("explain", phases, results) as phase:
        if phase.run:
            from bench import explain

            results["explain"] = {
                "infants": biggest["size"],
                "total_infants": m.Infant.objects.count(),
                "backlog": config["explain_backlog"],
                "queries": explain.explain_all(
                    clinic=clinic, staff=staff, token=token, backlog=config["explain_backlog"]
                ),
            }

    with _phase("charts", phases, results) as phase:
        if phase.run:
            from bench import charts

            infant = biggest["full_history"][0]
            render = charts.render_ratio(
                infant, rounds=config["chart_rounds"], per_round=config["chart_per_round"]
            )
            results["charts"] = {"render": render}
            process = memory["process"]
            log("  waiting for the chart memory run")
            if process.wait(timeout=1800) != 0:
                raise RuntimeError((stack.run_dir / "chart-memory.log").read_text()[-3000:])
            results["charts"]["memory"] = json.loads(
                (stack.run_dir / "chart-memory.json").read_text()
            )

    with _phase("planning", phases, results) as phase:
        if phase.run:
            from bench import cohort, planning, world

            stamp = datetime.datetime.now().strftime("%H%M%S")
            pclinic, pstaff, _ = world.make_clinic(f"Bench planning {stamp}", f"plan{stamp}")
            staff_user = m.User.objects.get(pk=pstaff.user_id)
            target = config["planning_courses"]
            log(f"  {target:,} infants to plan for")
            ids = cohort.seed_unplanned_infants(
                clinic=pclinic,
                infants=target + config["planning_profile"] + 1,
                staff=staff_user,
                seed=7,
                tag=f"P{stamp}",
            )
            results["planning"] = planning.plan_courses(
                target=target,
                infant_ids=ids,
                staff=staff_user,
                budget_seconds=config["planning_budget"],
                profile_n=config["planning_profile"],
            )

    needs_web = phases & {"web", "dispatch", "lateness", "endurance"}
    if not needs_web:
        return
    log("starting gunicorn (2 workers) and the Celery worker (2 processes)")
    stack.start_web(workers=2)
    stack.start_worker(concurrency=2)
    data_file = _load_data(stack, biggest, config)

    with _phase("web", phases, results) as phase:
        if phase.run:
            from bench import web

            log("  drawing the charts the rounds read")
            web.warm(stack, json.loads(data_file.read_text()))
            results["web"] = web.rounds(
                stack,
                data_file,
                rounds=config["web_rounds"],
                seconds=config["web_seconds"],
                users=config["web_users"],
                warmup=config["web_warmup"],
            )
            log("  profile rounds (py-spy on gunicorn's workers)")
            results["web_profiles"] = web.profiles(
                stack, data_file, seconds=config["profile_seconds"], users=config["web_users"]
            )

    with _phase("dispatch", phases, results) as phase:
        if phase.run:
            from bench import dispatch

            results["dispatch"] = dispatch.throughput(
                clinic,
                count=config["dispatch_count"],
                rounds=config["dispatch_rounds"],
                timeout=600,
            )
            log("  profile round (py-spy on the worker)")
            results["dispatch_profile"] = dispatch.profiled_round(
                clinic,
                count=config["dispatch_count"],
                worker_pid=stack.processes["worker"].pid,
                output=stack.run_dir / "profile-dispatch.txt",
            )

    if phases & {"lateness", "endurance"}:
        log("starting beat")
        stack.start_beat()
        beat_started = time.monotonic()

    with _phase("lateness", phases, results) as phase:
        if phase.run:
            from bench import dispatch

            results["lateness"] = dispatch.lateness(
                clinic,
                count=config["lateness_count"],
                deadline_seconds=config["lateness_deadline"],
                beat_started=beat_started,
            )

    with _phase("endurance", phases, results) as phase:
        if phase.run:
            from bench import endurance

            results["endurance"] = endurance.run(
                stack,
                clinic=clinic,
                data_file=data_file,
                seconds=config["endurance_seconds"],
                users=config["endurance_users"],
                per_plant=config["endurance_per_plant"],
                sample_every=5,
            )


def _local_token(staff) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=staff)[0].key


def _load_data(stack: Stack, cohort_data: dict, config: dict) -> Path:
    """Credentials obtained as clients obtain them, and the infants the load reads."""
    from bench import load, world

    staff = world.Staff(**cohort_data["staff"])
    return load.write_data(
        stack.run_dir / "load.json",
        token=world.api_token(stack.url, staff),
        session=world.session_cookie(stack.url, staff),
        infants=cohort_data["full_history"][: config["web_infants"]],
        list_pages=cohort_data["size"] // 50,
    )


def _write(results: dict, stamp: str, *, write_doc: bool) -> None:
    from bench import report

    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=1, default=str))
    try:
        section = report.markdown(results)
    except Exception:
        log("the report could not be written:\n" + traceback.format_exc())
        return
    (RESULTS / f"{stamp}.md").write_text(section)
    log(f"results: {RESULTS / stamp}.json and .md")
    if write_doc:
        report.update_document(DOCUMENT, section)
        log(f"{DOCUMENT.relative_to(ROOT)} updated")
    if results["errors"]:
        log(f"phases that failed: {', '.join(results['errors'])}")


if __name__ == "__main__":
    sys.exit(main())

"""EXPLAIN (ANALYZE, BUFFERS) of the queries that must stay fast at 100,000 infants.

The statements are not written out here: they are captured from the product's own code paths
(the dispatcher's claim, the reaper, the missed-dose job, and the staff worklist page rendered for
a member of the cohort's clinic), so a change in the product is measured as it is. Statements
that write are explained inside a savepoint that is rolled back; the dispatcher's claim is
explained with a backlog of due rows inserted for the occasion, also rolled back.

A plan passes when it finishes under the time limit and reads no large table with a sequential
scan (a scan of a table of a few hundred rows is the planner's right choice, not a missing index).
"""

from __future__ import annotations

import datetime
import json
import re

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.bulkcopy import Rows, new_id
from patients import models as m
from patients.services import dispatch
from patients.services.reminders.loop import mark_missed_doses

LIMIT_MS = 50.0
#: A sequential scan over fewer rows than this is cheaper than any index; over more it is a miss.
LARGE_TABLE_ROWS = 10_000
_TABLE = re.compile(r'\bFROM\s+"([a-z_0-9]+)"', re.IGNORECASE)


def _explain(sql: str, params=None) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT bench_explain")
        try:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = plan if isinstance(plan, list) else json.loads(plan)
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            text = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("ROLLBACK TO SAVEPOINT bench_explain")
    return {"json": plan[0], "text": text}


def _row_estimates() -> dict[str, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND relnamespace = "
            "'public'::regnamespace"
        )
        return dict(cursor.fetchall())


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def judge(name: str, sql: str, explained: dict, sizes: dict[str, float]) -> dict:
    top = explained["json"]
    scans = []
    for node in _nodes(top["Plan"]):
        if "Relation Name" in node:
            scans.append(
                {
                    "node": node["Node Type"],
                    "relation": node["Relation Name"],
                    "index": node.get("Index Name"),
                    "rows": node.get("Actual Rows"),
                }
            )
    large_seq = [
        s
        for s in scans
        if s["node"] == "Seq Scan" and sizes.get(s["relation"], 0) >= LARGE_TABLE_ROWS
    ]
    total = top["Planning Time"] + top["Execution Time"]
    return {
        "name": name,
        "sql": sql,
        "planning_ms": round(top["Planning Time"], 2),
        "execution_ms": round(top["Execution Time"], 2),
        "total_ms": round(total, 2),
        "scans": scans,
        "large_sequential_scans": large_seq,
        "ok": total < LIMIT_MS and not large_seq,
        "plan": explained["text"],
    }


def _backlog(count: int, *, clinic: m.Clinic) -> None:
    """`count` reminders due a minute ago: what one tick finds after a minute's worth piles up."""
    now = timezone.now()
    pairs = list(
        m.InfantGuardian.objects.filter(infant__clinic=clinic).values_list(
            "infant_id", "guardian_id"
        )[:count]
    )
    rows = Rows(m.PlannedMessage, now=now, reason="")
    for n in range(count):
        infant_id, guardian_id = pairs[n % len(pairs)]
        rows.add(
            id=new_id(),
            slot_key=f"bench-explain:{n}:{new_id()}",
            guardian_id=guardian_id,
            infant_id=infant_id,
            kind="visit_morning_of",
            channel="sms",
            due_at=now - datetime.timedelta(minutes=1),
            event_on=now.date(),
        )
    rows.flush()


def _captured(run) -> list[str]:
    """The statements `run` sends, captured inside a savepoint that is then rolled back."""
    with CaptureQueriesContext(connection) as captured:
        sid = transaction.savepoint()
        try:
            run()
        finally:
            transaction.savepoint_rollback(sid)
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]


def explain_all(
    *, clinic: m.Clinic, staff: m.User, token: str | None = None, backlog: int = 1000
) -> list[dict]:
    sizes = _row_estimates()
    results: list[dict] = []
    now = timezone.now()
    with transaction.atomic():
        _backlog(backlog, clinic=clinic)
        sizes["patients_plannedmessage"] = sizes.get("patients_plannedmessage", 0) + backlog

        claim = _captured(lambda: dispatch.claim_due(now=timezone.now()))
        for sql, name in zip(
            claim,
            (
                "dispatch: claim due reminders (SELECT ... FOR UPDATE SKIP LOCKED)",
                "dispatch: mark the claimed rows sending (UPDATE)",
            ),
            strict=False,
        ):
            results.append(judge(name, sql, _explain(sql), sizes))

        reap = _captured(lambda: dispatch.reap_stuck(now=now))
        for sql in reap:
            results.append(judge("reaper: rows stuck in sending", sql, _explain(sql), sizes))

        missed = [
            sql
            for sql in _captured(lambda: mark_missed_doses(now=now))
            if _main_table(sql) == "patients_planneddose"
        ]
        if missed:
            results.append(
                judge(
                    "missed-dose job: doses whose day ended", missed[0], _explain(missed[0]), sizes
                )
            )

        client = Client()
        client.force_login(staff)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(
                "/worklist/", HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="127.0.0.1"
            )
        assert response.status_code == 200, response.status_code
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT"):
                continue
            main = _main_table(sql)
            if main in (
                "django_session",
                "patients_user",
                "patients_clinicmembership",
                "patients_clinic",
            ):
                continue
            results.append(judge(f"worklist: {_label(sql, main)}", sql, _explain(sql), sizes))

        if token:
            # Not part of the row's verdict, but what the infant list target waits for.
            with CaptureQueriesContext(connection) as captured:
                response = client.get(
                    "/api/v1/infants/?page=7&page_size=50",
                    HTTP_AUTHORIZATION=f"Token {token}",
                    HTTP_X_FORWARDED_PROTO="https",
                    HTTP_HOST="127.0.0.1",
                )
            assert response.status_code == 200, response.status_code
            for query in captured.captured_queries:
                sql = query["sql"]
                if sql.startswith("SELECT") and _main_table(sql) == "patients_infant":
                    kind = "count" if sql.startswith("SELECT COUNT(") else "page 7 of 50 rows"
                    entry = judge(f"infant list API ({kind})", sql, _explain(sql), sizes)
                    entry["informational"] = True
                    results.append(entry)
        transaction.set_rollback(True)
    return results


def _main_table(sql: str) -> str:
    tables = _TABLE.findall(sql)
    return tables[0] if tables else "?"


def _label(sql: str, table: str) -> str:
    kind = "count" if sql.startswith("SELECT COUNT(") else "rows"
    hints = {
        "patients_planneddose": "doses",
        "patients_alert": "open alerts",
        "patients_plannedmessage": "failed reminders",
        "patients_reviewtask": "reviews due",
    }
    what = hints.get(table, table)
    if table == "patients_planneddose":
        what = "missed doses" if "'missed'" in sql else "doses due today"
    return f"{what} ({kind})"

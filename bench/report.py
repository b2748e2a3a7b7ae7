"""The machine, read at run time, and the results as Markdown: a file per run, and the section of
docs/BENCHMARKS.md between its markers (the rest of that document is written by hand)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
from pathlib import Path

import psutil

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"


def machine(*, database_version: str, redis_version: str) -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    os_name = platform.platform()
    if Path("/etc/os-release").exists():
        release = dict(
            line.split("=", 1)
            for line in Path("/etc/os-release").read_text().splitlines()
            if "=" in line
        )
        os_name = release.get("PRETTY_NAME", os_name).strip('"')
    versions = {}
    for package in (
        "Django",
        "djangorestframework",
        "celery",
        "gunicorn",
        "psycopg",
        "matplotlib",
        "locust",
    ):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "-"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": database_version,
        "redis": redis_version,
        "packages": versions,
    }


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _met(flag) -> str:
    if flag is None:
        return "not measured"
    return "**met**" if flag else "**not met**"


def rows(results: dict) -> list[tuple[str, str, str, str, str]]:
    """(target, required, measured, absolute figures, met) for every row of the issue's table."""
    out = []
    web = results.get("web", {}).get("scenarios", {})

    def web_row(name: str, scenario: str, required: float, baseline: str):
        entry = web.get(scenario)
        if not entry:
            out.append((name, f">= {required} x bare DRF", "-", "-", _met(None)))
            return
        base = web[baseline]
        ratio = entry["ratio"]
        out.append(
            (
                name,
                f">= {required:.2f} x bare DRF",
                f"{ratio:.2f} x (rounds: {', '.join(f'{r:.2f}' for r in entry['ratios'])})",
                f"{entry['median_rps']:.0f} req/s vs {base['median_rps']:.0f} req/s; median "
                f"{entry['median_latency_ms']:.0f} ms, p95 {entry['p95_latency_ms']:.0f} ms; "
                f"{entry['failures']} failed of {entry['requests']}",
                _met(ratio >= required and entry["failures"] == 0),
            )
        )

    cohort = results.get("web_cohort", "")
    web_row(
        f"scoped, authenticated infant list (page of 50){cohort}", "infant-list", 0.25, "bare-token"
    )
    web_row(f"infant detail{cohort}", "infant-detail", 0.40, "bare-token")
    web_row(
        f"staff infant page (HTML, two years of history){cohort}",
        "infant-page",
        0.20,
        "bare-session",
    )

    queries = results.get("queries")
    if queries:
        parts = []
        for name, entry in queries.items():
            counts = ", ".join(f"{v}: {c['queries']}" for v, c in entry["counts"].items())
            parts.append(f"{name}: {counts}")
        out.append(
            (
                "queries per list, detail and page request",
                "constant in page size and history length",
                ("constant" if all(e["constant"] for e in queries.values()) else "varies")
                + " (the month-old record, with no Denver II yet, is shown for the record)",
                "; ".join(parts),
                _met(all(e["constant"] for e in queries.values())),
            )
        )
    else:
        out.append(("queries per list, detail and page request", "constant", "-", "-", _met(None)))

    d = results.get("dispatch")
    if d and d.get("complete"):
        out.append(
            (
                "reminder dispatch through Celery and Redis",
                ">= 1.0 x no-op task throughput",
                f"{d['ratio']:.2f} x (rounds: {', '.join(f'{r:.2f}' for r in d['ratios'])})",
                f"{d['dispatch_per_second']:.0f} reminders/s vs {d['noop_per_second']:.0f} no-op "
                f"tasks/s; {d['count']:,} per round",
                _met(d["ratio"] >= 1.0),
            )
        )
    else:
        out.append(
            ("reminder dispatch through Celery and Redis", ">= 1.0 x no-op", "-", "-", _met(None))
        )

    late = results.get("lateness")
    if late:
        gw = late["gateway"]
        p99 = late["p99_s"]
        out.append(
            (
                f"reminder lateness, {late['count']:,} due at once",
                "p99 of sent - due <= 60 s",
                f"p99 {_fmt(p99, 1)} s"
                + ("" if late["complete"] else " (not all sent by the deadline)"),
                f"p50 {_fmt(late['p50_s'], 1)} s, p90 {_fmt(late['p90_s'], 1)} s, max "
                f"{_fmt(late['max_s'], 1)} s; first send began {_fmt(late['first_claim_after_s'], 1)} s "
                f"after due; gateway: {gw['once']:,} once, {gw['more_than_once']} twice or more, "
                f"{gw['never']} never",
                _met(late["complete"] and p99 is not None and p99 <= 60),
            )
        )
    else:
        out.append(("reminder lateness", "p99 <= 60 s", "-", "-", _met(None)))

    p = results.get("planning")
    if p:
        measured = f"{_fmt(p['seconds_for_10000'], 1)} s for 10,000 courses"
        if p["courses_timed"] != 10_000:
            measured += f" (extrapolated from {p['courses_timed']:,} courses in {p['seconds']} s)"
        out.append(
            (
                "planning 10,000 courses (18 months of doses and reminders) on PostgreSQL",
                "<= 30 s",
                measured,
                f"`start_courses` in batches of {p['batch']:,}: {p['courses_per_second']} "
                f"courses/s; {p['doses_per_course']} doses and {p['messages_per_course']} "
                f"reminders per course; {_batch_queries(p)}; then, after each commit, the alert "
                f"refresh: {p['alert_ms_per_infant']} ms per infant, {p['alert_seconds']} s in all "
                f"(not part of the plan); one course alone through `start_course`: "
                f"{p['single_course']['seconds'] * 1000:.0f} ms and "
                f"{p['single_course']['queries']} queries",
                _met(p["seconds_for_10000"] is not None and p["seconds_for_10000"] <= 30),
            )
        )
    else:
        out.append(("planning courses", "<= 30 s", "-", "-", _met(None)))

    c = results.get("charts")
    if c:
        r = c["render"]
        out.append(
            (
                "chart render",
                "<= 2 x calibration figure",
                f"{r['ratio']:.2f} x (rounds: {', '.join(f'{x:.2f}' for x in r['ratios'])})",
                f"{r['chart']}: {_fmt(min(r['chart_ms']), 0)}-{_fmt(max(r['chart_ms']), 0)} ms; "
                f"calibration {_fmt(min(r['calibration_ms']), 0)}-{_fmt(max(r['calibration_ms']), 0)} ms",
                _met(r["ratio"] <= 2.0),
            )
        )
        mem = c.get("memory")
        if mem:
            out.append(
                (
                    f"chart memory over {mem['renders']:,} renders",
                    "growth < 20 MB",
                    f"{mem['growth_mb']:.1f} MB",
                    f"RSS {mem['rss_before_mb']} MB after {mem['warmup']} warm-up renders, "
                    f"{mem['rss_after_mb']} MB after {mem['renders']:,} more ({mem['seconds']} s)",
                    _met(mem["growth_mb"] < 20),
                )
            )
    else:
        out.append(("chart render", "<= 2 x calibration", "-", "-", _met(None)))
        out.append(("chart memory over 1,000 renders", "growth < 20 MB", "-", "-", _met(None)))
    web_row(f"cached chart{cohort}", "cached-chart", 0.8, "bare-token")

    e = results.get("explain")
    if e:
        judged = [q for q in e["queries"] if not q.get("informational")]
        slow = [q for q in judged if not q["ok"]]
        worst = max(judged, key=lambda q: q["total_ms"])
        out.append(
            (
                f"due-reminder and worklist queries at {e['infants']:,} infants",
                "index scans, < 50 ms",
                f"{len(judged) - len(slow)} of {len(judged)} pass",
                f"slowest: {worst['name']} {worst['total_ms']:.1f} ms"
                + (f"; failing: {', '.join(q['name'] for q in slow)}" if slow else ""),
                _met(not slow),
            )
        )
    else:
        out.append(
            ("due-reminder and worklist queries", "index scans, < 50 ms", "-", "-", _met(None))
        )

    en = results.get("endurance")
    if en:
        worst_trend = max((p["trend_mb"] for p in en["memory"]), default=0)
        out.append(
            (
                f"endurance ({en['seconds'] / 60:.0f} min mixed load, 2 gunicorn workers, 2 Celery "
                "workers, beat)",
                "no error, no lost or duplicate reminder, no memory trend",
                f"errors: {'none' if en['no_error'] else 'yes'}; lost/duplicate: "
                f"{'none' if en['no_lost_or_duplicate'] else 'yes'}; memory trend: "
                f"{'none' if en['no_memory_trend'] else 'yes'}",
                f"{en['requests']:,} requests ({en['rps']:.1f}/s), {en['failures']} failed; "
                f"{en['reminders_planted']:,} reminders planted, {en['reminders_unsent']} unsent, "
                f"{en['gateway']['more_than_once']} handed over twice; largest fitted memory "
                f"change {worst_trend:+.1f} MB over the run",
                _met(en["no_error"] and en["no_lost_or_duplicate"] and en["no_memory_trend"]),
            )
        )
    else:
        out.append(("endurance", "no error, no loss, no memory trend", "-", "-", _met(None)))
    return out


def _table(header: list[str], body: list) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in body:
        lines.append(
            "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |"
        )
    return "\n".join(lines)


def markdown(results: dict) -> str:
    m = results["machine"]
    parts = [
        f"Run of {results['started']} UTC, `{results['command']}` "
        f"({results['mode']} mode), {results['minutes']:.0f} minutes. "
        f"Load average at the start {results['load_start']}, at the end {results['load_end']} "
        "(the machine is shared: other work ran beside this run).",
        "",
        *[f"Note: {note}" for note in results.get("notes", [])],
        *([""] if results.get("notes") else []),
        "### Machine",
        "",
        _table(
            ["", ""],
            [
                ("CPU", f"{m['cpu']}, {m['cores']} cores"),
                ("memory", f"{m['memory_gb']} GB"),
                ("OS", f"{m['os']} (kernel {m['kernel']})"),
                ("PostgreSQL", m["postgresql"]),
                ("Redis", m["redis"]),
                ("Python", m["python"]),
                ("packages", ", ".join(f"{k} {v}" for k, v in m["packages"].items())),
            ],
        ),
        "",
        "### Targets",
        "",
        _table(["target", "required", "measured", "absolute figures", "met"], rows(results)),
        "",
    ]
    parts += _details(results)
    return "\n".join(parts) + "\n"


def _details(results: dict) -> list[str]:
    out: list[str] = ["### Details", ""]
    seeding = results.get("seeding")
    if seeding:
        out += [
            "Cohorts seeded:",
            "",
            _table(
                ["clinic", "infants", "rows", "seconds"],
                [
                    (s["clinic"], f"{s['infants']:,}", f"{s['rows']:,}", f"{s['seconds']:.0f}")
                    for s in seeding
                ],
            ),
            "",
        ]
    web = results.get("web")
    if web:
        out += [
            f"Web rounds ({web['rounds']} rounds of {web['seconds']:.0f} s, {web['users']} users, "
            f"against the {results.get('web_cohort', '').strip(' ()')}), requests per second by round:",
            "",
            _table(
                ["scenario", "rounds (req/s)", "median req/s", "median ms", "p95 ms", "ratio"],
                [
                    (
                        name,
                        ", ".join(f"{x:.0f}" for x in e["rps"]),
                        f"{e['median_rps']:.0f}",
                        f"{e['median_latency_ms']:.0f}",
                        f"{e['p95_latency_ms']:.0f}",
                        f"{e['ratio']:.2f} x {e['baseline']}" if "ratio" in e else "baseline",
                    )
                    for name, e in web["scenarios"].items()
                ],
            ),
            "",
        ]
    d = results.get("dispatch")
    if d and d.get("complete"):
        out += [
            "Dispatch rounds (reminders or no-op tasks per second):",
            "",
            _table(
                ["round", "no-op tasks/s", "reminders/s", "ratio"],
                [
                    (i + 1, f"{n['per_second']:.0f}", f"{x['per_second']:.0f}", f"{r:.2f}")
                    for i, (n, x, r) in enumerate(
                        zip(d["noop"], d["dispatch"], d["ratios"], strict=True)
                    )
                ],
            ),
            "",
        ]
    e = results.get("explain")
    if e:
        out += [
            f"EXPLAIN (ANALYZE, BUFFERS) at {e['infants']:,} infants in the clinic "
            f"({e['total_infants']:,} in the database), with a backlog of {e['backlog']:,} due "
            "reminders for the claim:",
            "",
            _table(
                ["query", "planning + execution ms", "scans", "ok"],
                [
                    (
                        q["name"],
                        f"{q['planning_ms']:.1f} + {q['execution_ms']:.1f}",
                        "; ".join(
                            f"{s['node']} on {s['relation']}"
                            + (f" ({s['index']})" if s["index"] else "")
                            for s in q["scans"]
                        ),
                        "(not judged)"
                        if q.get("informational")
                        else "yes"
                        if q["ok"]
                        else "**no**",
                    )
                    for q in e["queries"]
                ],
            ),
            "",
            "<details><summary>Plans</summary>",
            "",
        ]
        for q in e["queries"]:
            out += [f"**{q['name']}**", "", "```", q["plan"], "```", ""]
        out += ["</details>", ""]
    p = results.get("planning")
    if p:
        out += [
            f"Planning profile (one batch of {p['profiled_courses']} courses through "
            "`start_courses`, cProfile, cumulative):",
            "",
            "<details><summary>Profile</summary>",
            "",
            "```",
            _trim_profile(p["profile"]),
            "```",
            "",
            "</details>",
            "",
        ]
    profiles = dict(results.get("web_profiles") or {})
    if results.get("dispatch_profile"):
        profiles["reminder dispatch (worker)"] = results["dispatch_profile"]
    for name, summary in profiles.items():
        if not summary.get("samples"):
            continue
        out += [
            f"Profile of {name} (py-spy, {summary['samples']:,} samples; % of samples with the "
            "function on the stack, and on top of it):",
            "",
            "<details><summary>Profile</summary>",
            "",
            "The tracker's own functions, by time spent in them and their callees:",
            "",
            _table(
                ["function", "inclusive %", "self %"],
                [(f["function"], f["inclusive"], f["self"]) for f in summary["project"]],
            ),
            "",
            "What runs, by self time:",
            "",
            _table(
                ["function", "inclusive %", "self %"],
                [(f["function"], f["inclusive"], f["self"]) for f in summary["self"]],
            ),
            "",
            "</details>",
            "",
        ]
    c = results.get("charts")
    if c:
        out += [
            "Every infant chart, drawn and saved (median of 3, ms): "
            + ", ".join(f"{k} {v}" for k, v in c["render"]["every_chart_ms"].items()),
            "",
        ]
    en = results.get("endurance")
    if en:
        out += [
            "Endurance memory (resident size, MB; trend = fitted slope x run length after the "
            "first fifth):",
            "",
            _table(
                ["process", "pid", "first", "last", "max", "MB/min", "trend over run"],
                [
                    (
                        p["process"],
                        p["pid"],
                        p["first_mb"],
                        p["last_mb"],
                        p["max_mb"],
                        p["slope_mb_per_min"],
                        p["trend_mb"],
                    )
                    for p in en["memory"]
                ],
            ),
            "",
        ]
        if not en["no_error"]:
            out += ["Errors seen:", "", "```"]
            for kind in en["failure_kinds"]:
                out.append(f"{kind['count']} x {kind['name']}: {kind['error']}")
            for name, lines in en["log_errors"].items():
                out += [f"{name}: {line}" for line in lines]
            out += ["```", ""]
    return out


def _batch_queries(p: dict) -> str:
    q = p.get("queries_per_batch")
    return (
        f"{q['queries']} statements for a batch of {q['courses']:,} until its commit"
        if q
        else "no batch counted"
    )


def _trim_profile(text: str) -> str:
    lines = text.strip().splitlines()
    keep = [line for line in lines if line.strip() and not line.startswith("   Ordered by")]
    noise = re.compile(
        re.escape(str(Path(__file__).resolve().parents[1])) + r"/|\S*/site-packages/"
    )
    return "\n".join(noise.sub("", line) for line in keep[:40])


def update_document(path: Path, section: str) -> None:
    text = path.read_text()
    if START not in text or END not in text:
        raise RuntimeError(f"{path} has no {START} ... {END} markers")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    path.write_text(f"{before}{START}\n{section}\n{END}{after}")

"""Rounds of load with Locust (headless, bounded by --run-time), read back from its CSV stats."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

from bench.stack import BIN, ROOT, Stack

LOCUSTFILE = ROOT / "bench" / "locustfile.py"


def write_data(path: Path, **data) -> Path:
    path.write_text(json.dumps(data))
    return path


def command(stack: Stack, *, seconds: float, users: int, csv_prefix: Path) -> list[str]:
    return [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        f"--users={users}",
        f"--spawn-rate={users}",
        f"--run-time={int(seconds)}s",
        f"--host={stack.url}",
        f"--csv={csv_prefix}",
        "--only-summary",
        "--stop-timeout=5",
        "--loglevel=WARNING",
        "--exit-code-on-error=0",
    ]


def run(stack: Stack, scenario: str, *, seconds: float, users: int, data: Path, label: str) -> dict:
    """One round of `scenario`; its throughput, latencies and failures."""
    folder = stack.run_dir / "locust"
    folder.mkdir(exist_ok=True)
    prefix = folder / label
    env = {**stack.env, "BENCH_SCENARIO": scenario, "BENCH_DATA": str(data)}
    with (folder / f"{label}.log").open("w") as log:
        subprocess.run(  # noqa: S603 - fixed arguments
            command(stack, seconds=seconds, users=users, csv_prefix=prefix),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=seconds + 120,
            check=True,
        )
    return read_stats(prefix)


def start(stack: Stack, scenario: str, *, seconds: float, users: int, data: Path, label: str):
    """The same, in the background (the endurance load); read it with read_stats when done."""
    folder = stack.run_dir / "locust"
    folder.mkdir(exist_ok=True)
    prefix = folder / label
    env = {**stack.env, "BENCH_SCENARIO": scenario, "BENCH_DATA": str(data)}
    log = (folder / f"{label}.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        command(stack, seconds=seconds, users=users, csv_prefix=prefix),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, prefix


def read_stats(prefix: Path) -> dict:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_name = {row["Name"]: row for row in rows}
    total = by_name["Aggregated"]

    def figures(row: dict) -> dict:
        return {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": float(row["Requests/s"]),
            "median_ms": float(row["Median Response Time"] or 0),
            "p95_ms": float(row["95%"] or 0) if row.get("95%") not in (None, "N/A") else None,
            "p99_ms": float(row["99%"] or 0) if row.get("99%") not in (None, "N/A") else None,
        }

    result = figures(total)
    result["by_name"] = {
        name: figures(row) for name, row in by_name.items() if name != "Aggregated"
    }
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with failures.open(newline="") as handle:
            result["failure_kinds"] = [
                {"name": row["Name"], "error": row["Error"], "count": int(row["Occurrences"])}
                for row in csv.DictReader(handle)
            ]
    return result

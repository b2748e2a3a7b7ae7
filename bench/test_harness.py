"""Self-checks of the harness's own arithmetic and writing; no database, no stack.

Not part of the default test run (pytest's testpaths is tests/): `pytest bench` runs them.
"""

from __future__ import annotations

import datetime
import decimal
import os
import signal
import time
import uuid

import pytest
from psycopg.types.json import Jsonb

from bench import report, run, stats
from bench.bulkcopy import _line, new_id


def test_median_ratio_percentile_and_slope():
    assert stats.median([3, 1, 2]) == 2
    assert stats.ratios([10, 30], [20, 30]) == [0.5, 1.0]
    assert stats.percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert stats.percentile([5.0], 99) == 5.0
    assert stats.slope([0, 1, 2, 3], [1, 3, 5, 7]) == pytest.approx(2.0)
    assert stats.slope([0, 1, 2, 3], [4, 4, 4, 4]) == 0.0


def test_new_ids_are_version_4_uuids():
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in list(ids)[:50]:
        parsed = uuid.UUID(value)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == value


def test_copy_lines_escape_text_and_write_null_booleans_json_and_dates():
    row = [
        "tab\there\nand \\ slash",
        None,
        True,
        False,
        7,
        decimal.Decimal("1.50"),
        datetime.date(2026, 1, 2),
        datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        Jsonb({"a": "b\tc"}),
        uuid.UUID("12345678-1234-4234-8234-123456789abc"),
    ]
    assert _line(row) == (
        "tab\\there\\nand \\\\ slash\t\\N\tt\tf\t7\t1.50\t2026-01-02\t"
        "2026-01-02T03:04:05+00:00\t"
        '{"a": "b\\\\tc"}\t12345678-1234-4234-8234-123456789abc\n'
    )


def _results() -> dict:
    web = {
        "rounds": 3,
        "seconds": 10,
        "users": 6,
        "scenarios": {
            "bare-token": {
                "rps": [500, 520, 510],
                "median_rps": 510,
                "median_latency_ms": 10,
                "p95_latency_ms": 20,
                "requests": 1,
                "failures": 0,
            },
            "infant-list": {
                "rps": [150, 140, 160],
                "median_rps": 150,
                "median_latency_ms": 40,
                "p95_latency_ms": 60,
                "requests": 1,
                "failures": 0,
                "baseline": "bare-token",
                "ratios": [0.3, 0.27, 0.31],
                "ratio": 0.3,
            },
        },
    }
    return {
        "started": "2026-11-21 10:00",
        "mode": "quick",
        "command": "make bench-quick",
        "minutes": 5,
        "load_start": "1.00",
        "load_end": "1.00",
        "machine": {
            "cpu": "CPU",
            "cores": 2,
            "memory_gb": 8,
            "os": "Linux",
            "kernel": "6",
            "python": "3.11",
            "postgresql": "15",
            "redis": "7",
            "packages": {},
        },
        "web": web,
        "errors": {},
    }


def test_every_row_of_the_issue_is_in_the_table_even_when_not_measured():
    rows = report.rows(_results())
    names = [row[0] for row in rows]
    assert len(rows) == 12  # the issue's eleven, the chart row split into time and memory
    assert names[0].startswith("scoped, authenticated infant list")
    assert rows[0][4] == "**met**"  # 0.30 >= 0.25
    assert rows[1][4] == "not measured"  # no detail round in these results
    assert "| target | required | measured |" in report.markdown(_results())


def test_the_document_section_between_the_markers_is_replaced(tmp_path):
    document = tmp_path / "BENCHMARKS.md"
    document.write_text(f"# Benchmarks\nhand-written\n{report.START}\nold\n{report.END}\nafter\n")
    report.update_document(document, "new table")
    text = document.read_text()
    assert "old" not in text
    assert "hand-written" in text and "after" in text
    assert f"{report.START}\nnew table\n{report.END}" in text


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_run_stopped_by_a_signal_ends_as_an_interrupted_run(signum):
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job is started
        run._stop_on_signal()
        with pytest.raises(KeyboardInterrupt, match=signal.Signals(signum).name):
            os.kill(os.getpid(), signum)
            time.sleep(5)  # the handler runs at the next bytecode; this sleep is cut short
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)

"""The web targets: each measured against the bare DRF endpoint in the same server, interleaved.

A round runs every scenario once, each baseline just before the targets it is compared with
(token-authenticated API calls after the bare endpoint called with the token, the staff page after
the bare endpoint called with the session), for the same number of seconds and simulated users.
The ratio is taken round by round, so a neighbour's build slowing the machine for a minute slows
both sides of the ratio; the reported figure is the median of the rounds' ratios.
"""

from __future__ import annotations

import requests

from bench import load, profile
from bench.stack import Stack
from bench.stats import median, ratios
from bench.world import PROXY_HEADERS

#: (scenario, its baseline), in the order they run within a round.
ROUND = (
    ("bare-token", None),
    ("infant-list", "bare-token"),
    ("infant-detail", "bare-token"),
    ("cached-chart", "bare-token"),
    ("bare-session", None),
    ("infant-page", "bare-session"),
)


def warm(stack: Stack, data: dict) -> None:
    """Draw every chart the rounds will read, once: the page reads the seven SVG charts through
    the chart cache and the chart target reads the PNG growth chart; drawing them is the chart
    row's business, not this one's."""
    token = {**PROXY_HEADERS, "Authorization": f"Token {data['token']}"}
    session = {**PROXY_HEADERS, "Cookie": f"sessionid={data['session']}"}
    for infant in data["infants"]:
        for url, headers in (
            (f"/infants/{infant}/", session),
            (f"/api/v1/infants/{infant}/charts/growth-wfa.png", token),
        ):
            response = requests.get(stack.url + url, headers=headers, timeout=300)
            response.raise_for_status()


def rounds(
    stack: Stack, data_file, *, rounds: int, seconds: float, users: int, warmup: float
) -> dict:
    for scenario, _ in ROUND:
        load.run(
            stack, scenario, seconds=warmup, users=users, data=data_file, label=f"warm-{scenario}"
        )
    measured: dict[str, list[dict]] = {scenario: [] for scenario, _ in ROUND}
    for r in range(rounds):
        for scenario, _ in ROUND:
            measured[scenario].append(
                load.run(
                    stack,
                    scenario,
                    seconds=seconds,
                    users=users,
                    data=data_file,
                    label=f"round{r + 1}-{scenario}",
                )
            )
    result: dict = {"rounds": rounds, "seconds": seconds, "users": users, "scenarios": {}}
    for scenario, baseline in ROUND:
        runs = measured[scenario]
        entry = {
            "rps": [run["rps"] for run in runs],
            "median_rps": median([run["rps"] for run in runs]),
            "median_latency_ms": median([run["median_ms"] for run in runs]),
            "p95_latency_ms": median([run["p95_ms"] or 0 for run in runs]),
            "requests": sum(run["requests"] for run in runs),
            "failures": sum(run["failures"] for run in runs),
        }
        if baseline is not None:
            entry["baseline"] = baseline
            entry["ratios"] = ratios(entry["rps"], [run["rps"] for run in measured[baseline]])
            entry["ratio"] = median(entry["ratios"])
        result["scenarios"][scenario] = entry
    return result


PROFILED = ("infant-list", "infant-detail", "infant-page", "cached-chart")


def profiles(stack: Stack, data_file, *, seconds: float, users: int) -> dict:
    """One more round of each target with py-spy sampling gunicorn's workers; not measured."""
    result = {}
    master = stack.processes["gunicorn"].pid
    for scenario in PROFILED:
        output = stack.run_dir / f"profile-{scenario}.txt"
        spy = profile.start(master, seconds + 2, output)
        load.run(
            stack,
            scenario,
            seconds=seconds,
            users=users,
            data=data_file,
            label=f"profile-{scenario}",
        )
        spy.wait(timeout=seconds + 60)
        result[scenario] = profile.summarise(output)
    return result

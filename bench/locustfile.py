"""Load for the web targets, run by Locust headless (bench.load starts it, one scenario per round).

BENCH_SCENARIO picks what every simulated user requests, back to back with no think time, so
the server is saturated and the round measures its throughput; "mixed" is the endurance load, with
think time. BENCH_DATA names a JSON file with the credentials and the infants to read. Every
request carries X-Forwarded-Proto: https as the TLS proxy in front of gunicorn does in production;
the session cookie (marked Secure) is sent by hand for the same reason.
"""

from __future__ import annotations

import json
import os
import random

from locust import FastHttpUser, between, constant, task

DATA = json.loads(open(os.environ["BENCH_DATA"]).read())  # noqa: SIM115 - read once at import
SCENARIO = os.environ.get("BENCH_SCENARIO", "mixed")
PROXY = {"X-Forwarded-Proto": "https"}
TOKEN = {**PROXY, "Authorization": f"Token {DATA['token']}"}
SESSION = {**PROXY, "Cookie": f"sessionid={DATA['session']}"}
INFANTS = DATA["infants"]
PAGES = max(1, min(20, DATA["list_pages"]))


class Reader(FastHttpUser):
    wait_time = between(0.2, 1.0) if SCENARIO == "mixed" else constant(0)

    def _get(self, path: str, headers: dict, name: str) -> None:
        with self.client.get(path, headers=headers, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    def bare_token(self) -> None:
        self._get("/bench/bare/", TOKEN, "bare DRF (token)")

    def bare_session(self) -> None:
        self._get("/bench/bare/", SESSION, "bare DRF (session)")

    def infant_list(self) -> None:
        page = random.randint(1, PAGES)  # noqa: S311 - load, not secrets
        self._get(f"/api/v1/infants/?page={page}&page_size=50", TOKEN, "infant list")

    def infant_detail(self) -> None:
        self._get(f"/api/v1/infants/{random.choice(INFANTS)}/", TOKEN, "infant detail")  # noqa: S311

    def infant_page(self) -> None:
        self._get(f"/infants/{random.choice(INFANTS)}/", SESSION, "staff infant page")  # noqa: S311

    def cached_chart(self) -> None:
        infant = random.choice(INFANTS)  # noqa: S311
        self._get(f"/api/v1/infants/{infant}/charts/growth-wfa.png", TOKEN, "cached chart")

    def worklist(self) -> None:
        self._get("/worklist/", SESSION, "worklist")

    @task
    def one_request(self) -> None:
        if SCENARIO == "mixed":
            choice = random.choices(  # noqa: S311
                [
                    self.infant_list,
                    self.infant_detail,
                    self.infant_page,
                    self.cached_chart,
                    self.worklist,
                    self.bare_token,
                ],
                weights=[4, 4, 2, 3, 1, 1],
            )[0]
            choice()
        else:
            getattr(self, SCENARIO.replace("-", "_"))()

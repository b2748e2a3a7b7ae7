"""A reminder gateway that never leaves the machine and counts what it was handed.

Both channels of the benchmark stack point here (bench.settings). Like a provider that honours
idempotency keys, it delivers a key once and acknowledges a repeat with the same provider id; every
hand-over and every repeat is counted in the benchmark's Redis database, so the runner can tell
"every due reminder went out exactly once" from the outside, across worker processes.
"""

from __future__ import annotations

import time
from functools import cache

import redis
from django.conf import settings

from patients.notifications.base import Outgoing

ATTEMPTS = "bench:gateway:attempts"  # hash: idempotency key -> hand-overs
FIRST = "bench:gateway:first"  # hash: idempotency key -> time of the first hand-over
DUPLICATES = "bench:gateway:duplicates"  # counter: hand-overs of a key already delivered


@cache
def client() -> redis.Redis:
    # redis-py's pool notices a fork and reconnects, so one client per process is safe under the
    # prefork pool.
    return redis.Redis.from_url(settings.BENCH_GATEWAY_URL)


class LoopbackGateway:
    def send(self, message: Outgoing) -> str:
        key = message.idempotency_key
        pipe = client().pipeline(transaction=False)
        pipe.hincrby(ATTEMPTS, key, 1)
        pipe.hsetnx(FIRST, key, repr(time.time()))
        _, first = pipe.execute()
        if not first:
            client().incr(DUPLICATES)
        return f"loopback-{key}"

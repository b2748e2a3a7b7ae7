"""Settings of the benchmark stack: the production settings, read from the same environment, plus
what exists only for the benchmark.

Everything security-related stays as production has it (DEBUG off, secure cookies, HSTS, the
HTTPS redirect): the load generator presents itself as the TLS proxy does, with
``X-Forwarded-Proto: https`` (settings.SECURE_PROXY_SSL_HEADER), so no setting is relaxed for
plain HTTP on loopback. The additions:

- ``bench.urls``: the production URLs plus ``bench/bare/``, the bare DRF baseline;
- ``bench.tasks`` imported by the worker: the no-op task of the dispatch baseline;
- both reminder channels sent to ``bench.gateway.LoopbackGateway``, which counts every hand-over
  in the benchmark's Redis database and never leaves the machine.
"""

from tracker.settings import *  # noqa: F403
from tracker.settings import REDIS_URL

ROOT_URLCONF = "bench.urls"

CELERY_IMPORTS = ("bench.tasks",)

NOTIFICATION_BACKENDS = {
    "sms": "bench.gateway.LoopbackGateway",
    "email": "bench.gateway.LoopbackGateway",
}
BENCH_GATEWAY_URL = REDIS_URL

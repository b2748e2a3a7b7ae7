"""Settings for the Celery worker the pipeline tests start: the test settings, pointed at the test
database (DATABASE_URL, set by the fixture) and at a per-test broker namespace, with the counting
gateway for both channels and test-sized timeouts.

Nothing here makes Celery eager: the worker is a real `celery -A tracker worker` process.

The fixture loads this file as the top-level module `worker_settings` (tests/reminders on
PYTHONPATH): importing it as `tests.reminders.worker_settings` would run the package's
`__init__`, which imports models before Django is set up. For the same reason nothing from the
tests package is imported here at module level.
"""

import importlib.util
import os
import sys
import types

from tracker.settings_test import *  # noqa: F403

CELERY_BROKER_URL = os.environ["REMINDER_TEST_BROKER_URL"]
# Each test gets its own queue and key prefix, so parallel runs on one Redis never share work.
CELERY_TASK_DEFAULT_QUEUE = os.environ["REMINDER_TEST_QUEUE"]
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "global_keyprefix": os.environ["REMINDER_TEST_KEYPREFIX"],
    # A message reserved by a SIGKILLed worker comes back after this long (production keeps the
    # 1 h default); restore sweeps run every second so the tests need not wait for them.
    "visibility_timeout": 10,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    "socket_timeout": 5,
    "socket_connect_timeout": 2,
}
CELERY_BROKER_CONNECTION_MAX_RETRIES = None

# Retry countdowns of at most 1, 2, 4, 8 s: far under the visibility timeout above.
REMINDER_SEND_RETRY_BACKOFF_SECONDS = 1

NOTIFICATION_BACKENDS = {
    "sms": "tests.reminders.gateway.CountingGateway",
    "email": "tests.reminders.gateway.CountingGateway",
}


def _render_shim(message):
    from tests.reminders.gateway import render

    return render(message)


# Until patients/notifications/render.py exists, render with the gateway's id-only stand-in.
if importlib.util.find_spec("patients.notifications.render") is None:
    _shim = types.ModuleType("patients.notifications.render")
    _shim.render = _render_shim  # type: ignore[attr-defined]
    sys.modules["patients.notifications.render"] = _shim

"""The embedded background process: runs the periodic jobs on a loop when no broker is used.

Production runs the same job functions from Celery beat; here they are called in-process, one
after another, so `make run` needs neither Redis nor a Celery worker.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

log = logging.getLogger("patients.dispatcher")


class Command(BaseCommand):
    help = "Run the background jobs (reminder dispatch and the like) in a loop, without a broker."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")
        parser.add_argument("--interval", type=float, default=settings.EMBEDDED_TICK_SECONDS)

    def handle(self, *args, once: bool, interval: float, **options):
        jobs = [(path, import_string(path)) for path in settings.EMBEDDED_JOBS]
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(
            f"Background jobs: {', '.join(p for p, _ in jobs) or 'none configured'}; "
            f"tick every {interval:g} s."
        )
        self.stdout.flush()  # visible at once even when the output goes to a file
        while not stop.is_set():
            for path, job in jobs:
                try:
                    job()
                except Exception:
                    # One failing job must not stop the others; the failure is logged with its trace.
                    log.exception("background job %s failed", path)
            if once:
                break
            stop.wait(interval)

"""Fixtures for the reminder pipeline: a counting gateway, message rows, a real Celery worker.

The pipeline tests run a real `celery -A tracker worker` subprocess against real Redis and the
PostgreSQL test database; nothing is eager. They need committed rows the worker can see, hence
`django_db(transaction=True)`. Without PostgreSQL they skip (the SQLite pass cannot share its
in-memory test database with another process; CI runs them in its PostgreSQL pass). Without a
reachable Redis they skip locally and fail under CI=true, so CI can never pass by skipping them.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reminders.gateway import Gateway, render

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_BROKER = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
_slots = itertools.count()


def wait_until(
    predicate: Callable[[], object],
    *,
    timeout: float,
    what: str | Callable[[], str],
    every: float = 0.05,
):
    """Poll `predicate` until it is truthy; `what` (or what it returns) explains a timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    raise AssertionError(
        f"timed out after {timeout:g} s waiting for {what if isinstance(what, str) else what()}"
    )


def _redis_ok(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the pipeline tests may not be skipped)")
    pytest.skip(reason)


# -- the gateway and the rows -------------------------------------------------------------------


@pytest.fixture
def gateway(tmp_path, monkeypatch, settings) -> Gateway:
    """The counting gateway behind both channels, in this process and in any worker started."""
    monkeypatch.setenv("REMINDER_GATEWAY_DIR", str(tmp_path / "gateway"))
    settings.NOTIFICATION_BACKENDS = {
        "sms": "tests.reminders.gateway.CountingGateway",
        "email": "tests.reminders.gateway.CountingGateway",
    }
    import importlib.util

    if importlib.util.find_spec("patients.notifications.render") is None:
        import types

        shim = types.ModuleType("patients.notifications.render")
        shim.render = render
        monkeypatch.setitem(sys.modules, "patients.notifications.render", shim)
    return Gateway(tmp_path / "gateway")


@pytest.fixture
def make_messages(db):
    """make_messages(n, due_at=..., guardians=2) -> the ids of n pending rows (bulk-inserted)."""
    from patients.models import Guardian, PlannedMessage
    from patients.models.reminders import Channel, MessageKind
    from tests.factories import ClinicFactory, InfantFactory, UserFactory

    clinic = ClinicFactory(name="Dispatch clinic")
    families: list = []

    def make(n: int, *, due_at: datetime.datetime | None = None, infant=None, guardians=2):
        from django.utils import timezone

        while len(families) < guardians:
            i = len(families)
            guardian = Guardian.objects.create(
                user=UserFactory(username=f"dispatch-guardian-{i}"),
                phone=f"+9053200000{i:02d}",
                email=f"guardian{i}@example.org",
            )
            families.append((guardian, InfantFactory(clinic=clinic)))
        due_at = due_at or timezone.now() - datetime.timedelta(minutes=1)
        rows = []
        for k in range(n):
            guardian, own_infant = families[k % guardians]
            rows.append(
                PlannedMessage(
                    slot_key=f"test-slot-{next(_slots)}-{uuid.uuid4().hex[:8]}",
                    guardian=guardian,
                    infant=infant or own_infant,
                    kind=MessageKind.DOSE_MORNING_OF,
                    channel=(Channel.SMS, Channel.EMAIL)[k % 2],
                    due_at=due_at,
                    event_on=due_at.date(),
                )
            )
        PlannedMessage.objects.bulk_create(rows, batch_size=2000)
        return [row.id for row in rows]

    make.families = families
    return make


# -- the real pipeline ---------------------------------------------------------------------------


@pytest.fixture
def postgres(transactional_db):
    """The PostgreSQL test database's URL, for processes other than this one."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL); CI runs this in its PostgreSQL pass")
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class RedisServer:
    """A private redis-server on a free port, so a test may restart it without touching the
    machine's shared Redis. No persistence: a restart loses every queued message, the worst case."""

    def __init__(self, directory: Path):
        self.dir = directory
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.proc = subprocess.Popen(  # noqa: S603 - fixed arguments, no user input
            [*command, "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )
        wait_until(lambda: _redis_ok(self.url), timeout=10, what="redis-server")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def private_redis(tmp_path):
    from shutil import which

    if not which("redis-server"):
        _unavailable("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class Pipeline:
    """A real Celery worker process on its own queue, and a way to publish to it."""

    def __init__(self, *, database_url: str, broker_url: str, workdir: Path, concurrency: int):
        self.database_url = database_url
        self.broker_url = broker_url
        self.workdir = workdir
        self.concurrency = concurrency
        tag = uuid.uuid4().hex[:10]
        self.queue = f"reminders-test-{tag}"
        self.keyprefix = f"reminders-test-{tag}:"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def transport_options(self) -> dict:
        return {"global_keyprefix": self.keyprefix, "socket_timeout": 5}

    def start(self) -> None:
        self.starts += 1
        log = self.workdir / f"worker-{self.starts}.log"
        env = os.environ | {
            # Top-level `worker_settings`, not `tests.reminders.worker_settings`: see its docstring.
            "DJANGO_SETTINGS_MODULE": "worker_settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "reminders"), str(ROOT)]),
            "DATABASE_URL": self.database_url,
            "REMINDER_TEST_BROKER_URL": self.broker_url,
            "REMINDER_TEST_QUEUE": self.queue,
            "REMINDER_TEST_KEYPREFIX": self.keyprefix,
        }
        command = [sys.executable, "-m", "celery", "-A", "tracker", "worker", "--pool=prefork"]
        self.proc = subprocess.Popen(  # noqa: S603 - fixed arguments, no user input
            [
                *command,
                f"--concurrency={self.concurrency}",
                "--loglevel=INFO",
                f"--logfile={log}",
                f"--hostname={self.queue}-{self.starts}@%h",
                # No gossip, mingle or heartbeat: one worker per test, and a faster start.
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / f"worker-{self.starts}.err", "w"),  # noqa: SIM115
            # Its own process group, so SIGKILL reaches the pool children too, as a crash would.
            start_new_session=True,
        )

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited: {self.log_tail()}")
            return any(
                " ready." in path.read_text()
                for path in (log, self.workdir / f"worker-{self.starts}.err")
                if path.exists()
            )

        wait_until(ready, timeout=60, what="the Celery worker", every=0.1)

    def log_tail(self, lines: int = 40) -> str:
        text = ""
        for path in sorted(self.workdir.glob("worker-*")):
            text += f"--- {path.name}\n" + "\n".join(path.read_text().splitlines()[-lines:])
        return text

    def kill(self) -> None:
        """kill -9 the worker and its pool: no warm shutdown, nothing acknowledged or restored."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(20)
        # Whatever survived the warm shutdown, pool children included.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def publish(self, task, *args) -> None:
        """Queue `task(*args)` on the worker's queue, as beat would."""
        from tracker.celery import app

        with app.connection_for_write(
            url=self.broker_url, transport_options=self.transport_options
        ) as connection:
            task.apply_async(args, connection=connection, queue=self.queue, retry=False)

    def forget_broker_keys(self) -> None:
        """Delete this test's keys; never FLUSHDB a Redis other people use."""
        import redis

        try:
            client = redis.Redis.from_url(self.broker_url, socket_connect_timeout=1)
            keys = list(client.scan_iter(match=f"{self.keyprefix}*", count=1000))
            if keys:
                client.delete(*keys)
        except redis.RedisError:
            pass


@pytest.fixture
def pipeline_factory(postgres, gateway, tmp_path):
    """pipeline_factory(broker_url=None, concurrency=2) -> a started Pipeline; stopped after."""
    started: list[Pipeline] = []

    def make(*, broker_url: str | None = None, concurrency: int = 2, start=True) -> Pipeline:
        broker_url = broker_url or DEFAULT_BROKER
        if not _redis_ok(broker_url):
            _unavailable(f"Redis is not reachable at {broker_url}")
        workdir = tmp_path / f"pipeline-{len(started)}"
        workdir.mkdir()
        pipeline = Pipeline(
            database_url=postgres, broker_url=broker_url, workdir=workdir, concurrency=concurrency
        )
        started.append(pipeline)
        if start:
            pipeline.start()
        return pipeline

    yield make
    # Stopped before pytest-django truncates the tables, so no worker holds a connection then.
    for pipeline in started:
        if pipeline.proc and pipeline.proc.poll() is None:
            pipeline.kill()  # the test is over: a warm shutdown would only cost seconds
        pipeline.forget_broker_keys()


@pytest.fixture
def pipeline(pipeline_factory) -> Pipeline:
    return pipeline_factory()

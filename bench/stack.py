"""The production stack on loopback: its environment, its database, and its processes.

Every process (gunicorn, the Celery worker and beat, the runner itself) reads the same environment,
built here: production settings (DJANGO_DEBUG off) with the benchmark's own database, Redis
database 8 for the broker and the cache, a fresh secret key per run and `bench.settings`, which adds
only the baselines and the loopback gateway. Processes are started in their own session and
stopped by their own process id, never by name.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("BENCH_DATABASE", "bench")
# Redis database 8 is the benchmark's; the tests use 15 and development 0.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")


def environment(run_dir: Path) -> dict[str, str]:
    """The variables every process of the stack starts with."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "DATABASE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"{POSTGRES}/{DATABASE}",
        REDIS_URL=REDIS_URL,
        # Collected, hashed static files (production serves them through WhiteNoise).
        STATIC_ROOT=str(ROOT / "bench" / "results" / "static"),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


def recreate_database() -> None:
    """Drop and create the benchmark's own database; no other database is touched."""
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database() -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def clear_redis() -> None:
    """Empty database 8 (the benchmark's alone): no queued task or counter of an earlier run."""
    redis.Redis.from_url(REDIS_URL).flushdb()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Process:
    name: str
    command: list[str]
    log: Path
    popen: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        assert self.popen is not None
        # Our own process group only (started with start_new_session): the pool children too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)


@dataclass
class Stack:
    run_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start(self, name: str, command: list[str]) -> Process:
        log = self.run_dir / f"{name}.log"
        process = Process(name, command, log)
        process.popen = subprocess.Popen(  # noqa: S603 - fixed arguments
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def start_web(self, workers: int = 2) -> None:
        self._start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "tracker.wsgi:application",
                f"--workers={workers}",
                f"--bind=127.0.0.1:{self.port}",
                "--timeout=120",
                "--graceful-timeout=10",
            ],
        )
        self._wait(lambda: _answers(self.port), "gunicorn", self.processes["gunicorn"])

    def start_worker(self, concurrency: int = 2) -> None:
        process = self._start(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "tracker",
                "worker",
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "--hostname=bench@%h",
            ],
        )
        self._wait(lambda: " ready." in process.log.read_text(errors="replace"), "worker", process)

    def start_beat(self) -> None:
        schedule = self.run_dir / "beat-schedule"
        for stale in self.run_dir.glob("beat-schedule*"):
            stale.unlink()
        process = self._start(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "tracker",
                "beat",
                "--loglevel=INFO",
                f"--schedule={schedule}",
                f"--pidfile={self.run_dir / 'beat.pid'}",
            ],
        )
        self._wait(
            lambda: "beat: Starting" in process.log.read_text(errors="replace"), "beat", process
        )

    def stop(self, *names: str) -> None:
        for name in names or list(self.processes):
            process = self.processes.get(name)
            if process is not None:
                process.stop()

    def pids(self, name: str) -> list[int]:
        """The process and its children (gunicorn's workers, the worker's pool)."""
        import psutil

        process = self.processes.get(name)
        if process is None or not process.alive():
            return []
        parent = psutil.Process(process.pid)
        return [parent.pid, *(child.pid for child in parent.children(recursive=True))]

    @staticmethod
    def _wait(ready, what: str, process: Process, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not process.alive():
                tail = process.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{what} exited during start-up:\n{tail}")
            try:
                if ready():
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{what} did not start within {timeout:g} s")


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False

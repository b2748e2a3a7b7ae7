"""A counting SMS/e-mail gateway for the reminder tests, shared by the test process and workers.

It behaves like a real provider in the one way that matters here: a second send with an
idempotency key it has already accepted is acknowledged with the same provider id and delivers
nothing. It records every attempt (raw, before deduplication) and every delivery, in a directory
named by REMINDER_GATEWAY_DIR, under an flock, so a Celery worker in another process and the test
that inspects it see the same counts. It can be told to fail the next N sends, or to time out
(the provider delivered, the caller never heard back), and to take a while per send.

It also carries a stand-in for `patients.notifications.render.render`, which the fixtures install
only while that module does not exist yet.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections import Counter
from pathlib import Path

from patients.notifications.base import GatewayError, Outgoing

ENV = "REMINDER_GATEWAY_DIR"


class Gateway:
    def __init__(self, directory: str | os.PathLike):
        self.dir = Path(directory)
        (self.dir / "delivered").mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_env(cls) -> Gateway:
        return cls(os.environ[ENV])

    @contextlib.contextmanager
    def _locked(self):
        with open(self.dir / "lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _config(self) -> dict:
        try:
            return json.loads((self.dir / "config.json").read_text())
        except FileNotFoundError:
            return {}

    def _write_config(self, config: dict) -> None:
        # Write and rename: a send reading the delay without the lock never sees half a file.
        temporary = self.dir / f"config.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(config))
        os.replace(temporary, self.dir / "config.json")

    # -- what a test tells it -------------------------------------------------------------------

    def configure(self, *, fail_next: int = 0, mode: str = "error", delay: float = 0.0) -> None:
        """Fail the next `fail_next` sends (mode "error": refused before delivery; "timeout":
        delivered, then the caller is told it timed out), and sleep `delay` s in every send."""
        assert mode in {"error", "timeout"}
        with self._locked():
            self._write_config({"fail_next": fail_next, "mode": mode, "delay": delay})

    # -- the provider side ----------------------------------------------------------------------

    def accept(self, key: str, channel: str) -> str:
        provider_id = f"gw-{key}"
        delay = self._config().get("delay", 0.0)
        if delay:
            time.sleep(delay)  # outside the lock: concurrent sends overlap as at a real provider
        with self._locked():
            config = self._config()
            failing = config.get("fail_next", 0) > 0
            if failing:
                config["fail_next"] -= 1
                self._write_config(config)
            if failing and config["mode"] == "error":
                self._record(key, channel, "error")
                raise GatewayError("gateway unavailable (test)")
            try:
                # O_EXCL makes "first time this key is seen" atomic across processes.
                os.close(os.open(self.dir / "delivered" / key, os.O_CREAT | os.O_EXCL))
                outcome = "delivered"
            except FileExistsError:
                outcome = "duplicate"
            self._record(key, channel, outcome)
        if failing:
            raise GatewayError("gateway timed out (test)")
        return provider_id

    def _record(self, key: str, channel: str, outcome: str) -> None:
        with open(self.dir / "attempts.jsonl", "a") as log:
            log.write(
                json.dumps({"key": key, "channel": channel, "outcome": outcome, "pid": os.getpid()})
                + "\n"
            )

    # -- what a test reads ----------------------------------------------------------------------

    def attempts(self) -> list[dict]:
        try:
            lines = (self.dir / "attempts.jsonl").read_text().splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line]

    def delivered(self) -> Counter:
        """Deliveries per idempotency key, as the parent's phone would count them."""
        return Counter(a["key"] for a in self.attempts() if a["outcome"] == "delivered")

    def accepted(self) -> Counter:
        """Raw successful hand-overs per key, before the provider's deduplication."""
        return Counter(a["key"] for a in self.attempts() if a["outcome"] != "error")

    def outcomes(self) -> Counter:
        return Counter(a["outcome"] for a in self.attempts())


class CountingGateway:
    """The ChannelBackend the tests put in settings.NOTIFICATION_BACKENDS for both channels."""

    def send(self, message: Outgoing) -> str:
        return Gateway.from_env().accept(message.idempotency_key, message.channel)


def render(message) -> Outgoing:
    """Stand-in for patients.notifications.render.render: ids only, no template, no patient data."""
    return Outgoing(
        idempotency_key=str(message.id),
        channel=message.channel,
        to=f"guardian:{message.guardian_id}",
        subject=message.kind,
        body=message.kind,
        language="tr",
    )

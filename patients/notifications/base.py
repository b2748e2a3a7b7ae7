"""The one small interface every channel (SMS, e-mail) implements.

The dispatcher renders a message at send time and hands it to the guardian's channel. The message
row's id travels as the idempotency key, so a provider that sees the same key twice delivers once.
Only errors named here are retried; anything else is a bug and fails the row at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class GatewayError(Exception):
    """A transient failure (timeout, 5xx, rate limit): the send is retried with backoff."""


class PermanentGatewayError(Exception):
    """The provider refused this message for good (invalid number, unsubscribed): no retry."""


@dataclass(frozen=True)
class Outgoing:
    idempotency_key: str  # the PlannedMessage id
    channel: str  # "sms" | "email"
    to: str
    subject: str
    body: str
    language: str


class ChannelBackend(Protocol):
    def send(self, message: Outgoing) -> str:
        """Deliver the message and return the provider's message id.

        Raise GatewayError for failures worth retrying and PermanentGatewayError for refusals.
        """
        ...

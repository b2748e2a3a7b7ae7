"""The one small interface every channel (SMS, e-mail) implements.

The dispatcher renders a message at send time and hands it to the guardian's channel. The message
row's id travels as the idempotency key, so a provider that sees the same key twice delivers once.
A provider that takes no key (Twilio's Messages API) is told instead when an earlier hand-over of
the message may have reached it (`Outgoing.resend`), and looks for that copy before sending again.
Only errors named here are retried; anything else is a bug and fails the row at once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol


class GatewayError(Exception):
    """A transient failure (timeout, 5xx, rate limit): the send is retried with backoff."""


class AmbiguousGatewayError(GatewayError):
    """The request reached the provider but no answer came back (a read timeout, a connection
    lost after sending, a 5xx): the message may have gone out. Retried like any GatewayError, but
    the retry must first look for the copy the provider may already have accepted."""


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
    #: An earlier hand-over of this message may have reached the provider: an earlier claim of
    #: the row, a recorded transient error, or a send task redelivered after a lost worker.
    resend: bool = False
    #: No earlier hand-over can predate this moment (the row's due time; rows are claimed only
    #: once due), which bounds the search for an earlier copy.
    not_before: datetime.datetime | None = None


class ChannelBackend(Protocol):
    def send(self, message: Outgoing) -> str:
        """Deliver the message and return the provider's message id.

        Raise GatewayError for failures worth retrying (AmbiguousGatewayError when the provider
        may have accepted the message) and PermanentGatewayError for refusals.
        """
        ...

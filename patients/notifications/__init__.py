"""Reminder channels behind one interface: render a planned message at send time, hand it over.

`deliver` is the only entry point the dispatcher uses. Rendering happens here, at send time, from
templates in the guardian's language, so a corrected template reaches messages already planned.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from patients.notifications.base import (
    AmbiguousGatewayError,
    ChannelBackend,
    GatewayError,
    Outgoing,
    PermanentGatewayError,
)

__all__ = [
    "AmbiguousGatewayError",
    "ChannelBackend",
    "GatewayError",
    "Outgoing",
    "PermanentGatewayError",
    "backend_for",
    "deliver",
]


@cache
def _backend_class(path: str) -> type:
    return import_string(path)


def backend_for(channel: str) -> ChannelBackend:
    return _backend_class(settings.NOTIFICATION_BACKENDS[channel])()


def deliver(message) -> str:
    """Render `message` (a PlannedMessage) and send it through its channel; the provider's id."""
    from patients.notifications.render import render

    outgoing = replace(
        render(message),
        # A second claim of the row (the first was released, reaped or failed over) or an error
        # noted on it (a transient failure, a redelivery after a lost worker) means an earlier
        # hand-over may have reached the provider.
        resend=message.attempts > 1 or bool(message.last_error),
        not_before=message.due_at,
    )
    return backend_for(message.channel).send(outgoing)

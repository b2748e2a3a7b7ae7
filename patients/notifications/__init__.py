"""Reminder channels behind one interface: render a planned message at send time, hand it over.

`deliver` is the only entry point the dispatcher uses. Rendering happens here, at send time, from
templates in the guardian's language, so a corrected template reaches messages already planned.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from patients.notifications.base import (
    ChannelBackend,
    GatewayError,
    Outgoing,
    PermanentGatewayError,
)

__all__ = [
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

    return backend_for(message.channel).send(render(message))

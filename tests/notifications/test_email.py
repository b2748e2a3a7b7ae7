"""E-mail through Django's backends: the locmem outbox stands in for the SMTP relay."""

from __future__ import annotations

import datetime
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from patients.models.reminders import Channel, MessageKind
from patients.notifications import GatewayError, Outgoing, PermanentGatewayError, deliver
from patients.notifications.email import DjangoEmailBackend
from tests.notifications import make_guardian, planned_message

KEY = "0b6f6c1e-6d8c-4a5e-9d59-3f1c8a1e2b77"


def outgoing(key: str = KEY) -> Outgoing:
    return Outgoing(
        idempotency_key=key,
        channel="email",
        to="veli@example.org",
        subject="Clinic 1: Deniz's injection is tomorrow",
        body="Clinic 1: Deniz's injection is tomorrow, Thursday 13 March.",
        language="en",
    )


def test_the_message_goes_out_with_a_message_id_carrying_the_key(settings):
    settings.DEFAULT_FROM_EMAIL = "reminders@clinic.example"

    provider_id = DjangoEmailBackend().send(outgoing())

    (sent,) = mail.outbox
    assert provider_id == f"<reminder-{KEY}@clinic.example>"
    assert sent.extra_headers["Message-ID"] == provider_id
    assert sent.message()["Message-ID"] == provider_id
    assert sent.message()["X-Reminder-Key"] == KEY
    assert sent.message()["Content-Language"] == "en"
    assert sent.to == ["veli@example.org"]
    assert sent.from_email == "reminders@clinic.example"
    assert sent.subject == "Clinic 1: Deniz's injection is tomorrow"


def test_a_retried_send_carries_the_same_message_id():
    first = DjangoEmailBackend().send(outgoing())
    second = DjangoEmailBackend().send(outgoing())
    other = DjangoEmailBackend().send(outgoing(key="another-key"))
    assert first == second != other


@pytest.mark.django_db
def test_deliver_renders_at_send_time_and_sends_by_email(infant):
    guardian = make_guardian(infant, language="tr", email="anne@example.org")
    message = planned_message(
        guardian,
        infant,
        kind=MessageKind.VISIT_EVENING_BEFORE,
        channel=Channel.EMAIL,
        event_on=datetime.date(2025, 3, 13),
    )

    with time_machine.travel(datetime.datetime(2025, 3, 12, 16, 0, tzinfo=datetime.UTC)):
        provider_id = deliver(message)

    (sent,) = mail.outbox
    assert sent.to == ["anne@example.org"]
    assert provider_id == sent.extra_headers["Message-ID"]
    assert str(message.id) in provider_id
    assert sent.body == (
        f"{infant.clinic.name}: {infant.given_name} için kontrol randevusu yarın, "
        "13 Mart Perşembe. Gelemeyecekseniz lütfen kliniği arayın."
    )
    assert sent.subject == (
        f"{infant.clinic.name}: {infant.given_name} için kontrol randevusu yarın, 13 Mart Perşembe"
    )


class FailingBackend(BaseEmailBackend):
    """An e-mail backend whose relay answers with the error the test puts in `error`."""

    error: Exception

    def send_messages(self, email_messages):
        raise type(self).error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            smtplib.SMTPRecipientsRefused({"veli@example.org": (550, b"No such user")}),
            PermanentGatewayError,
        ),
        (smtplib.SMTPRecipientsRefused({"veli@example.org": (450, b"Mailbox busy")}), GatewayError),
        (smtplib.SMTPDataError(554, b"Rejected as spam"), PermanentGatewayError),
        (smtplib.SMTPDataError(451, b"Try again later"), GatewayError),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), GatewayError),
        (TimeoutError("timed out"), GatewayError),
        (ConnectionRefusedError(111, "Connection refused"), GatewayError),
    ],
    ids=["550-user", "450-busy", "554-data", "451-data", "disconnected", "timeout", "refused"],
)
def test_relay_failures_map_to_the_channel_errors(settings, monkeypatch, error, expected):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    monkeypatch.setattr(FailingBackend, "error", error, raising=False)
    with pytest.raises(expected):
        DjangoEmailBackend().send(outgoing())

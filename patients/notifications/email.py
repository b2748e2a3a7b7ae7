"""E-mail through Django's configured e-mail backend (SMTP in production, locmem in tests)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import DNS_NAME

from patients.notifications.base import GatewayError, Outgoing, PermanentGatewayError


def message_id_for(idempotency_key: str) -> str:
    """A Message-ID derived from the key, not random: a retried send carries the same id, so the
    receiving mailbox (and any relay that deduplicates) sees one message, not two."""
    _, _, domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")
    return f"<reminder-{idempotency_key}@{domain or DNS_NAME}>"


def _is_permanent(code: int) -> bool:
    # SMTP reply classes: 4yz is "try again later", 5yz is a refusal (RFC 5321 section 4.2.1).
    return 500 <= code < 600


class DjangoEmailBackend:
    def send(self, message: Outgoing) -> str:
        message_id = message_id_for(message.idempotency_key)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={
                "Message-ID": message_id,
                "Content-Language": message.language,
                # Lets a mail log or bounce be traced back to the planned message.
                "X-Reminder-Key": message.idempotency_key,
                # An automated message: no out-of-office replies to the clinic's address.
                "Auto-Submitted": "auto-generated",
            },
            connection=get_connection(fail_silently=False),
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if codes and all(_is_permanent(code) for code in codes):
                raise PermanentGatewayError(f"Recipient refused: {error.recipients}") from error
            raise GatewayError(f"Recipient deferred: {error.recipients}") from error
        except smtplib.SMTPResponseException as error:
            if _is_permanent(error.smtp_code):
                raise PermanentGatewayError(
                    f"SMTP {error.smtp_code}: {error.smtp_error!r}"
                ) from error
            raise GatewayError(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from error
        except (smtplib.SMTPException, OSError) as error:
            # Disconnects, refused connections and socket timeouts: the relay did not take it.
            raise GatewayError(f"SMTP unavailable: {error}") from error
        return message_id

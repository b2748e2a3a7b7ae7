"""SMS gateways: a console and a file backend for development, and a Twilio adapter.

Every backend returns the provider's message id and raises only the two errors of the channel
interface, so the dispatcher's retry policy is written once (patients.notifications.base).
"""

from __future__ import annotations

import fcntl
import json
import logging
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.utils import timezone
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from patients.notifications.base import GatewayError, Outgoing, PermanentGatewayError

logger = logging.getLogger(__name__)


class ConsoleSmsBackend:
    """Writes the SMS to the log instead of sending it: the embedded default, like Django's
    console e-mail backend. Not for production: the body names the child."""

    def send(self, message: Outgoing) -> str:
        logger.info("SMS to %s [%s]: %s", message.to, message.idempotency_key, message.body)
        return f"console-{message.idempotency_key}"


class FileSmsBackend:
    """Appends each SMS as a JSON line to settings.SMS_FILE_PATH (a local outbox to inspect).

    It behaves like a provider that honours idempotency keys: a key already in the file is not
    written again, and the first send's id is returned. The whole read-check-append runs under an
    exclusive flock, so two dispatcher processes cannot both write the same message. The file is
    scanned on every send; it is a development outbox, not a message store.
    """

    def send(self, message: Outgoing) -> str:
        provider_id = f"file-{message.idempotency_key}"
        with open(settings.SMS_FILE_PATH, "a+", encoding="utf-8") as outbox:
            fcntl.flock(outbox, fcntl.LOCK_EX)
            try:
                outbox.seek(0)
                for line in outbox:
                    if line.strip() and json.loads(line).get("key") == message.idempotency_key:
                        return provider_id
                record = {
                    "id": provider_id,
                    "key": message.idempotency_key,
                    "to": message.to,
                    "body": message.body,
                    "language": message.language,
                    "at": timezone.now().isoformat(),
                }
                outbox.write(json.dumps(record, ensure_ascii=False) + "\n")
                outbox.flush()
            finally:
                fcntl.flock(outbox, fcntl.LOCK_UN)
        return provider_id


class _BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending to another base URL (a regional proxy, or the local fake
    server of the tests). The library builds absolute https://api.twilio.com URLs; only the scheme
    and host are swapped, the path stays the library's."""

    def __init__(self, base_url: str, *, timeout: float):
        super().__init__(timeout=timeout)
        self._base = urlsplit(base_url)

    def request(self, method, url, *args, **kwargs):
        if self._base.netloc:
            parts = urlsplit(url)
            url = urlunsplit((self._base.scheme, self._base.netloc, *parts[2:]))
        return super().request(method, url, *args, **kwargs)


# HTTP statuses worth retrying. 401/403 mean our credentials or account are wrong, not this
# message: failing every row for good would drop all reminders until someone re-plans them, while
# retrying lets them leave once the operator fixes the settings.
_TRANSIENT_STATUSES = {401, 403, 408, 409, 425, 429}


class TwilioSmsBackend:
    """Sends through Twilio's Programmable Messaging API with the official `twilio` library.

    Settings: SMS_PROVIDER_ACCOUNT (account SID), SMS_PROVIDER_TOKEN (auth token),
    SMS_PROVIDER_SENDER (the "From" number or a messaging service SID "MG..."), and
    SMS_PROVIDER_BASE_URL (empty for Twilio itself).

    Idempotency: Twilio's Messages API takes no idempotency key (twilio 9.x `messages.create` has
    no such parameter; only newer APIs accept an `Idempotency-Key` header). The guarantee is ours:
    the dispatcher claims a row once and records the sid; a retry happens only after a
    GatewayError. A connect timeout or a 5xx/429 means Twilio did not accept the message, so the
    retry cannot duplicate it; a read timeout is the one ambiguous case (Twilio may have queued
    the message before the answer was lost), and there a retry can send a second copy. Lowering
    that risk further needs a status-callback URL carrying the key, which this deployment lacks.
    """

    timeout_seconds = 10.0

    def __init__(self) -> None:
        self.client = Client(
            settings.SMS_PROVIDER_ACCOUNT,
            settings.SMS_PROVIDER_TOKEN,
            http_client=_BaseUrlHttpClient(
                settings.SMS_PROVIDER_BASE_URL, timeout=self.timeout_seconds
            ),
        )

    def send(self, message: Outgoing) -> str:
        sender = settings.SMS_PROVIDER_SENDER
        sender_field = "messaging_service_sid" if sender.startswith("MG") else "from_"
        try:
            created = self.client.messages.create(
                to=message.to, body=message.body, **{sender_field: sender}
            )
        except requests.Timeout as error:
            raise GatewayError(f"Twilio timed out: {error}") from error
        except requests.ConnectionError as error:
            raise GatewayError(f"Twilio unreachable: {error}") from error
        except TwilioRestException as error:
            detail = f"Twilio {error.status} (code {error.code}): {error.msg}"
            if error.status >= 500 or error.status in _TRANSIENT_STATUSES:
                raise GatewayError(detail) from error
            # Any other 4xx is a refusal of this message (21211 invalid "To", 21610 the
            # recipient replied STOP, 21614 not a mobile number): sending it again cannot help.
            raise PermanentGatewayError(detail) from error
        if not created.sid:
            raise GatewayError("Twilio accepted the request but returned no message sid.")
        return created.sid

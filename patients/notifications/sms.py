"""SMS gateways: a console and a file backend for development, and a Twilio adapter.

Every backend returns the provider's message id and raises only the errors of the channel
interface, so the dispatcher's retry policy is written once (patients.notifications.base).

Twilio and duplicates
---------------------
Twilio's Messages API takes no idempotency key (twilio 9.x ``messages.create`` has no such
parameter), so a retried send is not recognised by Twilio. `TwilioSmsBackend` therefore sorts
failures by what they say about the message:

* refused before Twilio took it - no connection, a connect timeout, HTTP 429 (rate limit) or
  401/403 (our credentials): a plain ``GatewayError``; the retry sends.
* fate unknown - a read timeout, a connection lost after the request went out, a 5xx: an
  ``AmbiguousGatewayError``; Twilio may have queued the message.
* refused for good - any other 4xx (21211 invalid "To", 21610 the recipient replied STOP, 21614
  not a mobile number): ``PermanentGatewayError``; sending again cannot help.

Reconcile before resending: when the dispatcher marks a send as a resend (``Outgoing.resend``: the
row was claimed before, an error was noted on it, or its task came back after a lost worker), the
adapter first lists the messages Twilio holds to that number from our sender, sent on or after the
day the row fell due, and if one has the identical body it returns that message's sid instead of
sending again. A first send costs one request; only a resend costs a list request more.

What this leaves open, honestly:

* A message Twilio accepted but has not sent yet (still ``queued`` or ``accepted`` in the sender's
  queue) has no ``date_sent``, so the ``DateSent`` filter does not find it, and a resend in that
  window texts the parent twice. Twilio's queues are usually drained in seconds; behind a rate
  limit (a long-code sender sends about one message a second) they can take minutes.
* The body is compared as rendered now. A resend whose text changed since the first try (a
  template fix, a day that turned "tomorrow" into "today" at midnight) is not recognised.
* Messages before the due day are not searched. A row moved to a later day after an ambiguous
  try (planning moves only pending rows, so this needs a release in between) is not recognised.
* A parent who already got an identical text from another row that day (an unchanged "new plan"
  announcement sent twice) does not get the second copy.
* A first send whose fate is unknown and that is never retried (its row was cancelled or failed
  meanwhile) is recorded by what the dispatcher knew; the Twilio console has the truth.

Closing the first window needs Twilio to carry our key, for example a status-callback URL naming
the row, which this deployment does not have.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import logging
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.utils import timezone
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from patients.notifications.base import (
    AmbiguousGatewayError,
    GatewayError,
    Outgoing,
    PermanentGatewayError,
)

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


# HTTP statuses that mean Twilio did not take the message and a later try may succeed. 401/403
# mean our credentials or account are wrong, not this message: failing every row for good would
# drop all reminders until someone re-plans them, while retrying lets them leave once the operator
# fixes the settings.
_REFUSED_FOR_NOW = {401, 403, 408, 409, 425, 429}
#: How many of Twilio's messages to one number a reconcile reads at most (newest first).
RECONCILE_LIMIT = 200


def _not_sent(error: requests.ConnectionError) -> bool:
    """True when the connection failed before the request could reach Twilio.

    requests raises ConnectionError both for a refused or unreachable host and for a connection
    lost after the request went out; urllib3 names the first kind (NewConnectionError and
    ConnectTimeoutError, its parent). Anything else counts as "may have been sent".
    """
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, ConnectTimeoutError)


class TwilioSmsBackend:
    """Sends through Twilio's Programmable Messaging API with the official `twilio` library.

    Settings: SMS_PROVIDER_ACCOUNT (account SID), SMS_PROVIDER_TOKEN (auth token),
    SMS_PROVIDER_SENDER (the "From" number or a messaging service SID "MG..."), and
    SMS_PROVIDER_BASE_URL (empty for Twilio itself).

    A resend first looks for the copy Twilio may already have (see the module docstring).
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
        self.sender = settings.SMS_PROVIDER_SENDER
        self.from_service = self.sender.startswith("MG")

    def send(self, message: Outgoing) -> str:
        if message.resend and (earlier := self.earlier_copy(message)):
            logger.info(
                "SMS %s: Twilio already has it as %s; not sent again",
                message.idempotency_key,
                earlier,
            )
            return earlier
        sender_field = "messaging_service_sid" if self.from_service else "from_"
        try:
            created = self.client.messages.create(
                to=message.to, body=message.body, **{sender_field: self.sender}
            )
        except requests.ConnectionError as error:  # a connect timeout is one too
            if _not_sent(error):
                raise GatewayError(f"Twilio unreachable: {error}") from error
            raise AmbiguousGatewayError(f"Twilio connection lost after sending: {error}") from error
        except requests.Timeout as error:
            raise AmbiguousGatewayError(f"Twilio timed out: {error}") from error
        except (TwilioRestException, TwilioServiceException) as error:
            detail = f"Twilio {error.status} (code {error.code}): {_twilio_message(error)}"
            if error.status >= 500:
                raise AmbiguousGatewayError(detail) from error
            if error.status in _REFUSED_FOR_NOW:
                raise GatewayError(detail) from error
            raise PermanentGatewayError(detail) from error
        except (requests.RequestException, TwilioException) as error:
            # The request went out and the answer could not be read (a body cut short, say).
            raise AmbiguousGatewayError(f"Twilio's answer was lost: {error}") from error
        if not created.sid:
            raise AmbiguousGatewayError("Twilio accepted the request but returned no message sid.")
        return created.sid

    def earlier_copy(self, message: Outgoing) -> str | None:
        """The sid of a message Twilio already holds with this text for this number, or None.

        Raises GatewayError when Twilio cannot be asked: sending without knowing could text the
        parent twice, and the retry will ask again.
        """
        filters: dict = {"to": message.to, "limit": RECONCILE_LIMIT, "page_size": 100}
        if not self.from_service:
            filters["from_"] = self.sender
        if message.not_before is not None:
            # Twilio filters by the day sent, in GMT: "DateSent>=YYYY-MM-DD".
            day = message.not_before.astimezone(datetime.UTC).date()
            filters["date_sent_after"] = day.isoformat()
        try:
            held = self.client.messages.list(**filters)
        except (requests.RequestException, TwilioException) as error:
            raise GatewayError(f"Twilio could not be asked for earlier copies: {error}") from error
        for earlier in held:
            if earlier.body != message.body:
                continue
            if self.from_service and earlier.messaging_service_sid != self.sender:
                continue
            return earlier.sid
        return None


def _twilio_message(error: TwilioRestException | TwilioServiceException) -> str:
    if isinstance(error, TwilioServiceException):
        return error.detail or error.title
    return error.msg

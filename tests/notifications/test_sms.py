"""SMS backends: the development outboxes, and the Twilio adapter against a local fake Twilio."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import email.utils
import json
import logging
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from patients.models.reminders import Channel, MessageKind, MessageStatus, PlannedMessage
from patients.notifications import (
    AmbiguousGatewayError,
    GatewayError,
    Outgoing,
    PermanentGatewayError,
)
from patients.notifications.sms import ConsoleSmsBackend, FileSmsBackend, TwilioSmsBackend
from patients.services import dispatch
from tests.factories import InfantFactory
from tests.notifications import make_guardian, planned_message

ACCOUNT = "AC" + "0" * 32
TOKEN = "fake-auth-token"


def outgoing(key: str = "6f1c0d9e-0000-4000-8000-000000000001", to: str = "+905321234567"):
    return Outgoing(
        idempotency_key=key,
        channel="sms",
        to=to,
        subject="",
        body="Klinik 1: Deniz için iğne günü yarın, 13 Mart Perşembe.",
        language="tr",
    )


# --- console and file -------------------------------------------------------------------------


def test_console_backend_logs_and_returns_a_synthetic_id(caplog):
    with caplog.at_level(logging.INFO, logger="patients.notifications.sms"):
        provider_id = ConsoleSmsBackend().send(outgoing(key="k1"))
    assert provider_id == "console-k1"
    assert "+905321234567" in caplog.text and "13 Mart" in caplog.text


@pytest.fixture
def outbox(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    return tmp_path / "sms.jsonl"


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_file_backend_appends_one_json_line_per_message(outbox):
    assert FileSmsBackend().send(outgoing(key="a")) == "file-a"
    assert FileSmsBackend().send(outgoing(key="b")) == "file-b"

    lines = _lines(outbox)
    assert [(line["key"], line["to"]) for line in lines] == [
        ("a", "+905321234567"),
        ("b", "+905321234567"),
    ]
    assert lines[0]["body"].startswith("Klinik 1: Deniz için")  # UTF-8, not \u escapes


def test_file_backend_sends_a_key_once_like_a_provider(outbox):
    first = FileSmsBackend().send(outgoing(key="same"))
    again = FileSmsBackend().send(outgoing(key="same"))
    assert first == again == "file-same"
    assert len(_lines(outbox)) == 1


def test_concurrent_sends_of_one_key_write_one_line(outbox):
    # Each thread opens the file itself, so the flock is contended as between two processes.
    backend = FileSmsBackend()
    threads = [
        threading.Thread(target=backend.send, args=(outgoing(key="race"),)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(_lines(outbox)) == 1


# --- Twilio against a fake server ------------------------------------------------------------

SENDER = "+15005550006"
SERVICE = "MG" + "1" * 32
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


class FakeTwilio(ThreadingHTTPServer):
    """Answers like Twilio's Messages endpoints: create (POST) and list (GET, filtered by To,
    From and DateSent>=), and keeps the messages it accepted, as Twilio would.

    `mode` plays the failures: "hang" holds a create without accepting it; "accept_then_hang"
    accepts it and then holds the answer past the client's read timeout; "accept_then_drop"
    accepts it and closes the connection without an answer; "accept_then_cut" cuts the answer
    short. `reply` (status, payload) answers
    every create with that instead; `list_reply` does the same for lists.
    """

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.messages: list[dict] = []  # newest last
        self.reply: tuple[int, dict] | None = None
        self.list_reply: tuple[int, dict] | None = None
        self.mode = "answer"
        self.release = threading.Event()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def store(self, *, to, body, from_=SENDER, service=None, sent_at=None) -> dict:
        """A message Twilio holds, as its API shows it."""
        sent_at = sent_at or timezone.now()
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": ACCOUNT,
            "to": to,
            "from": from_,
            "messaging_service_sid": service,
            "body": body,
            "status": "sent",
            "direction": "outbound-api",
            "date_created": email.utils.format_datetime(sent_at, usegmt=True),
            "date_sent": email.utils.format_datetime(sent_at, usegmt=True),
        }
        with self.lock:
            self.messages.append(message)
        return message

    def posts(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "POST"]

    def lists(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "GET"]


class _Handler(BaseHTTPRequestHandler):
    server: FakeTwilio

    def _record(self, method: str, form: dict) -> None:
        url = urlsplit(self.path)
        self.server.requests.append(
            {
                "method": method,
                "path": url.path,
                "query": parse_qs(url.query),
                "headers": dict(self.headers),
                "form": form,
            }
        )

    def _answer(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = parse_qs(self.rfile.read(length).decode())
        self._record("POST", form)
        server = self.server
        if server.mode == "hang":
            server.release.wait(10)  # longer than the client's timeout
            return
        if server.reply is not None:
            self._answer(*server.reply)
            return
        service = form.get("MessagingServiceSid", [None])[0]
        message = server.store(
            to=form["To"][0],
            body=form["Body"][0],
            # A messaging service picks the number from its pool.
            from_=form["From"][0] if "From" in form else "+15005550009",
            service=service,
        )
        if server.mode == "accept_then_hang":
            server.release.wait(10)
            return
        if server.mode == "accept_then_drop":
            self.close_connection = True
            return
        if server.mode == "accept_then_cut":
            # Headers promise a body that never fully arrives.
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "500")
            self.end_headers()
            self.wfile.write(b'{"sid": "SM')
            self.close_connection = True
            return
        self._answer(201, message | {"status": "queued"})

    def do_GET(self):
        self._record("GET", {})
        request = self.server.requests[-1]
        if request["path"] != MESSAGES_PATH:
            self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            return
        if self.server.list_reply is not None:
            self._answer(*self.server.list_reply)
            return
        query = {key: values[0] for key, values in request["query"].items()}
        since = query.get("DateSent>")
        with self.server.lock:
            held = list(reversed(self.server.messages))  # newest first, as Twilio lists them
        found = [
            m
            for m in held
            if m["to"] == query.get("To", m["to"])
            and m["from"] == query.get("From", m["from"])
            and (
                since is None
                or email.utils.parsedate_to_datetime(m["date_sent"]).date().isoformat()
                >= since[:10]
            )
        ]
        size = int(query.get("PageSize", 50))
        self._answer(
            200,
            {
                "messages": found[:size],
                "page": 0,
                "page_size": size,
                "start": 0,
                "end": max(0, min(size, len(found)) - 1),
                "uri": f"{MESSAGES_PATH}?PageSize={size}&Page=0",
                "first_page_uri": f"{MESSAGES_PATH}?PageSize={size}&Page=0",
                "previous_page_uri": None,
                "next_page_uri": None,
            },
        )

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_twilio(settings):
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_PROVIDER_ACCOUNT = ACCOUNT
    settings.SMS_PROVIDER_TOKEN = TOKEN
    settings.SMS_PROVIDER_SENDER = SENDER
    settings.SMS_PROVIDER_BASE_URL = server.url
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def short_timeout(monkeypatch):
    monkeypatch.setattr(TwilioSmsBackend, "timeout_seconds", 0.3)


def _twilio_error(status: int, code: int, message: str) -> tuple[int, dict]:
    return status, {"code": code, "message": message, "more_info": "", "status": status}


def resend(message: Outgoing, *, not_before: datetime.datetime | None = None) -> Outgoing:
    """The same message as the dispatcher hands it over again after a failed try."""
    return dataclasses.replace(message, resend=True, not_before=not_before or timezone.now())


def test_twilio_success_returns_the_message_sid_and_sends_what_twilio_expects(fake_twilio):
    fake_twilio.reply = (201, {"sid": "SM" + "a" * 32, "status": "queued"})

    provider_id = TwilioSmsBackend().send(outgoing())

    assert provider_id == "SM" + "a" * 32
    (request,) = fake_twilio.requests
    assert request["path"] == MESSAGES_PATH
    assert request["form"]["To"] == ["+905321234567"]
    assert request["form"]["From"] == [SENDER]
    assert request["form"]["Body"] == [outgoing().body]
    credentials = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert request["headers"]["Authorization"] == f"Basic {credentials}"


def test_twilio_sends_from_a_messaging_service_when_the_sender_is_one(fake_twilio, settings):
    settings.SMS_PROVIDER_SENDER = SERVICE
    fake_twilio.reply = (201, {"sid": "SM" + "b" * 32})

    TwilioSmsBackend().send(outgoing())

    form = fake_twilio.requests[0]["form"]
    assert form["MessagingServiceSid"] == [SERVICE]
    assert "From" not in form


def test_a_first_send_asks_twilio_nothing_else(fake_twilio):
    sid = TwilioSmsBackend().send(outgoing())

    assert [r["method"] for r in fake_twilio.requests] == ["POST"]
    assert [m["sid"] for m in fake_twilio.messages] == [sid]


@pytest.mark.parametrize(
    "reply",
    [
        _twilio_error(429, 20429, "Too Many Requests"),
        _twilio_error(401, 20003, "Authenticate"),
    ],
    ids=["429", "401-credentials"],
)
def test_twilio_refusals_for_now_are_retryable_and_not_ambiguous(fake_twilio, reply):
    fake_twilio.reply = reply
    with pytest.raises(GatewayError) as raised:
        TwilioSmsBackend().send(outgoing())
    assert not isinstance(raised.value, AmbiguousGatewayError)


@pytest.mark.parametrize(
    "reply",
    [
        _twilio_error(500, 20500, "Internal Server Error"),
        _twilio_error(503, 20503, "Service Unavailable"),
    ],
    ids=["500", "503"],
)
def test_twilio_server_errors_are_ambiguous(fake_twilio, reply):
    # Twilio may have queued the message before the error: the retry must look first.
    fake_twilio.reply = reply
    with pytest.raises(AmbiguousGatewayError):
        TwilioSmsBackend().send(outgoing())


@pytest.mark.parametrize(
    "reply",
    [
        _twilio_error(400, 21211, "The 'To' number +90532 is not a valid phone number."),
        _twilio_error(400, 21610, "Attempt to send to unsubscribed recipient"),
    ],
    ids=["invalid-number", "unsubscribed"],
)
def test_twilio_refusals_are_permanent(fake_twilio, reply):
    fake_twilio.reply = reply
    with pytest.raises(PermanentGatewayError, match=str(reply[1]["code"])):
        TwilioSmsBackend().send(outgoing(to="+90532"))


def test_twilio_read_timeout_is_ambiguous(fake_twilio, short_timeout):
    fake_twilio.mode = "hang"
    with pytest.raises(AmbiguousGatewayError, match="timed out"):
        TwilioSmsBackend().send(outgoing())
    assert len(fake_twilio.requests) == 1  # the library did not retry behind our back


@pytest.mark.parametrize("mode", ["accept_then_drop", "accept_then_cut"])
def test_twilio_answer_lost_after_sending_is_ambiguous(fake_twilio, mode):
    fake_twilio.mode = mode
    with pytest.raises(AmbiguousGatewayError, match="lost"):
        TwilioSmsBackend().send(outgoing())
    assert len(fake_twilio.messages) == 1


def test_twilio_unreachable_is_retryable_and_not_ambiguous(settings):
    # A port nothing listens on: bind one, then close it.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    server.server_close()
    settings.SMS_PROVIDER_ACCOUNT = ACCOUNT
    settings.SMS_PROVIDER_TOKEN = TOKEN
    settings.SMS_PROVIDER_SENDER = SENDER
    settings.SMS_PROVIDER_BASE_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(GatewayError, match="unreachable") as raised:
        TwilioSmsBackend().send(outgoing())
    assert not isinstance(raised.value, AmbiguousGatewayError)


# --- reconcile before resending ---------------------------------------------------------------


def test_a_timeout_then_a_retry_sends_exactly_one_message(fake_twilio, short_timeout):
    fake_twilio.mode = "accept_then_hang"
    first_try = timezone.now()
    with pytest.raises(AmbiguousGatewayError):
        TwilioSmsBackend().send(outgoing())
    fake_twilio.mode = "answer"

    provider_id = TwilioSmsBackend().send(resend(outgoing(), not_before=first_try))

    (message,) = fake_twilio.messages
    assert provider_id == message["sid"]
    assert len(fake_twilio.posts()) == 1
    (listing,) = fake_twilio.lists()
    assert listing["query"]["To"] == ["+905321234567"]
    assert listing["query"]["From"] == [SENDER]
    assert listing["query"]["DateSent>"] == [f"{first_try.astimezone(datetime.UTC):%Y-%m-%d}"]


def test_a_resend_that_twilio_never_got_is_sent(fake_twilio):
    provider_id = TwilioSmsBackend().send(resend(outgoing()))

    (message,) = fake_twilio.messages
    assert provider_id == message["sid"]
    assert [r["method"] for r in fake_twilio.requests] == ["GET", "POST"]


def test_a_resend_is_not_taken_for_a_different_message(fake_twilio):
    message = outgoing()
    day = timezone.now()
    fake_twilio.store(to=message.to, body="Another reminder")
    fake_twilio.store(to="+905329999999", body=message.body)
    fake_twilio.store(to=message.to, body=message.body, from_="+15005550001")
    fake_twilio.store(to=message.to, body=message.body, sent_at=day - datetime.timedelta(days=2))

    provider_id = TwilioSmsBackend().send(resend(message, not_before=day))

    assert len(fake_twilio.posts()) == 1
    assert provider_id == fake_twilio.messages[-1]["sid"]
    assert len(fake_twilio.messages) == 5


def test_a_resend_from_a_messaging_service_matches_on_the_service(fake_twilio, settings):
    settings.SMS_PROVIDER_SENDER = SERVICE
    message = outgoing()
    fake_twilio.store(to=message.to, body=message.body, service="MG" + "2" * 32)
    mine = fake_twilio.store(
        to=message.to, body=message.body, from_="+15005550009", service=SERVICE
    )

    assert TwilioSmsBackend().send(resend(message)) == mine["sid"]

    (listing,) = fake_twilio.lists()
    assert "From" not in listing["query"]  # the pool number is Twilio's choice
    assert not fake_twilio.posts()


@pytest.mark.parametrize(
    "list_reply",
    [_twilio_error(500, 20500, "Internal Server Error"), _twilio_error(429, 20429, "")],
)
def test_a_resend_that_cannot_check_sends_nothing(fake_twilio, list_reply):
    fake_twilio.list_reply = list_reply
    with pytest.raises(GatewayError, match="earlier copies"):
        TwilioSmsBackend().send(resend(outgoing()))
    assert not fake_twilio.posts()


@pytest.mark.django_db
@pytest.mark.parametrize("retry", ["within the claim", "after a release"])
def test_the_dispatcher_retrying_a_timed_out_twilio_send_texts_the_parent_once(
    fake_twilio, short_timeout, settings, retry
):
    """The whole path: a planned row, rendered at send time, sent through the Twilio adapter,
    Twilio accepting it and the answer lost, then the dispatcher's retry."""
    settings.NOTIFICATION_BACKENDS = settings.NOTIFICATION_BACKENDS | {
        "sms": "patients.notifications.sms.TwilioSmsBackend"
    }
    infant = InfantFactory()
    row = planned_message(
        make_guardian(infant),
        infant,
        kind=MessageKind.DOSE_MORNING_OF,
        channel=Channel.SMS,
        event_on=timezone.localdate(),
    )
    assert dispatch.claim_due(now=timezone.now(), limit=1) == [row.id]
    fake_twilio.mode = "accept_then_hang"
    with pytest.raises(AmbiguousGatewayError):
        dispatch.send_claimed(row.id)
    fake_twilio.mode = "answer"

    if retry == "within the claim":  # the Celery task's retry
        assert dispatch.send_claimed(row.id) is dispatch.SendOutcome.SENT
    else:  # retries spent, or the embedded loop: the row goes back and is claimed again
        assert dispatch.release_for_retry(row.id, now=timezone.now()) == MessageStatus.PENDING
        assert dispatch.dispatch_due() == 1

    (message,) = fake_twilio.messages
    assert len(fake_twilio.posts()) == 1
    row = PlannedMessage.objects.get(id=row.id)
    assert (row.status, row.provider_message_id) == (MessageStatus.SENT, message["sid"])
    assert message["to"] == "+905321234567"

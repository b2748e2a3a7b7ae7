"""SMS backends: the development outboxes, and the Twilio adapter against a local fake Twilio."""

from __future__ import annotations

import base64
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from patients.notifications import GatewayError, Outgoing, PermanentGatewayError
from patients.notifications.sms import ConsoleSmsBackend, FileSmsBackend, TwilioSmsBackend

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


class FakeTwilio(ThreadingHTTPServer):
    """Answers like Twilio's Messages endpoint and records what it was sent."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.reply: tuple[int, dict] = (201, {})
        self.hang = False
        self.release = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeTwilio

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = parse_qs(self.rfile.read(length).decode())
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "form": form}
        )
        if self.server.hang:
            self.server.release.wait(10)  # longer than the client's timeout
            return
        status, payload = self.server.reply
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_twilio(settings):
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_PROVIDER_ACCOUNT = ACCOUNT
    settings.SMS_PROVIDER_TOKEN = TOKEN
    settings.SMS_PROVIDER_SENDER = "+15005550006"
    settings.SMS_PROVIDER_BASE_URL = server.url
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def _twilio_error(status: int, code: int, message: str) -> tuple[int, dict]:
    return status, {"code": code, "message": message, "more_info": "", "status": status}


def test_twilio_success_returns_the_message_sid_and_sends_what_twilio_expects(fake_twilio):
    fake_twilio.reply = (201, {"sid": "SM" + "a" * 32, "status": "queued"})

    provider_id = TwilioSmsBackend().send(outgoing())

    assert provider_id == "SM" + "a" * 32
    (request,) = fake_twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert request["form"]["To"] == ["+905321234567"]
    assert request["form"]["From"] == ["+15005550006"]
    assert request["form"]["Body"] == [outgoing().body]
    credentials = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert request["headers"]["Authorization"] == f"Basic {credentials}"


def test_twilio_sends_from_a_messaging_service_when_the_sender_is_one(fake_twilio, settings):
    settings.SMS_PROVIDER_SENDER = "MG" + "1" * 32
    fake_twilio.reply = (201, {"sid": "SM" + "b" * 32})

    TwilioSmsBackend().send(outgoing())

    form = fake_twilio.requests[0]["form"]
    assert form["MessagingServiceSid"] == ["MG" + "1" * 32]
    assert "From" not in form


@pytest.mark.parametrize(
    "reply",
    [
        _twilio_error(500, 20500, "Internal Server Error"),
        _twilio_error(503, 20503, "Service Unavailable"),
        _twilio_error(429, 20429, "Too Many Requests"),
        _twilio_error(401, 20003, "Authenticate"),
    ],
    ids=["500", "503", "429", "401-credentials"],
)
def test_twilio_transient_failures_are_retryable(fake_twilio, reply):
    fake_twilio.reply = reply
    with pytest.raises(GatewayError):
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


def test_twilio_timeout_is_retryable(fake_twilio, monkeypatch):
    monkeypatch.setattr(TwilioSmsBackend, "timeout_seconds", 0.3)
    fake_twilio.hang = True
    with pytest.raises(GatewayError, match="timed out"):
        TwilioSmsBackend().send(outgoing())
    assert len(fake_twilio.requests) == 1  # the library did not retry behind our back


def test_twilio_unreachable_is_retryable(settings):
    # A port nothing listens on: bind one, then close it.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    server.server_close()
    settings.SMS_PROVIDER_ACCOUNT = ACCOUNT
    settings.SMS_PROVIDER_TOKEN = TOKEN
    settings.SMS_PROVIDER_SENDER = "+15005550006"
    settings.SMS_PROVIDER_BASE_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(GatewayError, match="unreachable"):
        TwilioSmsBackend().send(outgoing())

"""The production settings (DEBUG off) are secure without any variable set, and refuse to start
with insecure cookies. Each case imports tracker.settings in a fresh interpreter with a clean
environment, as a production process would start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READ = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_TIME",
    "AXES_LOCKOUT_PARAMETERS",
    "AXES_RESET_ON_SUCCESS",
]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-production-like-key-" + "k" * 40,
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def load_settings(**environ: str) -> subprocess.CompletedProcess:
    script = (
        "import json, tracker.settings as s; "
        f"print(json.dumps({{name: getattr(s, name) for name in {READ!r}}}, default=str))"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **environ}
    return subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_defaults_are_secure():
    run = load_settings(**PRODUCTION)
    assert run.returncode == 0, run.stderr
    values = json.loads(run.stdout)
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["AXES_FAILURE_LIMIT"] == 5
    assert values["AXES_COOLOFF_TIME"] == "0:15:00"
    assert values["AXES_LOCKOUT_PARAMETERS"] == ["username", "ip_address"]
    assert values["AXES_RESET_ON_SUCCESS"] is True


@pytest.mark.parametrize("variable", ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"])
def test_production_refuses_insecure_cookies(variable):
    run = load_settings(**PRODUCTION, **{variable: "0"})
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr and variable in run.stderr


def test_the_redirect_can_be_left_to_the_proxy_but_cookies_stay_secure():
    run = load_settings(**PRODUCTION, SECURE_SSL_REDIRECT="0")
    assert run.returncode == 0, run.stderr
    values = json.loads(run.stdout)
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True


def test_the_embedded_development_default_serves_plain_http():
    run = load_settings(DJANGO_DEBUG="1")
    assert run.returncode == 0, run.stderr
    values = json.loads(run.stdout)
    assert values["SESSION_COOKIE_SECURE"] is False and values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_HTTPONLY"] is True

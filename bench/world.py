"""The people of the benchmark: a clinic per cohort with its staff and lead, their credentials.

Credentials are obtained the way clients obtain them: the API token from /api/v1/auth/token/ and
the staff session from the sign-in page, each once, before any round, so no round pays for a
password hash.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import requests
from django.db import transaction

from patients import models as m
from patients.services.roles import add_membership, sync_role_groups

#: What the TLS proxy in front of gunicorn adds in production (settings.SECURE_PROXY_SSL_HEADER).
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


@dataclass
class Staff:
    username: str
    password: str
    user_id: str


@transaction.atomic
def make_clinic(name: str, tag: str) -> tuple[m.Clinic, Staff, Staff]:
    sync_role_groups()
    clinic = m.Clinic.objects.create(name=name, time_zone="Europe/Istanbul")
    people = []
    for role in ("staff", "lead"):
        password = secrets.token_urlsafe(18)
        user = m.User.objects.create_user(
            username=f"{tag}-{role}",
            password=password,
            first_name=role.title(),
            last_name=tag,
        )
        add_membership(user=user, clinic=clinic, role=role, profession="nurse")
        people.append(Staff(user.username, password, str(user.pk)))
    return clinic, people[0], people[1]


def api_token(base_url: str, staff: Staff) -> str:
    response = requests.post(
        f"{base_url}/api/v1/auth/token/",
        json={"username": staff.username, "password": staff.password},
        headers=PROXY_HEADERS,
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["token"]


def session_cookie(base_url: str, staff: Staff) -> str:
    """Sign in through the sign-in page, as a browser behind the TLS proxy would."""
    with requests.Session() as browser:
        # The cookies are marked Secure; this client talks plain HTTP to loopback, so it keeps
        # them by hand rather than through its cookie policy.
        page = browser.get(f"{base_url}/sign-in/", headers=PROXY_HEADERS, timeout=30)
        page.raise_for_status()
        csrf_cookie = page.cookies.get("csrftoken") or _cookie(page, "csrftoken")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token and csrf_cookie, "the sign-in page carries no CSRF token"
        answer = requests.post(
            f"{base_url}/sign-in/",
            data={
                "username": staff.username,
                "password": staff.password,
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={
                **PROXY_HEADERS,
                "Referer": f"https://127.0.0.1:{base_url.rsplit(':', 1)[1]}/sign-in/",
                "Cookie": f"csrftoken={csrf_cookie}",
            },
            allow_redirects=False,
            timeout=60,
        )
        session = answer.cookies.get("sessionid") or _cookie(answer, "sessionid")
        if answer.status_code != 302 or not session:
            raise RuntimeError(f"sign-in failed: {answer.status_code} {answer.text[:300]}")
        return session


def _cookie(response: requests.Response, name: str) -> str | None:
    for header in response.raw.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    return None

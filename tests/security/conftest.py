"""Sign-in fixtures: django-axes switched on (the test settings switch it off for client.login)."""

from __future__ import annotations

import pytest

from tests.conftest import f

PASSWORD = "test-password-123"  # tests.factories.UserFactory's password


@pytest.fixture
def axes_on(settings, db):
    settings.AXES_ENABLED = True
    # Stated here so the tests read against the numbers they prove, whatever the environment says.
    settings.AXES_FAILURE_LIMIT = 5
    return settings


@pytest.fixture
def nurse(clinic):
    return f.member(clinic, "staff", username="nurse")


@pytest.fixture
def sign_in(client):
    """Post the admin's sign-in form from a given address, as a browser would."""

    def post(username: str, password: str, *, address: str):
        return client.post(
            "/admin/login/",
            {"username": username, "password": password, "next": "/admin/"},
            REMOTE_ADDR=address,
        )

    return post

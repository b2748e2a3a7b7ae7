"""Sign-in throttling: 5 failures lock a user name (from any address) and an address (for any user
name) for 15 minutes; a successful sign-in clears both counters (QUALITY.md, Who may see what)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse

from tests.security.conftest import PASSWORD

SIGNED_IN = 302  # the admin redirects to "next"
REFUSED = 200  # the form again, with its error
LOCKED = 429  # django-axes' lock-out response, from the failure that reaches the limit on


def fail_five_times(sign_in, names, addresses) -> None:
    """Four refusals, then the fifth failure is itself answered with the lock-out."""
    statuses = [
        sign_in(name, "wrong", address=address).status_code
        for name, address in zip(names, addresses, strict=True)
    ]
    assert statuses == [REFUSED] * 4 + [LOCKED]


def test_five_failures_from_five_addresses_lock_the_user_name(axes_on, nurse, staff, sign_in):
    fail_five_times(sign_in, ["nurse"] * 5, [f"10.0.0.{n + 1}" for n in range(5)])

    # The right password from an address never seen before is refused: the lock is on the name.
    locked = sign_in("nurse", PASSWORD, address="10.0.9.9")
    assert locked.status_code == LOCKED
    assert "too many login attempts" in locked.content.decode()
    # The lock is the user name's, not that address's: another user signs in from it.
    assert sign_in("staff1", PASSWORD, address="10.0.9.9").status_code == SIGNED_IN


def test_four_failures_do_not_lock(axes_on, nurse, sign_in):
    for n in range(4):
        sign_in("nurse", "wrong", address=f"10.0.1.{n + 1}")
    assert sign_in("nurse", PASSWORD, address="10.0.1.1").status_code == SIGNED_IN


def test_five_user_names_tried_from_one_address_lock_the_address(axes_on, nurse, sign_in):
    fail_five_times(sign_in, ["alice", "bob", "carol", "dave", "nurse"], ["192.0.2.7"] * 5)

    # Every name is refused from that address, even a correct one with no failure of its own...
    assert sign_in("nurse", PASSWORD, address="192.0.2.7").status_code == LOCKED
    # ...while the same user signs in from elsewhere (one failure against the name is no lock).
    assert sign_in("nurse", PASSWORD, address="192.0.2.8").status_code == SIGNED_IN


def test_a_successful_sign_in_resets_the_counters(axes_on, nurse, sign_in):
    for _ in range(4):
        sign_in("nurse", "wrong", address="198.51.100.1")
    assert sign_in("nurse", PASSWORD, address="198.51.100.1").status_code == SIGNED_IN
    assert not AccessAttempt.objects.exists()

    # Without the reset the next failure would be the fifth and lock both the name and the address.
    for _ in range(4):
        assert sign_in("nurse", "wrong", address="198.51.100.1").status_code == REFUSED
    assert sign_in("nurse", PASSWORD, address="198.51.100.1").status_code == SIGNED_IN


def test_the_lock_lifts_after_the_fifteen_minute_cool_off(axes_on, nurse, sign_in):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        fail_five_times(sign_in, ["nurse"] * 5, [f"203.0.113.{n + 1}" for n in range(5)])
        clock.shift(datetime.timedelta(minutes=14, seconds=59))
        assert sign_in("nurse", PASSWORD, address="203.0.113.50").status_code == LOCKED
        # The refused attempt above did not restart the cool-off: it ends 15 minutes after the
        # last failure, whatever happens during the lock.
        clock.shift(datetime.timedelta(seconds=2))
        assert sign_in("nurse", PASSWORD, address="203.0.113.50").status_code == SIGNED_IN


@pytest.mark.parametrize("spoofed", ["10.9.9.9", "10.9.9.9, 127.0.0.1"])
def test_a_forwarded_for_header_does_not_escape_the_address_lock(axes_on, nurse, client, spoofed):
    """Each guess claims a new address in X-Forwarded-For; the peer address is what counts."""
    for n in range(5):
        client.post(
            "/admin/login/",
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR="192.0.2.50",
            HTTP_X_FORWARDED_FOR=f"{spoofed}{n}",
        )
    response = client.post(
        "/admin/login/",
        {"username": "nurse", "password": PASSWORD},
        REMOTE_ADDR="192.0.2.50",
        HTTP_X_FORWARDED_FOR="10.8.8.8",
    )
    assert response.status_code == LOCKED


def test_the_test_settings_leave_client_login_working(nurse, client):
    """The rest of the suite signs in with client.login, which axes would refuse (no request)."""
    assert client.login(username="nurse", password=PASSWORD)


def test_the_api_token_endpoint_is_throttled_too(axes_on, nurse, client):
    """A password guessed through the API counts against the same user name and address."""
    url = reverse("api:auth-token")

    def ask(password: str, address: str):
        return client.post(
            url,
            {"username": "nurse", "password": password},
            content_type="application/json",
            REMOTE_ADDR=address,
        )

    for n in range(5):
        assert ask("wrong", f"10.1.0.{n + 1}").status_code in {400, LOCKED}
    refused = ask(PASSWORD, "10.1.0.99")
    assert refused.status_code in {400, LOCKED}
    assert "token" not in refused.json()
    # The admin's sign-in form is refused as well: one lock, whichever door was knocked on.
    assert (
        client.post(
            "/admin/login/", {"username": "nurse", "password": PASSWORD}, REMOTE_ADDR="10.1.0.98"
        ).status_code
        == LOCKED
    )

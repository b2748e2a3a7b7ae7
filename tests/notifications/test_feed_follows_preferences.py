"""Switching the calendar off closes the subscription link (the token alone grants access)."""

from __future__ import annotations

from patients.services.calendar_feeds import issue_feed
from patients.services.reminders import update_reminder_preferences
from tests import factories as f


def test_switching_the_calendar_off_revokes_the_feed(client, db, staff):
    guardian_user = f.UserFactory(username="mother-a")
    from patients.models import Guardian

    guardian = Guardian.objects.create(user=guardian_user, calendar_enabled=True)
    feed = issue_feed(guardian)
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 200

    update_reminder_preferences(guardian=guardian, actor=staff, calendar_enabled=False)

    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 404

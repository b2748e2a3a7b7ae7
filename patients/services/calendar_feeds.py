"""Issue and revoke a guardian's calendar feed link.

The token in the link is the only credential (calendar apps cannot sign in), so a guardian has at
most one live link (a database constraint), a new link retires the old one, and a revoked link
answers 404 from the next request on.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from patients.models.people import Guardian
from patients.models.reminders import CalendarFeed


@transaction.atomic
def issue_feed(guardian: Guardian, *, now: datetime.datetime | None = None) -> CalendarFeed:
    """A fresh feed link for the guardian; the previous one, if any, stops working."""
    now = now or timezone.now()
    # Lock the guardian so two concurrent requests for a link serialise instead of one failing
    # on the one-active-feed constraint.
    Guardian.objects.select_for_update().filter(pk=guardian.pk).first()
    CalendarFeed.objects.filter(guardian=guardian, revoked_at__isnull=True).update(revoked_at=now)
    feed = CalendarFeed(guardian=guardian)
    feed.full_clean()
    feed.save()
    return feed


def revoke_feed(feed: CalendarFeed, now: datetime.datetime | None = None) -> CalendarFeed:
    """Stop the link from working. Revoking twice keeps the first revocation time."""
    now = now or timezone.now()
    CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(revoked_at=now)
    feed.refresh_from_db(fields=["revoked_at"])
    return feed

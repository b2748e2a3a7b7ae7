"""The guardian's calendar feed, fetched by a calendar app with no session: the token is the key."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from patients.models.reminders import CalendarFeed
from patients.notifications.calendar import build_feed


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = (
        CalendarFeed.objects.select_related("guardian")
        .filter(token=token, revoked_at__isnull=True, guardian__voided_at__isnull=True)
        .first()
    )
    if feed is None:
        # One answer for unknown and revoked links, so a probe learns nothing about which tokens
        # ever existed.
        raise Http404("No such calendar.")
    response = HttpResponse(build_feed(feed.guardian), content_type="text/calendar; charset=utf-8")
    # The body is a child's treatment plan behind a bearer link: no shared cache may keep it.
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex"
    return response

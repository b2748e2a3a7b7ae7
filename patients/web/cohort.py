"""The clinic lead's cohort dashboard."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from patients.web.access import lead_required


@lead_required
def dashboard(request: HttpRequest) -> HttpResponse:
    raise Http404

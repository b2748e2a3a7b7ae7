"""The front door: each signed-in user goes to the part of the product that is theirs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from patients.web.access import is_clinical, is_guardian
from patients.web.pages import page


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if is_clinical(request):
        return redirect("web:worklist")
    if is_guardian(request):
        return redirect("web:portal")
    if request.user.is_staff:
        # Administrators configure the product in the admin; they hold no clinical scope.
        return redirect("admin:index")
    return page(request, "web/no_role.html")

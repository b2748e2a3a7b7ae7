"""Which part of the product a signed-in user is sent to, and the guards of each part."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from patients.api.permissions import CLINICAL, GUARDIAN, LEAD, caller_roles
from patients.models import Infant
from patients.selectors import clinic_infants_for


# A page's navigation asks every role, so the pages read them all in the one query.
def is_clinical(request: HttpRequest) -> bool:
    return caller_roles(request, with_guardian=True).has(CLINICAL)


def is_guardian(request: HttpRequest) -> bool:
    return caller_roles(request, with_guardian=True).has(GUARDIAN)


def is_lead(request: HttpRequest) -> bool:
    return caller_roles(request, with_guardian=True).has(LEAD)


def clinic_infants(request: HttpRequest) -> QuerySet[Infant]:
    """The reader's clinical scope (`clinic_infants_for`) with the clinic ids their roles were
    read with: the page's role check has asked for them already, so the scope asks nothing more."""
    return clinic_infants_for(request.user, clinic_ids=caller_roles(request).clinical_clinic_ids)


def _requires(role_check: Callable[[HttpRequest], bool]):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            # 404 rather than 403: a page outside the reader's part of the product is as absent
            # for them as a record outside their scope.
            if not role_check(request):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


clinical_required = _requires(is_clinical)
guardian_required = _requires(is_guardian)
lead_required = _requires(is_lead)

"""Sign-in and sign-out with Django's views; the lock-out of django-axes shown as a page."""

from __future__ import annotations

from axes.helpers import get_cool_off, get_lockout_message
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from patients.web.pages import nav_context, page


class SignInView(auth_views.LoginView):
    template_name = "web/sign_in.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **nav_context(self.request)}


class SignOutView(auth_views.LogoutView):
    """POST only (Django 5); sends the user back to the sign-in page (LOGOUT_REDIRECT_URL)."""


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """django-axes' answer to a sign-in refused for a locked-out user name or address
    (AXES_LOCKOUT_CALLABLE). The lock itself stays in force in the authentication backend.

    The sign-in page answers with a page in the reader's language that says when to try again and
    how to set a new password. The administration's sign-in keeps axes' own line of text: the
    page's links lead to the product's sign-in, not back to the administration.
    """
    status = settings.AXES_HTTP_RESPONSE_CODE
    match = request.resolver_match
    if match is None or match.view_name != "web:sign-in":
        return HttpResponse(get_lockout_message(), status=status)
    return page(
        request,
        "web/locked_out.html",
        {"cooloff_minutes": _minutes(get_cool_off(request))},
        status=status,
    )


def _minutes(cool_off) -> int | None:
    return None if cool_off is None else max(1, round(cool_off.total_seconds() / 60))

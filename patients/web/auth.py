"""Sign-in and sign-out with Django's views; the lock-out of django-axes shown as a page."""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from patients.web.pages import nav_context, page


class SignInView(auth_views.LoginView):
    template_name = "web/sign_in.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **nav_context(self.request)}

    def form_invalid(self, form) -> HttpResponse:
        request = self.request
        if getattr(request, "axes_locked_out", False):
            # The authentication backend refused the attempt because the user name or the address
            # is locked out. Axes' middleware would answer with a bare line of English text; this
            # page says the same in the reader's language, and the flag is cleared so the
            # middleware leaves it in place. The lock itself stays in force in the backend.
            request.axes_locked_out = False
            return page(
                request,
                "web/locked_out.html",
                {"cooloff_minutes": _minutes(get_cool_off(request))},
                status=429,
            )
        return super().form_invalid(form)


class SignOutView(auth_views.LogoutView):
    """POST only (Django 5); sends the user back to the sign-in page (LOGOUT_REDIRECT_URL)."""


def _minutes(cool_off) -> int | None:
    return None if cool_off is None else max(1, round(cool_off.total_seconds() / 60))

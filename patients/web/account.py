"""The account pages: changing one's password, and setting a new one through a link by e-mail.

Django's own views and forms do the work (tokens that expire and stop working once used, the
password validators); this module gives them the product's pages, writes the e-mail in the
reader's language, and lets a reset lift a sign-in lock-out.
"""

from __future__ import annotations

from axes.utils import reset as reset_sign_in_failures
from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.urls import path, reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_ratelimit.core import is_ratelimited

from patients import models as m
from patients.selectors import guardian_of
from patients.services.audit import client_address
from patients.web.pages import nav_context

_DAY_SECONDS = 24 * 60 * 60


def email_language(user: m.User) -> str:
    """A guardian reads the e-mail in the language of their reminders; anyone else in the language
    of the page they asked from."""
    guardian = guardian_of(user)
    return guardian.language if guardian is not None else translation.get_language()


class PasswordResetForm(auth_forms.PasswordResetForm):
    # A text field that asks phones for the e-mail keyboard: the site's styles size text fields.
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"inputmode": "email", "autocomplete": "email", "autocapitalize": "none"}
        ),
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        with translation.override(email_language(context["user"])):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name=html_email_template_name,
            )


class _AccountPage:
    """The layout's navigation for the reader, and no copy of the page kept by any cache."""

    @method_decorator(never_cache)
    def dispatch(self, *args, **kwargs):
        return super().dispatch(*args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **nav_context(self.request)}


class PasswordChangeView(_AccountPage, auth_views.PasswordChangeView):
    template_name = "web/account/password_change_form.html"
    success_url = reverse_lazy("web:password-change-done")


class PasswordChangeDoneView(_AccountPage, auth_views.PasswordChangeDoneView):
    template_name = "web/account/password_change_done.html"


class PasswordResetView(_AccountPage, auth_views.PasswordResetView):
    """Answers every address alike, with or without an account: the page never tells."""

    form_class = PasswordResetForm
    template_name = "web/account/password_reset_form.html"
    subject_template_name = "web/account/password_reset_subject.txt"
    email_template_name = "web/account/password_reset_email.txt"
    success_url = reverse_lazy("web:password-reset-done")

    @property
    def extra_email_context(self) -> dict:
        return {"valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // _DAY_SECONDS)}

    def form_valid(self, form):
        request = self.request
        # Too many requests from one address is said plainly: it tells nothing about any account.
        if is_ratelimited(
            request,
            group="password-reset:address",
            key=lambda _group, request: client_address(request) or "",
            rate=settings.PASSWORD_RESET_RATE_PER_ADDRESS,
            increment=True,
        ):
            form.add_error(None, _("Too many requests from this address. Try again later."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        # Too many for one e-mail address gets the usual answer and no e-mail: saying otherwise
        # would tell whether the address has an account, and the limit keeps anyone from filling
        # a parent's inbox with links.
        if is_ratelimited(
            request,
            group="password-reset:email",
            key=lambda _group, _request: form.cleaned_data["email"].casefold(),
            rate=settings.PASSWORD_RESET_RATE_PER_EMAIL,
            increment=True,
        ):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetDoneView(_AccountPage, auth_views.PasswordResetDoneView):
    template_name = "web/account/password_reset_done.html"


class PasswordResetConfirmView(_AccountPage, auth_views.PasswordResetConfirmView):
    template_name = "web/account/password_reset_confirm.html"
    success_url = reverse_lazy("web:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # A parent who has forgotten their password has usually found out by failing to sign in
        # until django-axes locked the user name. Following the link proves they own the account's
        # address, so the failures against the name are forgotten and the new password works at
        # once instead of after the cool-off. A lock on an address stays: it stops one device
        # trying many names, which a reset of one account says nothing about.
        reset_sign_in_failures(username=form.user.get_username())
        return response


class PasswordResetCompleteView(_AccountPage, auth_views.PasswordResetCompleteView):
    template_name = "web/account/password_reset_complete.html"


urlpatterns = [
    path("password/", PasswordChangeView.as_view(), name="password-change"),
    path("password/done/", PasswordChangeDoneView.as_view(), name="password-change-done"),
    path("password/reset/", PasswordResetView.as_view(), name="password-reset"),
    path("password/reset/sent/", PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password/reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/complete/",
        PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
]

"""Changing one's password, and setting a new one through a link sent by e-mail: in the reader's
language, without telling whether an address has an account, and lifting a sign-in lock-out."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.core import mail
from django.core.cache import cache

from patients import models as m
from tests.web.test_translations import CATALOGUE, _template_msgids

pytestmark = pytest.mark.django_db

ACCOUNT_TEMPLATES = sorted(
    (Path(__file__).resolve().parents[2] / "templates/web/account").glob("*.*")
)
NEW_PASSWORD = "kirmizi-balon-2026"


@pytest.fixture(autouse=True)
def _fresh_request_counts():
    """The reset limits count in the cache; each test starts with none spent."""
    cache.clear()
    yield
    cache.clear()


def _text(response) -> str:
    return response.content.decode()


def _ask_for_a_link(client, email: str, **headers):
    return client.post("/password/reset/", {"email": email}, **headers)


def _link(message) -> str:
    return re.search(r"https?://testserver(/password/reset/\S+/\S+/)", message.body).group(1)


# --- changing the password ----------------------------------------------------------------------


def test_a_signed_in_user_changes_their_password(signed_in, client, demo_user):
    client = signed_in("parent1")
    page = client.get("/password/")
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in _text(page)
    assert "no-store" in page["Cache-Control"]

    response = client.post(
        "/password/",
        {
            "old_password": "demo-parent-pass",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/password/done/"
    done = client.get("/password/done/")
    assert "Password changed" in _text(done)
    # The session survives the change; the new password is the one that works.
    assert client.get("/portal/").status_code == 200
    assert demo_user("parent1").check_password(NEW_PASSWORD)


def test_a_wrong_old_password_is_an_error_beside_the_field(signed_in, demo_user):
    response = signed_in("parent1").post(
        "/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    page = _text(response)
    assert 'id="id_old_password_error"' in page and 'aria-invalid="true"' in page
    assert demo_user("parent1").check_password("demo-parent-pass")


def test_the_password_pages_show_the_readers_navigation(signed_in):
    page = _text(signed_in("parent1").get("/password/"))
    assert 'href="/portal/"' in page and 'href="/portal/preferences/"' in page


def test_changing_a_password_needs_signing_in(client, demo):
    response = client.get("/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?next=/password/")


# --- resetting it by e-mail -------------------------------------------------------------------


def test_the_sign_in_page_links_to_the_reset(client, demo):
    assert 'href="/password/reset/"' in _text(client.get("/sign-in/"))


def test_a_parent_resets_their_password_through_the_link(client, demo, demo_user):
    assert client.get("/password/reset/").status_code == 200
    response = _ask_for_a_link(client, "parent1@example.org")
    assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"

    (message,) = mail.outbox
    assert message.to == ["parent1@example.org"]
    link = _link(message)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert 'name="new_password1"' in _text(form)
    set_password_url = form.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == "/password/reset/complete/"
    assert 'href="/sign-in/"' in _text(client.get("/password/reset/complete/"))

    signed = client.post("/sign-in/", {"username": "parent1", "password": NEW_PASSWORD})
    assert signed.status_code == 302
    assert client.get("/portal/").status_code == 200

    # The link works once.
    client.post("/sign-out/")
    again = client.get(link, follow=True)
    assert "This link does not work any more" in _text(again)
    assert 'name="new_password1"' not in _text(again)


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(client, demo):
    known = _ask_for_a_link(client, "parent1@example.org")
    unknown = _ask_for_a_link(client, "nobody@example.org")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert len(mail.outbox) == 1
    assert "If an account has this e-mail address" in _text(client.get(unknown["Location"]))


def test_too_many_requests_from_one_address_are_refused_in_words(client, demo, settings):
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "2/h"
    for email in ("parent1@example.org", "parent2@example.org"):
        assert _ask_for_a_link(client, email).status_code == 302
    refused = _ask_for_a_link(client, "staff@example.org")
    assert refused.status_code == 429
    assert "Too many requests from this address" in _text(refused)
    assert len(mail.outbox) == 2
    # Another address is not held back by this one.
    other = _ask_for_a_link(client, "parent1@example.org", REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 302 and len(mail.outbox) == 3


def test_too_many_links_to_one_inbox_get_the_usual_answer_and_no_e_mail(client, demo, settings):
    settings.PASSWORD_RESET_RATE_PER_EMAIL = "2/h"
    answers = [
        _ask_for_a_link(client, "Parent1@example.org", REMOTE_ADDR=f"198.51.100.{n}")
        for n in range(1, 4)
    ]
    assert {(a.status_code, a["Location"]) for a in answers} == {(302, "/password/reset/sent/")}
    assert len(mail.outbox) == 2


def test_a_bad_address_is_an_error_beside_the_field(client, demo):
    response = _ask_for_a_link(client, "not an address")
    assert response.status_code == 200
    assert 'id="id_email_error"' in _text(response)
    assert mail.outbox == []


def test_the_guardians_e_mail_is_in_their_reminder_language(client, demo, demo_user):
    # The demo's guardians read Turkish; the request comes from an English page.
    _ask_for_a_link(client, "parent1@example.org", HTTP_ACCEPT_LANGUAGE="en")
    (message,) = mail.outbox
    assert message.subject == "B12 izlem: yeni parola belirleyin"
    assert "Merhaba Fatma Yıldız," in message.body
    assert "Kullanıcı adınız: parent1" in message.body

    m.Guardian.objects.filter(user=demo_user("parent1")).update(language="en")
    _ask_for_a_link(client, "parent1@example.org", HTTP_ACCEPT_LANGUAGE="tr")
    assert mail.outbox[1].subject == "B12 follow-up: set a new password"


@pytest.mark.parametrize(
    ("language", "subject"),
    [("en", "B12 follow-up: set a new password"), ("tr", "B12 izlem: yeni parola belirleyin")],
)
def test_anyone_else_reads_the_e_mail_in_the_language_of_the_page(client, demo, language, subject):
    _ask_for_a_link(client, "staff@example.org", HTTP_ACCEPT_LANGUAGE=language)
    (message,) = mail.outbox
    assert message.subject == subject
    assert message.to == ["staff@example.org"]


def test_a_reset_lifts_the_lock_out_of_the_user_name(client, demo, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        client.post(
            "/sign-in/",
            {"username": "parent1", "password": "wrong"},
            REMOTE_ADDR=f"10.0.0.{n + 1}",
        )
    locked = client.post(
        "/sign-in/", {"username": "parent1", "password": "demo-parent-pass"}, REMOTE_ADDR="10.0.1.1"
    )
    assert locked.status_code == 429
    assert 'href="/password/reset/"' in _text(locked)

    _ask_for_a_link(client, "parent1@example.org", REMOTE_ADDR="10.0.1.1")
    set_password_url = client.get(_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    signed = client.post(
        "/sign-in/", {"username": "parent1", "password": NEW_PASSWORD}, REMOTE_ADDR="10.0.1.1"
    )
    assert signed.status_code == 302
    assert client.get("/portal/").status_code == 200


def test_a_lock_out_elsewhere_than_the_sign_in_page_keeps_axes_own_answer(client, demo, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post("/admin/login/", {"username": "admin", "password": "wrong"})
    locked = client.post("/admin/login/", {"username": "admin", "password": "demo-admin-pass"})
    assert locked.status_code == 429
    assert "too many login attempts" in _text(locked)


# --- Turkish -------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", ACCOUNT_TEMPLATES, ids=lambda path: path.name)
def test_every_string_of_the_account_pages_and_e_mail_is_in_turkish(template):
    catalogue = polib.pofile(str(CATALOGUE))
    msgids = _template_msgids(template)
    if template.name != "_field.html":
        assert msgids, f"{template.name}: no translatable string found"
    for msgid in msgids:
        entry = catalogue.find(msgid)
        assert entry is not None and not entry.fuzzy, f"{msgid!r} has no Turkish entry"
        texts = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        assert all(text.strip() for text in texts), f"{msgid!r} has no Turkish translation"
